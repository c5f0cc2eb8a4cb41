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
  /**
   * Arms a timer. `holdsProcess` says whether the timer should keep a Node process alive on its
   * own: the registry asks for it only while somebody awaits a promise the timer may settle.
   */
  setTimeout(callback: () => void, ms: number, holdsProcess?: boolean): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The longest delay a Node or browser timer takes; a longer one would fire at once. */
const MAX_TIMER_DELAY_MS = 2_147_483_647;

interface SystemTimer {
  current: ReturnType<typeof setTimeout>;
}

/**
 * The system clock. A timer keeps the process alive only when asked to (`holdsProcess`): a bot
 * process is kept alive by its server, not by a call's next keepAlive, but a script awaiting
 * `registry.waitFor(…)` must not exit before the deadline that settles it. Delays longer than a
 * platform timer takes (about 24.8 days) are reached in several hops rather than firing at once.
 * Globals are read at call time so fake timers installed later apply.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms, holdsProcess = false) {
    const dueAt = Date.now() + Math.max(0, ms);
    const arm = (delay: number): ReturnType<typeof setTimeout> => {
      const handle = setTimeout(
        () => {
          const left = dueAt - Date.now();
          if (left > 0) timer.current = arm(left);
          else callback();
        },
        Math.min(delay, MAX_TIMER_DELAY_MS),
      );
      if (!holdsProcess) (handle as { unref?: () => void }).unref?.();
      return handle;
    };
    const timer: SystemTimer = { current: undefined as unknown as ReturnType<typeof setTimeout> };
    timer.current = arm(Math.max(0, ms));
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout((handle as SystemTimer).current);
  },
};

/**
 * Lets timers, I/O and other requests run before going on: `scheduler.yield()` where it exists,
 * otherwise a message on a fresh `MessageChannel` (a macrotask in Node, Deno, Bun and browsers).
 * Not the registry's clock, which a manual test clock would never fire, nor `setTimeout`, which
 * fake timers hold and Node rounds up to 1 ms.
 */
export function yieldToEventLoop(): Promise<void> {
  const { scheduler } = globalThis as { scheduler?: { yield?: () => Promise<void> } };
  if (typeof scheduler?.yield === 'function') return scheduler.yield();
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.addEventListener('message', () => {
      port1.close();
      resolve();
    });
    port1.start();
    port2.postMessage(null);
  });
}
