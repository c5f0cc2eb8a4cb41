/**
 * The default {@link CallStore}: records in a `Map`, with the same compare-and-set contract
 * as a shared store, so code written against it behaves the same on Redis.
 *
 * @example
 * ```ts
 * import { MemoryCallStore, createCallRegistry } from 'graph-call-machine';
 *
 * const store = new MemoryCallStore();
 * const registry = createCallRegistry({ graph: { getToken }, store });
 * // … later, a new registry over the same store picks up where the first one stopped:
 * const again = createCallRegistry({ graph: { getToken }, store });
 * ```
 * @module
 */
import type { CallRecord, CallStore } from './types.js';

/** An in-process {@link CallStore}. Records are kept as given; treat them as immutable. */
export class MemoryCallStore implements CallStore {
  readonly #records = new Map<string, CallRecord>();

  /** How many calls are stored. */
  get size(): number {
    return this.#records.size;
  }

  async load(callId: string): Promise<CallRecord | undefined> {
    return this.#records.get(callId);
  }

  async save(callId: string, record: CallRecord, expectedVersion: number): Promise<boolean> {
    const current = this.#records.get(callId)?.version ?? 0;
    if (current !== expectedVersion) return false;
    this.#records.set(callId, record);
    return true;
  }

  async delete(callId: string): Promise<void> {
    this.#records.delete(callId);
  }

  async ids(): Promise<Iterable<string>> {
    return [...this.#records.keys()];
  }

  /**
   * Writes a record without the version check: for tests and migrations that need a record
   * as it would be found after a crash or written by another version.
   */
  put(callId: string, record: CallRecord): void {
    this.#records.set(callId, record);
  }
}
