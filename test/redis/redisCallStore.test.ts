// The Redis call store against a real redis-server: compare-and-set, expiry of ended calls,
// SCAN-based listing, the due-time schedule, and errors (not hangs) when Redis is gone.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CALL_RECORD_SCHEMA_VERSION,
  type CallRecord,
  callMachine,
  RestoreError,
  startCall,
  stepCall,
} from '../../src/index.js';
import {
  createRedisCallStore,
  type RedisCallStore,
  RedisStoreError,
} from '../../src/redis/index.js';
import {
  hasRedisServer,
  type RedisServer,
  SKIP_REASON,
  startRedisServer,
} from './support/redisServer.js';

function record(callId: string, version: number, ended = false): CallRecord {
  let { snapshot } = startCall({ callId, state: 'established', at: 1 });
  if (ended) {
    snapshot = stepCall(snapshot, { type: 'hangUp', at: 2 }).snapshot;
    snapshot = stepCall(snapshot, {
      type: 'delete.failed',
      status: 404,
      at: 3,
    }).snapshot;
  }
  return {
    schemaVersion: CALL_RECORD_SCHEMA_VERSION,
    version,
    snapshot: callMachine.getPersistedSnapshot(snapshot),
    savedAt: 1_000 + version,
  };
}

describe.skipIf(!hasRedisServer)('createRedisCallStore (real redis-server)', () => {
  let server: RedisServer;
  let admin: Redis;
  const stores: RedisCallStore[] = [];
  let prefixCount = 0;

  function open(options: { ttlMs?: number; keyPrefix?: string; timeoutMs?: number } = {}) {
    prefixCount += 1;
    const store = createRedisCallStore({
      url: server.url,
      keyPrefix: options.keyPrefix ?? `t${prefixCount}:`,
      ...(options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
    stores.push(store);
    return store;
  }

  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
  });

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });

  afterAll(async () => {
    admin?.disconnect();
    await server?.dispose();
  });

  describe('compare-and-set on the version', () => {
    it('creates only when absent, saves only over the expected version, never over a newer one', async () => {
      const store = open();
      expect(await store.save('c1', record('c1', 1), 0)).toBe(true);
      expect(await store.save('c1', record('c1', 1), 0)).toBe(false);
      expect(await store.save('c1', record('c1', 2), 1)).toBe(true);
      // A writer that read version 1 comes late: its save must not overwrite version 2.
      expect(await store.save('c1', record('c1', 2), 1)).toBe(false);
      expect(await store.save('c1', record('c1', 9), 5)).toBe(false);
      expect((await store.load('c1'))?.version).toBe(2);
    });

    it('round-trips the record exactly, as JSON with the version first', async () => {
      const store = open();
      const saved = record('c2', 1);
      await store.save('c2', saved, 0);
      expect(await store.load('c2')).toEqual(saved);
      const raw = await admin.get(store.keys.record('c2'));
      expect(raw).toMatch(/^\{"version":1,"schemaVersion":1,"savedAt":1001,"snapshot":\{/);
      expect(await store.load('missing')).toBeUndefined();
    });

    it('commit returns the winning record on a conflict, and moves the due time only when it commits', async () => {
      const store = open();
      expect(await store.commit('c3', record('c3', 1), 0, { kind: 'set', at: 500 })).toEqual({
        ok: true,
      });
      expect(await admin.zscore(store.keys.due, 'c3')).toBe('500');
      const lost = await store.commit('c3', record('c3', 1), 0, { kind: 'set', at: 900 });
      expect(lost).toEqual({ ok: false, current: record('c3', 1) });
      expect(await admin.zscore(store.keys.due, 'c3')).toBe('500');
      // A writer expecting a record that is gone learns that none is stored.
      expect(await store.commit('gone', record('gone', 4), 3, { kind: 'clear' })).toEqual({
        ok: false,
        current: undefined,
      });
      // keep: set only when there is none; clear: remove.
      await store.commit('c3', record('c3', 2), 1, { kind: 'keep', at: 700 });
      expect(await admin.zscore(store.keys.due, 'c3')).toBe('500');
      await store.commit('c3', record('c3', 3), 2, { kind: 'clear' });
      expect(await admin.zscore(store.keys.due, 'c3')).toBeNull();
      await store.commit('c3', record('c3', 4), 3, { kind: 'keep', at: 700 });
      expect(await admin.zscore(store.keys.due, 'c3')).toBe('700');
    });

    it('concurrent writers of one version: exactly one wins', async () => {
      const store = open();
      await store.save('race', record('race', 1), 0);
      const results = await Promise.all(
        Array.from({ length: 50 }, () => store.save('race', record('race', 2), 1)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('works again after Redis forgot its scripts (SCRIPT FLUSH, as after a restart)', async () => {
      const store = open();
      await store.save('flush', record('flush', 1), 0);
      await admin.script('FLUSH');
      expect(await store.save('flush', record('flush', 2), 1)).toBe(true);
    });

    it('a value that is not a record is reported as such, never overwritten', async () => {
      const store = open();
      await admin.set(store.keys.record('junk'), 'not json');
      await expect(store.load('junk')).rejects.toBeInstanceOf(RestoreError);
      await expect(store.save('junk', record('junk', 1), 0)).rejects.toThrow(/not a call record/);
      expect(await admin.get(store.keys.record('junk'))).toBe('not json');
    });
  });

  describe('expiry of terminated calls', () => {
    it('a record whose snapshot is done gets ttlMs; a live one none', async () => {
      const store = open({ ttlMs: 60_000 });
      await store.save('live', record('live', 1), 0);
      await store.save('ended', record('ended', 1, true), 0);
      expect(await admin.pttl(store.keys.record('live'))).toBe(-1);
      const ttl = await admin.pttl(store.keys.record('ended'));
      expect(ttl).toBeGreaterThan(55_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    });

    it('the record is gone once the ttl has passed; ttlMs 0 keeps it', async () => {
      const store = open({ ttlMs: 150 });
      const keeper = open({ ttlMs: 0 });
      await store.save('short', record('short', 1, true), 0);
      await keeper.save('kept', record('kept', 1, true), 0);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await store.load('short')).toBeUndefined();
      expect(await keeper.load('kept')).toBeDefined();
      expect(await admin.pttl(keeper.keys.record('kept'))).toBe(-1);
    });
  });

  describe('ids() by SCAN', () => {
    it('lists every call once over 5,000 keys, with SCAN and never KEYS', async () => {
      const store = open();
      const other = open();
      await other.save('not-mine', record('not-mine', 1), 0);
      const ids = Array.from({ length: 5_000 }, (_, i) => `call-${i}`);
      await Promise.all(ids.map((id) => store.save(id, record(id, 1), 0)));
      const before = await commandCalls(admin);
      const listed: string[] = [];
      for await (const id of store.ids()) listed.push(id);
      const after = await commandCalls(admin);
      expect(listed.sort()).toEqual([...ids].sort());
      expect(after.scan - before.scan).toBeGreaterThan(1);
      expect(after.keys).toBe(0);
    });

    it('escapes glob characters of the prefix', async () => {
      const star = open({ keyPrefix: 'glob*[x]:' });
      const lookalike = open({ keyPrefix: 'globZx]:' });
      await star.save('a', record('a', 1), 0);
      await lookalike.save('b', record('b', 1), 0);
      const listed: string[] = [];
      for await (const id of star.ids()) listed.push(id);
      expect(listed).toEqual(['a']);
    });
  });

  describe('the due-time schedule', () => {
    it('claimDue takes only due calls, each once, and pushes them to the lease', async () => {
      const store = open();
      await store.commit('early', record('early', 1), 0, { kind: 'set', at: 100 });
      await store.commit('late', record('late', 1), 0, { kind: 'set', at: 10_000 });
      const claims = await Promise.all([
        store.claimDue(1_000, 10, 61_000),
        store.claimDue(1_000, 10, 61_000),
      ]);
      expect(claims.flat()).toEqual(['early']);
      expect(await admin.zscore(store.keys.due, 'early')).toBe('61000');
      expect(await store.claimDue(60_999, 10, 0)).toEqual(['late']);
    });

    it('claimDue honours the limit', async () => {
      const store = open();
      for (let i = 0; i < 7; i += 1) {
        await store.commit(`l${i}`, record(`l${i}`, 1), 0, { kind: 'set', at: i });
      }
      expect(await store.claimDue(100, 5, 1_000)).toHaveLength(5);
      expect(await store.claimDue(100, 5, 1_000)).toHaveLength(2);
    });

    it('reschedule with ifDueAt leaves alone a due time somebody moved since the claim', async () => {
      const store = open();
      await store.commit('r', record('r', 1), 0, { kind: 'set', at: 10 });
      await store.claimDue(20, 10, 5_000);
      await store.commit('r', record('r', 2), 1, { kind: 'set', at: 9_000 });
      expect(await store.reschedule('r', { kind: 'set', at: 99 }, 5_000)).toBe(false);
      expect(await admin.zscore(store.keys.due, 'r')).toBe('9000');
      expect(await store.reschedule('r', { kind: 'set', at: 99 }, 9_000)).toBe(true);
      expect(await store.reschedule('r', { kind: 'clear' }, 99)).toBe(true);
      expect(await admin.zscore(store.keys.due, 'r')).toBeNull();
    });

    it('delete removes the record and its due time together', async () => {
      const store = open();
      await store.commit('d', record('d', 1), 0, { kind: 'set', at: 10 });
      await store.delete('d');
      expect(await store.load('d')).toBeUndefined();
      expect(await admin.zscore(store.keys.due, 'd')).toBeNull();
    });
  });

  it('rejects a client with its own keyPrefix, and options that cannot work', () => {
    const prefixed = new Redis(server.url, { keyPrefix: 'x:', lazyConnect: true });
    expect(() => createRedisCallStore({ client: prefixed })).toThrow(/keyPrefix/);
    prefixed.disconnect();
    expect(() => createRedisCallStore({ url: server.url, timeoutMs: 0 })).toThrow(RangeError);
  });
});

describe.skipIf(!hasRedisServer)('createRedisCallStore when Redis goes away', () => {
  let server: RedisServer;

  beforeAll(async () => {
    server = await startRedisServer();
  });

  afterAll(async () => {
    await server?.dispose();
  });

  it('every operation rejects promptly with an error naming the operation and the key', async () => {
    const store = createRedisCallStore({ url: server.url, keyPrefix: 'down:', timeoutMs: 2_000 });
    try {
      expect(await store.save('c', record('c', 1), 0)).toBe(true);
      await server.kill();
      const attempts: [string, () => Promise<unknown>][] = [
        ['load', () => store.load('c')],
        ['save', () => store.save('c', record('c', 2), 1)],
        ['commit', () => store.commit('c', record('c', 2), 1, { kind: 'clear' })],
        ['claimDue', () => store.claimDue(0, 1, 1)],
        [
          'ids',
          async () => {
            for await (const _ of store.ids()) {
              // draining
            }
          },
        ],
      ];
      for (const [operation, attempt] of attempts) {
        const started = Date.now();
        const error = await attempt().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(Date.now() - started).toBeLessThan(4_000);
        expect(error).toBeInstanceOf(RedisStoreError);
        expect(error).toMatchObject({ operation });
        expect((error as Error).message).toContain(operation);
        expect((error as Error).message).toContain(operation === 'claimDue' ? 'down:due' : 'down:');
        if (operation === 'load') {
          expect((error as Error).message).toContain('call "c" (key down:call:c)');
        }
      }
    } finally {
      await store.close();
      await server.start();
    }
  });

  it('a client of your own that would wait forever is bounded by timeoutMs', async () => {
    const client = new Redis(server.url, { maxRetriesPerRequest: null });
    client.on('error', () => {});
    const store = createRedisCallStore({ client, keyPrefix: 'own:', timeoutMs: 500 });
    try {
      await store.save('c', record('c', 1), 0);
      await server.kill();
      const started = Date.now();
      const error = await store.load('c').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(error).toBeInstanceOf(RedisStoreError);
      expect((error as Error).message).toMatch(
        /load of call "c" \(key own:call:c\) failed: no answer from Redis within 500 ms/,
      );
    } finally {
      await store.close();
      client.disconnect();
      await server.start();
    }
  });
});

if (!hasRedisServer) {
  describe('createRedisCallStore', () => {
    it.skip(SKIP_REASON, () => {});
  });
}

async function commandCalls(admin: Redis): Promise<{ scan: number; keys: number }> {
  const info = await admin.info('commandstats');
  const calls = (name: string) =>
    Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
  return { scan: calls('scan'), keys: calls('keys') };
}
