/**
 * A call store in Redis, through `ioredis`, for bots that run on several instances (or one
 * whose calls must survive a restart). It is a {@link CallStore}: `createCallRegistry` runs
 * over it as over the in-process store, polling `claimDue` since Redis cannot arm its timer.
 *
 * ```
 * {prefix}call:{callId}   string   {"version":7,"schemaVersion":1,"savedAt":…,"snapshot":{…}}
 *                                  expires ttlMs after the commit of an ended call (status done)
 * {prefix}due             zset     callId ↦ epoch ms when some instance must look at the call
 * {prefix}live            zset     callId ↦ savedAt of its last commit, for each call not ended;
 *                                  countLive() is its ZCARD
 * ```
 *
 * Every write is one Lua script (EVALSHA, EVAL when Redis lost the script cache) that checks
 * first and writes after, so the version check, the record, the due time and the live index
 * change together or not at all. The live index is a sorted set rather than a set so that an
 * operator can find calls nobody committed for long (`ZRANGEBYSCORE {prefix}live -inf <ms>`).
 * It is kept by the scripts, not by expiry: run Redis with `maxmemory-policy noeviction`, as
 * for any data that must not vanish. `ids()` walks the records with SCAN, never KEYS.
 *
 * Every operation rejects with a {@link RedisStoreError} naming the operation and the key,
 * after `timeoutMs` at the latest. Call ids must be non-empty, well-formed UTF-16: Redis keeps
 * text as UTF-8, where every lone surrogate becomes U+FFFD, so `'\ud800'` and `'\udbff'` would
 * share one key. Such ids are refused before Redis is asked.
 *
 * @example
 * ```ts
 * import { createCallRegistry } from 'graph-call-machine';
 * import { createRedisCallStore } from 'graph-call-machine/redis';
 *
 * const store = createRedisCallStore({ url: 'redis://10.0.0.5:6379', keyPrefix: 'bot-a:' });
 * const registry = createCallRegistry({ graph: { getToken }, store });
 * // on shutdown:
 * await registry.close();
 * await store.close();
 * ```
 * @module
 */
import { Redis } from 'ioredis';
import type { CallRecord, CallStore, CommitResult, DueChange } from '../runtime/callStore.js';
import { RestoreError } from '../runtime/errors.js';
import {
  printable,
  READ_OPERATIONS,
  RedisStoreError,
  type RedisStoreFailure,
  type RedisStoreOperation,
} from './redisStoreError.js';
import { CLAIM_DUE, COMMIT, DELETE, type LuaScript, REFUSED, RESCHEDULE } from './scripts.js';
import { createTimeoutWatchdog } from './timeoutWatchdog.js';

/** Options shared by both ways of giving the store its connection. */
export interface RedisCallStoreBaseOptions {
  /** Prepended to every key, e.g. `'bot-a:'` to share one Redis between bots. Default `'gcm:'`. */
  readonly keyPrefix?: string;
  /**
   * How long a terminated call's record stays after its last commit (it then expires in Redis),
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
export interface RedisCallStore extends CallStore {
  readonly keyPrefix: string;
  /** The Redis keys the store uses, for inspection (`redis-cli GET …`) and operations. */
  readonly keys: {
    record(callId: string): string;
    readonly due: string;
    readonly live: string;
  };
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
 * console.log(await store.countLive(), 'calls in progress');
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
  const liveKey = `${keyPrefix}live`;
  const recordKey = (callId: string): string => `${recordPrefix}${callId}`;
  const scanPattern = `${escapeGlob(recordPrefix)}*`;
  const watchdog = createTimeoutWatchdog(timeoutMs);

  /**
   * Runs one operation under the deadline and turns whatever goes wrong into a
   * {@link RedisStoreError} that says truthfully whether a write may have been applied.
   */
  async function guarded<T>(
    operation: RedisStoreOperation,
    key: string,
    callId: string | undefined,
    run: () => Promise<T>,
  ): Promise<T> {
    try {
      return await watchdog.bound(
        run(),
        () => new Error(`no answer from Redis within ${timeoutMs} ms`),
      );
    } catch (error) {
      throw storeError(operation, key, callId, error);
    }
  }

  function storeError(
    operation: RedisStoreOperation,
    key: string,
    callId: string | undefined,
    error: unknown,
  ): Error {
    if (error instanceof RestoreError || error instanceof RedisStoreError) return error;
    const base = { operation, key, callId };
    if (error instanceof InvalidArgument) {
      return new RedisStoreError({
        ...base,
        failure: 'invalidArgument',
        detail: error.message,
        mayHaveApplied: false,
      });
    }
    const cause = error instanceof Error ? error : new Error(String(error));
    const write = !READ_OPERATIONS.has(operation);
    if (cause.name !== 'ReplyError') {
      // No answer: a write may have reached Redis before the connection or the deadline failed.
      const why =
        lastConnectionError === undefined
          ? cause.message
          : `${cause.message} (last connection error: ${lastConnectionError.message})`;
      return new RedisStoreError({
        ...base,
        failure: 'unreachable',
        detail: why,
        mayHaveApplied: write,
        cause,
      });
    }
    if (cause.message.startsWith(`${REFUSED} `)) {
      return new RedisStoreError({
        ...base,
        failure: 'foreignValue',
        // The reply says nothing was written (for whoever reads it in redis-cli); the error says it once.
        detail: cause.message.slice(REFUSED.length + 1).replace(/; nothing was written$/, ''),
        mayHaveApplied: false,
        cause,
      });
    }
    // Redis names the script line of a command that failed inside a script; writes made
    // before that line stay. An error before the script ran (OOM, READONLY, BUSY) wrote nothing.
    const failedInsideScript = cause.message.includes('@user_script');
    const failure: RedisStoreFailure = cause.message.startsWith('WRONGTYPE')
      ? 'foreignValue'
      : 'replyError';
    return new RedisStoreError({
      ...base,
      failure,
      detail: cause.message,
      mayHaveApplied: write && failedInsideScript,
      cause,
    });
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

  const store: RedisCallStore = {
    keyPrefix,
    keys: { record: recordKey, due: dueKey, live: liveKey },
    client,

    load(callId) {
      const key = recordKey(callId);
      return guarded('load', key, callId, async () => {
        checkCallId(callId);
        const json = await client.get(key);
        return json === null ? undefined : decodeRecord(callId, key, json);
      });
    },

    commit(callId, record, expectedVersion, due) {
      const key = recordKey(callId);
      return guarded('commit', key, callId, async (): Promise<CommitResult> => {
        checkCallId(callId);
        checkVersion('expectedVersion', expectedVersion);
        checkDue(due);
        const json = encodeRecord(record);
        const ended = isEnded(record.snapshot);
        const [ok, current] = (await runScript(
          COMMIT,
          [key, dueKey, liveKey],
          [
            expectedVersion,
            json,
            ended ? Math.ceil(ttlMs) : 0,
            due.kind,
            due.kind === 'clear' ? 0 : due.at,
            callId,
            ended ? '1' : '0',
            record.savedAt,
          ],
        )) as [number, string | null | undefined];
        if (ok === 1) return { ok: true };
        return {
          ok: false,
          current: typeof current === 'string' ? decodeRecord(callId, key, current) : undefined,
        };
      });
    },

    delete(callId) {
      const key = recordKey(callId);
      return guarded('delete', key, callId, async () => {
        checkCallId(callId);
        await runScript(DELETE, [key, dueKey, liveKey], [callId]);
      });
    },

    async *ids() {
      // SCAN may return a key twice while Redis rehashes: each id is handed out once.
      const seen = new Set<string>();
      let cursor = '0';
      do {
        const [next, keys] = await guarded('ids', scanPattern, undefined, () =>
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

    countLive() {
      return guarded('countLive', liveKey, undefined, () => client.zcard(liveKey));
    },

    claimDue(now, limit, leaseUntil) {
      return guarded('claimDue', dueKey, undefined, async () => {
        checkTime('now', now);
        checkTime('leaseUntil', leaseUntil);
        if (!(Number.isSafeInteger(limit) && limit >= 0)) {
          throw new InvalidArgument(`limit ${limit} is not a non-negative integer`);
        }
        if (limit === 0) return [];
        const ids = await runScript(CLAIM_DUE, [dueKey], [now, limit, leaseUntil]);
        return ids as string[];
      });
    },

    reschedule(callId, due, ifDueAt) {
      return guarded('reschedule', dueKey, callId, async () => {
        checkCallId(callId);
        checkDue(due);
        if (ifDueAt !== undefined) checkTime('ifDueAt', ifDueAt);
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

/** Arguments the store refuses before asking Redis anything. */
class InvalidArgument extends Error {}

/** `String.prototype.isWellFormed` is ES2024 (Node 20 has it); the ES2022 lib does not declare it. */
type WellFormedAware = string & { isWellFormed(): boolean };

function checkCallId(callId: unknown): void {
  if (typeof callId !== 'string') {
    throw new InvalidArgument(`the call id is ${typeof callId}, not a string`);
  }
  if (callId === '') throw new InvalidArgument('the call id is empty');
  if (!(callId as WellFormedAware).isWellFormed()) {
    throw new InvalidArgument(
      `the call id "${printable(callId)}" holds a lone surrogate. Redis keeps text as UTF-8, where every lone surrogate becomes U+FFFD, so distinct ids like this one would share one key; call ids must be well-formed UTF-16`,
    );
  }
}

function checkVersion(name: string, version: unknown): void {
  if (!(typeof version === 'number' && Number.isSafeInteger(version) && version >= 0)) {
    throw new InvalidArgument(`${name} ${String(version)} is not a non-negative integer`);
  }
}

function checkTime(name: string, at: unknown): void {
  if (!(typeof at === 'number' && Number.isFinite(at))) {
    throw new InvalidArgument(`${name} ${String(at)} is not a finite number (epoch ms)`);
  }
}

function checkDue(due: DueChange): void {
  switch (due?.kind) {
    case 'clear':
      return;
    case 'set':
    case 'keep':
      checkTime('the due time', due.at);
      return;
    default:
      throw new InvalidArgument(
        `the due change ${JSON.stringify(due)} is none of { kind: 'set' | 'keep', at } or { kind: 'clear' }`,
      );
  }
}

function isEnded(snapshot: unknown): boolean {
  return (
    typeof snapshot === 'object' &&
    snapshot !== null &&
    (snapshot as { status?: unknown }).status === 'done'
  );
}

/**
 * The record as JSON, the version first: the Lua scripts read it with one pattern match.
 * Everything that could make Redis or a later `load` fail is refused here, before any write.
 */
function encodeRecord(record: CallRecord): string {
  checkVersion('the record version', record.version);
  if (typeof record.schemaVersion !== 'number' || !Number.isFinite(record.schemaVersion)) {
    throw new InvalidArgument(
      `the record schemaVersion ${String(record.schemaVersion)} is not a number`,
    );
  }
  checkTime('the record savedAt', record.savedAt);
  let snapshot: string | undefined;
  try {
    snapshot = JSON.stringify(record.snapshot) as string | undefined;
  } catch (error) {
    throw new InvalidArgument(`the record snapshot is not JSON-safe (${(error as Error).message})`);
  }
  if (snapshot === undefined) {
    throw new InvalidArgument('the record snapshot is not JSON-safe (it encodes to nothing)');
  }
  return `{"version":${record.version},"schemaVersion":${record.schemaVersion},"savedAt":${record.savedAt},"snapshot":${snapshot}}`;
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
