/**
 * The verdicts on tokens already verified, so a token Graph sends with many notifications is
 * checked once: a bounded least-recently-used map keyed by the exact token text, whose entries
 * end at the token's expiry, at a maximum age, or as soon as the key that verified the token is
 * no longer trusted. Concurrent requests with the same token share one verification.
 * @module
 */

/** How long a verdict may be reused: before `until` (ms), and while `stillTrusted()` says so. */
export interface Reuse {
  readonly until: number;
  readonly stillTrusted: () => boolean;
}

/** A verification's outcome; only one given a {@link Reuse} is remembered. */
export interface Verification<T> {
  readonly result: T;
  readonly reuse?: Reuse | undefined;
}

/** Options of {@link createTokenCache}. */
export interface TokenCacheOptions {
  /** The most verdicts kept; `0` keeps none (concurrent requests still share a verification). */
  readonly maxEntries: number;
  /** The longest a verdict is reused, whatever the token's expiry (ms). */
  readonly maxAgeMs: number;
  readonly now: () => number;
}

/** See the module documentation. */
export interface TokenCache<T> {
  /** The remembered verdict on `token`, if it may still be reused. */
  get(token: string): T | undefined;
  /**
   * Runs `verify` for `token`, or joins the run already in flight for it, and remembers the
   * verdict when `verify` says it may be reused.
   */
  verifyOnce(token: string, verify: () => Promise<Verification<T>>): Promise<T>;
  /** How many verdicts are remembered (some may have expired and not been looked at since). */
  readonly size: number;
}

interface Entry<T> {
  readonly result: T;
  readonly until: number;
  readonly stillTrusted: () => boolean;
}

/** Creates an empty {@link TokenCache}. */
export function createTokenCache<T>({
  maxEntries,
  maxAgeMs,
  now,
}: TokenCacheOptions): TokenCache<T> {
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const entries = new Map<string, Entry<T>>();
  const pending = new Map<string, Promise<T>>();

  function remember(token: string, result: T, reuse: Reuse): void {
    if (maxEntries <= 0) return;
    const until = Math.min(reuse.until, now() + maxAgeMs);
    entries.delete(token);
    while (entries.size >= maxEntries) {
      const oldest = entries.keys().next();
      if (oldest.done === true) break;
      entries.delete(oldest.value);
    }
    entries.set(token, { result, until, stillTrusted: reuse.stillTrusted });
  }

  return {
    get(token) {
      const entry = entries.get(token);
      if (entry === undefined) return undefined;
      entries.delete(token);
      if (now() >= entry.until || !entry.stillTrusted()) return undefined;
      entries.set(token, entry);
      return entry.result;
    },
    verifyOnce(token, verify) {
      const running = pending.get(token);
      if (running !== undefined) return running;
      const run = verify().then(({ result, reuse }) => {
        if (reuse !== undefined) remember(token, result, reuse);
        return result;
      });
      pending.set(token, run);
      const forget = () => {
        if (pending.get(token) === run) pending.delete(token);
      };
      run.then(forget, forget);
      return run;
    },
    get size() {
      return entries.size;
    },
  };
}
