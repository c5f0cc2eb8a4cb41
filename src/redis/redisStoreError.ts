/**
 * The error every failed operation of the Redis call store rejects with: it names the
 * operation, the call and the Redis key, says whether a write may have been applied, and
 * keeps the ioredis error as `cause`.
 *
 * @example
 * ```ts
 * import { RedisStoreError } from 'graph-call-machine/redis';
 *
 * registry.on('registry.error', ({ error }) => {
 *   if (error instanceof RedisStoreError) metrics.increment(`redis.${error.operation}.${error.failure}`);
 * });
 * ```
 * @module
 */
import { CallError } from '../runtime/errors.js';

/** The store operations, as named in {@link RedisStoreError.operation}. */
export type RedisStoreOperation =
  | 'load'
  | 'commit'
  | 'delete'
  | 'ids'
  | 'countLive'
  | 'claimDue'
  | 'reschedule';

/**
 * What went wrong:
 * - `unreachable`: no answer from Redis (down, unreachable, or slower than `timeoutMs`);
 * - `replyError`: Redis answered the command with an error;
 * - `foreignValue`: a key of the store holds something the store did not write there (another
 *   type, or a string that is not a call record); the script refused before writing anything;
 * - `invalidArgument`: the arguments cannot be stored faithfully (an empty or ill-formed call
 *   id, a due time that is not a number); Redis was not asked at all.
 */
export type RedisStoreFailure = 'unreachable' | 'replyError' | 'foreignValue' | 'invalidArgument';

/** What {@link RedisStoreError} is made of. */
export interface RedisStoreErrorInit {
  readonly operation: RedisStoreOperation;
  /** The Redis key the operation was about. */
  readonly key: string;
  readonly callId?: string | undefined;
  readonly failure: RedisStoreFailure;
  /** What happened, without a final period. */
  readonly detail: string;
  /** Whether a write may have been applied all the same. */
  readonly mayHaveApplied: boolean;
  readonly cause?: unknown;
}

/** The operations that only read: they never write, so they never say whether they did. */
export const READ_OPERATIONS: ReadonlySet<RedisStoreOperation> = new Set([
  'load',
  'ids',
  'countLive',
]);

const ADVICE: Readonly<Record<RedisStoreFailure, string>> = {
  unreachable: ' Check that Redis is reachable; the registry retries on the next event.',
  replyError: ' Check the Redis log and configuration (maxmemory, a read-only replica).',
  foreignValue:
    ' The store owns every key under its prefix: remove that key, or give the store a keyPrefix nothing else writes under.',
  invalidArgument: '',
};

/** A Redis call store operation failed: Redis unreachable, timed out, answered an error, or the store refused the arguments. */
export class RedisStoreError extends CallError {
  readonly operation: RedisStoreOperation;
  /** The Redis key the operation was about. */
  readonly key: string;
  readonly failure: RedisStoreFailure;
  /**
   * Whether the operation may have been applied all the same (a write whose answer was lost).
   * `false` on a write means nothing was written.
   */
  readonly mayHaveApplied: boolean;
  constructor(init: RedisStoreErrorInit) {
    const { operation, key, callId, failure, detail, mayHaveApplied } = init;
    const subject =
      callId === undefined
        ? `key ${printable(key)}`
        : `call "${printable(callId)}" (key ${printable(key)})`;
    let applied = '';
    if (mayHaveApplied) {
      applied =
        ' The write may or may not have been applied: read the record again before relying on it.';
    } else if (!READ_OPERATIONS.has(operation)) {
      applied = ' Nothing was written.';
    }
    super(
      `graph-call-machine/redis: ${operation} of ${subject} failed: ${detail}.${applied}${ADVICE[failure]}`,
      callId,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.operation = operation;
    this.key = key;
    this.failure = failure;
    this.mayHaveApplied = mayHaveApplied;
  }
}

/**
 * The text with each lone surrogate written as `\uXXXX`, so a message about an ill-formed
 * call id is itself well-formed and shows what was wrong. (With the `u` flag, a surrogate
 * that belongs to a pair is part of one code point and never matches.)
 */
export function printable(text: string): string {
  // String(): JavaScript callers may pass what the types forbid, and the message must not throw.
  return String(text).replace(
    /\p{Surrogate}/gu,
    (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
