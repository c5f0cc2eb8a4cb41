// Model-based tests: paths generated from the real callMachine must cover all of it, and every
// path, replayed through the whole stack (Graph client over a fake Graph → registry → machine),
// must leave the registry where the model says, step by step.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CallSnapshot, callMachine } from '../../src/index.js';
import {
  allStateChangingTransitions,
  callTestInputs,
  getCallPaths,
  transitionsTaken,
} from '../../src/testing/index.js';
import { replayThroughStack } from '../support/stackReplay.js';
import { allStateNodes } from '../support/stateNodes.js';

function leafIds(snapshot: CallSnapshot): string[] {
  return snapshot._nodes.filter((n) => n.type === 'atomic' || n.type === 'final').map((n) => n.id);
}

// From incoming every state is reachable; every other adoptable state adds its starting path.
const paths = [
  ...getCallPaths({ cover: 'transitions', inputs: [{ callId: 'test-call', state: 'incoming' }] }),
  ...callTestInputs
    .map((input) => getCallPaths({ inputs: [input] })[0])
    .filter((p) => p !== undefined),
];

describe('model coverage of the real callMachine', () => {
  it('reaches 100% of the states', () => {
    const all = allStateNodes()
      .filter((n) => (n.type === 'atomic' || n.type === 'final') && n.key !== 'starting')
      .map((n) => n.id)
      .sort();
    const reached = new Set(
      paths.flatMap((p) => [p.start, ...p.steps.map((s) => s.snapshot)].flatMap(leafIds)),
    );
    expect([...reached].sort()).toEqual(all);
    expect(all.length).toBe(13);
  });

  it('takes 100% of the state-changing transitions', () => {
    const all = allStateChangingTransitions();
    const taken = new Set(paths.flatMap((p) => transitionsTaken(callMachine, p)));
    expect(all.filter((k) => !taken.has(k))).toEqual([]);
    expect([...taken].filter((k) => all.includes(k)).length).toBe(new Set(all).size);
    // Counting, so a chart that grows without the test events growing is noticed.
    expect(all.length).toBe(35);
  });
});

describe('every model path replayed through the full stack', () => {
  beforeAll(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterAll(() => {
    vi.useRealTimers();
  });

  it(`agrees with the model at every step of all ${paths.length} paths`, {
    timeout: 120_000,
  }, async () => {
    const failures: string[] = [];
    for (const path of paths) {
      const mismatches = await replayThroughStack(path);
      if (mismatches.length > 0)
        failures.push(`${path.description}: ${JSON.stringify(mismatches[0])}`);
    }
    expect(failures).toEqual([]);
    expect(paths.length).toBeGreaterThan(100);
  });

  // The other direction: the model stays the real chart, and the stack runs a mutated one.
  // Paths from `established` take every transition enabled from there, including those that
  // only change what the bot is told.
  const fromEstablished = getCallPaths({
    cover: 'transitions',
    inputs: [{ callId: 'test-call', state: 'established' }],
  });

  async function caughtBy(stack: typeof callMachine): Promise<string[]> {
    const caught: string[] = [];
    for (const path of fromEstablished) {
      const mismatches = await replayThroughStack(path, { stack });
      if (mismatches.length > 0) caught.push(path.description);
    }
    return caught;
  }

  it('catches a broken rule: reconciliation off, every notification applied in arrival order', {
    timeout: 60_000,
  }, async () => {
    const stack = callMachine.provide({
      guards: {
        appliesAs: ({ event }, params) =>
          event.type === 'notification' &&
          event.notification.resource === 'call' &&
          (params.state === 'terminated'
            ? event.notification.changeType === 'deleted' ||
              event.notification.state === 'terminated'
            : event.notification.state === params.state),
        isStale: () => false,
      },
    });
    const caught = await caughtBy(stack);
    // An incoming after established: stale for the real chart, applied by the broken one.
    expect(caught).toContain('from established: created incoming W/"1"');
  });

  it('catches a rule that only changes what the bot is told: stale notifications not reported', {
    timeout: 60_000,
  }, async () => {
    const caught = await caughtBy(callMachine.provide({ guards: { isStale: () => false } }));
    expect(caught.length).toBeGreaterThan(0);
    expect(caught.every((d) => /establishing|incoming|ringing|redirecting/.test(d))).toBe(true);
  });

  it('catches a broken retry guard: a throttled DELETE that gives up', {
    timeout: 60_000,
  }, async () => {
    const caught = await caughtBy(callMachine.provide({ guards: { canRetryDelete: () => false } }));
    expect(caught).toContain('from established: hangUp → DELETE 429');
  });

  it('passes the unmutated machine through the same paths', { timeout: 60_000 }, async () => {
    expect(await caughtBy(callMachine)).toEqual([]);
  });
});
