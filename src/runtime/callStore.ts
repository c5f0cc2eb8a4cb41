/**
 * The one contract every call store keeps, in process (`MemoryCallStore`) or shared between bot
 * instances (`createRedisCallStore` from `graph-call-machine/redis`). The registry is the same
 * code over either: it loads a call's record, steps it, and commits it with a compare-and-set on
 * its version together with the call's due time.
 *
 * ```
 *  record   callId  →  { schemaVersion, version, savedAt, snapshot }   (compare-and-set on version)
 *  due      callId  →  epoch ms when the call needs attention           (deadline, keepAlive)
 *
 *  commit(id, record, expected, due)   CAS the record and set/keep/clear its due time, all or nothing
 *  claimDue(now, limit, leaseUntil)    take calls due by `now`, pushing each one to `leaseUntil`
 *  reschedule(id, due, ifDueAt)        move a due time, only if nobody moved it since the claim
 * ```
 *
 * A claim does not remove a due time, it pushes it one lease into the future: a registry that
 * dies after claiming leaves the call to be claimed again once the lease has run out. A record
 * whose snapshot is `done` (the call ended) expires after the store's retention time.
 *
 * @example
 * ```ts
 * import { createCallRegistry, type CallStore } from 'graph-call-machine';
 * import { createRedisCallStore } from 'graph-call-machine/redis';
 *
 * const store: CallStore = createRedisCallStore({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
 * const registry = createCallRegistry({ graph: { getToken }, store });
 * ```
 * @module
 */

/** A stored call: the persisted machine snapshot with what optimistic concurrency needs. */
export interface CallRecord {
  /** Format of `snapshot`; a registry refuses (and reports) versions it does not know. */
  readonly schemaVersion: number;
  /** 1 for the first commit, then incremented by every commit. */
  readonly version: number;
  /** The persisted call snapshot (`persistCallSnapshot`), JSON-safe. */
  readonly snapshot: unknown;
  /** Epoch ms of the commit. */
  readonly savedAt: number;
}

/**
 * How a commit or a reschedule changes a call's due time: `set` it, `keep` the one it has
 * (setting `at` only when it has none), or `clear` it (the call needs nobody's attention).
 */
export type DueChange =
  | { readonly kind: 'set'; readonly at: number }
  | { readonly kind: 'keep'; readonly at: number }
  | { readonly kind: 'clear' };

/** The outcome of {@link CallStore.commit}: on a conflict, the record that won (`undefined`: none is stored). */
export type CommitResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly current: CallRecord | undefined };

/** Where the registry keeps its calls. */
export interface CallStore {
  /** The call's record, or `undefined` when none is stored (never seen, deleted, or expired). */
  load(callId: string): Promise<CallRecord | undefined>;
  /**
   * Stores `record` when the stored version equals `expectedVersion` (0: no record may exist),
   * and applies `due` to the call's due time in the same atomic step: both happen, or neither
   * does. On a conflict nothing changes and the stored record is returned, so the caller can
   * retry without reading again. A record whose snapshot is `done` expires after the store's
   * retention time.
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
   * never overwrites a due time committed meanwhile. Resolves whether it did.
   */
  reschedule(callId: string, due: DueChange, ifDueAt?: number): Promise<boolean>;
  /** Removes the call's record and its due time. */
  delete(callId: string): Promise<void>;
  /** Every stored call id, once each. */
  ids(): AsyncIterable<string> | Promise<Iterable<string>>;
  /** How many stored calls have not ended: what the registry's `maxCalls` bounds. */
  countLive(): Promise<number>;
  /**
   * In-process stores only: the earliest time `claimDue` has something to do (a due time, or a
   * record to expire), `undefined` for none. The registry then arms one exact timer instead of
   * polling, and calls it again after every commit and reschedule.
   */
  nextDueAt?(): number | undefined;
}
