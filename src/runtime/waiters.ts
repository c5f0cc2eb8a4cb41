import { isHangUpPending } from '../machine/callQueries.js';
import { getCallView } from '../machine/callView.js';
import type { CallSnapshot } from '../machine/stepCall.js';
import type { CallView } from '../machine/types.js';
import type { Clock, TimerHandle } from './clock.js';
import {
  CallVanishedError,
  HangUpFailedError,
  RegistryClosedError,
  WaitTimeoutError,
} from './errors.js';
import type { CallPredicate } from './types.js';

interface Waiter {
  readonly until: CallPredicate;
  readonly resolve: (view: CallView) => void;
  readonly reject: (error: Error) => void;
  timer: TimerHandle | undefined;
}

interface HangUpWaiter {
  readonly resolve: (view: CallView) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Who awaits a call in one registry: pending `hangUp`s and `waitFor`s. Either may be answered by
 * this registry's commits or by another registry's over the same store, which the registry finds
 * when it reads the call again (`watched()`).
 */
export class Waiters {
  readonly #clock: Clock;
  readonly #hangUps = new Map<string, HangUpWaiter[]>();
  readonly #waiters = new Map<string, Set<Waiter>>();
  /** Calls waited on that were seen stored since the wait began. */
  readonly #seen = new Set<string>();
  readonly #onCountChange: (count: number) => void;
  #count = 0;

  /** `onCountChange` hears how many promises are pending, to keep the process alive for them. */
  constructor(clock: Clock, onCountChange: (count: number) => void) {
    this.#clock = clock;
    this.#onCountChange = onCountChange;
  }

  get count(): number {
    return this.#count;
  }

  has(callId: string): boolean {
    return this.#hangUps.has(callId) || this.#waiters.has(callId);
  }

  /** The calls somebody here waits on. */
  watched(): string[] {
    return [...new Set([...this.#hangUps.keys(), ...this.#waiters.keys()])];
  }

  hangUp(callId: string): Promise<CallView> {
    return new Promise((resolve, reject) => {
      const list = this.#hangUps.get(callId);
      if (list === undefined) this.#hangUps.set(callId, [{ resolve, reject }]);
      else list.push({ resolve, reject });
      this.#counted(1);
    });
  }

  failHangUps(callId: string, error: Error): void {
    for (const waiter of this.#takeHangUps(callId)) waiter.reject(error);
  }

  waitFor(
    callId: string,
    until: CallPredicate,
    timeoutMs: number,
    stateNow: () => string | undefined,
  ): Promise<CallView> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { until, resolve, reject, timer: undefined };
      let set = this.#waiters.get(callId);
      if (set === undefined) {
        set = new Set();
        this.#waiters.set(callId, set);
      }
      set.add(waiter);
      this.#counted(1);
      // Held: a script that only awaits this promise must live until it settles.
      waiter.timer = this.#clock.setTimeout(
        () => {
          if (this.#drop(callId, waiter))
            reject(new WaitTimeoutError(callId, timeoutMs, stateNow()));
        },
        timeoutMs,
        true,
      );
    });
  }

  /** Resolves (or rejects) whoever waits on the call and is answered by this snapshot. */
  settle(callId: string, snapshot: CallSnapshot): void {
    if (!this.has(callId)) return;
    if (this.#waiters.has(callId)) this.#seen.add(callId);
    const view = getCallView(snapshot);
    if (this.#hangUps.has(callId) && !isHangUpPending(snapshot)) {
      const waiting = this.#takeHangUps(callId);
      if (view.phase === 'terminating' || view.phase === 'terminated') {
        for (const waiter of waiting) waiter.resolve(view);
      } else {
        // Failed in another registry: this one was not the one that got Graph's answer.
        const failure = new HangUpFailedError(callId, 0, 0, {
          message:
            'the hang-up was performed by another registry and failed there (its call.hangUpFailed event has the details)',
        });
        for (const waiter of waiting) waiter.reject(failure);
      }
    }
    const set = this.#waiters.get(callId);
    if (set === undefined) return;
    for (const waiter of set) {
      if (waiter.until(view) && this.#drop(callId, waiter)) waiter.resolve(view);
    }
  }

  /**
   * The call's record is not in the store. A hang-up always waited on a stored call, and so did
   * a wait that has seen it: they can no longer be answered. A wait on a call not stored yet
   * (its first notification has not come) goes on until it is, or until its timeout.
   */
  vanished(callId: string): void {
    const error = new CallVanishedError(callId);
    this.failHangUps(callId, error);
    if (!this.#seen.has(callId)) return;
    for (const waiter of [...(this.#waiters.get(callId) ?? [])]) {
      if (this.#drop(callId, waiter)) waiter.reject(error);
    }
  }

  /** Rejects everyone with {@link RegistryClosedError}. */
  close(): void {
    for (const callId of this.watched()) this.#rejectAll(callId, new RegistryClosedError(callId));
  }

  #rejectAll(callId: string, error: Error): void {
    this.failHangUps(callId, error);
    for (const waiter of [...(this.#waiters.get(callId) ?? [])]) {
      if (this.#drop(callId, waiter)) waiter.reject(error);
    }
  }

  #drop(callId: string, waiter: Waiter): boolean {
    const set = this.#waiters.get(callId);
    if (set?.delete(waiter) !== true) return false;
    if (set.size === 0) {
      this.#waiters.delete(callId);
      this.#seen.delete(callId);
    }
    if (waiter.timer !== undefined) this.#clock.clearTimeout(waiter.timer);
    this.#counted(-1);
    return true;
  }

  #takeHangUps(callId: string): HangUpWaiter[] {
    const waiting = this.#hangUps.get(callId) ?? [];
    this.#hangUps.delete(callId);
    if (waiting.length > 0) this.#counted(-waiting.length);
    return waiting;
  }

  #counted(delta: number): void {
    const before = this.#count;
    this.#count += delta;
    if ((before === 0) !== (this.#count === 0)) this.#onCountChange(this.#count);
  }
}
