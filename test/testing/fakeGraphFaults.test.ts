// The fake Graph's faults: request faults (throttle, fail) seen through the real Graph client,
// and seeded delivery faults (duplicate, reorder, drop, delay, batch) that replay exactly.
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CallNotification,
  createGraphClient,
  type GraphClient,
  parseNotifications,
} from '../../src/index.js';
import {
  createFakeGraph,
  type FakeGraph,
  type FakeGraphFaults,
  type RecordedDelivery,
} from '../../src/testing/index.js';

const fakes: FakeGraph[] = [];

afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

function setup(faults: FakeGraphFaults = {}): {
  fake: FakeGraph;
  graph: GraphClient;
  bodies: unknown[];
} {
  const bodies: unknown[] = [];
  const fake = createFakeGraph({ faults, deliver: (body) => void bodies.push(body) });
  fakes.push(fake);
  const graph = createGraphClient({
    getToken: async () => 'token',
    fetch: fake.fetch,
    baseUrl: fake.baseUrl,
  });
  return { fake, graph, bodies };
}

function parsedOf(bodies: readonly unknown[]): CallNotification[] {
  return bodies.flatMap((body) => parseNotifications(body).notifications);
}

const isTerminal = (n: CallNotification): boolean =>
  n.resource === 'call' && (n.changeType === 'deleted' || n.state === 'terminated');

describe('throttle', () => {
  it('answers the next n requests with 429 and a fractional Retry-After, then serves again', async () => {
    const { fake, graph, bodies } = setup({ throttle: { next: 2, retryAfter: 2.128 } });
    const callId = fake.placeCall();
    await fake.settle();
    bodies.length = 0;

    const first = await graph.deleteCall(callId);
    expect(first).toMatchObject({
      ok: false,
      status: 429,
      retryAfterMs: 2128,
      error: { code: 'TooManyRequests' },
    });
    expect((await graph.getCall(callId)).status).toBe(429);
    // A throttled DELETE did nothing: the call lives, nothing was notified.
    await fake.settle();
    expect(bodies).toEqual([]);
    expect(fake.calls.get(callId)?.ended).toBe(false);

    expect(await graph.deleteCall(callId)).toEqual({ ok: true, status: 204 });
    expect(fake.requests.map((r) => [r.method, r.status, r.fault])).toEqual([
      ['DELETE', 429, 'throttle'],
      ['GET', 429, 'throttle'],
      ['DELETE', 204, undefined],
    ]);
  });

  it('the raw 429 carries the Retry-After header verbatim', async () => {
    const { fake } = setup();
    fake.throttleNext(1, 0.5);
    const response = await fake.fetch(`${fake.baseUrl}/communications/calls/x`, {
      headers: { authorization: 'Bearer t' },
    });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('0.5');
  });

  it('throttleNext arms later; a request without a token is refused before any fault', async () => {
    const { fake, graph } = setup();
    const callId = fake.placeCall();
    expect((await graph.keepAlive(callId)).status).toBe(200);
    fake.throttleNext(1, 3);
    await fake.fetch(`${fake.baseUrl}/communications/calls/${callId}`, { method: 'GET' });
    expect(await graph.keepAlive(callId)).toMatchObject({ status: 429, retryAfterMs: 3000 });
    expect((await graph.keepAlive(callId)).status).toBe(200);
    expect(fake.requests.map((r) => r.status)).toEqual([200, 401, 429, 200]);
  });
});

describe('fail', () => {
  it('fails the next n requests of one method with the status, others pass', async () => {
    const { fake, graph } = setup({
      fail: { status: 503, next: 2, method: 'DELETE', retryAfter: 1 },
    });
    const callId = fake.placeCall();
    expect((await graph.getCall(callId)).status).toBe(200);
    expect(await graph.deleteCall(callId)).toMatchObject({
      ok: false,
      status: 503,
      retryAfterMs: 1000,
      error: { code: 'ServiceUnavailable' },
    });
    expect((await graph.keepAlive(callId)).status).toBe(200);
    expect((await graph.deleteCall(callId)).status).toBe(503);
    expect((await graph.deleteCall(callId)).status).toBe(204);
    expect(fake.requests.filter((r) => r.fault === 'fail')).toHaveLength(2);
  });

  it('without next, every matching request fails; failNext replaces it', async () => {
    const { fake, graph } = setup({ fail: { status: 500 } });
    const callId = fake.placeCall();
    for (let i = 0; i < 3; i++) {
      expect(await graph.getCall(callId)).toMatchObject({
        status: 500,
        error: { code: 'InternalServerError' },
      });
    }
    fake.failNext(1, 403);
    expect((await graph.keepAlive(callId)).status).toBe(403);
    expect((await graph.keepAlive(callId)).status).toBe(200);
  });
});

describe('delivery faults are seeded and reproducible', () => {
  const FAULTS: FakeGraphFaults = {
    duplicate: 0.3,
    reorderWindow: 3,
    dropNonTerminal: 0.3,
    batch: 2,
  };

  // A fixed script over five calls; the sequence numbers name each notification.
  async function run(faults: FakeGraphFaults): Promise<{
    deliveries: RecordedDelivery[];
    bodies: unknown[];
    fake: FakeGraph;
  }> {
    const { fake, graph, bodies } = setup(faults);
    const ids = [fake.placeCall(), fake.placeCall(), fake.incomingCall(), fake.incomingCall()];
    const [a, b, c, d] = ids as [string, string, string, string];
    fake.answer(c);
    await fake.settle();
    expect((await graph.deleteCall(a)).status).toBe(204);
    fake.remoteHangUp(b);
    fake.transfer(c);
    fake.reject(d);
    await fake.settle();
    return { deliveries: fake.deliveries, bodies, fake };
  }

  const shape = (deliveries: readonly RecordedDelivery[]) =>
    deliveries.map((d) => ({
      sequences: d.sequences,
      dropped: d.dropped,
      duplicated: d.duplicated,
    }));

  it('the same seed gives the same delivery sequence; another seed another one', async () => {
    const first = await run({ ...FAULTS, seed: 42 });
    const again = await run({ ...FAULTS, seed: 42 });
    const other = await run({ ...FAULTS, seed: 43 });
    expect(shape(again.deliveries)).toEqual(shape(first.deliveries));
    expect(again.bodies).toEqual(first.bodies);
    expect(shape(other.deliveries)).not.toEqual(shape(first.deliveries));
    // Call ids come from the seed as well.
    expect([...again.fake.calls.keys()]).toEqual([...first.fake.calls.keys()]);
  });

  it('with seed 42 every fault shows: drops, duplicates, reordering, batches', async () => {
    const { deliveries } = await run({ ...FAULTS, seed: 42 });
    const posted = deliveries.filter((d) => !d.dropped);
    expect(deliveries.some((d) => d.dropped)).toBe(true);
    expect(posted.some((d) => d.duplicated)).toBe(true);
    expect(posted.some((d) => d.body.value.length === 2)).toBe(true);
    const order = posted.flatMap((d) => d.sequences);
    expect(order).not.toEqual([...order].sort((x, y) => x - y));
    // Every notification produced is either posted (maybe twice) or recorded as dropped.
    const seen = new Set(deliveries.flatMap((d) => d.sequences));
    expect(Math.max(...seen)).toBe(seen.size);
  });

  it('without faults, deliveries are one notification per POST, in order, none dropped', async () => {
    const { deliveries } = await run({});
    expect(deliveries.every((d) => !d.dropped && !d.duplicated && d.sequences.length === 1)).toBe(
      true,
    );
    expect(deliveries.map((d) => d.sequences[0])).toEqual(deliveries.map((_, i) => i + 1));
  });

  it('a duplicate repeats the same body item, etag included', async () => {
    const { deliveries } = await run({ seed: 5, duplicate: 1 });
    const posted = deliveries.map((d) => d.sequences[0]);
    expect(posted.filter((s) => s === 1)).toHaveLength(2);
    const copies = deliveries.filter((d) => d.sequences[0] === 1);
    expect(copies[1]?.body).toEqual(copies[0]?.body);
    expect(copies.map((d) => d.duplicated)).toEqual([false, true]);
  });
});

describe('drops', () => {
  it('dropNonTerminal never drops the notification that ends a call', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { fake, graph, bodies } = setup({ seed, dropNonTerminal: 0.7, duplicate: 0.2 });
      const a = fake.placeCall();
      const b = fake.incomingCall();
      const c = fake.placeCall();
      await graph.deleteCall(a);
      fake.reject(b);
      fake.transfer(c);
      await fake.settle();
      const terminal = parsedOf(bodies).filter(isTerminal);
      expect(new Set(terminal.map((n) => n.callId))).toEqual(new Set([a, b, c]));
      expect(fake.deliveries.filter((d) => d.dropped).every((d) => d.body.value.length === 1)).toBe(
        true,
      );
    }
  });

  it('dropNonTerminal: 1 leaves only the terminal notifications', async () => {
    const { fake, bodies } = setup({ dropNonTerminal: 1 });
    const callId = fake.placeCall();
    fake.remoteHangUp(callId);
    await fake.settle();
    expect(parsedOf(bodies).map((n) => [n.changeType, n.state])).toEqual([
      ['deleted', 'terminated'],
    ]);
    expect(fake.deliveries.filter((d) => d.dropped)).toHaveLength(3);
  });

  it('dropTerminated drops it, and Graph still answers GET with 404 for the ended call', async () => {
    const { fake, graph, bodies } = setup({ dropTerminated: true });
    const callId = fake.placeCall();
    await fake.settle();
    expect((await graph.deleteCall(callId)).status).toBe(204);
    await fake.settle();
    const states = parsedOf(bodies).map((n) => n.state);
    expect(states).toEqual(['establishing', 'established', 'terminating']);
    const dropped = fake.deliveries.filter((d) => d.dropped);
    expect(dropped).toHaveLength(1);
    expect(parsedOf(dropped.map((d) => d.body))[0]).toMatchObject({
      changeType: 'deleted',
      state: 'terminated',
    });
    expect(await graph.getCall(callId)).toMatchObject({ ok: false, status: 404 });
  });

  it('dropTerminated as a probability is seeded too', async () => {
    const kept = async (seed: number): Promise<number> => {
      const { fake, bodies } = setup({ seed, dropTerminated: 0.5 });
      for (let i = 0; i < 12; i++) fake.remoteHangUp(fake.placeCall());
      await fake.settle();
      return parsedOf(bodies).filter(isTerminal).length;
    };
    const first = await kept(9);
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(12);
    expect(await kept(9)).toBe(first);
  });
});

describe('batch and delay', () => {
  it('batch groups up to n notifications, for several calls, into one envelope', async () => {
    const { fake, bodies } = setup({ batch: 3 });
    const a = fake.placeCall();
    const b = fake.incomingCall();
    fake.answer(b);
    await fake.settle();
    expect(bodies).toHaveLength(2);
    expect(bodies[0]).toMatchObject({ '@odata.type': '#microsoft.graph.commsNotifications' });
    expect(bodies.map((body) => parseNotifications(body).notifications.length)).toEqual([3, 2]);
    expect(parsedOf(bodies).map((n) => [n.callId, n.state])).toEqual([
      [a, 'establishing'],
      [a, 'established'],
      [b, 'incoming'],
      [b, 'establishing'],
      [b, 'established'],
    ]);
  });

  it('delayMs holds each post back, without changing the order', async () => {
    const { fake, graph, bodies } = setup({ delayMs: [20, 40], seed: 3 });
    const callId = fake.placeCall();
    const started = Date.now();
    expect((await graph.deleteCall(callId)).status).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(bodies).toEqual([]);
    await fake.settle();
    expect(fake.deliveries[0]?.at).toBeGreaterThanOrEqual(started + 19);
    expect(parsedOf(bodies).map((n) => n.state)).toEqual([
      'establishing',
      'established',
      'terminating',
      'terminated',
    ]);
  });

  it('settle() also waits for notifications produced while delivering', async () => {
    const bodies: unknown[] = [];
    let fake: FakeGraph | undefined;
    fake = createFakeGraph({
      deliver: (body) => {
        bodies.push(body);
        const [n] = parseNotifications(body).notifications;
        // A bot that hangs up as soon as the call is established.
        if (n?.state === 'established' && fake !== undefined) fake.remoteHangUp(n.callId);
      },
    });
    fakes.push(fake);
    fake.placeCall();
    await fake.settle();
    expect(parsedOf(bodies).map((n) => n.state)).toEqual([
      'establishing',
      'established',
      'terminating',
      'terminated',
    ]);
  });

  it('a deliver function that throws is recorded, and later deliveries go on', async () => {
    let calls = 0;
    const fake = createFakeGraph({
      deliver: () => {
        calls += 1;
        if (calls === 1) throw new Error('bot is down');
        return 'ok';
      },
    });
    fakes.push(fake);
    fake.placeCall();
    await fake.settle();
    expect(fake.deliveries.map((d) => [d.error, d.result])).toEqual([
      ['bot is down', undefined],
      [undefined, 'ok'],
    ]);
  });
});
