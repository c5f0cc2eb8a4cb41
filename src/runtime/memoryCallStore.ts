/**
 * The default {@link CallStore}: records in a `Map` and due times in a min-heap, in this
 * process. It keeps the same contract as the Redis store (compare-and-set commits with their due
 * time, claims under a lease, ended calls expiring after a retention time), so a registry
 * behaves the same over either; being in process, it also tells the registry when it next has
 * something due (`nextDueAt`), which spares the registry from polling.
 *
 * @example
 * ```ts
 * import { MemoryCallStore, createCallRegistry } from 'graph-call-machine';
 *
 * const store = new MemoryCallStore({ ttlMs: 10 * 60_000 });
 * const registry = createCallRegistry({ graph: { getToken }, store });
 * // … later, a new registry over the same store picks up where the first one stopped:
 * const again = createCallRegistry({ graph: { getToken }, store });
 * ```
 * @module
 */
import type { CallRecord, CallStore, CommitResult, DueChange } from './callStore.js';
import { TimeHeap } from './timeHeap.js';

/** Options of {@link MemoryCallStore}. */
export interface MemoryCallStoreOptions {
  /** How long an ended call's record stays after its last commit, in ms. Default 5 min; 0 keeps it until deleted. */
  readonly ttlMs?: number;
  /** The time (epoch ms) expiry is measured with. Default `Date.now`; the registry passes its clock. */
  readonly now?: () => number;
}

const DEFAULT_TTL_MS = 5 * 60_000;

/** An in-process {@link CallStore}. Records are kept as given: treat them as immutable. */
export class MemoryCallStore implements CallStore {
  readonly #records = new Map<string, CallRecord>();
  readonly #due = new TimeHeap();
  readonly #expiries = new TimeHeap();
  readonly #ttlMs: number;
  readonly #now: () => number;
  #live = 0;

  constructor(options: MemoryCallStoreOptions = {}) {
    const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    if (!(Number.isFinite(ttlMs) && ttlMs >= 0)) {
      throw new RangeError(
        `MemoryCallStore: ttlMs must be 0 or a positive number, got ${String(ttlMs)}.`,
      );
    }
    this.#ttlMs = ttlMs;
    this.#now = options.now ?? Date.now;
  }

  /** How many records are stored, ended ones not yet expired included. */
  get size(): number {
    this.#expire();
    return this.#records.size;
  }

  async load(callId: string): Promise<CallRecord | undefined> {
    this.#expire();
    return this.#records.get(callId);
  }

  async commit(
    callId: string,
    record: CallRecord,
    expectedVersion: number,
    due: DueChange,
  ): Promise<CommitResult> {
    this.#expire();
    const current = this.#records.get(callId);
    if ((current?.version ?? 0) !== expectedVersion) return { ok: false, current };
    this.#write(callId, record);
    this.#applyDue(callId, due);
    return { ok: true };
  }

  async claimDue(now: number, limit: number, leaseUntil: number): Promise<readonly string[]> {
    this.#expire();
    const claimed: string[] = [];
    while (claimed.length < limit) {
      const callId = this.#due.popDue(now);
      if (callId === undefined) break;
      claimed.push(callId);
    }
    for (const callId of claimed) this.#due.set(callId, leaseUntil);
    return claimed;
  }

  async reschedule(callId: string, due: DueChange, ifDueAt?: number): Promise<boolean> {
    if (ifDueAt !== undefined && this.#due.get(callId) !== ifDueAt) return false;
    if (due.kind === 'keep' && this.#due.get(callId) !== undefined) return false;
    this.#applyDue(callId, due);
    return true;
  }

  async delete(callId: string): Promise<void> {
    this.#remove(callId);
  }

  async ids(): Promise<Iterable<string>> {
    this.#expire();
    return [...this.#records.keys()];
  }

  async countLive(): Promise<number> {
    return this.#live;
  }

  nextDueAt(): number | undefined {
    const due = this.#due.peek();
    const expiry = this.#expiries.peek();
    if (due === undefined) return expiry;
    return expiry === undefined ? due : Math.min(due, expiry);
  }

  /**
   * Writes a record without the version check and without touching its due time: for tests and
   * migrations that need a record as it would be found after a crash or written by another
   * version.
   */
  put(callId: string, record: CallRecord): void {
    this.#write(callId, record);
  }

  #write(callId: string, record: CallRecord): void {
    const before = this.#records.get(callId);
    const live = isLive(record);
    this.#records.set(callId, record);
    this.#live += Number(live) - Number(before !== undefined && isLive(before));
    if (live || this.#ttlMs === 0) this.#expiries.delete(callId);
    else this.#expiries.set(callId, this.#now() + this.#ttlMs);
  }

  #applyDue(callId: string, due: DueChange): void {
    switch (due.kind) {
      case 'set':
        this.#due.set(callId, due.at);
        return;
      case 'keep':
        if (this.#due.get(callId) === undefined) this.#due.set(callId, due.at);
        return;
      case 'clear':
        this.#due.delete(callId);
        return;
      default:
        assertNever(due);
    }
  }

  #remove(callId: string): void {
    const before = this.#records.get(callId);
    if (before !== undefined && isLive(before)) this.#live -= 1;
    this.#records.delete(callId);
    this.#due.delete(callId);
    this.#expiries.delete(callId);
  }

  // Expiry is lazy: every operation first drops what has expired, so an idle store holds
  // expired records until its next use, never longer.
  #expire(): void {
    const now = this.#now();
    for (let callId = this.#expiries.popDue(now); callId !== undefined; ) {
      this.#remove(callId);
      callId = this.#expiries.popDue(now);
    }
  }
}

function isLive(record: CallRecord): boolean {
  return (record.snapshot as { status?: unknown } | null)?.status !== 'done';
}

function assertNever(value: never): never {
  throw new Error(`graph-call-machine: unhandled due change ${JSON.stringify(value)}`);
}
