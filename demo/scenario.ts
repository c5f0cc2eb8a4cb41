/**
 * What the demo's bot does with its calls, and the faults it is put through.
 * @module
 */
import type { FakeGraphFaults } from '../src/testing/index.js';
import type { Emit } from './events.js';
import type { Observer } from './observe.js';
import type { Stack } from './stack.js';

/** The longest the bot waits for a call to connect, or to end after its hang-up. */
export const STEP_TIMEOUT_MS = 20_000;
/** Graph's Retry-After on the throttled DELETEs, in seconds. */
export const RETRY_AFTER_SEC = 0.5;
/**
 * Requests the bot has in flight at once when placing or hanging up many calls, as a bot with
 * a connection pool would: a thousand simultaneous requests from one process would measure
 * socket churn, not the library.
 */
export const REQUEST_CONCURRENCY = 50;

/**
 * How long a call waits for its `terminated` notification after Graph took the DELETE before
 * asking with a GET (Graph's default is 30 s). Short, so the lost-notification path of
 * `--faults` ends in seconds; longer with many calls, because every notification then queues
 * behind the others in the fake Graph's one-at-a-time delivery.
 */
export function confirmTimeoutFor(calls: number): number {
  return calls === 1 ? 1500 : 5000;
}

/**
 * The faults of `--faults`. For one call every kind shows up: each notification may come
 * twice and the two notifications of a step may swap places; the first DELETE is answered 429
 * with Retry-After; the `terminated` notification is lost. For many calls the same kinds, at
 * rates that leave most calls on the happy path.
 */
export function faultsFor(calls: number): FakeGraphFaults {
  const throttled = calls === 1 ? 1 : Math.ceil(calls / 20);
  return {
    duplicate: calls === 1 ? 0.3 : 0.1,
    reorderWindow: calls === 1 ? 3 : 4,
    dropTerminated: calls === 1 ? true : 0.1,
    fail: { status: 429, next: throttled, method: 'DELETE', retryAfter: RETRY_AFTER_SEC },
  };
}

/**
 * Under load Graph puts several notifications in one POST; one call's few are clearer one by
 * one, and many calls' are faster to deliver in batches.
 */
export function batchFor(calls: number): number {
  return calls === 1 ? 1 : 10;
}

/**
 * Places `count` calls and waits until every one is established, so all are up at the same
 * time; then hangs every one up and waits until each has ended. Resolves with what went wrong
 * (nothing, normally); never rejects.
 */
export async function runCalls(
  stack: Stack,
  observer: Observer,
  emit: Emit,
  count: number,
): Promise<string[]> {
  const { registry } = stack;
  const failures: unknown[] = [];
  const settle = async (waits: Promise<string>[]): Promise<string[]> => {
    const results = await Promise.allSettled(waits);
    for (const r of results) if (r.status === 'rejected') failures.push(r.reason);
    return results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  };

  // Each task only waits for its request; the waits for what Graph notifies run meanwhile.
  const established: Promise<string>[] = [];
  failures.push(
    ...(await pool(count, async () => {
      const callId = await stack.placeCall();
      established.push(
        handled(
          registry
            .waitFor(callId, (view) => view.phase !== 'setup', { timeoutMs: STEP_TIMEOUT_MS })
            .then(() => callId),
        ),
      );
    })),
  );
  const up = await settle(established);

  const ended: Promise<string>[] = [];
  failures.push(
    ...(await pool(up.length, async (index) => {
      const callId = up[index];
      if (callId === undefined) return;
      emit({ type: 'bot', callId, action: 'hangUp', detail: 'await registry.hangUp(id)' });
      observer.hungUp(callId);
      await registry.hangUp(callId);
      ended.push(
        handled(
          registry.waitFor(callId, 'terminated', { timeoutMs: STEP_TIMEOUT_MS }).then(() => callId),
        ),
      );
    })),
  );
  await settle(ended);

  // Many calls failing the same way make one line with a count, not a thousand.
  const counted = new Map<string, number>();
  for (const failure of failures) {
    const message = failure instanceof Error ? failure.message : String(failure);
    counted.set(message, (counted.get(message) ?? 0) + 1);
  }
  return [...counted].map(([message, n]) => (n === 1 ? message : `${message} (${n} calls)`));
}

// A wait that fails while the pool is still busy would otherwise be an unhandled rejection
// (fatal in Node) until `settle` gets to it; `settle` still sees the failure.
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/**
 * Runs `task(0)` … `task(total - 1)` with at most {@link REQUEST_CONCURRENCY} running at once.
 * Resolves with the errors thrown, after all have run.
 */
async function pool(total: number, task: (index: number) => Promise<void>): Promise<unknown[]> {
  const errors: unknown[] = [];
  let next = 0;
  async function worker(): Promise<void> {
    while (next < total) {
      const index = next++;
      try {
        await task(index);
      } catch (error) {
        errors.push(error);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(total, REQUEST_CONCURRENCY) }, worker));
  return errors;
}
