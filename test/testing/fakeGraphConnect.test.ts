// fake.connect(registry): a fake Graph wired to a registry with no `let` dance. Notifications
// made before the connection wait for it, in order; none is lost, none is recorded before it
// is posted; a disconnected fake holds them again for the next target.
import { afterEach, describe, expect, it } from 'vitest';
import { type CallRegistry, createCallRegistry, type IngestReport } from '../../src/index.js';
import {
  type CommsNotifications,
  createFakeGraph,
  type FakeGraph,
} from '../../src/testing/index.js';
import { ANSWER, post } from './requestBodies.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function newFake(): FakeGraph {
  const fake = createFakeGraph();
  cleanups.push(() => fake.close());
  return fake;
}

function registryOf(fake: FakeGraph): CallRegistry {
  const registry = createCallRegistry({
    graph: { getToken: async () => 't', fetch: fake.fetch, baseUrl: fake.baseUrl },
  });
  cleanups.push(() => registry.close());
  return registry;
}

describe('fake.connect(registry)', () => {
  it('delivers to registry.ingest and keeps what it resolved to', async () => {
    const fake = newFake();
    const registry = registryOf(fake);
    fake.connect(registry);
    const callId = fake.placeCall();
    await fake.settle();
    expect(registry.get(callId)).toMatchObject({ state: 'established', phase: 'active' });
    const reports = fake.deliveries.map((d) => d.result as IngestReport);
    expect(reports.map((r) => r.applied)).toEqual([1, 1]);
  });

  it('notifications made before the connection wait for it, in order, and none is lost', async () => {
    const fake = newFake();
    const callId = fake.incomingCall();
    expect((await post(fake, `/${callId}/answer`, ANSWER)).status).toBe(202);
    // Nowhere to post: settle() does not wait for a connection that may never come.
    await fake.settle();
    expect(fake.deliveries).toEqual([]);

    const registry = registryOf(fake);
    fake.connect(registry);
    await fake.settle();
    expect(fake.deliveries.map((d) => d.sequences)).toEqual([[1], [2], [3]]);
    expect(registry.get(callId)).toMatchObject({ state: 'established' });
  });

  it('the disconnect function holds later notifications for the next target', async () => {
    const fake = newFake();
    const first: CommsNotifications[] = [];
    const second: CommsNotifications[] = [];
    const disconnect = fake.connect({ ingest: (body) => void first.push(body) });
    const callId = fake.placeCall();
    await fake.settle();
    disconnect();
    disconnect(); // idempotent
    fake.remoteHangUp(callId);
    await fake.settle();
    expect([first.length, second.length]).toEqual([2, 0]);

    fake.connect({ ingest: (body) => void second.push(body) });
    await fake.settle();
    expect([first.length, second.length]).toEqual([2, 2]);
  });

  it('an old disconnect function does not disconnect the target connected after it', async () => {
    const fake = newFake();
    const seen: CommsNotifications[] = [];
    const stale = fake.connect({ ingest: () => undefined });
    stale();
    fake.connect({ ingest: (body) => void seen.push(body) });
    stale();
    fake.placeCall();
    await fake.settle();
    expect(seen).toHaveLength(2);
  });

  it('refuses what cannot work, saying what to do instead', async () => {
    const withDeliver = createFakeGraph({ deliver: () => undefined });
    cleanups.push(() => withDeliver.close());
    expect(() => withDeliver.connect({ ingest: () => undefined })).toThrow(
      /create it without `deliver` to use connect\(\)/,
    );

    const fake = newFake();
    expect(() => fake.connect({} as never)).toThrow(
      /needs an object with an ingest\(body\) method/,
    );
    fake.connect({ ingest: () => undefined });
    expect(() => fake.connect({ ingest: () => undefined })).toThrow(
      /already connected; call the function the first connect\(\) returned/,
    );
    await fake.close();
    expect(() => fake.connect({ ingest: () => undefined })).toThrow(/after close/);
  });

  it('a target that throws is recorded, and the next notifications go on', async () => {
    const fake = newFake();
    let calls = 0;
    fake.connect({
      ingest: () => {
        calls += 1;
        if (calls === 1) throw new Error('bot is down');
        return 'ok';
      },
    });
    fake.placeCall();
    await fake.settle();
    expect(fake.deliveries.map((d) => [d.error, d.result])).toEqual([
      ['bot is down', undefined],
      [undefined, 'ok'],
    ]);
  });

  it('close() discards what waited for a connection', async () => {
    const fake = newFake();
    fake.placeCall();
    await fake.settle();
    await fake.close();
    expect(fake.deliveries).toEqual([]);
  });
});
