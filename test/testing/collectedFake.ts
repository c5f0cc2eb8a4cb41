// A fake Graph whose webhook bodies are collected rather than posted, for the tests of its
// flows: `take()` hands over, parsed, what it delivered since the last take. Each test file
// closes them after each test with `afterEach(closeFakes)`.
import { type CallNotification, parseNotifications } from '../../src/index.js';
import { createFakeGraph, type FakeGraph, type FakeGraphOptions } from '../../src/testing/index.js';

const fakes: FakeGraph[] = [];

export async function closeFakes(): Promise<void> {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
}

export function collectedFake(options: Omit<FakeGraphOptions, 'deliver'> = {}): {
  fake: FakeGraph;
  take: () => Promise<CallNotification[]>;
} {
  const bodies: unknown[] = [];
  const fake = createFakeGraph({ ...options, deliver: (body) => void bodies.push(body) });
  fakes.push(fake);
  /** The notifications delivered since the last call, parsed. */
  const take = async (): Promise<CallNotification[]> => {
    await fake.settle();
    return bodies.splice(0).flatMap((body) => parseNotifications(body).notifications);
  };
  return { fake, take };
}
