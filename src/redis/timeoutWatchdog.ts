/**
 * Bounds the time of many concurrent operations with one timer instead of one per operation:
 * at store throughput, a `setTimeout` per Redis command costs about as much as the command.
 * An operation rejects between `timeoutMs` and `timeoutMs` plus one tick after it started.
 * @module
 */

interface Watched {
  readonly expiresAt: number;
  readonly expire: () => void;
}

export interface TimeoutWatchdog {
  /** Resolves or rejects as `operation` does, or rejects with `onTimeout()` once `timeoutMs` has passed. */
  bound<T>(operation: Promise<T>, onTimeout: () => Error): Promise<T>;
}

export function createTimeoutWatchdog(timeoutMs: number): TimeoutWatchdog {
  const watched = new Set<Watched>();
  const tickMs = Math.max(10, Math.min(250, timeoutMs / 4));
  let timer: ReturnType<typeof setInterval> | undefined;

  function sweep(): void {
    const now = Date.now();
    for (const entry of watched) {
      if (entry.expiresAt > now) continue;
      watched.delete(entry);
      entry.expire();
    }
    if (watched.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  }

  return {
    bound(operation, onTimeout) {
      return new Promise((resolve, reject) => {
        const entry: Watched = {
          expiresAt: Date.now() + timeoutMs,
          expire: () => reject(onTimeout()),
        };
        watched.add(entry);
        if (timer === undefined) {
          timer = setInterval(sweep, tickMs);
          timer.unref?.();
        }
        operation.then(
          (value) => {
            watched.delete(entry);
            resolve(value);
          },
          (error: unknown) => {
            watched.delete(entry);
            reject(error);
          },
        );
      });
    },
  };
}
