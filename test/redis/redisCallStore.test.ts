// The Redis call store against a real redis-server, where it is Redis-specific: the key layout
// (record JSON, due and live sorted sets), expiry by PTTL, SCAN-based listing, scripts that
// check before they write, call ids Redis cannot keep apart, and errors (not hangs) when Redis
// is gone. What every store must do is asserted by the contract suite (test/store).
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createRedisCallStore,
  type RedisCallStore,
  RedisStoreError,
} from '../../src/redis/index.js';
import type { CallRecord } from '../../src/runtime/callStore.js';
import { RestoreError } from '../../src/runtime/errors.js';
import { callRecord } from '../store/callStoreContract.js';
import {
  hasRedisServer,
  type RedisServer,
  SKIP_REASON,
  startRedisServer,
} from './support/redisServer.js';

const CLEAR = { kind: 'clear' } as const;
const SOON = { kind: 'set', at: 1_000 } as const;

function record(callId: string, version: number, ended = false): CallRecord {
  return callRecord(callId, version, { ended });
}

/** What a failed operation rejected with (fails the test when it resolved). */
async function rejection(operation: Promise<unknown>): Promise<RedisStoreError> {
  const error = await operation.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RedisStoreError);
  return error as RedisStoreError;
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
    it('creates only when absent, commits only over the expected version, never over a newer one', async () => {
      const store = open();
      expect(await store.commit('c1', record('c1', 1), 0, CLEAR)).toEqual({ ok: true });
      expect(await store.commit('c1', record('c1', 1), 0, CLEAR)).toMatchObject({ ok: false });
      expect(await store.commit('c1', record('c1', 2), 1, CLEAR)).toEqual({ ok: true });
      // A writer that read version 1 comes late: its commit must not overwrite version 2.
      expect(await store.commit('c1', record('c1', 2), 1, CLEAR)).toMatchObject({ ok: false });
      expect(await store.commit('c1', record('c1', 9), 5, CLEAR)).toMatchObject({ ok: false });
      expect(await admin.get(store.keys.record('c1'))).toMatch(/^\{"version":2,/);
    });

    it('round-trips the record exactly, as JSON with the version first', async () => {
      const store = open();
      const saved = record('c2', 1);
      await store.commit('c2', saved, 0, CLEAR);
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
      await store.commit('race', record('race', 1), 0, CLEAR);
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.commit('race', record('race', 2), 1, { kind: 'set', at: i }),
        ),
      );
      expect(results.filter((result) => result.ok)).toHaveLength(1);
      expect(await admin.zcard(store.keys.due)).toBe(1);
    });

    it('works again after Redis forgot its scripts (SCRIPT FLUSH, as after a restart)', async () => {
      const store = open();
      await store.commit('flush', record('flush', 1), 0, CLEAR);
      await admin.script('FLUSH');
      expect(await store.commit('flush', record('flush', 2), 1, CLEAR)).toEqual({ ok: true });
    });

    it('a value that is not a record is reported as such, never overwritten', async () => {
      const store = open();
      await admin.set(store.keys.record('junk'), 'not json');
      await expect(store.load('junk')).rejects.toBeInstanceOf(RestoreError);
      const error = await rejection(store.commit('junk', record('junk', 1), 0, SOON));
      expect(error).toMatchObject({ failure: 'foreignValue', mayHaveApplied: false });
      expect(error.message).toContain(
        `the value at ${store.keys.record('junk')} is not a call record`,
      );
      expect(error.message).toContain('Nothing was written.');
      expect(await admin.get(store.keys.record('junk'))).toBe('not json');
      expect(await admin.exists(store.keys.due, store.keys.live)).toBe(0);
    });
  });

  describe('expiry of terminated calls', () => {
    it('a record whose snapshot is done gets ttlMs; a live one none', async () => {
      const store = open({ ttlMs: 60_000 });
      await store.commit('live', record('live', 1), 0, CLEAR);
      await store.commit('ended', record('ended', 1, true), 0, CLEAR);
      expect(await admin.pttl(store.keys.record('live'))).toBe(-1);
      const ttl = await admin.pttl(store.keys.record('ended'));
      expect(ttl).toBeGreaterThan(55_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    });

    it('the record is gone once the ttl has passed; ttlMs 0 keeps it', async () => {
      const store = open({ ttlMs: 150 });
      const keeper = open({ ttlMs: 0 });
      await store.commit('short', record('short', 1, true), 0, CLEAR);
      await keeper.commit('kept', record('kept', 1, true), 0, CLEAR);
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
      await other.commit('not-mine', record('not-mine', 1), 0, CLEAR);
      const ids = Array.from({ length: 5_000 }, (_, i) => `call-${i}`);
      await Promise.all(ids.map((id) => store.commit(id, record(id, 1), 0, CLEAR)));
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
      await star.commit('a', record('a', 1), 0, CLEAR);
      await lookalike.commit('b', record('b', 1), 0, CLEAR);
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

    it('delete removes the record, its due time and its live entry together', async () => {
      const store = open();
      await store.commit('d', record('d', 1), 0, { kind: 'set', at: 10 });
      await store.delete('d');
      expect(await store.load('d')).toBeUndefined();
      expect(await admin.zscore(store.keys.due, 'd')).toBeNull();
      expect(await admin.zscore(store.keys.live, 'd')).toBeNull();
    });
  });

  describe('countLive and the live index', () => {
    it('countLive is the ZCARD of {prefix}live, callId ↦ savedAt, kept by commit and delete', async () => {
      const store = open();
      expect(store.keys.live).toBe(`${store.keyPrefix}live`);
      await store.commit('a', record('a', 1), 0, CLEAR);
      await store.commit('b', record('b', 1), 0, CLEAR);
      expect(await admin.zscore(store.keys.live, 'a')).toBe('1001');
      await store.commit('a', record('a', 2), 1, CLEAR);
      expect(await admin.zscore(store.keys.live, 'a')).toBe('1002');
      expect(await store.countLive()).toBe(2);
      await store.commit('a', record('a', 3, true), 2, CLEAR);
      expect(await admin.zrange(store.keys.live, '0', '-1')).toEqual(['b']);
      expect(await store.countLive()).toBe(1);
      await store.delete('b');
      expect(await admin.exists(store.keys.live)).toBe(0);
      expect(await store.countLive()).toBe(0);
      // The index keys sit beside the records, never among them.
      const listed: string[] = [];
      for await (const id of store.ids()) listed.push(id);
      expect(listed).toEqual(['a']);
    });

    it('a live index of the wrong type is reported, not miscounted', async () => {
      const store = open();
      await admin.set(store.keys.live, '7');
      const error = await rejection(store.countLive());
      expect(error).toMatchObject({ operation: 'countLive', failure: 'foreignValue' });
      expect(error.message).toContain(`countLive of key ${store.keys.live} failed: WRONGTYPE`);
    });
  });

  describe('scripts check every key before they write', () => {
    it('a commit against a due key of the wrong type writes nothing and says so', async () => {
      const store = open();
      await store.commit('c', record('c', 1), 0, SOON);
      await admin.del(store.keys.due);
      await admin.set(store.keys.due, 'not a zset');
      // A new call, and an update that would end the call (SET with PX, ZREM from live).
      const created = await rejection(store.commit('new', record('new', 1), 0, SOON));
      const updated = await rejection(store.commit('c', record('c', 2, true), 1, CLEAR));
      for (const error of [created, updated]) {
        expect(error).toMatchObject({
          operation: 'commit',
          failure: 'foreignValue',
          mayHaveApplied: false,
        });
        expect(error.message).toContain(
          `${store.keys.due} holds a string where the store keeps a sorted set. Nothing was written.`,
        );
        expect(error.message).not.toContain('may or may not');
      }
      expect(await admin.exists(store.keys.record('new'))).toBe(0);
      expect(await store.load('c')).toEqual(record('c', 1));
      expect(await admin.pttl(store.keys.record('c'))).toBe(-1);
      expect(await admin.zrange(store.keys.live, '0', '-1')).toEqual(['c']);
      expect(await admin.get(store.keys.due)).toBe('not a zset');
      // Once the key is the store's again, so is the call.
      await admin.del(store.keys.due);
      expect(await store.commit('c', record('c', 2), 1, SOON)).toEqual({ ok: true });
    });

    it('names every key of the wrong type, the record key and the live index too', async () => {
      const store = open();
      await admin.hset(store.keys.record('h'), 'version', '1');
      await admin.rpush(store.keys.live, 'x');
      const error = await rejection(store.commit('h', record('h', 1), 0, SOON));
      expect(error).toMatchObject({ failure: 'foreignValue', mayHaveApplied: false });
      expect(error.message).toContain(
        `${store.keys.record('h')} holds a hash where the store keeps a string; ${store.keys.live} holds a list where the store keeps a sorted set. Nothing was written.`,
      );
      expect(await admin.exists(store.keys.due)).toBe(0);
      expect(await admin.type(store.keys.record('h'))).toBe('hash');
    });

    it('claimDue, reschedule and delete check the due and live keys before they write', async () => {
      const store = open();
      await store.commit('c', record('c', 1), 0, SOON);
      await admin.del(store.keys.live);
      await admin.set(store.keys.live, 'mine now');
      const deleted = await rejection(store.delete('c'));
      expect(deleted.message).toContain(`${store.keys.live} holds a string`);
      expect(await store.load('c')).toEqual(record('c', 1));
      expect(await admin.zscore(store.keys.due, 'c')).toBe('1000');

      await admin.del(store.keys.live);
      await admin.del(store.keys.due);
      await admin.sadd(store.keys.due, 'c');
      const attempts = [
        rejection(store.claimDue(5_000, 10, 9_000)),
        rejection(store.reschedule('c', SOON)),
        rejection(store.delete('c')),
      ];
      const errors = await Promise.all(attempts);
      expect(errors.map((error) => error.operation)).toEqual(['claimDue', 'reschedule', 'delete']);
      for (const error of errors) {
        expect(error).toMatchObject({ failure: 'foreignValue', mayHaveApplied: false });
        expect(error.message).toContain(
          `${store.keys.due} holds a set where the store keeps a sorted set`,
        );
        expect(error.message).toContain('Nothing was written.');
      }
      expect(await store.load('c')).toEqual(record('c', 1));
      expect(await admin.smembers(store.keys.due)).toEqual(['c']);
    });

    it('arguments Redis could not store faithfully are refused before Redis is asked', async () => {
      const store = open();
      const refused = [
        rejection(store.commit('n', record('n', 1), 0, { kind: 'set', at: Number.NaN })),
        rejection(store.commit('n', { ...record('n', 1), version: 1.5 }, 0, CLEAR)),
        rejection(store.commit('n', record('n', 1), -1, CLEAR)),
        rejection(store.commit('n', { ...record('n', 1), snapshot: { n: 1n } }, 0, CLEAR)),
        rejection(store.reschedule('n', SOON, Number.POSITIVE_INFINITY)),
        rejection(store.claimDue(0, -1, 1)),
      ];
      for (const error of await Promise.all(refused)) {
        expect(error).toMatchObject({ failure: 'invalidArgument', mayHaveApplied: false });
      }
      expect(await admin.exists(store.keys.record('n'), store.keys.due, store.keys.live)).toBe(0);
      expect(await store.claimDue(0, 0, 1)).toEqual([]);
    });
  });

  describe('call ids Redis cannot keep apart', () => {
    it('lone-surrogate ids are refused instead of colliding on one key', async () => {
      // Redis keeps text as UTF-8, where each lone surrogate becomes U+FFFD: two calls, one key.
      await admin.zadd('collide', 1, '\ud800', 2, '\udbff');
      expect(await admin.zcard('collide')).toBe(1);
      await admin.del('collide');

      // A client that never connects shows that the store asked Redis nothing.
      const client = new Redis(server.url, { lazyConnect: true });
      const store = createRedisCallStore({ client, keyPrefix: 'lone:' });
      for (const id of ['\ud800', '\udbff', 'call-\udc00-tail', '']) {
        const attempts: [string, () => Promise<unknown>][] = [
          ['load', () => store.load(id)],
          ['commit', () => store.commit(id, record(id, 1), 0, SOON)],
          ['reschedule', () => store.reschedule(id, SOON, 1)],
          ['delete', () => store.delete(id)],
        ];
        for (const [operation, attempt] of attempts) {
          const error = await rejection(attempt());
          expect(error).toMatchObject({
            operation,
            callId: id,
            failure: 'invalidArgument',
            mayHaveApplied: false,
          });
          expect(error.message).toContain(`${operation} of call "`);
          expect(error.message).toMatch(id === '' ? /the call id is empty/ : /lone surrogate/);
          // The message shows the ill-formed id escaped, and is itself well-formed.
          expect(error.message).not.toMatch(/\p{Surrogate}/u);
        }
      }
      const error = await rejection(store.load('\udbff'));
      expect(error.message).toContain('load of call "\\udbff" (key lone:call:\\udbff)');
      expect(client.status).toBe('wait');
      client.disconnect();
    });

    it('ids made of surrogate pairs are well-formed and stay apart', async () => {
      const store = open();
      const ids = ['\ud83d\ude00', '\ud83d\ude01', '\u{10FFFF}'];
      for (const id of ids) await store.commit(id, record(id, 1), 0, CLEAR);
      for (const id of ids) expect(await store.load(id)).toEqual(record(id, 1));
      const listed: string[] = [];
      for await (const id of store.ids()) listed.push(id);
      expect(listed.sort()).toEqual([...ids].sort());
      expect(await store.countLive()).toBe(3);
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
      expect(await store.commit('c', record('c', 1), 0, CLEAR)).toEqual({ ok: true });
      await server.kill();
      const attempts: [string, () => Promise<unknown>][] = [
        ['load', () => store.load('c')],
        ['commit', () => store.commit('c', record('c', 2), 1, CLEAR)],
        ['reschedule', () => store.reschedule('c', SOON)],
        ['delete', () => store.delete('c')],
        ['countLive', () => store.countLive()],
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
        // Without an answer, a write may have reached Redis all the same.
        const read = ['load', 'ids', 'countLive'].includes(operation);
        expect(error).toMatchObject({ operation, failure: 'unreachable', mayHaveApplied: !read });
        expect((error as Error).message).toContain(operation);
        const key: Record<string, string> = {
          claimDue: 'down:due',
          reschedule: 'down:due',
          countLive: 'down:live',
          ids: 'down:call:*',
        };
        expect((error as Error).message).toContain(key[operation] ?? 'down:call:c');
        if (operation === 'load') {
          expect((error as Error).message).toContain('call "c" (key down:call:c)');
        }
      }
    } finally {
      await store.close();
      await server.start();
    }
    // Seven operations, each bounded on its own while ioredis backs off between reconnections.
  }, 20_000);

  it('a client of your own that would wait forever is bounded by timeoutMs', async () => {
    const client = new Redis(server.url, { maxRetriesPerRequest: null });
    client.on('error', () => {});
    const store = createRedisCallStore({ client, keyPrefix: 'own:', timeoutMs: 500 });
    try {
      await store.commit('c', record('c', 1), 0, CLEAR);
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
