// The shared registry's actor-less steps (a reused inert scope, restoreSnapshot) must be
// exactly xstate's own `transition()` / `initialTransition()` and a JSON round trip: checked on
// every transition the model-based paths cover. No Redis needed.
import { describe, expect, it } from 'vitest';
import {
  CALL_RECORD_SCHEMA_VERSION,
  callMachine,
  RestoreError,
  startCall,
  stepCall,
} from '../../src/index.js';
import {
  hasMoved,
  restoreRecord,
  startSnapshot,
  stepSnapshot,
} from '../../src/runtime/sharedSnapshot.js';
import { getCallPaths } from '../../src/testing/index.js';

const paths = getCallPaths({ cover: 'transitions' });

function stored(snapshot: Parameters<typeof callMachine.getPersistedSnapshot>[0]) {
  return {
    schemaVersion: CALL_RECORD_SCHEMA_VERSION,
    version: 1,
    savedAt: 0,
    snapshot: JSON.parse(JSON.stringify(callMachine.getPersistedSnapshot(snapshot))),
  };
}

describe('shared steps: the pure machine without actors', () => {
  it(`match startCall/stepCall on every covered transition (${paths.length} paths)`, () => {
    expect(paths.length).toBeGreaterThan(20);
    for (const path of paths) {
      const ours = startSnapshot(callMachine, path.input);
      const theirs = startCall(path.input);
      expect(ours.emitted).toEqual(theirs.emitted);
      let snapshot = ours.snapshot;
      let reference = theirs.snapshot;
      for (const { event } of path.steps) {
        // Every step starts from a snapshot restored from JSON, as the shared registry does.
        snapshot = restoreRecord(callMachine, path.input.callId, stored(snapshot));
        const a = stepSnapshot(callMachine, snapshot, event);
        const b = stepCall(reference, event);
        expect(a.emitted, path.description).toEqual(b.emitted);
        expect(a.snapshot.value, path.description).toEqual(b.snapshot.value);
        expect(a.snapshot.context, path.description).toEqual(b.snapshot.context);
        expect(a.snapshot.status).toBe(b.snapshot.status);
        expect(hasMoved(snapshot, a.snapshot)).toBe(
          JSON.stringify(callMachine.getPersistedSnapshot(snapshot)) !==
            JSON.stringify(callMachine.getPersistedSnapshot(a.snapshot)),
        );
        snapshot = a.snapshot;
        reference = b.snapshot;
      }
    }
  });

  it('restoring keeps the history a failed hang-up returns to', () => {
    let { snapshot } = startCall({ callId: 'h', state: 'hold' });
    snapshot = stepCall(snapshot, { type: 'hangUp', at: 1 }).snapshot;
    const restored = restoreRecord(callMachine, 'h', stored(snapshot));
    const failed = stepSnapshot(callMachine, restored, {
      type: 'delete.failed',
      status: 403,
      at: 2,
    });
    expect(failed.snapshot.value).toEqual({ active: 'hold' });
    expect(failed.emitted.map((e) => e.type)).toContain('call.hangUpFailed');
  });

  it('refuses records it cannot restore, saying why', () => {
    const { snapshot } = startCall({ callId: 'r', state: 'established' });
    const good = stored(snapshot);
    const attempt = (record: object, callId = 'r') => {
      try {
        restoreRecord(callMachine, callId, record as typeof good);
        return undefined;
      } catch (error) {
        return error instanceof RestoreError ? error.reason : error;
      }
    };
    expect(attempt({ ...good, schemaVersion: 2 })).toBe('unknownSchemaVersion');
    expect(attempt(good, 'other')).toBe('corruptRecord');
    expect(attempt({ ...good, snapshot: { ...good.snapshot, value: { active: 'dancing' } } })).toBe(
      'unknownState',
    );
  });
});
