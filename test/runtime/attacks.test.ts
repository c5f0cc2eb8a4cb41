// The breaks found when the runtime was attacked, each with the test that guards it. Like every
// test, these run with a hook that fails them on an unhandled rejection
// (test/setup/failOnUnhandledRejections.ts): the registry must never leave one behind, whatever
// its Graph client, store or listeners do.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CALL_RECORD_SCHEMA_VERSION,
  type CallRecord,
  type CallRegistry,
  CallVanishedError,
  CapacityError,
  callMachine,
  createCallRegistry,
  createGraphClient,
  type GraphClient,
  HangUpFailedError,
  InvalidCallIdError,
  MemoryCallStore,
  persistCallSnapshot,
  type RegistryEvent,
  startCall,
  stepCall,
} from '../../src/index.js';
import { callItem, envelope } from '../support/payloads.js';
import { ScriptedGraph } from '../support/scriptedGraph.js';

const open: CallRegistry[] = [];

function openRegistry(
  options: Omit<Parameters<typeof createCallRegistry>[0], 'graph'> & {
    graph?: Parameters<typeof createCallRegistry>[0]['graph'];
  },
) {
  const registry = createCallRegistry({ graph: new ScriptedGraph(), keepAliveMs: 0, ...options });
  const errors: Extract<RegistryEvent, { type: 'registry.error' }>[] = [];
  registry.on('registry.error', (e) => errors.push(e));
  open.push(registry);
  return { registry, errors };
}

/** A Graph client none of whose requests ever settles. */
function silentGraph(): GraphClient {
  const never = () => new Promise<never>(() => {});
  return {
    deleteCall: never,
    getCall: never,
    keepAlive: never,
    answerCall: never,
    rejectCall: never,
    redirectCall: never,
    transferCall: never,
    placeCall: never,
    runOperation: never,
  };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
  await vi.advanceTimersByTimeAsync(0);
  vi.useRealTimers();
});

describe('a call id that is not well-formed', () => {
  it('is rejected at ingest, never stored and never sent to Graph (the lone-surrogate crash)', async () => {
    const fetch = vi.fn(
      async (_url: string, _init: RequestInit) => new Response(null, { status: 204 }),
    );
    const store = new MemoryCallStore();
    const { registry } = openRegistry({
      store,
      keepAliveMs: 1_000,
      graph: createGraphClient({ getToken: async () => 't', fetch }),
    });
    // Sent as JSON escapes, as an attacker would: `\ud800` alone is not well-formed UTF-16.
    const body = JSON.parse(
      '{"value":[{"changeType":"updated","resourceUrl":"/communications/calls/\\ud800","resourceData":{"@odata.type":"#microsoft.graph.call","state":"established"}},' +
        '{"changeType":"updated","resourceUrl":"/communications/calls/good","resourceData":{"@odata.type":"#microsoft.graph.call","state":"established"}}]}',
    ) as unknown;
    const report = await registry.ingest(body);
    expect(report).toMatchObject({ applied: 1, rejected: 1 });
    expect(report.rejections[0]).toMatchObject({ code: 'invalidCallId', index: 0 });
    expect(await store.ids()).toEqual(['good']);
    await vi.advanceTimersByTimeAsync(1_500); // the good call's keepAlive goes out; nothing else
    expect(fetch.mock.calls.map(([url]) => String(url))).toEqual([
      'https://graph.microsoft.com/v1.0/communications/calls/good/keepAlive',
    ]);
  });

  it('is refused by track() with a typed error', async () => {
    const { registry } = openRegistry({});
    for (const id of ['\ud800', '', '..', 'a\u0000b', 'x'.repeat(300)]) {
      await expect(registry.track(id), JSON.stringify(id)).rejects.toThrow(InvalidCallIdError);
    }
  });
});

describe('unknown call ids cannot grow state without bound', () => {
  it('past maxCalls, notifications about new calls are rejected as capacity; known calls are unaffected', async () => {
    const { registry } = openRegistry({ maxCalls: 3 });
    const rejected: string[] = [];
    registry.on('notification.rejected', (e) => rejected.push(e.rejection.code));
    const items = ['a', 'b', 'c', 'd', 'e'].map((id) => callItem(id, 'created', 'incoming'));
    const report = await registry.ingest(envelope(...items));
    expect(report).toMatchObject({ applied: 3, rejected: 2, unknownCalls: 3 });
    expect(report.rejections.map((r) => [r.code, r.index])).toEqual([
      ['capacity', 3],
      ['capacity', 4],
    ]);
    expect(rejected).toEqual(['capacity', 'capacity']);
    expect((await registry.ingest(envelope(callItem('a', 'updated', 'established')))).applied).toBe(
      1,
    );
    await expect(registry.track('f')).rejects.toThrow(CapacityError);
  });

  it('a call that never leaves setup is checked after setupTimeoutMs, ends as gone, and its record expires', async () => {
    const graph = new ScriptedGraph(); // GET answers 404 by default
    const store = new MemoryCallStore({ ttlMs: 60_000, now: () => Date.now() });
    const { registry } = openRegistry({ graph, store, setupTimeoutMs: 120_000 });
    const ids = Array.from({ length: 200 }, (_, i) => `probe-${i}`);
    await registry.ingest(envelope(...ids.map((id) => callItem(id, 'created'))));
    expect(await store.countLive()).toBe(200);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(graph.count('GET')).toBe(200);
    expect(await store.countLive()).toBe(0);
    expect(registry.get('probe-0')?.outcome?.reason).toBe('gone');
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(store.size).toBe(0);
    expect(registry.get('probe-0')).toBeUndefined();
  });
});

describe('every promise settles', () => {
  it('a hang-up whose DELETEs never answer (a fetch ignoring its abort signal) fails after its attempts', async () => {
    const fetch = vi.fn((_url: string, _init: RequestInit) => new Promise<Response>(() => {}));
    const { registry } = openRegistry({
      graph: createGraphClient({ getToken: async () => 't', fetch, timeoutMs: 1_000 }),
      maxDeleteAttempts: 2,
      retryBaseDelayMs: 100,
    });
    await registry.track('c', { state: 'established' });
    const hangUp = registry.hangUp('c').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(5_000);
    const failure = await hangUp;
    expect(failure).toBeInstanceOf(HangUpFailedError);
    expect(failure).toMatchObject({ status: 0, attempts: 2 });
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(registry.get('c')?.phase).toBe('active');
  });

  it('a hang-up whose getToken() never settles fails after its attempts', async () => {
    const { registry } = openRegistry({
      graph: createGraphClient({ getToken: () => new Promise<string>(() => {}), timeoutMs: 500 }),
      maxDeleteAttempts: 2,
      retryBaseDelayMs: 100,
    });
    await registry.track('c', { state: 'established' });
    const hangUp = registry.hangUp('c').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await hangUp).toMatchObject({ name: 'HangUpFailedError', status: 0 });
  });

  it('a custom Graph client that never answers is timed out by the machine (requestTimeoutMs)', async () => {
    const { registry } = openRegistry({
      graph: silentGraph(),
      requestTimeoutMs: 1_000,
      maxDeleteAttempts: 3,
      retryBaseDelayMs: 10,
    });
    await registry.track('c', { state: 'established' });
    const hangUp = registry.hangUp('c').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(await hangUp).toMatchObject({ name: 'HangUpFailedError', status: 0, attempts: 3 });
    await registry.idle(); // nothing it waits for is left pending forever
  });

  it('a due deadline a provided machine ignores is reported and looked at a lease later, not in a hot loop', async () => {
    const stuck = callMachine.provide({ guards: { deadlineDue: () => false } });
    const store = new MemoryCallStore();
    const claims = vi.spyOn(store, 'claimDue');
    const { registry, errors } = openRegistry({
      machine: stuck,
      store,
      leaseMs: 10_000,
      requestTimeoutMs: 1_000,
      graph: silentGraph(),
    });
    await registry.track('c', { state: 'established' });
    registry.hangUp('c').catch(() => undefined);
    await vi.advanceTimersByTimeAsync(1_000 + 25_000);
    // Due at 1 s, then every lease (10 s): three claims that find it due, not thousands; the
    // other claims are the poll (pollMs) that runs while somebody awaits the hang-up.
    expect(errors.filter((e) => /ignored the due deadline/.test(e.error.message))).toHaveLength(3);
    expect(claims.mock.calls.length).toBeLessThan(26_000 / 500 + 5);
  });

  it('a Graph client that throws or rejects is reported, never an unhandled rejection', async () => {
    const graph: GraphClient = {
      deleteCall: () => {
        throw new Error('synchronous failure');
      },
      getCall: () => Promise.reject(new Error('rejected')),
      keepAlive: () => Promise.reject(new Error('rejected')),
      answerCall: () => Promise.reject(new Error('rejected')),
      rejectCall: () => Promise.reject(new Error('rejected')),
      redirectCall: () => Promise.reject(new Error('rejected')),
      transferCall: () => Promise.reject(new Error('rejected')),
      placeCall: () => Promise.reject(new Error('rejected')),
      runOperation: () => Promise.reject(new Error('rejected')),
    };
    const { registry, errors } = openRegistry({
      graph,
      keepAliveMs: 1_000,
      requestTimeoutMs: 1_000,
      maxDeleteAttempts: 1,
    });
    await registry.track('c', { state: 'established' });
    await vi.advanceTimersByTimeAsync(1_000); // keepAlive rejects
    const hangUp = registry.hangUp('c').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1_000); // DELETE threw; its deadline gives up
    expect(await hangUp).toBeInstanceOf(HangUpFailedError);
    expect(errors.map((e) => e.error.message)).toEqual(
      expect.arrayContaining(['rejected', 'synchronous failure']),
    );
  });

  it('a hangUp settles when its call’s record vanishes from the store', async () => {
    const graph = new ScriptedGraph().answer('DELETE', 'hold');
    const store = new MemoryCallStore();
    const { registry } = openRegistry({ graph, store, pollMs: 100 });
    await registry.track('c', { state: 'established' });
    const hangUp = registry.hangUp('c').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(0);
    await store.delete('c');
    await vi.advanceTimersByTimeAsync(200);
    expect(await hangUp).toBeInstanceOf(CallVanishedError);
    const reads = vi.spyOn(store, 'load');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(reads).not.toHaveBeenCalled(); // nobody waits on it any more: nothing re-reads it
  });

  it('listeners that throw are reported and break nothing', async () => {
    const { registry, errors } = openRegistry({});
    registry.on('call.stateChanged', () => {
      throw new Error('listener bug');
    });
    await registry.track('c', { state: 'established' });
    await registry.hangUp('c');
    expect(registry.get('c')?.phase).toBe('terminating');
    expect(errors.map((e) => e.error.message)).toContain('listener bug');
  });

  it('a store that fails makes ingest reject with the failures, and hangUp reject, never hang', async () => {
    const store = new MemoryCallStore();
    const { registry } = openRegistry({ store });
    await registry.track('c', { state: 'established' });
    vi.spyOn(store, 'commit').mockRejectedValue(new Error('store down'));
    vi.spyOn(store, 'load').mockRejectedValue(new Error('store down'));
    await expect(
      registry.ingest(envelope(callItem('d', 'created', 'incoming'))),
    ).rejects.toMatchObject({
      name: 'IngestIncompleteError',
    });
    await expect(registry.hangUp('c')).rejects.toThrow('store down');
  });
});

describe('arguments from outside the type system', () => {
  it('track() refuses a state the chart does not know instead of storing a record it cannot restore', async () => {
    const store = new MemoryCallStore();
    const { registry } = openRegistry({ store });
    const track = registry.track as (id: string, options: object) => Promise<unknown>;
    await expect(track('c', { state: 'dancing' })).rejects.toThrow(/state must be a call state/);
    await expect(track('c', { state: 'unknownFutureValue' })).rejects.toThrow(TypeError);
    await expect(track('c', { etag: 42 })).rejects.toThrow(/etag must be a string/);
    expect(await store.ids()).toEqual([]);
  });

  it('a machine started from a state it does not know starts establishing, never stores it', () => {
    const { snapshot } = startCall({ callId: 'c', state: 'dancing' as 'established' });
    expect(snapshot.context.state).toBe('establishing');
  });

  it('waitFor refuses a timeout that is not a number of milliseconds', async () => {
    const { registry } = openRegistry({});
    await expect(registry.waitFor('c', 'terminated', { timeoutMs: Number.NaN })).rejects.toThrow(
      RangeError,
    );
    await expect(registry.waitFor('c', 'terminated', { timeoutMs: -1 })).rejects.toThrow(
      RangeError,
    );
  });
});

describe('track() before ready', () => {
  it('resolves with the stored call, not a new one, and later commits succeed', async () => {
    const store = new MemoryCallStore();
    let { snapshot } = startCall({ callId: 'c', state: 'established', at: 1_000_000 });
    snapshot = stepCall(snapshot, { type: 'hangUp', at: 1_000_000 }).snapshot;
    snapshot = stepCall(snapshot, { type: 'delete.succeeded', at: 1_000_000 }).snapshot;
    const record: CallRecord = {
      schemaVersion: CALL_RECORD_SCHEMA_VERSION,
      version: 3,
      snapshot: persistCallSnapshot(snapshot),
      savedAt: 1_000_000,
    };
    await store.commit('c', record, 0, { kind: 'set', at: 1_030_000 });
    const { registry, errors } = openRegistry({ store, confirmTimeoutMs: 30_000 });
    const view = await registry.track('c', { state: 'establishing' }); // before ready
    expect(view).toMatchObject({ state: 'established', phase: 'terminating' });
    await registry.ingest(envelope(callItem('c', 'deleted', 'terminated')));
    expect(registry.get('c')?.outcome?.reason).toBe('hungUp');
    expect((await store.load('c'))?.version).toBe(4);
    expect(errors).toEqual([]);
  });
});
