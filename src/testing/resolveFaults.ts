/**
 * Checks the fake Graph's fault options and turns them into what the delivery queue and the
 * request handler use. Every message names the option, the value and what would work.
 * @module
 */
import type { QueueFaults } from './deliveryQueue.js';
import type { FakeGraphFaults, FakeGraphMethod } from './fakeGraphTypes.js';

/** A request fault in force: answers `remaining` more requests with `status`. */
export interface Armed {
  remaining: number;
  readonly status: number;
  readonly retryAfter?: number;
  readonly method?: FakeGraphMethod;
}

export function resolveQueueFaults(faults: FakeGraphFaults): QueueFaults {
  const dropTerminated =
    faults.dropTerminated === true
      ? 1
      : faults.dropTerminated === false
        ? 0
        : faults.dropTerminated;
  const delay = faults.delayMs ?? 0;
  const delayMs: readonly [number, number] = typeof delay === 'number' ? [delay, delay] : delay;
  if (
    !Array.isArray(delayMs) ||
    delayMs.length !== 2 ||
    !delayMs.every((ms) => Number.isFinite(ms) && ms >= 0) ||
    delayMs[0] > delayMs[1]
  ) {
    throw new RangeError(
      `createFakeGraph: faults.delayMs must be milliseconds >= 0 or a [min, max] pair with min <= max, got ${JSON.stringify(faults.delayMs)}.`,
    );
  }
  return {
    duplicate: probability('duplicate', faults.duplicate),
    dropNonTerminal: probability('dropNonTerminal', faults.dropNonTerminal),
    dropTerminated: probability('dropTerminated', dropTerminated),
    reorderWindow: count('reorderWindow', faults.reorderWindow ?? 0, 0),
    batch: count('batch', faults.batch ?? 1, 1),
    delayMs,
  };
}

/** The probabilities that an operation nothing scripted fails, never completes, or completes after the call. */
export interface OperationFaults {
  readonly fail: number;
  readonly neverComplete: number;
  readonly completeAfterEnd: number;
}

export function resolveOperationFaults(faults: FakeGraphFaults): OperationFaults {
  const given = faults.operations ?? {};
  const resolved = {
    fail: probability('operations.fail', given.fail),
    neverComplete: probability('operations.neverComplete', given.neverComplete),
    completeAfterEnd: probability('operations.completeAfterEnd', given.completeAfterEnd),
  };
  const total = resolved.fail + resolved.neverComplete + resolved.completeAfterEnd;
  // A little slack: 0.1 + 0.2 + 0.7 adds up to a hair over 1 in floating point.
  if (total > 1 + 1e-9) {
    throw new RangeError(
      `createFakeGraph: faults.operations are the shares of one draw, so together they must be at most 1, got ${total} (${JSON.stringify(given)}).`,
    );
  }
  return resolved;
}

export function resolveSeed(seed: number | undefined): number {
  if (seed === undefined) return 1;
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`createFakeGraph: faults.seed must be an integer, got ${String(seed)}.`);
  }
  return seed;
}

function probability(name: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (!(typeof value === 'number' && value >= 0 && value <= 1)) {
    throw new RangeError(
      `createFakeGraph: faults.${name} must be a probability between 0 and 1, got ${String(value)}.`,
    );
  }
  return value;
}

function count(name: string, value: number, min: number): number {
  if (!(Number.isInteger(value) && value >= min)) {
    throw new RangeError(
      `createFakeGraph: faults.${name} must be an integer >= ${min}, got ${String(value)}.`,
    );
  }
  return value;
}

export function armThrottle(next: number, retryAfter: number): Armed {
  if (!(Number.isInteger(next) && next >= 0)) {
    throw new RangeError(`fake Graph: throttle needs a request count >= 0, got ${String(next)}.`);
  }
  if (!(Number.isFinite(retryAfter) && retryAfter >= 0)) {
    throw new RangeError(
      `fake Graph: throttle needs Retry-After in seconds >= 0 (fractions allowed), got ${String(retryAfter)}.`,
    );
  }
  return { remaining: next, status: 429, retryAfter };
}

export function armFailure(
  next: number,
  status: number,
  opts: { readonly method?: FakeGraphMethod; readonly retryAfter?: number },
): Armed {
  if (!(next === Number.POSITIVE_INFINITY || (Number.isInteger(next) && next >= 0))) {
    throw new RangeError(`fake Graph: fail needs a request count >= 0, got ${String(next)}.`);
  }
  if (!(Number.isInteger(status) && status >= 400 && status <= 599)) {
    throw new RangeError(
      `fake Graph: fail needs an HTTP error status (400-599), got ${String(status)}; for success, disarm it with failNext(0, …).`,
    );
  }
  if (opts.method !== undefined && !['DELETE', 'GET', 'POST'].includes(opts.method)) {
    throw new RangeError(
      `fake Graph: fail.method must be 'DELETE', 'GET' or 'POST', got ${JSON.stringify(opts.method)}.`,
    );
  }
  return {
    remaining: next,
    status,
    ...(opts.method !== undefined && { method: opts.method }),
    ...(opts.retryAfter !== undefined && { retryAfter: opts.retryAfter }),
  };
}
