// A call resumed from its persisted snapshot, as the registry resumes every call from its store,
// steps exactly as the live snapshot does: checked on every transition the model-based paths
// cover, each step from a snapshot restored from JSON.
import { describe, expect, it } from 'vitest';
import {
  type CallSnapshot,
  persistCallSnapshot,
  restoreCall,
  startCall,
  stepCall,
} from '../../src/index.js';
import { getCallPaths } from '../../src/testing/index.js';

const paths = getCallPaths({ cover: 'transitions' });

/** The snapshot as the store gives it back: persisted, through JSON, restored. */
const stored = (snapshot: CallSnapshot): CallSnapshot =>
  restoreCall(JSON.parse(JSON.stringify(persistCallSnapshot(snapshot))));

describe('restoreCall', () => {
  it(`steps like the live snapshot on every covered transition (${paths.length} paths)`, {
    timeout: 60_000,
  }, () => {
    expect(paths.length).toBeGreaterThan(20);
    for (const path of paths) {
      let restored = startCall(path.input).snapshot;
      let live = restored;
      for (const { event } of path.steps) {
        const fromStore = stepCall(stored(restored), event);
        const fromLive = stepCall(live, event);
        expect(fromStore.emitted, path.description).toEqual(fromLive.emitted);
        expect(fromStore.snapshot.value, path.description).toEqual(fromLive.snapshot.value);
        expect(fromStore.snapshot.context, path.description).toEqual(fromLive.snapshot.context);
        expect(fromStore.snapshot.status, path.description).toBe(fromLive.snapshot.status);
        restored = fromStore.snapshot;
        live = fromLive.snapshot;
      }
    }
  });

  it('keeps the history a failed hang-up returns to', () => {
    let { snapshot } = startCall({ callId: 'h', state: 'hold' });
    snapshot = stepCall(snapshot, { type: 'hangUp', at: 1 }).snapshot;
    const failed = stepCall(stored(snapshot), { type: 'delete.failed', status: 403, at: 2 });
    expect(failed.snapshot.value).toEqual({ active: 'hold' });
    expect(failed.emitted.map((e) => e.type)).toContain('call.hangUpFailed');
  });

  it('refuses a snapshot the chart cannot resume from, naming its state', () => {
    const { snapshot } = startCall({ callId: 'r', state: 'established' });
    const persisted = JSON.parse(JSON.stringify(persistCallSnapshot(snapshot)));
    expect(() => restoreCall({ ...persisted, value: { active: 'dancing' } })).toThrow(
      /cannot resume from \{"active":"dancing"\}/,
    );
  });
});
