// The fake Graph answering the library's real Graph client through its injected fetch, and
// scripting call lifecycles whose notifications the library's parser reads as the docs show.
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CallNotification,
  createGraphClient,
  type GraphClient,
  parseNotifications,
} from '../../src/index.js';
import { createFakeGraph, type FakeGraph, type FakeGraphOptions } from '../../src/testing/index.js';
import { ANSWER, PLACE_CALL, post, REDIRECT, REJECT, TRANSFER } from './requestBodies.js';

const fakes: FakeGraph[] = [];

afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

interface Setup {
  readonly fake: FakeGraph;
  readonly graph: GraphClient;
  /** Every body delivered, in order. */
  readonly bodies: unknown[];
}

function setup(options: Omit<FakeGraphOptions, 'deliver'> = {}): Setup {
  const bodies: unknown[] = [];
  const fake = createFakeGraph({ ...options, deliver: (body) => void bodies.push(body) });
  fakes.push(fake);
  const graph = createGraphClient({
    getToken: async () => 'token',
    fetch: fake.fetch,
    baseUrl: fake.baseUrl,
  });
  return { fake, graph, bodies };
}

/** The notifications of every delivered body, parsed, as [callId?, changeType, state]. */
function delivered(bodies: readonly unknown[]): CallNotification[] {
  return bodies.flatMap((body) => {
    const { notifications, rejected } = parseNotifications(body);
    expect(rejected).toEqual([]);
    return notifications;
  });
}

function states(bodies: readonly unknown[]): [string, string | undefined][] {
  return delivered(bodies).map((n) => [n.changeType, n.state]);
}

describe('DELETE /communications/calls/{id}', () => {
  it('answers 204 for a live call, then delivers updated terminating and deleted terminated (200/5001)', async () => {
    const { fake, graph, bodies } = setup();
    const callId = fake.placeCall();
    await fake.settle();
    bodies.length = 0;

    const result = await graph.deleteCall(callId);
    expect(result).toEqual({ ok: true, status: 204 });
    // Asynchronous, as in reality: nothing was delivered when the 204 came back.
    expect(bodies).toEqual([]);

    await fake.settle();
    const notifications = delivered(bodies);
    expect(notifications.map((n) => [n.callId, n.changeType, n.state, n.etag])).toEqual([
      [callId, 'updated', 'terminating', 'W/"3"'],
      [callId, 'deleted', 'terminated', 'W/"4"'],
    ]);
    expect(notifications[1]?.resultInfo).toEqual({
      code: 200,
      subcode: 5001,
      message: 'The conversation has ended.',
    });
    expect(fake.calls.get(callId)).toMatchObject({
      state: 'terminated',
      ended: true,
      etag: 4,
      states: ['establishing', 'established', 'terminating', 'terminated'],
    });
    expect(fake.requests).toEqual([
      expect.objectContaining({
        method: 'DELETE',
        path: `/v1.0/communications/calls/${callId}`,
        callId,
        status: 204,
        authorization: true,
      }),
    ]);
  });

  it('answers 404 with Graph’s error body for an unknown call, and for one that has ended', async () => {
    const { fake, graph } = setup();
    const unknown = await graph.deleteCall('no-such-call');
    expect(unknown).toMatchObject({ ok: false, status: 404, error: { code: 'itemNotFound' } });
    if (unknown.ok) throw new Error('unreachable');
    expect(unknown.error?.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(unknown.error?.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    expect(unknown.error?.message).toContain('no-such-call');

    const callId = fake.placeCall();
    expect((await graph.deleteCall(callId)).status).toBe(204);
    expect((await graph.deleteCall(callId)).status).toBe(404);
    expect(fake.requests.map((r) => r.status)).toEqual([404, 204, 404]);
  });

  it('the raw 404 body is Graph’s OData error with innerError request-id and date', async () => {
    const { fake } = setup();
    const response = await fake.fetch(`${fake.baseUrl}/communications/calls/x`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer t', 'client-request-id': 'c-1' },
    });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('client-request-id')).toBe('c-1');
    const body = (await response.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({
      code: 'itemNotFound',
      message: expect.any(String),
      innerError: {
        'request-id': response.headers.get('request-id'),
        'client-request-id': 'c-1',
        date: expect.any(String),
      },
    });
  });

  it('also serves the deprecated /app/calls/{id} path (beta)', async () => {
    const { fake, bodies } = setup({ apiVersion: 'beta' });
    expect(fake.baseUrl).toMatch(/\/beta$/);
    const graph = createGraphClient({
      getToken: async () => 't',
      fetch: fake.fetch,
      baseUrl: fake.baseUrl,
      callsPath: 'app',
    });
    const callId = fake.placeCall();
    expect((await graph.deleteCall(callId)).status).toBe(204);
    expect(fake.requests[0]?.path).toBe(`/beta/app/calls/${callId}`);
    await fake.settle();
    expect(states(bodies).slice(-2)).toEqual([
      ['updated', 'terminating'],
      ['deleted', 'terminated'],
    ]);
  });
});

describe('GET and keepAlive', () => {
  it('GET answers 200 with the call while it lives, 404 once it ended', async () => {
    const { fake, graph } = setup();
    const callId = fake.placeCall();
    expect(await graph.getCall(callId)).toEqual({ ok: true, status: 200, state: 'established' });
    const response = await fake.fetch(`${fake.baseUrl}/communications/calls/${callId}`, {
      headers: { authorization: 'Bearer t' },
    });
    expect(await response.json()).toEqual({
      '@odata.context': 'https://fake-graph.invalid/v1.0/$metadata#communications/calls/$entity',
      '@odata.type': '#microsoft.graph.call',
      '@odata.etag': 'W/"2"',
      id: callId,
      state: 'established',
      direction: 'outgoing',
      source: {
        '@odata.type': '#microsoft.graph.participantInfo',
        identity: {
          '@odata.type': '#microsoft.graph.identitySet',
          application: {
            '@odata.type': '#microsoft.graph.identity',
            displayName: 'Test BOT',
            id: expect.any(String),
          },
        },
      },
      targets: [
        expect.objectContaining({ '@odata.type': '#microsoft.graph.invitationParticipantInfo' }),
      ],
      requestedModalities: ['audio'],
      myParticipantId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    fake.remoteHangUp(callId);
    expect(await graph.getCall(callId)).toMatchObject({ ok: false, status: 404 });
    expect(await graph.getCall('unknown')).toMatchObject({ ok: false, status: 404 });
  });

  it('keepAlive answers 200 for a live call and 404 for an unknown or ended one', async () => {
    const { fake, graph } = setup();
    const callId = fake.incomingCall();
    expect(await graph.keepAlive(callId)).toEqual({ ok: true, status: 200 });
    expect(fake.requests.at(-1)).toMatchObject({ method: 'POST', action: 'keepAlive', callId });
    fake.reject(callId);
    expect((await graph.keepAlive(callId)).status).toBe(404);
    expect((await graph.keepAlive('nope')).status).toBe(404);
  });
});

describe('authorization', () => {
  it('answers 401 without a bearer token, and records that no token came', async () => {
    const { fake } = setup();
    const callId = fake.placeCall();
    const response = await fake.fetch(`${fake.baseUrl}/communications/calls/${callId}`, {
      method: 'DELETE',
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(await response.json()).toMatchObject({
      error: { code: 'InvalidAuthenticationToken' },
    });
    expect(fake.requests[0]).toMatchObject({ status: 401, authorization: false });
    expect(fake.calls.get(callId)?.ended).toBe(false);
  });

  it('answers 401 when authorize() refuses the token', async () => {
    const { fake } = setup({ authorize: (token) => token === 'good' });
    const callId = fake.placeCall();
    const bad = createGraphClient({
      getToken: async () => 'bad',
      fetch: fake.fetch,
      baseUrl: fake.baseUrl,
    });
    const good = createGraphClient({
      getToken: async () => 'good',
      fetch: fake.fetch,
      baseUrl: fake.baseUrl,
    });
    expect((await bad.getCall(callId)).status).toBe(401);
    expect((await good.getCall(callId)).status).toBe(200);
    expect(fake.requests.map((r) => r.authorization)).toEqual([true, true]);
  });
});

describe('scripted lifecycles deliver what the docs show', () => {
  it('placeCall: establishing, established; establish:false stops at establishing', async () => {
    const { fake, bodies } = setup();
    const a = fake.placeCall();
    const b = fake.placeCall({ establish: false, callId: 'b' });
    expect(b).toBe('b');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await fake.settle();
    expect(delivered(bodies).map((n) => [n.callId, n.state, n.etag])).toEqual([
      [a, 'establishing', 'W/"1"'],
      [a, 'established', 'W/"2"'],
      ['b', 'establishing', 'W/"1"'],
    ]);
  });

  it('incomingCall, answer: created incoming, establishing, established', async () => {
    const { fake, bodies } = setup();
    const callId = fake.incomingCall();
    fake.answer(callId);
    await fake.settle();
    expect(states(bodies)).toEqual([
      ['created', 'incoming'],
      ['updated', 'establishing'],
      ['updated', 'established'],
    ]);
    expect(delivered(bodies)[0]?.raw).toMatchObject({ resourceData: { direction: 'incoming' } });
  });

  it('reject: one deleted with no state', async () => {
    const { fake, bodies } = setup();
    const callId = fake.incomingCall();
    fake.reject(callId);
    await fake.settle();
    expect(states(bodies)).toEqual([
      ['created', 'incoming'],
      ['deleted', undefined],
    ]);
    expect(fake.calls.get(callId)?.ended).toBe(true);
  });

  it('redirect: deleted terminated', async () => {
    const { fake, bodies } = setup();
    fake.redirect(fake.incomingCall());
    await fake.settle();
    expect(states(bodies)).toEqual([
      ['created', 'incoming'],
      ['deleted', 'terminated'],
    ]);
  });

  it('transfer: transferring, transferAccepted, deleted terminated with 0/7015', async () => {
    const { fake, bodies } = setup();
    const callId = fake.placeCall();
    fake.transfer(callId);
    await fake.settle();
    const notifications = delivered(bodies).slice(2);
    expect(notifications.map((n) => [n.changeType, n.state])).toEqual([
      ['updated', 'transferring'],
      ['updated', 'transferAccepted'],
      ['deleted', 'terminated'],
    ]);
    expect(notifications[2]?.resultInfo).toMatchObject({ code: 0, subcode: 7015 });
  });

  it('transfer that fails: back to established with 500/7000, and the call lives on', async () => {
    const { fake, bodies, graph } = setup();
    const callId = fake.placeCall();
    fake.transfer(callId, { fail: true });
    await fake.settle();
    const last = delivered(bodies).at(-1);
    expect([last?.changeType, last?.state, last?.resultInfo]).toEqual([
      'updated',
      'established',
      { code: 500, subcode: 7000, message: expect.any(String) },
    ]);
    expect((await graph.getCall(callId)).status).toBe(200);
  });

  it('remoteHangUp: terminating, then deleted terminated', async () => {
    const { fake, bodies } = setup();
    const callId = fake.placeCall();
    fake.remoteHangUp(callId);
    await fake.settle();
    expect(states(bodies).slice(2)).toEqual([
      ['updated', 'terminating'],
      ['deleted', 'terminated'],
    ]);
  });

  it('setState moves a live call anywhere; push sends hand-built items', async () => {
    const { fake, bodies } = setup();
    const callId = fake.placeCall();
    fake.setState(callId, 'hold');
    fake.setState(callId, 'established');
    fake.push({
      '@odata.type': '#microsoft.graph.commsNotification',
      changeType: 'updated',
      resourceUrl: `/communications/calls/${callId}/participants`,
      resourceData: [{ '@odata.type': '#microsoft.graph.participant', id: 'p' }],
    });
    await fake.settle();
    expect(delivered(bodies).map((n) => [n.resource, n.state])).toEqual([
      ['call', 'establishing'],
      ['call', 'established'],
      ['call', 'hold'],
      ['call', 'established'],
      ['participants', undefined],
    ]);
  });

  it('scripting what Graph would refuse throws a message that says why', () => {
    const { fake } = setup();
    const callId = fake.placeCall();
    expect(() => fake.answer(callId)).toThrow(/only a call in state incoming/);
    expect(() => fake.transfer('ghost')).toThrow(/not found.*Known calls/);
    fake.remoteHangUp(callId);
    expect(() => fake.remoteHangUp(callId)).toThrow(/has ended/);
    expect(() => fake.placeCall({ callId })).toThrow(/already exists/);
  });
});

describe('Graph’s other call endpoints, for bots that drive Graph themselves', () => {
  it('POST /calls creates an outgoing call: 201 with state establishing, then notifications', async () => {
    const { fake, bodies } = setup();
    const response = await post(fake, '', { ...PLACE_CALL, callbackUri: 'https://bot.example/cb' });
    expect(response.status).toBe(201);
    const call = (await response.json()) as { id: string; state: string; callbackUri: string };
    expect(call).toMatchObject({ state: 'establishing', callbackUri: 'https://bot.example/cb' });
    await fake.settle();
    expect(delivered(bodies).map((n) => [n.callId, n.state])).toEqual([
      [call.id, 'establishing'],
      [call.id, 'established'],
    ]);
  });

  it('answer and transfer answer 202; a wrong state is 400; an unknown call 404', async () => {
    const { fake, bodies } = setup();
    const callId = fake.incomingCall();
    expect((await post(fake, `/${callId}/transfer`, TRANSFER)).status).toBe(400);
    expect((await post(fake, `/${callId}/answer`, ANSWER)).status).toBe(202);
    expect((await post(fake, `/${callId}/transfer`, TRANSFER)).status).toBe(202);
    expect((await post(fake, '/ghost/reject', REJECT)).status).toBe(404);
    await fake.settle();
    expect(states(bodies).map(([, state]) => state)).toEqual([
      'incoming',
      'establishing',
      'established',
      'transferring',
      'transferAccepted',
      'terminated',
    ]);
  });

  it('reject and redirect over HTTP end the incoming call', async () => {
    const { fake } = setup();
    const a = fake.incomingCall();
    const b = fake.incomingCall();
    expect((await post(fake, `/${a}/reject`, REJECT)).status).toBe(202);
    expect((await post(fake, `/${b}/redirect`, REDIRECT)).status).toBe(202);
    expect([fake.calls.get(a)?.ended, fake.calls.get(b)?.ended]).toEqual([true, true]);
  });

  it('unknown paths and methods answer 400 / 405 with a message naming what is served', async () => {
    const { fake } = setup();
    const other = await fake.fetch(`${fake.baseUrl}/me/events`, {
      headers: { authorization: 'Bearer t' },
    });
    expect(other.status).toBe(400);
    expect(JSON.stringify(await other.json())).toContain('/communications/calls');
    const put = await fake.fetch(`${fake.baseUrl}/communications/calls/x`, {
      method: 'PUT',
      headers: { authorization: 'Bearer t' },
    });
    expect(put.status).toBe(405);
  });

  it('after close(), requests fail like a refused connection', async () => {
    const { fake, graph } = setup();
    await fake.close();
    const result = await graph.getCall('x');
    expect(result).toMatchObject({ ok: false, status: 0, error: { code: 'NetworkError' } });
  });
});

describe('options are checked', () => {
  it('rejects probabilities, windows, batches and delays that cannot work', () => {
    expect(() => createFakeGraph({ faults: { duplicate: 2 } })).toThrow(
      /duplicate.*between 0 and 1/,
    );
    expect(() => createFakeGraph({ faults: { dropTerminated: -1 } })).toThrow(RangeError);
    expect(() => createFakeGraph({ faults: { batch: 0 } })).toThrow(
      /batch must be an integer >= 1/,
    );
    expect(() => createFakeGraph({ faults: { reorderWindow: 1.5 } })).toThrow(/reorderWindow/);
    expect(() => createFakeGraph({ faults: { delayMs: [5, 1] } })).toThrow(/delayMs/);
    expect(() => createFakeGraph({ faults: { seed: 0.5 } })).toThrow(/seed/);
    expect(() => createFakeGraph({ faults: { fail: { status: 200 } } })).toThrow(/400-599/);
    expect(() => createFakeGraph({ deliver: 'not a url' })).toThrow(/absolute webhook URL/);
  });
});
