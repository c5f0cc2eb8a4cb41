/**
 * The fake Graph's outbound side: notifications wait in an outbox until the next timer tick,
 * go through the seeded faults (drop, duplicate, reorder, batch, delay), and are then posted
 * one envelope at a time, in order. While there is nowhere to post them (a fake waiting for
 * `connect()`), the posts wait in order, and `resume()` sends them on.
 *
 * Posting is serial on purpose: with a seed the delivery sequence must be the same on every
 * run, and concurrent posts would let the event loop decide their order. Out-of-order
 * arrival is produced by the reorder fault instead, where the seed controls it.
 * @module
 */
import type { Clock, TimerHandle } from '../runtime/clock.js';
import type { CommsNotification, CommsNotifications } from './notify.js';
import type { SeededRandom } from './random.js';

/** A notification on its way out. */
export interface Outgoing {
  /** Numbered in the order the fake produced them, from 1. */
  readonly sequence: number;
  readonly item: CommsNotification;
  /** `deleted` on the call, or state `terminated`: what `dropNonTerminal` never drops. */
  readonly terminal: boolean;
}

/** One webhook POST the fake made, or a notification it dropped. */
export interface RecordedDelivery {
  /** The envelope as posted (for a dropped notification: as it would have been). */
  readonly body: CommsNotifications;
  /** The sequence numbers of the notifications inside, in body order; a duplicate repeats its original's number. */
  readonly sequences: readonly number[];
  /** Epoch ms when it was posted (or dropped). */
  readonly at: number;
  /** Never posted: the drop faults removed it. */
  readonly dropped: boolean;
  /** Carries at least one copy of a notification that is (or was) also posted on its own. */
  readonly duplicated: boolean;
  /** The webhook's HTTP status, once it answered (URL delivery only). */
  readonly status?: number;
  /** What `deliver` resolved to (e.g. the registry's `IngestReport`), once it did. */
  readonly result?: unknown;
  /** Why the post failed: `deliver` threw, or the webhook could not be reached. */
  readonly error?: string;
}

/** The fault settings the queue applies (validated by the caller). */
export interface QueueFaults {
  readonly duplicate: number;
  readonly reorderWindow: number;
  readonly dropNonTerminal: number;
  readonly dropTerminated: number;
  readonly delayMs: readonly [number, number];
  readonly batch: number;
}

/** What a post came to. */
export interface PostOutcome {
  readonly status?: number;
  readonly result?: unknown;
}

/** Posts one envelope. */
export type Send = (body: CommsNotifications) => Promise<PostOutcome>;

interface Copy {
  readonly outgoing: Outgoing;
  readonly duplicate: boolean;
}

interface Post {
  readonly copies: readonly Copy[];
  readonly dueAt: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export class DeliveryQueue {
  private readonly outbox: Outgoing[] = [];
  private readonly posts: Post[] = [];
  private flushTimer: TimerHandle | undefined;
  private flushArmed = false;
  private running = false;
  private wake: (() => void) | undefined;
  private sleepTimer: TimerHandle | undefined;
  private idleWaiters: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly faults: QueueFaults,
    private readonly random: SeededRandom,
    private readonly clock: Clock,
    /** Where posts go now; `undefined` holds them until {@link DeliveryQueue.resume}. */
    private readonly sender: () => Send | undefined,
    private readonly deliveries: RecordedDelivery[],
  ) {}

  enqueue(outgoing: Outgoing): void {
    if (this.closed) return;
    this.outbox.push(outgoing);
    // Never inline: the HTTP answer that caused a notification must reach the caller first,
    // as with the real Graph, where the webhook POST comes on another connection later.
    if (!this.flushArmed) {
      this.flushArmed = true;
      this.flushTimer = this.clock.setTimeout(() => this.flush(), 0);
    }
  }

  /** Nothing can move: no flush armed, no post in flight, and no post that could be made now. */
  get idle(): boolean {
    return (
      !this.flushArmed &&
      this.outbox.length === 0 &&
      !this.running &&
      (this.posts.length === 0 || this.sender() === undefined)
    );
  }

  /** Posts what waited for somewhere to go. */
  resume(): void {
    if (!this.closed) void this.run();
  }

  /** Resolves once nothing is waiting to be posted (but for a destination) and no post is in flight. */
  async settle(): Promise<void> {
    while (!this.idle && !this.closed) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  /** Stops for good: what is still waiting is discarded; a post in flight is awaited. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.flushArmed) this.clock.clearTimeout(this.flushTimer);
    this.flushArmed = false;
    this.outbox.length = 0;
    this.posts.length = 0;
    if (this.sleepTimer !== undefined) this.clock.clearTimeout(this.sleepTimer);
    this.wake?.();
    while (this.running) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
    this.notifyIdle();
  }

  private flush(): void {
    this.flushArmed = false;
    const taken = this.outbox.splice(0);
    const kept: Copy[] = [];
    for (const outgoing of taken) {
      const dropRate = outgoing.terminal ? this.faults.dropTerminated : this.faults.dropNonTerminal;
      if (dropRate > 0 && this.random.chance(dropRate)) {
        this.deliveries.push({
          body: envelopeOf([outgoing.item]),
          sequences: [outgoing.sequence],
          at: this.clock.now(),
          dropped: true,
          duplicated: false,
        });
        continue;
      }
      kept.push({ outgoing, duplicate: false });
      if (this.faults.duplicate > 0 && this.random.chance(this.faults.duplicate)) {
        kept.push({ outgoing, duplicate: true });
      }
    }
    const ordered = this.reorder(kept);
    const now = this.clock.now();
    for (let i = 0; i < ordered.length; i += this.faults.batch) {
      const [min, max] = this.faults.delayMs;
      const delay = min === max ? min : this.random.between(min, max);
      this.posts.push({ copies: ordered.slice(i, i + this.faults.batch), dueAt: now + delay });
    }
    void this.run();
    this.notifyIdle();
  }

  // Each copy moves by less than `reorderWindow` places: its sort key is its position plus a
  // random offset in [0, window), so only copies closer than the window can swap.
  private reorder(copies: Copy[]): Copy[] {
    const window = this.faults.reorderWindow;
    if (window <= 1 || copies.length < 2) return copies;
    return copies
      .map((copy, index) => ({ copy, key: index + this.random.next() * window }))
      .sort((a, b) => a.key - b.key)
      .map(({ copy }) => copy);
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let post = this.posts[0]; post !== undefined; post = this.posts[0]) {
        await this.sleepUntil(post.dueAt);
        if (this.closed) break;
        const send = this.sender();
        // Nowhere to post: it keeps its place, and resume() starts again from it.
        if (send === undefined) break;
        this.posts.shift();
        await this.post(post, send);
        if (this.closed) break;
      }
    } finally {
      this.running = false;
      this.notifyIdle();
    }
  }

  private async post(post: Post, send: Send): Promise<void> {
    const record: Mutable<RecordedDelivery> = {
      body: envelopeOf(post.copies.map((c) => c.outgoing.item)),
      sequences: post.copies.map((c) => c.outgoing.sequence),
      at: this.clock.now(),
      dropped: false,
      duplicated: post.copies.some((c) => c.duplicate),
    };
    this.deliveries.push(record);
    try {
      const outcome = await send(record.body);
      if (outcome.status !== undefined) record.status = outcome.status;
      if (outcome.result !== undefined) record.result = outcome.result;
    } catch (reason) {
      record.error = reason instanceof Error ? reason.message : String(reason);
    }
  }

  private sleepUntil(dueAt: number): Promise<void> {
    const ms = dueAt - this.clock.now();
    if (ms <= 0 || this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.wake = () => {
        this.wake = undefined;
        this.sleepTimer = undefined;
        resolve();
      };
      this.sleepTimer = this.clock.setTimeout(() => this.wake?.(), ms);
    });
  }

  private notifyIdle(): void {
    if (!this.idle && !this.closed) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

function envelopeOf(items: readonly CommsNotification[]): CommsNotifications {
  return { '@odata.type': '#microsoft.graph.commsNotifications', value: [...items] };
}
