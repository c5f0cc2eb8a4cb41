/**
 * A small seeded pseudo-random generator for the test kit. Faults must be reproducible from a
 * seed, so nothing in `src/testing` may use `Math.random`.
 *
 * @example
 * ```ts
 * const random = seededRandom(42);
 * random.chance(0.25); // the same answer on every run with seed 42
 * random.between(10, 20);
 * ```
 * @module
 */

/** A seeded stream of numbers in [0, 1) and the draws the fake Graph needs. */
export interface SeededRandom {
  /** The next number in [0, 1). */
  next(): number;
  /** `true` with probability `p`. Draws exactly one number, whatever `p` is, so a stream stays aligned. */
  chance(p: number): boolean;
  /** An integer in [min, max], both included. */
  between(min: number, max: number): number;
}

/**
 * mulberry32: 32-bit state, full period, good enough to shuffle test deliveries, and
 * identical on every platform because it only uses 32-bit integer arithmetic.
 *
 * @example
 * ```ts
 * const a = seededRandom(7);
 * const b = seededRandom(7);
 * a.next() === b.next(); // true
 * ```
 */
export function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    chance: (p) => next() < p,
    between: (min, max) => min + Math.floor(next() * (max - min + 1)),
  };
}
