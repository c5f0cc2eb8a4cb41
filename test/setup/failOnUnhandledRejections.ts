// Every test runs with an `unhandledRejection` hook: a promise the library left rejected with
// nobody listening (a request's `.then` without a catch, say) fails the test that was running,
// with the reason, instead of surfacing later as an anonymous error of the whole run — or, in a
// bot, as the process exiting. Registered in vitest.config.ts `setupFiles`.
import { afterEach, beforeEach } from 'vitest';

// Captured before any test installs fake timers, which would never fire it.
const realSetImmediate = globalThis.setImmediate;
let unhandled: unknown[] = [];
const hear = (reason: unknown): void => {
  unhandled.push(reason);
};

beforeEach(() => {
  unhandled = [];
  process.on('unhandledRejection', hear);
});

afterEach(async () => {
  // A rejection is reported unhandled a turn after the promise that lost it settled.
  await new Promise((resolve) => realSetImmediate(resolve));
  process.off('unhandledRejection', hear);
  if (unhandled.length > 0) {
    const reasons = unhandled.map((r) => (r instanceof Error ? (r.stack ?? r.message) : String(r)));
    throw new Error(
      `This test left ${unhandled.length} unhandled rejection(s):\n${reasons.join('\n')}`,
    );
  }
});
