import type { Clock, TimerHandle } from './clock.js';

/** A timer armed on a {@link TimerQueue}; `cancel()` is O(1), the heap drops it lazily. */
export interface QueuedTimer {
  readonly at: number;
  cancel(): void;
}

interface Slot extends QueuedTimer {
  readonly seq: number;
  readonly run: () => void;
  cancelled: boolean;
}

/**
 * Every deadline, keepAlive and eviction of a registry on one clock timer: a binary heap of
 * due times with one `setTimeout` armed for the earliest. Thousands of calls then cost one
 * timer instead of thousands (see docs/performance.md for the measurement).
 */
export class TimerQueue {
  readonly #clock: Clock;
  readonly #heap: Slot[] = [];
  #armed: TimerHandle | undefined;
  #armedAt = Number.POSITIVE_INFINITY;
  #seq = 0;
  #live = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Timers armed and not yet fired or cancelled. */
  get size(): number {
    return this.#live;
  }

  schedule(at: number, run: () => void): QueuedTimer {
    const slot: Slot = {
      at,
      seq: this.#seq++,
      run,
      cancelled: false,
      cancel: () => {
        if (slot.cancelled) return;
        slot.cancelled = true;
        this.#live--;
        if (this.#live === 0) this.#disarm();
      },
    };
    this.#push(slot);
    this.#live++;
    if (at < this.#armedAt) this.#arm(at);
    return slot;
  }

  /** Cancels everything; the queue stays usable. */
  clear(): void {
    for (const slot of this.#heap) slot.cancelled = true;
    this.#heap.length = 0;
    this.#live = 0;
    this.#disarm();
  }

  #fire = (): void => {
    this.#armed = undefined;
    this.#armedAt = Number.POSITIVE_INFINITY;
    const now = this.#clock.now();
    // Due timers run in due order (ties in scheduling order); one that throws must not stop
    // the others or leave the queue unarmed.
    let error: unknown;
    for (let top = this.#heap[0]; top !== undefined && top.at <= now; top = this.#heap[0]) {
      this.#pop();
      if (top.cancelled) continue;
      top.cancelled = true;
      this.#live--;
      try {
        top.run();
      } catch (thrown) {
        error ??= thrown;
      }
    }
    this.#rearm();
    if (error !== undefined) throw error;
  };

  #rearm(): void {
    while (this.#heap[0]?.cancelled === true) this.#pop();
    const next = this.#heap[0];
    if (next !== undefined && next.at < this.#armedAt) this.#arm(next.at);
  }

  #arm(at: number): void {
    if (this.#armed !== undefined) this.#clock.clearTimeout(this.#armed);
    this.#armedAt = at;
    this.#armed = this.#clock.setTimeout(this.#fire, at - this.#clock.now());
  }

  #disarm(): void {
    if (this.#armed !== undefined) this.#clock.clearTimeout(this.#armed);
    this.#armed = undefined;
    this.#armedAt = Number.POSITIVE_INFINITY;
    this.#heap.length = 0;
  }

  #push(slot: Slot): void {
    const heap = this.#heap;
    heap.push(slot);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(slot, heap[parent] as Slot)) break;
      heap[i] = heap[parent] as Slot;
      i = parent;
    }
    heap[i] = slot;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child =
        right < heap.length && before(heap[right] as Slot, heap[left] as Slot) ? right : left;
      if (!before(heap[child] as Slot, last)) break;
      heap[i] = heap[child] as Slot;
      i = child;
    }
    heap[i] = last;
  }
}

function before(a: Slot, b: Slot): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
