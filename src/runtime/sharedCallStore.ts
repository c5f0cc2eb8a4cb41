/**
 * What a store must offer for several bot instances to share calls (see
 * `createSharedCallRegistry`): on top of {@link CallStore}, a compare-and-set that also moves
 * the call's due time in one atomic step, and a schedule of due times that any instance can
 * claim from. `graph-call-machine/redis` implements it with a Lua script per operation.
 *
 * ```
 *  record   call:{id}  →  { version, schemaVersion, savedAt, snapshot }     (CAS on version)
 *  schedule due        →  sorted set  callId ↦ epoch ms                      (one entry per call)
 *
 *  commit(id, record, expected, due)   CAS the record and set/keep/clear its due time, atomically
 *  claimDue(now, limit, leaseUntil)    take calls due by `now`, pushing each to `leaseUntil`
 *  reschedule(id, due, ifDueAt)        move a due time, only if nobody moved it since the claim
 * ```
 *
 * A call's due time is the earliest moment some instance must look at it: its deadline
 * (confirm, retry), the expiry of the lease on a DELETE or GET in flight, or its next keepAlive.
 * A claim does not remove the entry, it pushes it one lease into the future: an instance that
 * dies after claiming leaves the call to be claimed again when the lease runs out.
 *
 * @example
 * ```ts
 * import { createSharedCallRegistry, type SharedCallStore } from 'graph-call-machine';
 * import { createRedisCallStore } from 'graph-call-machine/redis';
 *
 * const store: SharedCallStore = createRedisCallStore({ url: process.env.REDIS_URL });
 * const registry = createSharedCallRegistry({ graph: { getToken }, store });
 * ```
 * @module
 */
import type { CallRecord, CallStore } from './types.js';

/**
 * How a commit or a reschedule changes a call's due time: `set` it, `keep` the one it has
 * (setting `at` only when it has none), or `clear` it (the call needs nobody's attention).
 */
export type DueChange =
  | { readonly kind: 'set'; readonly at: number }
  | { readonly kind: 'keep'; readonly at: number }
  | { readonly kind: 'clear' };

/** The outcome of {@link SharedCallStore.commit}: on a conflict, the record that won (`undefined`: none is stored). */
export type CommitResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly current: CallRecord | undefined };

/** A {@link CallStore} that several registries can share. */
export interface SharedCallStore extends CallStore {
  /**
   * Saves `record` when the stored version equals `expectedVersion` (0: no record may exist),
   * and applies `due` to the call's due time in the same atomic step. On a conflict nothing
   * changes and the stored record is returned, so the caller can retry without reading again.
   * A record whose snapshot is `done` is kept for the store's retention time, then dropped.
   */
  commit(
    callId: string,
    record: CallRecord,
    expectedVersion: number,
    due: DueChange,
  ): Promise<CommitResult>;
  /**
   * Atomically takes up to `limit` calls whose due time is at or before `now`, and moves each
   * one's due time to `leaseUntil`, so exactly one caller gets each call, and a caller that dies
   * before handling it hands it on once `leaseUntil` has passed.
   */
  claimDue(now: number, limit: number, leaseUntil: number): Promise<readonly string[]>;
  /**
   * Applies `due` to a call's due time without touching its record; with `ifDueAt`, only when
   * the due time is still exactly that (the `leaseUntil` of the claim that led here), so it
   * never overwrites a due time another instance committed meanwhile. Resolves whether it did.
   */
  reschedule(callId: string, due: DueChange, ifDueAt?: number): Promise<boolean>;
}

/**
 * Whether a store offers what {@link SharedCallStore} adds to {@link CallStore}.
 *
 * @example
 * ```ts
 * const registry = isSharedCallStore(store)
 *   ? createSharedCallRegistry({ graph, store })
 *   : createCallRegistry({ graph, store });
 * ```
 */
export function isSharedCallStore(store: CallStore): store is SharedCallStore {
  const candidate = store as Partial<SharedCallStore>;
  return (
    typeof candidate.commit === 'function' &&
    typeof candidate.claimDue === 'function' &&
    typeof candidate.reschedule === 'function'
  );
}
