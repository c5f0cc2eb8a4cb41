/**
 * Who waits on a call in one instance of the shared registry: pending `hangUp`s and `waitFor`s.
 * Either may be satisfied by this instance's commits or by another instance's, which the
 * registry finds when it reads the call again (`watched()`).
 * @module
 */
import type { CallSnapshot } from '../machine/stepCall.js';
import type { CallView } from '../machine/types.js';
import type { Clock, TimerHandle } from './clock.js';
import { HangUpFailedError, RegistryClosedError, WaitTimeoutError } from './errors.js';
import { isHangUpPending } from './sharedPlans.js';
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

export class SharedWaiters {
  readonly #clock: Clock;
  readonly #hangUps = new Map<string, HangUpWaiter[]>();
  readonly #waiters = new Map<string, Set<Waiter>>();

  constructor(clock: Clock) {
    this.#clock = clock;
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
      waiter.timer = this.#clock.setTimeout(() => {
        const waiting = this.#waiters.get(callId);
        waiting?.delete(waiter);
        if (waiting?.size === 0) this.#waiters.delete(callId);
        reject(new WaitTimeoutError(callId, timeoutMs, stateNow()));
      }, timeoutMs);
    });
  }

  /** Resolves (or rejects) whoever waits on the call and is answered by this snapshot. */
  settle(callId: string, snapshot: CallSnapshot, view: CallView): void {
    if (this.#hangUps.has(callId) && !isHangUpPending(snapshot)) {
      const waiting = this.#takeHangUps(callId);
      if (view.phase === 'terminating' || view.phase === 'terminated') {
        for (const waiter of waiting) waiter.resolve(view);
      } else {
        // Failed elsewhere: this instance was not the one that got Graph's answer.
        const failure = new HangUpFailedError(callId, 0, 0, {
          message:
            'the hang-up was performed by another instance and failed there (its call.hangUpFailed event has the details)',
        });
        for (const waiter of waiting) waiter.reject(failure);
      }
    }
    const set = this.#waiters.get(callId);
    if (set === undefined) return;
    for (const waiter of set) {
      if (!waiter.until(view)) continue;
      set.delete(waiter);
      if (waiter.timer !== undefined) this.#clock.clearTimeout(waiter.timer);
      waiter.resolve(view);
    }
    if (set.size === 0) this.#waiters.delete(callId);
  }

  /** Rejects everyone with {@link RegistryClosedError}. */
  close(): void {
    for (const callId of [...this.#hangUps.keys()]) {
      this.failHangUps(callId, new RegistryClosedError(callId));
    }
    for (const [callId, set] of this.#waiters) {
      for (const waiter of set) {
        if (waiter.timer !== undefined) this.#clock.clearTimeout(waiter.timer);
        waiter.reject(new RegistryClosedError(callId));
      }
    }
    this.#waiters.clear();
  }

  #takeHangUps(callId: string): HangUpWaiter[] {
    const waiting = this.#hangUps.get(callId) ?? [];
    this.#hangUps.delete(callId);
    return waiting;
  }
}
