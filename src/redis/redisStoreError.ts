/**
 * The error every failed operation of the Redis call store rejects with: it names the
 * operation, the call and the Redis key, and keeps the ioredis error as `cause`.
 *
 * @example
 * ```ts
 * import { RedisStoreError } from 'graph-call-machine/redis';
 *
 * registry.on('registry.error', ({ error }) => {
 *   if (error instanceof RedisStoreError) metrics.increment(`redis.${error.operation}.failed`);
 * });
 * ```
 * @module
 */
import { CallError } from '../runtime/errors.js';

/** The store operations, as named in {@link RedisStoreError.operation}. */
export type RedisStoreOperation =
  | 'load'
  | 'save'
  | 'commit'
  | 'delete'
  | 'ids'
  | 'claimDue'
  | 'reschedule';

/** A Redis call store operation failed: Redis unreachable, timed out, or answered an error. */
export class RedisStoreError extends CallError {
  readonly operation: RedisStoreOperation;
  /** The Redis key the operation was about. */
  readonly key: string;
  /** Whether the operation may have been applied all the same (a write whose answer was lost). */
  readonly mayHaveApplied: boolean;
  constructor(
    operation: RedisStoreOperation,
    key: string,
    callId: string | undefined,
    reason: string,
    mayHaveApplied: boolean,
    options?: ErrorOptions,
  ) {
    const subject = callId === undefined ? `key ${key}` : `call "${callId}" (key ${key})`;
    const applied = mayHaveApplied
      ? ' The write may or may not have been applied: read the record again before relying on it.'
      : '';
    super(
      `graph-call-machine/redis: ${operation} of ${subject} failed: ${reason}.${applied} Check that Redis is reachable; the registry retries on the next event.`,
      callId,
      options,
    );
    this.operation = operation;
    this.key = key;
    this.mayHaveApplied = mayHaveApplied;
  }
}
