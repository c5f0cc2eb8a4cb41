/**
 * A clock that only moves when a test moves it: the runtime's {@link Clock} (`now`,
 * `setTimeout`, `clearTimeout`), plus `advance`, `advanceTo` and `runAll`. Give the same clock
 * to `createCallRegistry({ clock })` and `createFakeGraph({ clock })`, and a test steps through
 * deadlines, retries and keepAlives in exact time, with no real waiting and no fake timers
 * patched into the globals.
 *
 * Between two timers it lets the event loop turn once (`setImmediate`), so the promise chains a
 * timer starts (a store commit, a request to the fake Graph, the answer's event) run to their
 * end, and arm their own timers, before time moves on.
 *
 * @example
 * ```ts
 * import { createCallRegistry } from 'graph-call-machine';
 * import { createFakeGraph, createManualClock } from 'graph-call-machine/testing';
 *
 * const clock = createManualClock();
 * const fake = createFakeGraph({ clock, faults: { dropTerminated: true } });
 * const registry = createCallRegistry({
 *   clock,
 *   confirmTimeoutMs: 30_000,
 *   graph: { getToken: async () => 't', fetch: fake.fetch, baseUrl: fake.baseUrl },
 * });
 * fake.connect(registry);
 * const callId = fake.placeCall();
 * await clock.advance(0);                 // establishing, established delivered
 * await registry.hangUp(callId);          // DELETE → 204; `terminated` will never come
 * await clock.advance(30_000);            // the confirm deadline: GET → 404 → terminated
 * registry.get(callId)?.phase;            // 'terminated'
 * ```
 * @module
 */
import type { Clock, TimerHandle } from '../runtime/clock.js';

/** A {@link Clock} a test moves by hand. */
export interface ManualClock extends Clock {
  /** The current time, epoch ms: `startAt`, plus every advance so far. */
  now(): number;
  /**
   * Arms a timer due `ms` from now (negative or not a number: now). It runs only when the
   * clock is moved to or past its due time. `holdsProcess` is accepted and ignored: a manual
   * timer never keeps a process alive.
   */
  setTimeout(callback: () => void, ms: number, holdsProcess?: boolean): TimerHandle;
  /** Disarms a timer; a handle of another clock, or of a timer already run, is ignored. */
  clearTimeout(handle: TimerHandle): void;
  /**
   * Moves time forward by `ms`, running every timer due on the way in due-time order (armed
   * first, run first, for the same time), timers armed by those timers included, each at its
   * own due time (`now()` inside a callback is its due time). Lets pending promise work run
   * before each timer and at the end. Resolves with the number of timers run; rejects with a
   * callback's error (an `AggregateError` for several) once the advance is complete.
   *
   * Calls made while another advance (or `runAll`) is under way, from a timer callback too,
   * wait for it and then move time from where it left it.
   *
   * @example
   * ```ts
   * const clock = createManualClock(1_000);
   * clock.setTimeout(() => console.log('first', clock.now()), 10);   // first 1010
   * clock.setTimeout(() => console.log('second', clock.now()), 20);  // second 1020
   * await clock.advance(15);   // runs the first only; now() is 1015
   * ```
   */
  advance(ms: number): Promise<number>;
  /** Moves time forward to `at` (epoch ms), as {@link ManualClock.advance} does. `at` before `now()` is a `RangeError`. */
  advanceTo(at: number): Promise<number>;
  /**
   * Runs every timer, whatever its due time, moving time to each, until none is left. Timers
   * that keep arming timers (a keepAlive every 15 min, a poll) never leave none: after `limit`
   * timers (default 1,000) it stops and rejects with a `RangeError` that says so; use
   * `advance(ms)` for those.
   */
  runAll(limit?: number): Promise<number>;
  /** How many timers are armed. */
  pending(): number;
  /** The due time of the next timer, or `undefined` when none is armed. */
  nextDueAt(): number | undefined;
}

interface ManualTimer {
  readonly dueAt: number;
  /** Arming order: ties in due time run in the order they were armed. */
  readonly sequence: number;
  readonly callback: () => void;
}

const DEFAULT_RUN_ALL_LIMIT = 1_000;

// Taken when the module loads, so fake timers installed by a test later cannot stop the clock.
const turnEventLoop: () => Promise<void> =
  typeof globalThis.setImmediate === 'function'
    ? (
        (set) => () =>
          new Promise<void>((resolve) => set(resolve))
      )(globalThis.setImmediate)
    : (
        (set) => () =>
          new Promise<void>((resolve) => set(resolve, 0))
      )(globalThis.setTimeout);

/**
 * Creates a {@link ManualClock} that reads `startAt` (epoch ms, default 0) until it is moved.
 *
 * @example
 * ```ts
 * import { createManualClock } from 'graph-call-machine/testing';
 *
 * const clock = createManualClock(Date.UTC(2025, 0, 1));
 * const registry = createCallRegistry({ clock, graph: { getToken, fetch: fake.fetch, baseUrl: fake.baseUrl } });
 * await clock.advance(15 * 60_000);   // the first keepAlive of every active call is sent
 * clock.pending();                    // 1: the registry's next due time
 * ```
 */
export function createManualClock(startAt = 0): ManualClock {
  if (!Number.isFinite(startAt)) {
    throw new RangeError(
      `createManualClock: startAt must be a finite epoch ms, got ${String(startAt)}.`,
    );
  }
  let now = startAt;
  let armed = 0;
  const timers = new Set<ManualTimer>();
  // Each advance waits for the one before it, so time only ever moves forward in one line.
  let tail: Promise<unknown> = Promise.resolve();

  function earliest(): ManualTimer | undefined {
    let first: ManualTimer | undefined;
    for (const timer of timers) {
      if (
        first === undefined ||
        timer.dueAt < first.dueAt ||
        (timer.dueAt === first.dueAt && timer.sequence < first.sequence)
      ) {
        first = timer;
      }
    }
    return first;
  }

  /** Runs due timers up to `until` (or all, with `Infinity`), at most `limit` of them. */
  async function run(until: () => number, limit: number): Promise<number> {
    const errors: unknown[] = [];
    let ran = 0;
    const target = until();
    await turnEventLoop();
    for (let next = earliest(); next !== undefined && next.dueAt <= target; next = earliest()) {
      if (ran >= limit) {
        throw new RangeError(
          `manual clock: runAll() ran ${limit} timers and more keep being armed (the next at ${next.dueAt}); timers that re-arm themselves, such as keepAlives, never run out: use advance(ms).`,
        );
      }
      timers.delete(next);
      now = Math.max(now, next.dueAt);
      ran += 1;
      try {
        next.callback();
      } catch (error) {
        errors.push(error);
      }
      await turnEventLoop();
    }
    if (Number.isFinite(target)) now = Math.max(now, target);
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) {
      throw new AggregateError(errors, `manual clock: ${errors.length} timer callbacks threw.`);
    }
    return ran;
  }

  function enqueue(work: () => Promise<number>): Promise<number> {
    const result = tail.then(work);
    tail = result.catch(() => undefined);
    return result;
  }

  return {
    now: () => now,
    setTimeout(callback, ms) {
      if (typeof callback !== 'function') {
        throw new TypeError('manual clock: setTimeout needs a callback function.');
      }
      const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
      armed += 1;
      const timer: ManualTimer = { dueAt: now + delay, sequence: armed, callback };
      timers.add(timer);
      return timer;
    },
    clearTimeout(handle) {
      timers.delete(handle as ManualTimer);
    },
    advance(ms) {
      if (!(Number.isFinite(ms) && ms >= 0)) {
        return Promise.reject(
          new RangeError(`manual clock: advance(ms) needs a finite ms >= 0, got ${String(ms)}.`),
        );
      }
      return enqueue(() => run(() => now + ms, Number.POSITIVE_INFINITY));
    },
    advanceTo(at) {
      if (!Number.isFinite(at)) {
        return Promise.reject(
          new RangeError(`manual clock: advanceTo(at) needs a finite epoch ms, got ${String(at)}.`),
        );
      }
      return enqueue(() => {
        if (at < now) {
          return Promise.reject(
            new RangeError(
              `manual clock: advanceTo(${at}) is in the past (now is ${now}); time only moves forward.`,
            ),
          );
        }
        return run(() => at, Number.POSITIVE_INFINITY);
      });
    },
    runAll(limit = DEFAULT_RUN_ALL_LIMIT) {
      if (!(Number.isInteger(limit) && limit >= 0)) {
        return Promise.reject(
          new RangeError(
            `manual clock: runAll(limit) needs a whole number >= 0, got ${String(limit)}.`,
          ),
        );
      }
      return enqueue(() => run(() => Number.POSITIVE_INFINITY, limit));
    },
    pending: () => timers.size,
    nextDueAt: () => earliest()?.dueAt,
  };
}
