// The one registry over Redis: several `createCallRegistry` instances over one real Redis behave
// as one registry, the compare-and-set decides which instance performs each Graph request, and
// a registry over Redis behaves as one over the memory store.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type CallRegistry,
  type CallStore,
  CallVanishedError,
  type CallView,
  createCallRegistry,
  HangUpFailedError,
  IngestIncompleteError,
  MemoryCallStore,
  RegistryClosedError,
  UnknownCallError,
} from '../../src/index.js';
import { createRedisCallStore, RedisStoreError } from '../../src/redis/index.js';
import { callItem, envelope, rosterItem, terminatedItem } from '../support/payloads.js';
import { ScriptedGraph } from '../support/scriptedGraph.js';
import { eventually, Instances, overriding, recordEvents } from './support/instances.js';
import {
  hasRedisServer,
  type RedisServer,
  SKIP_REASON,
  sleep,
  startRedisServer,
} from './support/redisServer.js';

describe.skipIf(!hasRedisServer)('createCallRegistry over Redis', () => {
  let server: RedisServer;
  let instances: Instances;
  let run = 0;

  beforeAll(async () => {
    server = await startRedisServer();
  });

  afterEach(async () => {
    await instances.closeAll();
  });

  afterAll(async () => {
    await server?.dispose();
  });

  function fresh(): Instances {
    run += 1;
    instances = new Instances(server.url, `registry${run}:`);
    return instances;
  }

  it('notifications for one call may go to any instance; each applies them to the stored call', async () => {
    const graph = new ScriptedGraph();
    const [a, b] = [fresh().open(graph), instances.open(graph)];
    if (a === undefined || b === undefined) throw new Error('no instances');
    const first = await a.registry.ingest(envelope(callItem('c', 'created', 'incoming')));
    const second = await b.registry.ingest(
      envelope(callItem('c', 'updated', 'establishing'), callItem('c', 'updated', 'established')),
    );
    const stale = await a.registry.ingest(envelope(callItem('c', 'updated', 'establishing')));
    expect(first).toMatchObject({ applied: 1, unknownCalls: 1 });
    expect(second).toMatchObject({ applied: 2, unknownCalls: 0 });
    expect(stale).toMatchObject({ applied: 0, stale: 1 });
    expect(await a.registry.read('c')).toMatchObject({ state: 'established', phase: 'active' });
    expect(a.registry.get('c')?.state).toBe('established');
    // Listener events fire where the event was applied.
    expect(a.events.map((e) => e.type)).toEqual(['call.notification', 'notification.ignored']);
    expect(b.events.filter((e) => e.type === 'call.stateChanged')).toHaveLength(2);
  });

  it('two instances hanging up the same call at once send one DELETE (50 races)', async () => {
    const graph = new ScriptedGraph();
    const a = fresh().open(graph);
    const b = instances.open(graph);
    const c = instances.open(graph);
    const ids = Array.from({ length: 50 }, (_, i) => `race-${i}`);
    await a.registry.ingest(envelope(...ids.map((id) => callItem(id, 'updated', 'established'))));
    const views = await Promise.all(
      ids.flatMap((id) => [a.registry.hangUp(id), b.registry.hangUp(id), c.registry.hangUp(id)]),
    );
    expect(new Set(views.map((v) => v.phase))).toEqual(new Set(['terminating']));
    expect(graph.count('DELETE')).toBe(50);
    for (const id of ids) expect(graph.count('DELETE', id)).toBe(1);
    expect([...a.errors, ...b.errors, ...c.errors]).toEqual([]);
  });

  it('hangUp waits for a DELETE another instance has in flight, and fails with it', async () => {
    const graph = new ScriptedGraph().answer('DELETE', 'hold', 'hold');
    const a = fresh().open(graph);
    const b = instances.open(graph);
    await a.registry.track('ok', { state: 'established' });
    await a.registry.track('refused', { state: 'hold' });
    const fromA = a.registry.hangUp('ok');
    await eventually(() => expect(graph.held).toHaveLength(1));
    let settled = false;
    const fromB = b.registry.hangUp('ok').finally(() => {
      settled = true;
    });
    await sleep(100);
    expect(settled).toBe(false);
    graph.release({ ok: true, status: 204 });
    expect(await fromA).toMatchObject({ phase: 'terminating' });
    expect(await fromB).toMatchObject({ phase: 'terminating' });

    const refusedA = a.registry.hangUp('refused').catch((e: unknown) => e);
    await eventually(() => expect(graph.held).toHaveLength(1));
    const refusedB = b.registry.hangUp('refused').catch((e: unknown) => e);
    await sleep(50);
    graph.release({ ok: false, status: 403, error: { code: 'Forbidden', message: 'no' } });
    expect(await refusedA).toMatchObject({ name: 'HangUpFailedError', status: 403 });
    expect(await refusedB).toBeInstanceOf(HangUpFailedError);
    // The failed hang-up returns the call to where it was: the history survives the store.
    expect(await b.registry.read('refused')).toMatchObject({ state: 'hold', phase: 'active' });
    expect(graph.count('DELETE')).toBe(2);
  });

  it('the confirm deadline lives in Redis: another instance sends the GET and ends the call', async () => {
    const graph = new ScriptedGraph();
    const a = fresh().open(graph, { confirmTimeoutMs: 150 });
    await a.registry.track('d', { state: 'established' });
    await a.registry.hangUp('d');
    await a.registry.close();
    const b = instances.open(graph, { confirmTimeoutMs: 150 });
    const ended = await b.registry.waitFor('d', 'terminated', { timeoutMs: 3_000 });
    expect(ended.outcome?.reason).toBe('hungUp');
    expect(graph.count('GET', 'd')).toBe(1);
    expect(b.events.map((e) => e.type)).toContain('call.terminated');
    expect(a.events.map((e) => e.type)).not.toContain('call.terminated');
  });

  it('a deadline is handled by exactly one of several instances', async () => {
    const graph = new ScriptedGraph();
    const a = fresh().open(graph, { confirmTimeoutMs: 100 });
    const others = [instances.open(graph), instances.open(graph), instances.open(graph)];
    const ids = Array.from({ length: 30 }, (_, i) => `dl-${i}`);
    for (const id of ids) await a.registry.track(id, { state: 'established' });
    await Promise.all(ids.map((id) => a.registry.hangUp(id)));
    await eventually(async () => {
      for (const id of ids) expect((await a.registry.read(id))?.phase).toBe('terminated');
    }, 5_000);
    expect(graph.count('GET')).toBe(30);
    const terminatedEvents = [a, ...others].flatMap((i) =>
      i.events.filter((e) => e.type === 'call.terminated'),
    );
    expect(terminatedEvents).toHaveLength(30);
  });

  it('a throttled DELETE is retried once, by whichever instance claims the Retry-After deadline', async () => {
    const graph = new ScriptedGraph().answer('DELETE', {
      ok: false,
      status: 429,
      retryAfterMs: 150,
    });
    const a = fresh().open(graph);
    instances.open(graph);
    instances.open(graph);
    await a.registry.track('throttled', { state: 'established' });
    const view = await a.registry.hangUp('throttled');
    expect(view.phase).toBe('terminating');
    expect(graph.requests.map((r) => r.method)).toEqual(['DELETE', 'DELETE']);
    const [first, second] = graph.requests;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(140);
  });

  it('keepAlive: one instance per period, and a 404 ends the call as gone', async () => {
    const graph = new ScriptedGraph();
    const options = { keepAliveMs: 100 };
    const a = fresh().open(graph, options);
    instances.open(graph, options);
    instances.open(graph, options);
    await a.registry.track('k', { state: 'established' });
    await sleep(560);
    const times = graph.requests.filter((r) => r.method === 'KEEPALIVE').map((r) => r.at);
    expect(times.length).toBeGreaterThanOrEqual(2);
    expect(times.length).toBeLessThanOrEqual(6);
    for (let i = 1; i < times.length; i += 1) {
      expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual(90);
    }
    graph.answer('KEEPALIVE', { ok: false, status: 404 });
    const ended = await a.registry.waitFor('k', 'terminated', { timeoutMs: 2_000 });
    expect(ended.outcome?.reason).toBe('gone');
  });

  it('waitFor on one instance sees what another applied', async () => {
    const graph = new ScriptedGraph();
    const a = fresh().open(graph);
    const b = instances.open(graph);
    await a.registry.ingest(envelope(callItem('w', 'updated', 'established')));
    const waiting = a.registry.waitFor('w', 'terminated', { timeoutMs: 3_000 });
    await b.registry.ingest(envelope(terminatedItem('w')));
    expect((await waiting).outcome?.resultInfo).toMatchObject({ code: 200, subcode: 5001 });
    await expect(
      a.registry.waitFor('never', 'terminated', { timeoutMs: 50 }),
    ).rejects.toMatchObject({ name: 'WaitTimeoutError' });
  });

  it('waitFor on a call not stored yet waits for its first notification, whoever applies it', async () => {
    const graph = new ScriptedGraph();
    const a = fresh().open(graph);
    const b = instances.open(graph);
    // As after placing a call: the bot waits before Graph has said anything about it.
    const waiting = a.registry
      .waitFor('placed', (v) => v.phase === 'active', { timeoutMs: 3_000 })
      .catch((e: unknown) => e);
    await sleep(200); // ten poll periods
    await b.registry.ingest(envelope(callItem('placed', 'updated', 'established')));
    expect(await waiting).toMatchObject({ state: 'established', phase: 'active' });
  });

  it('late and sub-resource notifications are counted and handed on, never written', async () => {
    const graph = new ScriptedGraph();
    const a = fresh().open(graph);
    await a.registry.ingest(envelope(terminatedItem('l')));
    const version = (await a.store.load('l'))?.version;
    const report = await a.registry.ingest(
      envelope(callItem('l', 'updated', 'established'), rosterItem('l'), rosterItem('unknown')),
    );
    // The ended call's roster is late like its state; an unknown call's is handed on.
    expect(report).toMatchObject({ applied: 0, late: 2, subresource: 1, unknownCalls: 0 });
    expect((await a.store.load('l'))?.version).toBe(version);
    expect(await a.store.load('unknown')).toBeUndefined();
  });

  it('hangUp of a call no instance knows rejects with UnknownCallError', async () => {
    const a = fresh().open(new ScriptedGraph());
    await expect(a.registry.hangUp('nobody')).rejects.toBeInstanceOf(UnknownCallError);
  });

  it('track then hangUp at once: the hang-up waits for the track to be committed', async () => {
    const graph = new ScriptedGraph();
    const a = fresh().open(graph);
    const tracked = a.registry.track('t', { state: 'established' });
    const hungUp = a.registry.hangUp('t');
    expect(await tracked).toMatchObject({ phase: 'active' });
    expect(await hungUp).toMatchObject({ phase: 'terminating' });
    expect(graph.count('DELETE', 't')).toBe(1);
    // Another instance tracking a call that is already stored gets the stored one, untouched.
    const b = instances.open(graph);
    const version = (await b.store.load('t'))?.version;
    expect(await b.registry.track('t', { state: 'incoming' })).toMatchObject({
      phase: 'terminating',
    });
    expect(await b.registry.read('t')).toMatchObject({ phase: 'terminating' });
    expect((await b.store.load('t'))?.version).toBe(version);
  });

  it('on start, gives stored calls without a due time (written by an older version) the one they need', async () => {
    const graph = new ScriptedGraph().answer('DELETE', 'hold');
    const a = fresh().open(graph, { requestTimeoutMs: 150, retryBaseDelayMs: 50 });
    await a.registry.track('p', { state: 'established' });
    const abandoned = a.registry.hangUp('p').catch((e: unknown) => e);
    await eventually(() => expect(graph.held).toHaveLength(1));
    await a.registry.close();
    expect(await abandoned).toBeInstanceOf(RegistryClosedError);
    // As an older version left it: the record, with its DELETE in flight, but no due time.
    await a.store.client.zrem(a.store.keys.due, 'p');
    const b = instances.open(graph);
    await b.registry.ready;
    expect(await b.store.client.zscore(b.store.keys.due, 'p')).not.toBeNull();
    // The DELETE it had in flight is sent again once its deadline has passed.
    await eventually(() => expect(graph.count('DELETE', 'p')).toBe(2), 3_000);
    expect(await b.registry.waitFor('p', (v: CallView) => v.phase === 'terminating')).toBeDefined();
  });

  it('ingest rejects with IngestIncompleteError when the store fails, after applying what it could', async () => {
    const graph = new ScriptedGraph();
    const a = fresh().open(graph);
    await a.registry.ingest(envelope(callItem('ok', 'updated', 'established')));
    await a.store.client.set(a.store.keys.record('broken'), '{"version":1,"junk":true}');
    const error = await a.registry
      .ingest(envelope(callItem('ok', 'updated', 'hold'), callItem('broken', 'updated', 'hold')))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IngestIncompleteError);
    const incomplete = error as IngestIncompleteError;
    expect(incomplete.report.applied).toBe(1);
    expect(incomplete.failures).toMatchObject([{ callId: 'broken', index: 1 }]);
    expect(a.errors.map((e) => e.callId)).toEqual(['broken']);
  });

  it('a registry over Redis and a registry over the memory store behave the same for a simple hang-up', async () => {
    fresh();
    const overRedis = createRedisCallStore({ url: server.url, keyPrefix: `registry${run}:` });
    try {
      const [redis, memory] = [
        await simpleHangUp(overRedis),
        await simpleHangUp(new MemoryCallStore()),
      ];
      expect(redis).toEqual(memory);
      // And what both did is the hang-up, not nothing.
      expect(redis.requests).toEqual(['DELETE simple']);
      expect(redis.hungUp).toMatchObject({ phase: 'terminating', state: 'established' });
      expect(redis.ended).toMatchObject({ phase: 'terminated', outcome: { reason: 'hungUp' } });
      expect(redis.version).toBe(5);
      expect(redis.errors).toEqual([]);
    } finally {
      await overRedis.close();
    }
  });

  it("a hangUp settles when its call's record vanishes from the store", async () => {
    const POLL_MS = 50;
    const graph = new ScriptedGraph().answer('DELETE', 'hold');
    const loads: string[] = [];
    const a = fresh().open(graph, { pollMs: POLL_MS }, (store) =>
      overriding(store, {
        load: (callId) => {
          loads.push(callId);
          return store.load(callId);
        },
      }),
    );
    await a.registry.track('vanishing', { state: 'established' });
    const hangingUp = a.registry.hangUp('vanishing').then(
      () => undefined,
      (e: unknown) => e,
    );
    await eventually(() => expect(graph.held).toHaveLength(1));
    // While the DELETE's answer is held back, the record goes (an operator, an expiry).
    const deletedAt = Date.now();
    expect(await a.store.client.del(a.store.keys.record('vanishing'))).toBe(1);
    const error = await hangingUp;
    const settledAfter = Date.now() - deletedAt;
    expect(error).toBeInstanceOf(CallVanishedError);
    expect((error as CallVanishedError).callId).toBe('vanishing');
    expect(settledAfter).toBeLessThan(6 * POLL_MS);
    // Nobody waits on it any more: the poll loop stops reading it.
    const readsBefore = loads.filter((id) => id === 'vanishing').length;
    await sleep(8 * POLL_MS);
    expect(loads.filter((id) => id === 'vanishing')).toHaveLength(readsBefore);
    expect(a.errors).toEqual([]);
    // The DELETE's late answer finds no call to move, and says nothing.
    graph.release({ ok: true, status: 204 });
    await a.registry.idle();
    expect(await a.store.load('vanishing')).toBeUndefined();
    expect(a.errors).toEqual([]);
  });

  it('a commit that fails on a wrong-typed key leaves the call usable once the key is fixed', async () => {
    const graph = new ScriptedGraph();
    const a = fresh().open(graph);
    await a.registry.ingest(envelope(callItem('typed', 'updated', 'established')));
    const before = await a.store.load('typed');
    await a.store.client.set(a.store.keys.due, 'not a sorted set');

    const failed = await a.registry
      .ingest(envelope(callItem('typed', 'updated', 'hold')))
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(IngestIncompleteError);
    const incomplete = failed as IngestIncompleteError;
    expect(incomplete.report.applied).toBe(0);
    const cause = incomplete.failures[0]?.error;
    expect(cause).toBeInstanceOf(RedisStoreError);
    expect(cause).toMatchObject({
      callId: 'typed',
      operation: 'commit',
      failure: 'foreignValue',
      mayHaveApplied: false,
    });
    expect(cause?.message).toMatch(/holds a string where the store keeps a sorted set/);
    expect(cause?.message).toMatch(/Nothing was written\./);
    expect(await a.store.load('typed')).toEqual(before);
    expect(a.errors.filter((e) => e.callId === 'typed').map((e) => e.error)).toEqual([cause]);

    await a.store.client.del(a.store.keys.due);
    const report = await a.registry.ingest(envelope(callItem('typed', 'updated', 'hold')));
    expect(report).toMatchObject({ applied: 1 });
    expect(await a.registry.read('typed')).toMatchObject({ state: 'hold', phase: 'active' });
    expect((await a.store.load('typed'))?.version).toBe((before?.version ?? 0) + 1);
    // Its due times work again too: the hang-up's deadline is in the due set.
    expect(await a.registry.hangUp('typed')).toMatchObject({ phase: 'terminating' });
    expect(await a.store.client.zscore(a.store.keys.due, 'typed')).not.toBeNull();
    expect(a.errors.filter((e) => e.callId === 'typed')).toHaveLength(1);
  });
});

/**
 * One hang-up from start to end over `store`, through a registry of its own: what the caller
 * and the listeners see, what Graph is asked, and the record's version, without the times.
 */
async function simpleHangUp(store: CallStore) {
  const graph = new ScriptedGraph();
  const registry: CallRegistry = createCallRegistry({ graph, store, keepAliveMs: 0, pollMs: 20 });
  const { events, errors } = recordEvents(registry);
  try {
    const tracked = await registry.track('simple', { state: 'established', etag: 'W/"3"' });
    const hungUp = await registry.hangUp('simple');
    const terminating = await registry.ingest(
      envelope(callItem('simple', 'updated', 'terminating', { '@odata.etag': 'W/"4"' })),
    );
    const terminated = await registry.ingest(envelope(terminatedItem('simple')));
    const late = await registry.ingest(envelope(callItem('simple', 'updated', 'established')));
    await registry.idle();
    return withoutTimes({
      tracked,
      hungUp,
      reports: [terminating, terminated, late],
      ended: await registry.read('simple'),
      cached: registry.get('simple'),
      version: (await store.load('simple'))?.version,
      events,
      errors,
      requests: graph.requests.map((r) => `${r.method} ${r.callId}`),
    });
  } finally {
    await registry.close();
  }
}

/** A deep copy without the wall-clock fields, which two runs cannot share. */
function withoutTimes<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (key, field) =>
      key === 'at' ||
      key === 'updatedAt' ||
      key === 'savedAt' ||
      key === 'establishedAt' ||
      key === 'offeredAt'
        ? undefined
        : field,
    ),
  ) as T;
}

if (!hasRedisServer) {
  describe('createCallRegistry over Redis', () => {
    it.skip(SKIP_REASON, () => {});
  });
}
