import type { CallRegistry, CallView } from '../../src/index.js';
import type { FakeGraph } from '../../src/testing/index.js';

/**
 * A lifecycle with faults, driven through a registry connected to the fake: a caller from the
 * phone network is answered, then hung up on with the first DELETE throttled (429, then 204),
 * and the call waited on until it is over. The fake's own faults (duplicates, a lost
 * terminated) add to it.
 */
export async function throttledHangUp(
  fake: FakeGraph,
  registry: CallRegistry,
): Promise<{ callId: string; ended: CallView }> {
  fake.connect(registry);
  const callId = fake.incomingCall({ source: { identity: { phone: { id: '+14255550100' } } } });
  await fake.settle();
  await registry.answer(callId, {
    callbackUri: 'https://bot.example.com/api/calls',
    mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
  });
  await fake.settle();
  fake.throttleNext(1, 0.02);
  await registry.hangUp(callId);
  const ended = await registry.waitFor(callId, 'terminated', { timeoutMs: 5_000 });
  await registry.idle();
  return { callId, ended };
}
