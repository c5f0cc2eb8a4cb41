/**
 * Times by key with the earliest first. Entries superseded by a later `set` or a `delete` stay
 * in the heap until they surface (and are skipped), and the heap is rebuilt when they outnumber
 * the live ones, so a call rescheduled many times costs no more than one entry for long.
 */
export class TimeHeap {
  readonly #at = new Map<string, number>();
  #heap: { key: string; at: number }[] = [];

  get(key: string): number | undefined {
    return this.#at.get(key);
  }

  set(key: string, at: number): void {
    if (this.#at.get(key) === at) return;
    this.#at.set(key, at);
    this.#push({ key, at });
    if (this.#heap.length > 2 * this.#at.size + 1024) this.#rebuild();
  }

  delete(key: string): void {
    this.#at.delete(key);
  }

  peek(): number | undefined {
    this.#dropSuperseded();
    return this.#heap[0]?.at;
  }

  /** Removes and returns the earliest key due at or before `now`. */
  popDue(now: number): string | undefined {
    this.#dropSuperseded();
    const top = this.#heap[0];
    if (top === undefined || top.at > now) return undefined;
    this.#pop();
    this.#at.delete(top.key);
    return top.key;
  }

  #dropSuperseded(): void {
    for (let top = this.#heap[0]; top !== undefined && this.#at.get(top.key) !== top.at; ) {
      this.#pop();
      top = this.#heap[0];
    }
  }

  #rebuild(): void {
    const entries = [...this.#at].map(([key, at]) => ({ key, at }));
    this.#heap = [];
    for (const entry of entries) this.#push(entry);
  }

  #push(entry: { key: string; at: number }): void {
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = heap[parent] as { key: string; at: number };
      if (above.at <= entry.at) break;
      heap[i] = above;
      i = parent;
    }
    heap[i] = entry;
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
      const leftEntry = heap[left] as { key: string; at: number };
      const rightEntry = heap[right];
      const child = rightEntry !== undefined && rightEntry.at < leftEntry.at ? right : left;
      const childEntry = heap[child] as { key: string; at: number };
      if (childEntry.at >= last.at) break;
      heap[i] = childEntry;
      i = child;
    }
    heap[i] = last;
  }
}
