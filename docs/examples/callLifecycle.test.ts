// callLifecycle.test.ts: three ways to test a bot's call handling with graph-call-machine/testing.
import {
  type CallView,
  createCallRegistry,
  getCallView,
  type IngestReport,
} from 'graph-call-machine';
import { createFakeGraph, getCallPaths, notify } from 'graph-call-machine/testing';
import { describe, expect, it } from 'vitest';
import { handleCallEvent, openCall, type SnapshotTable } from './callFunction.js';

function memoryTable(): SnapshotTable {
  const rows = new Map<string, string>();
  return {
    get: async (callId) => rows.get(callId),
    set: async (callId, json) => {
      rows.set(callId, json);
    },
  };
}

// 1. Model-based: paths through the real chart (xstate/graph), replayed through my code.
describe('callFunction follows the model on every path of the chart', () => {
  // From `incoming` every state is reachable; `transitions` adds a path for every transition
  // the shortest paths leave out (a failed hang-up going back, a stale notification ignored).
  const paths = getCallPaths({
    cover: 'transitions',
    inputs: [{ callId: 'test-call', state: 'incoming' }],
  });

  // What the model decides: a path's snapshots stand for every run that reaches the same
  // state, so timestamps and resultInfo may come from another of those runs.
  const decided = (view: CallView) => ({
    state: view.state,
    phase: view.phase,
    reason: view.outcome?.reason,
  });

  it(`agrees at every step of all ${paths.length} paths`, async () => {
    const failures: string[] = [];
    for (const path of paths) {
      const table = memoryTable();
      await openCall(table, path.input);
      for (const [index, step] of path.steps.entries()) {
        // Every step goes through JSON and back, as between two invocations of the function.
        const { view } = await handleCallEvent(table, path.input.callId, step.event);
        const expected = decided(getCallView(step.snapshot));
        if (JSON.stringify(decided(view)) !== JSON.stringify(expected)) {
          failures.push(`${path.description}, step ${index + 1}: ${JSON.stringify(decided(view))}`);
          break;
        }
      }
    }
    expect(failures).toEqual([]);
    expect(paths.length).toBeGreaterThan(100);
  });
});

// 2. Hand-built webhook bodies: exactly the shapes Graph posts, repeated and out of order.
describe('the registry, fed by notify', () => {
  it('ends a call once, with its resultInfo, however often Graph repeats the end', async () => {
    const registry = createCallRegistry({
      graph: {
        getToken: async () => 'unused',
        fetch: async () => new Response(null, { status: 204 }),
      },
    });
    const ended: string[] = [];
    registry.on('call.terminated', ({ outcome }) => {
      ended.push(`${outcome.reason} ${outcome.resultInfo?.subcode}`);
    });
    await registry.track('c1', { state: 'established', etag: 'W/"4"' });

    const terminated = notify.deleted('c1', {
      state: 'terminated',
      etag: 6,
      resultInfo: { code: 200, subcode: 18503, message: 'The other participant left.' },
    });
    const report: IngestReport = await registry.ingest(
      notify.batch(notify.updated('c1', 'terminating', { etag: 5 }), terminated, terminated),
    );
    // An `established` that comes after the end is late: judged, counted, and ignored.
    const late = await registry.ingest(
      notify.batch(notify.updated('c1', 'established', { etag: 4 })),
    );

    expect(report).toMatchObject({ applied: 2, late: 1 });
    expect(late).toMatchObject({ applied: 0, late: 1 });
    expect(ended).toEqual(['remote 18503']);
    await registry.close();
  });
});

// 3. End to end against the fake Graph, with its seeded faults: replay a failure by its seed.
describe('a hang-up against a misbehaving Graph', () => {
  it.each([1, 2, 3, 4, 5])('seed %i: ends once, with one accepted DELETE', async (seed) => {
    const fake = createFakeGraph({
      faults: {
        seed,
        duplicate: 0.3, // notifications posted twice
        reorderWindow: 3, // and out of order
        dropTerminated: true, // `terminated` never arrives: the registry must ask with a GET
        throttle: { next: 1, retryAfter: 0.05 }, // the first request gets 429, Retry-After 50 ms
      },
    });
    const registry = createCallRegistry({
      graph: { getToken: async () => 'token', fetch: fake.fetch, baseUrl: fake.baseUrl },
      confirmTimeoutMs: 50,
    });
    fake.connect(registry); // notifications go to the registry from here on

    const callId = fake.placeCall();
    await fake.settle(); // establishing and established delivered
    await registry.hangUp(callId);
    const ended = await registry.waitFor(callId, 'terminated', { timeoutMs: 2_000 });

    expect(ended.outcome?.reason).toBe('hungUp');
    const deletes = fake.requests.filter((r) => r.method === 'DELETE');
    expect(deletes.map((r) => r.status)).toEqual([429, 204]);
    expect(fake.requests.filter((r) => r.method === 'GET').map((r) => r.status)).toEqual([404]);
    await registry.close();
    await fake.close();
  });
});
