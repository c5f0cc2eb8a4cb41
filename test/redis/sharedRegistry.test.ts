// The shared registry: several instances over one real Redis behave as one registry, and the
// compare-and-set decides which instance performs each Graph request.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type CallView,
  createCallRegistry,
  HangUpFailedError,
  UnknownCallError,
} from '../../src/index.js';
import { createRedisCallStore } from '../../src/redis/index.js';
import { IngestIncompleteError } from '../../src/runtime/sharedErrors.js';
import { callItem, envelope, rosterItem, terminatedItem } from '../support/payloads.js';
import { ScriptedGraph } from '../support/scriptedGraph.js';
import { eventually, Instances } from './support/instances.js';
import {
  hasRedisServer,
  type RedisServer,
  SKIP_REASON,
  sleep,
  startRedisServer,
} from './support/redisServer.js';

describe.skipIf(!hasRedisServer)('createSharedCallRegistry over Redis', () => {
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
    instances = new Instances(server.url, `shared${run}:`);
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
    a.registry.track('ok', { state: 'established' });
    a.registry.track('refused', { state: 'hold' });
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
    a.registry.track('d', { state: 'established' });
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
    for (const id of ids) a.registry.track(id, { state: 'established' });
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
    a.registry.track('throttled', { state: 'established' });
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
    a.registry.track('k', { state: 'established' });
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

  it('late and sub-resource notifications are counted and handed on, never written', async () => {
    const graph = new ScriptedGraph();
    const a = fresh().open(graph);
    await a.registry.ingest(envelope(terminatedItem('l')));
    const version = (await a.store.load('l'))?.version;
    const report = await a.registry.ingest(
      envelope(callItem('l', 'updated', 'established'), rosterItem('l'), rosterItem('unknown')),
    );
    expect(report).toMatchObject({ applied: 0, late: 1, subresource: 2, unknownCalls: 0 });
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
    expect(a.registry.track('t', { state: 'established' })).toMatchObject({ phase: 'active' });
    expect(a.registry.get('t')?.state).toBe('established');
    expect(await a.registry.hangUp('t')).toMatchObject({ phase: 'terminating' });
    // Another instance tracking a call that is already stored leaves the stored one alone.
    const b = instances.open(graph);
    b.registry.track('t', { state: 'incoming' });
    await b.registry.idle();
    expect(await b.registry.read('t')).toMatchObject({ phase: 'terminating' });
  });

  it('on start, gives calls stored by createCallRegistry the due time they need', async () => {
    const graph = new ScriptedGraph().answer('DELETE', 'hold');
    const store = createRedisCallStore({ url: server.url, keyPrefix: `plain${run}:` });
    try {
      const plain = createCallRegistry({ graph, store, keepAliveMs: 0 });
      plain.track('p', { state: 'established' });
      void plain.hangUp('p').catch(() => {});
      await eventually(() => expect(graph.held).toHaveLength(1));
      await plain.close();
      instances = new Instances(server.url, `plain${run}:`);
      const shared = instances.open(graph, { commandLeaseMs: 100 });
      await shared.registry.ready;
      // The DELETE it had in flight is re-issued once its lease has run out.
      await eventually(() => expect(graph.count('DELETE', 'p')).toBe(2), 3_000);
      expect(
        await shared.registry.waitFor('p', (v: CallView) => v.phase === 'terminating'),
      ).toBeDefined();
    } finally {
      await store.close();
    }
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
});

if (!hasRedisServer) {
  describe('createSharedCallRegistry over Redis', () => {
    it.skip(SKIP_REASON, () => {});
  });
}
