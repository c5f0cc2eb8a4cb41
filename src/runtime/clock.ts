/**
 * Time for the runtime: the one place that reads a clock and arms timers, so tests can
 * replace it and the machine never sees either.
 *
 * @example
 * ```ts
 * import { createCallRegistry, type Clock } from 'graph-call-machine';
 *
 * let now = 0;
 * const clock: Clock = { now: () => now, setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout };
 * createCallRegistry({ graph: { getToken }, clock });
 * ```
 * @module
 */

/** A timer handle, whatever the clock's `setTimeout` returns. */
export type TimerHandle = unknown;

/** Reads the time (epoch ms) and arms and disarms timers. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The system clock. Timers are unref'd: a bot process is kept alive by its server, not by
 * a pending call deadline. Globals are read at call time so fake timers installed later apply.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, Math.max(0, ms));
    (handle as { unref?: () => void }).unref?.();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};
