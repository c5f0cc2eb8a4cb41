/**
 * A call store in Redis, through `ioredis`, for bots that run on several instances. It is a
 * {@link SharedCallStore}: `createSharedCallRegistry` runs over it, and so does the plain
 * `createCallRegistry` (one instance, calls surviving restarts).
 *
 * ```
 * {prefix}call:{callId}   string   {"version":7,"schemaVersion":1,"savedAt":…,"snapshot":{…}}
 *                                  expires ttlMs after a save of a terminated call
 * {prefix}due             zset     callId ↦ epoch ms when some instance must look at the call
 * ```
 *
 * Every write is one Lua script (EVALSHA, EVAL when Redis lost the script cache), so the
 * version check, the write and the schedule change are one atomic step. `ids()` walks the
 * records with SCAN, never KEYS. Every operation rejects with a {@link RedisStoreError} naming
 * the operation and the key, after `timeoutMs` at the latest.
 *
 * @example
 * ```ts
 * import { createSharedCallRegistry } from 'graph-call-machine';
 * import { createRedisCallStore } from 'graph-call-machine/redis';
 *
 * const store = createRedisCallStore({ url: 'redis://10.0.0.5:6379', keyPrefix: 'bot-a:' });
 * const registry = createSharedCallRegistry({ graph: { getToken }, store });
 * // on shutdown:
 * await registry.close();
 * await store.close();
 * ```
 * @module
 */
import { Redis } from 'ioredis';
import { RestoreError } from '../runtime/errors.js';
import type { CommitResult, DueChange, SharedCallStore } from '../runtime/sharedCallStore.js';
import type { CallRecord } from '../runtime/types.js';
import { RedisStoreError, type RedisStoreOperation } from './redisStoreError.js';
import { CLAIM_DUE, COMMIT, DELETE, type LuaScript, RESCHEDULE } from './scripts.js';
import { createTimeoutWatchdog } from './timeoutWatchdog.js';

/** Options shared by both ways of giving the store its connection. */
export interface RedisCallStoreBaseOptions {
  /** Prepended to every key, e.g. `'bot-a:'` to share one Redis between bots. Default `'gcm:'`. */
  readonly keyPrefix?: string;
  /**
   * How long a terminated call's record stays after its last save (it then expires in Redis),
   * in ms. Late notifications about the call are judged `late` meanwhile. Default 5 min (the
   * registry's `retainTerminatedMs`); 0 keeps terminated records until deleted.
   */
  readonly ttlMs?: number;
  /**
   * Upper bound of every operation, in ms: past it the operation rejects, whatever the client
   * does meanwhile (a client given with `maxRetriesPerRequest: null` would wait forever).
   * Default 5 000.
   */
  readonly timeoutMs?: number;
  /** The COUNT hint of each SCAN in `ids()`. Default 500. */
  readonly scanCount?: number;
}

/** Options of {@link createRedisCallStore}: a client you own, or a URL for a client the store owns. */
export type RedisCallStoreOptions = RedisCallStoreBaseOptions &
  (
    | {
        /**
         * An ioredis `Redis` client (standalone or Sentinel; not `Cluster`). The store neither
         * configures nor closes it. Leave its own `keyPrefix` option unset: use the store's.
         */
        readonly client: Redis;
        readonly url?: never;
      }
    | {
        /**
         * `redis://[user:password@]host:port[/db]` (or `rediss://`). The store creates the
         * client set to fail fast (`maxRetriesPerRequest: 1`, `commandTimeout: timeoutMs`),
         * and `close()` quits it.
         */
        readonly url: string;
        readonly client?: never;
      }
  );

/** The Redis call store. */
export interface RedisCallStore extends SharedCallStore {
  readonly keyPrefix: string;
  /** The Redis keys the store uses, for inspection (`redis-cli GET …`) and operations. */
  readonly keys: { record(callId: string): string; readonly due: string };
  /** Every stored call id, once each, walked with SCAN (never KEYS). */
  ids(): AsyncIterable<string>;
  /** The ioredis client in use. */
  readonly client: Redis;
  /** Quits the client when the store created it from a URL; leaves a given client alone. */
  close(): Promise<void>;
}

const DEFAULT_PREFIX = 'gcm:';
const DEFAULT_TTL_MS = 5 * 60_000;
const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_SCAN_COUNT = 500;

/**
 * Creates a Redis call store.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { createRedisCallStore } from 'graph-call-machine/redis';
 *
 * const client = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 2 });
 * const store = createRedisCallStore({ client, ttlMs: 10 * 60_000 });
 * for await (const callId of store.ids()) console.log(callId, (await store.load(callId))?.version);
 * ```
 */
export function createRedisCallStore(options: RedisCallStoreOptions): RedisCallStore {
  const keyPrefix = options.keyPrefix ?? DEFAULT_PREFIX;
  const ttlMs = nonNegative('ttlMs', options.ttlMs ?? DEFAULT_TTL_MS);
  const timeoutMs = positive('timeoutMs', options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const scanCount = positive('scanCount', options.scanCount ?? DEFAULT_SCAN_COUNT);
  let client: Redis;
  let owned = false;
  let lastConnectionError: Error | undefined;
  if (options.client !== undefined) {
    client = options.client;
    if (typeof client.evalsha !== 'function' || typeof client.scan !== 'function') {
      throw new TypeError(
        'createRedisCallStore: `client` must be an ioredis Redis client (new Redis(…)); a Cluster is not supported.',
      );
    }
    if (client.options?.keyPrefix) {
      throw new TypeError(
        `createRedisCallStore: the client has keyPrefix ${JSON.stringify(client.options.keyPrefix)}; ioredis does not apply it to SCAN patterns. Leave the client's keyPrefix unset and pass { keyPrefix } to the store instead.`,
      );
    }
  } else if (typeof options.url === 'string') {
    client = new Redis(options.url, {
      maxRetriesPerRequest: 1,
      commandTimeout: timeoutMs,
      connectTimeout: timeoutMs,
      retryStrategy: (times) => Math.min(times * 100, 2_000),
    });
    owned = true;
    // ioredis reports connection trouble as 'error' events; the operations report it to the
    // caller, so here it is only remembered to make their messages say why.
    client.on('error', (error: Error) => {
      lastConnectionError = error;
    });
    client.on('ready', () => {
      lastConnectionError = undefined;
    });
  } else {
    throw new TypeError(
      'createRedisCallStore: pass { client } (an ioredis Redis client) or { url } (redis://host:port).',
    );
  }

  const recordPrefix = `${keyPrefix}call:`;
  const dueKey = `${keyPrefix}due`;
  const recordKey = (callId: string): string => `${recordPrefix}${callId}`;
  const scanPattern = `${escapeGlob(recordPrefix)}*`;
  const watchdog = createTimeoutWatchdog(timeoutMs);

  async function guarded<T>(
    operation: RedisStoreOperation,
    key: string,
    callId: string | undefined,
    write: boolean,
    run: () => Promise<T>,
  ): Promise<T> {
    try {
      return await watchdog.bound(
        run(),
        () => new Error(`no answer from Redis within ${timeoutMs} ms`),
      );
    } catch (error) {
      if (error instanceof RestoreError || error instanceof RedisStoreError) throw error;
      const cause = error instanceof Error ? error : new Error(String(error));
      const replied = cause.name === 'ReplyError';
      const why =
        lastConnectionError !== undefined && !replied
          ? `${cause.message} (last connection error: ${lastConnectionError.message})`
          : cause.message;
      throw new RedisStoreError(operation, key, callId, why, write && !replied, { cause });
    }
  }

  async function runScript(
    lua: LuaScript,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    try {
      return await client.evalsha(lua.sha, keys.length, ...keys, ...args);
    } catch (error) {
      // Redis forgets scripts on restart (and SCRIPT FLUSH): send the source once more.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(lua.source, keys.length, ...keys, ...args);
    }
  }

  function commitScript(
    callId: string,
    record: CallRecord,
    expectedVersion: number,
    due: DueChange | undefined,
  ): Promise<unknown> {
    const done = (record.snapshot as { status?: unknown } | null)?.status === 'done';
    return runScript(
      COMMIT,
      [recordKey(callId), dueKey],
      [
        expectedVersion,
        encodeRecord(callId, record),
        done ? Math.ceil(ttlMs) : 0,
        due?.kind ?? 'none',
        due !== undefined && due.kind !== 'clear' ? due.at : 0,
        callId,
      ],
    );
  }

  const store: RedisCallStore = {
    keyPrefix,
    keys: { record: recordKey, due: dueKey },
    client,

    load(callId) {
      const key = recordKey(callId);
      return guarded('load', key, callId, false, async () => {
        const json = await client.get(key);
        return json === null ? undefined : decodeRecord(callId, key, json);
      });
    },

    save(callId, record, expectedVersion) {
      const key = recordKey(callId);
      return guarded('save', key, callId, true, async () => {
        const reply = await commitScript(callId, record, expectedVersion, undefined);
        return (reply as unknown[])[0] === 1;
      });
    },

    commit(callId, record, expectedVersion, due) {
      const key = recordKey(callId);
      return guarded('commit', key, callId, true, async (): Promise<CommitResult> => {
        const [ok, current] = (await commitScript(callId, record, expectedVersion, due)) as [
          number,
          string | null | undefined,
        ];
        if (ok === 1) return { ok: true };
        return {
          ok: false,
          current: typeof current === 'string' ? decodeRecord(callId, key, current) : undefined,
        };
      });
    },

    delete(callId) {
      const key = recordKey(callId);
      return guarded('delete', key, callId, true, async () => {
        await runScript(DELETE, [key, dueKey], [callId]);
      });
    },

    async *ids() {
      // SCAN may return a key twice while Redis rehashes: each id is handed out once.
      const seen = new Set<string>();
      let cursor = '0';
      do {
        const [next, keys] = await guarded('ids', scanPattern, undefined, false, () =>
          client.scan(cursor, 'MATCH', scanPattern, 'COUNT', scanCount),
        );
        cursor = next;
        for (const key of keys) {
          const callId = key.slice(recordPrefix.length);
          if (seen.has(callId)) continue;
          seen.add(callId);
          yield callId;
        }
      } while (cursor !== '0');
    },

    claimDue(now, limit, leaseUntil) {
      return guarded('claimDue', dueKey, undefined, true, async () => {
        const ids = await runScript(CLAIM_DUE, [dueKey], [now, limit, leaseUntil]);
        return ids as string[];
      });
    },

    reschedule(callId, due, ifDueAt) {
      return guarded('reschedule', dueKey, callId, true, async () => {
        const reply = await runScript(
          RESCHEDULE,
          [dueKey],
          [callId, due.kind, due.kind === 'clear' ? 0 : due.at, ifDueAt ?? ''],
        );
        return reply === 1;
      });
    },

    async close() {
      if (!owned || client.status === 'end') return;
      try {
        await client.quit();
      } catch {
        // Quitting a client that cannot reach Redis fails; it is closed all the same.
        client.disconnect();
      }
    },
  };
  return store;
}

/** The record as JSON, the version first: the Lua scripts read it with one pattern match. */
function encodeRecord(callId: string, record: CallRecord): string {
  if (!Number.isSafeInteger(record.version) || record.version < 0) {
    throw new TypeError(
      `graph-call-machine/redis: the record of call "${callId}" has version ${String(record.version)}; versions are non-negative integers.`,
    );
  }
  return `{"version":${record.version},"schemaVersion":${JSON.stringify(record.schemaVersion)},"savedAt":${JSON.stringify(record.savedAt)},"snapshot":${JSON.stringify(record.snapshot)}}`;
}

function decodeRecord(callId: string, key: string, json: string): CallRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new RestoreError(
      callId,
      'corruptRecord',
      `the value at ${key} is not JSON (${(error as Error).message})`,
    );
  }
  const { version, schemaVersion, savedAt, snapshot } = (parsed ?? {}) as Partial<CallRecord>;
  if (
    typeof version !== 'number' ||
    typeof schemaVersion !== 'number' ||
    typeof savedAt !== 'number' ||
    snapshot === undefined
  ) {
    throw new RestoreError(
      callId,
      'corruptRecord',
      `the value at ${key} is not a call record: it needs numeric version, schemaVersion and savedAt, and a snapshot`,
    );
  }
  return { version, schemaVersion, savedAt, snapshot };
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new RangeError(`createRedisCallStore: ${name} must be a positive number, got ${value}.`);
  }
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new RangeError(
      `createRedisCallStore: ${name} must be 0 or a positive number, got ${value}.`,
    );
  }
  return value;
}
