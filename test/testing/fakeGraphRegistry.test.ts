// The whole stack: fake Graph → the real createCallRegistry (its Graph client over the fake's
// fetch) → the machine, with notifications delivered to registry.ingest.
import { afterEach, describe, expect, it } from 'vitest';
import { type CallRegistry, createCallRegistry, type IngestReport } from '../../src/index.js';
import { createFakeGraph, type FakeGraph, type FakeGraphFaults } from '../../src/testing/index.js';

let fake: FakeGraph | undefined;
let registry: CallRegistry | undefined;

afterEach(async () => {
  await registry?.close();
  await fake?.close();
  registry = undefined;
  fake = undefined;
});

function start(faults: FakeGraphFaults = {}, confirmTimeoutMs = 30_000) {
  const graph = createFakeGraph({ faults });
  const calls = createCallRegistry({
    graph: { getToken: async () => 't', fetch: graph.fetch, baseUrl: graph.baseUrl },
    confirmTimeoutMs,
  });
  graph.connect(calls);
  fake = graph;
  registry = calls;
  return { fake: graph, registry: calls };
}

describe('fake Graph with createCallRegistry', () => {
  it('placeCall → established; hangUp → terminated with 200/5001; exactly one DELETE', async () => {
    const { fake, registry } = start();
    const callId = fake.placeCall();
    await fake.settle();
    expect(registry.get(callId)).toMatchObject({ state: 'established', phase: 'active' });

    await registry.hangUp(callId);
    const ended = await registry.waitFor(callId, 'terminated', { timeoutMs: 2_000 });
    expect(ended.outcome).toMatchObject({
      callId,
      reason: 'hungUp',
      resultInfo: { code: 200, subcode: 5001, message: 'The conversation has ended.' },
    });
    expect(fake.requests.filter((r) => r.method === 'DELETE')).toHaveLength(1);
    // waitFor resolves inside the last ingest; its report is recorded once that returns.
    await fake.settle();
    const reports = fake.deliveries.map((d) => d.result as IngestReport);
    expect(reports.map((r) => r.applied)).toEqual([1, 1, 1, 1]);
  });

  it('with the terminated notification dropped, the registry verifies with a GET and gets 404', async () => {
    const { fake, registry } = start({ dropTerminated: true }, 50);
    const callId = fake.placeCall();
    await fake.settle();
    await registry.hangUp(callId);
    const ended = await registry.waitFor(callId, 'terminated', { timeoutMs: 2_000 });
    expect(ended.phase).toBe('terminated');
    const methods = fake.requests.map((r) => [r.method, r.status]);
    expect(methods).toEqual([
      ['DELETE', 204],
      ['GET', 404],
    ]);
  });

  it('a remote hang-up and a transfer end calls with their reasons', async () => {
    const { fake, registry } = start({ seed: 11, duplicate: 0.5, reorderWindow: 2 });
    const a = fake.placeCall();
    const b = fake.placeCall();
    await fake.settle();
    fake.remoteHangUp(a);
    fake.transfer(b);
    await fake.settle();
    expect(registry.get(a)?.outcome?.reason).toBe('remote');
    expect(registry.get(b)?.outcome?.reason).toBe('transferred');
  });
});
