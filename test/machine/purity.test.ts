import { describe, expect, it } from 'vitest';
import { createActor, initialTransition, transition } from 'xstate';
import { createTestModel, getShortestPaths } from 'xstate/graph';
import {
  type CallEmitted,
  type CallEvent,
  type CallSnapshot,
  callMachine,
  persistCallSnapshot,
  startCall,
  stepCall,
} from '../../src/index.js';
import { sampleEvents } from '../support/sampleEvents.js';
import { allStateNodes } from '../support/stateNodes.js';

const input = { callId: 'c1', state: 'incoming' as const };

function leafIds(snapshot: CallSnapshot): string[] {
  return snapshot._nodes.filter((n) => n.type === 'atomic' || n.type === 'final').map((n) => n.id);
}

/** Every distinct machine snapshot reachable from an incoming call with the sample events. */
function reachableSnapshots(): { snapshot: CallSnapshot; steps: number }[] {
  return getShortestPaths(callMachine, { input, events: sampleEvents }).map((p) => ({
    snapshot: p.state as CallSnapshot,
    steps: p.steps.length,
  }));
}

function run(snapshot: CallSnapshot, events: CallEvent[]) {
  const actor = createActor(callMachine, { snapshot, input });
  const emitted: CallEmitted[] = [];
  actor.on('*', (e) => emitted.push(e));
  actor.start();
  const trace = events.map((event) => {
    actor.send(event);
    const s = actor.getSnapshot();
    return { value: s.value, context: s.context, status: s.status };
  });
  return { trace, emitted };
}

describe('purity', () => {
  const reachable = reachableSnapshots();

  it('reaches every atomic and final state of the chart from the sample events', () => {
    const reached = new Set(reachable.flatMap((r) => leafIds(r.snapshot)));
    const all = allStateNodes()
      .filter((n) => (n.type === 'atomic' || n.type === 'final') && n.key !== 'starting')
      .map((n) => n.id);
    expect([...reached].sort()).toEqual(all.sort());
  });

  it('round-trips through getPersistedSnapshot → JSON → createActor in every reachable state, behaving the same afterwards', () => {
    expect(reachable.length).toBeGreaterThan(20);
    for (const { snapshot } of reachable) {
      const live = createActor(callMachine, { snapshot, input });
      // The registry's lean persistence gives exactly what xstate's generic one gives.
      expect(JSON.parse(JSON.stringify(persistCallSnapshot(snapshot)))).toEqual(
        JSON.parse(JSON.stringify(live.getPersistedSnapshot())),
      );
      const persisted = JSON.parse(JSON.stringify(live.getPersistedSnapshot()));
      const restored = createActor(callMachine, { snapshot: persisted, input });
      expect(restored.getSnapshot().value).toEqual(snapshot.value);
      expect(restored.getSnapshot().context).toEqual(snapshot.context);
      // Same behaviour afterwards: every sample event, one after another, from both.
      const fromLive = run(snapshot, sampleEvents);
      const fromRestored = run(restored.getSnapshot(), sampleEvents);
      expect(fromRestored).toEqual(fromLive);
    }
  });

  it('keeps where a failed hang-up returns to across persistence (history)', () => {
    const actor = createActor(callMachine, { input: { callId: 'c1', state: 'hold' } }).start();
    actor.send({ type: 'hangUp', at: 1 });
    const persisted = JSON.parse(JSON.stringify(actor.getPersistedSnapshot()));
    const restored = createActor(callMachine, { snapshot: persisted, input }).start();
    restored.send({ type: 'delete.failed', status: 403, at: 2 });
    expect(restored.getSnapshot().value).toEqual({ active: 'hold' });
  });

  it('runs without an actor through initialTransition and transition', () => {
    const [s0, a0] = initialTransition(callMachine, { callId: 'c1', state: 'established' });
    expect(s0.value).toEqual({ active: 'established' });
    expect(a0).toEqual([]);
    const [s1, a1] = transition(callMachine, s0, { type: 'hangUp', at: 7 });
    expect(s1.value).toEqual({ terminating: 'hangingUp' });
    expect(a1.map((a) => a.type)).toContain('xstate.emit');
    // Purity: the same input gives the same output, and the input snapshot is untouched.
    const [again] = transition(callMachine, s0, { type: 'hangUp', at: 7 });
    expect(again.context).toEqual(s1.context);
    expect(s0.value).toEqual({ active: 'established' });
  });

  it('startCall/stepCall return the emitted events in order', () => {
    const { snapshot } = startCall({ callId: 'c1', state: 'established' });
    const step = stepCall(snapshot, { type: 'hangUp', at: 7 });
    expect(step.emitted.map((e) => e.type)).toEqual(['call.stateChanged', 'graph.deleteCall']);
    const gone = stepCall(step.snapshot, { type: 'delete.failed', status: 404, at: 8 });
    expect(gone.emitted.map((e) => e.type)).toEqual(['call.stateChanged', 'call.terminated']);
    expect(stepCall(gone.snapshot, { type: 'hangUp', at: 9 })).toEqual({
      snapshot: gone.snapshot,
      emitted: [],
    });
  });

  it('is accepted by createTestModel from xstate/graph', () => {
    const model = createTestModel(callMachine, { input, events: sampleEvents } as never);
    const paths = model.getShortestPaths();
    const leaves = new Set(paths.flatMap((p) => leafIds(p.state as CallSnapshot)));
    expect(leaves).toContain('call.terminated');
    expect(leaves).toContain('call.terminating.verifying');
    expect(leaves.size).toBe(new Set(reachable.flatMap((r) => leafIds(r.snapshot))).size);
  });

  it('has no invoke and no delayed transitions anywhere', () => {
    for (const node of allStateNodes()) {
      expect(node.invoke, node.id).toEqual([]);
      expect(node.after, node.id).toEqual([]);
    }
  });
});
