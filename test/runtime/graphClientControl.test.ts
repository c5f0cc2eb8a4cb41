// The Graph client's call-control requests (answer, reject, redirect, transfer) and placing a
// call, against the fake Graph (which checks the bodies as Graph documents them and answers in
// Graph's error shape) and against stub fetches for what the fake cannot stage: a fetch that
// never answers, a 201 that names no call.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type {
  AnswerRequest,
  PlaceCallRequest,
  RedirectRequest,
  RejectRequest,
  TransferRequest,
} from '../../src/graph/callRequests.js';
import { createGraphClient, type GraphFetch } from '../../src/runtime/graphClient.js';
import type { GraphClient, GraphResult } from '../../src/runtime/types.js';
import { createFakeGraph, type FakeGraph } from '../../src/testing/index.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const CALLBACK_URI = 'https://bot.contoso.com/api/calls';
const ALICE = { identity: { user: { id: '98da8a1a-1b87-452c-a713-65d3f10b5555' } } } as const;

const ANSWER: AnswerRequest = {
  callbackUri: CALLBACK_URI,
  mediaConfig: {
    '@odata.type': '#microsoft.graph.serviceHostedMediaConfig',
    preFetchMedia: [{ uri: 'https://cdn.contoso.com/beep.wav', resourceId: 'beep' }],
  },
  acceptedModalities: ['audio'],
};
const REJECT: RejectRequest = { reason: 'busy' };
const REDIRECT: RedirectRequest = { targets: [ALICE], timeout: 30 };
const TRANSFER: TransferRequest = { transferTarget: { ...ALICE, endpointType: 'default' } };
const PLACE: PlaceCallRequest = {
  callbackUri: CALLBACK_URI,
  requestedModalities: ['audio'],
  mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
  targets: [ALICE],
};

interface Sent {
  readonly url: string;
  readonly init: RequestInit;
}

const fakes: FakeGraph[] = [];

afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

/** A client over a fake Graph, with every fetch it makes recorded as the client made it. */
function overFake(options: { timeoutMs?: number } = {}) {
  const fake = createFakeGraph({ deliver: () => {} });
  fakes.push(fake);
  const sent: Sent[] = [];
  const getToken = vi.fn(async () => 'token-1');
  const graph = createGraphClient({
    getToken,
    baseUrl: fake.baseUrl,
    fetch: (url, init) => {
      sent.push({ url, init });
      return fake.fetch(url, init);
    },
    ...options,
  });
  return { fake, graph, sent, getToken };
}

/** A client over a stub fetch. */
function overStub(fetch: GraphFetch, options: { timeoutMs?: number } = {}) {
  const getToken = vi.fn(async () => 'token-1');
  const graph = createGraphClient({
    getToken,
    baseUrl: 'https://graph.example/v1.0',
    fetch,
    ...options,
  });
  return { graph, getToken };
}

function onlySent(sent: readonly Sent[]): Sent {
  expect(sent).toHaveLength(1);
  const [first] = sent;
  if (first === undefined) throw new Error('no request was sent');
  return first;
}

const never = () => new Promise<Response>(() => {});

interface Verb {
  readonly name: string;
  readonly action: string;
  readonly body: unknown;
  /** A call the verb may be sent for: incoming for answer/reject/redirect, established to transfer. */
  readonly prepare: (fake: FakeGraph) => string;
  readonly send: (graph: GraphClient, callId: string) => Promise<GraphResult>;
  /** The states the fake moved the call through in answer. */
  readonly states: readonly string[];
}

const VERBS: readonly Verb[] = [
  {
    name: 'answerCall',
    action: 'answer',
    body: ANSWER,
    prepare: (fake) => fake.incomingCall(),
    send: (graph, callId) => graph.answerCall(callId, ANSWER),
    states: ['incoming', 'establishing', 'established'],
  },
  {
    name: 'rejectCall',
    action: 'reject',
    body: REJECT,
    prepare: (fake) => fake.incomingCall(),
    send: (graph, callId) => graph.rejectCall(callId, REJECT),
    states: ['incoming', 'terminated'],
  },
  {
    name: 'redirectCall',
    action: 'redirect',
    body: REDIRECT,
    prepare: (fake) => fake.incomingCall(),
    send: (graph, callId) => graph.redirectCall(callId, REDIRECT),
    states: ['incoming', 'terminated'],
  },
  {
    name: 'transferCall',
    action: 'transfer',
    body: TRANSFER,
    prepare: (fake) => fake.placeCall(),
    send: (graph, callId) => graph.transferCall(callId, TRANSFER),
    states: ['establishing', 'established', 'transferring', 'transferAccepted', 'terminated'],
  },
];

describe.each(VERBS)('$name', (verb) => {
  it(`POSTs the request as JSON to …/calls/{id}/${verb.action}, and reads 202 as accepted`, async () => {
    const { fake, graph, sent } = overFake();
    const callId = verb.prepare(fake);

    const result = await verb.send(graph, callId);

    expect(result).toEqual({ ok: true, status: 202 });
    const { url, init } = onlySent(sent);
    expect(url).toBe(`${fake.baseUrl}/communications/calls/${callId}/${verb.action}`);
    expect(init.method).toBe('POST');
    expect(typeof init.body).toBe('string');
    expect(JSON.parse(String(init.body))).toEqual(verb.body);
    const headers = new Headers(init.headers);
    expect(headers.get('content-type')).toBe('application/json');
    expect(headers.get('accept')).toBe('application/json');
    expect(headers.get('authorization')).toBe('Bearer token-1');
    expect(headers.get('client-request-id')).toMatch(UUID);
    expect(init.redirect).toBe('manual');
    // The fake read the same body and did what Graph does with it.
    const [recorded] = fake.requests;
    expect(recorded).toMatchObject({
      method: 'POST',
      callId,
      action: verb.action,
      status: 202,
      body: verb.body,
      clientRequestId: headers.get('client-request-id'),
    });
    expect(fake.calls.get(callId)?.states).toEqual(verb.states);
  });

  it('passes on 429 with its Retry-After as retryAfterMs', async () => {
    const { fake, graph } = overFake();
    const callId = verb.prepare(fake);
    const before = [...(fake.calls.get(callId)?.states ?? [])];
    fake.throttleNext(1, 2);

    const result = await verb.send(graph, callId);

    expect(result).toMatchObject({
      ok: false,
      status: 429,
      retryAfterMs: 2_000,
      error: { code: 'TooManyRequests' },
    });
    // Throttled, so nothing happened to the call.
    expect(fake.calls.get(callId)?.states).toEqual(before);
  });

  it('gives up at timeoutMs with status 0 when fetch never answers', async () => {
    const fetch = vi.fn<GraphFetch>(never);
    const { graph } = overStub(fetch, { timeoutMs: 100 });
    const started = Date.now();

    const result = await verb.send(graph, 'abc');

    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result).toMatchObject({ ok: false, status: 0, error: { code: 'Timeout' } });
    if (result.ok) return;
    expect(result.error?.message).toContain('100 ms');
    expect(fetch).toHaveBeenCalledOnce();
    expect(fetch.mock.calls[0]?.[1].signal?.aborted).toBe(true);
  });

  it('refuses a call id that cannot be sent, without asking for a token or calling fetch', async () => {
    const fetch = vi.fn<GraphFetch>(never);
    const { graph, getToken } = overStub(fetch);

    const result = await verb.send(graph, '../admin');

    expect(result).toMatchObject({ ok: false, status: 0, error: { code: 'InvalidCallId' } });
    expect(fetch).not.toHaveBeenCalled();
    expect(getToken).not.toHaveBeenCalled();
  });
});

describe("Graph's refusals keep Graph's error", () => {
  it('400 for a body Graph would refuse: the code and message the fake (as Graph) gave', async () => {
    const { fake, graph } = overFake();
    const callId = fake.incomingCall();

    const result = await graph.answerCall(callId, {
      ...ANSWER,
      callbackUri: 'http://bot.contoso.com/api/calls',
    });

    expect(result).toMatchObject({ ok: false, status: 400, error: { code: 'BadRequest' } });
    if (result.ok) return;
    // Word for word what Graph (here the fake) said, so it can be logged and searched for.
    expect(result.error?.message).toBe(
      'answer: callbackUri must be an absolute https URL, got "http://bot.contoso.com/api/calls".',
    );
    expect(result.error?.requestId).toMatch(UUID);
    expect(result.error?.clientRequestId).toBe(fake.requests[0]?.clientRequestId);
    expect(fake.calls.get(callId)?.state).toBe('incoming');
  });

  it('400 for a redirect timeout out of range, and for a transfer target without an identity', async () => {
    const { fake, graph } = overFake();
    const incoming = fake.incomingCall();
    const established = fake.placeCall();

    const redirect = await graph.redirectCall(incoming, { ...REDIRECT, timeout: 5 });
    // A caller in plain JavaScript can send anything; Graph's answer is passed on.
    const transfer = await graph.transferCall(established, {
      transferTarget: {},
    } as unknown as TransferRequest);

    expect(redirect).toMatchObject({ ok: false, status: 400, error: { code: 'BadRequest' } });
    expect(transfer).toMatchObject({ ok: false, status: 400, error: { code: 'BadRequest' } });
    if (redirect.ok || transfer.ok) return;
    expect(redirect.error?.message).toContain('timeout');
    expect(transfer.error?.message).toContain('identity');
  });

  it('400 InvalidRequest for a call in the wrong state, and 404 for one that is gone', async () => {
    const { fake, graph } = overFake();
    const established = fake.placeCall();

    const answered = await graph.answerCall(established, ANSWER);
    const unknown = await graph.rejectCall('00000000-0000-4000-8000-000000000000', REJECT);

    expect(answered).toMatchObject({
      ok: false,
      status: 400,
      error: { code: 'InvalidRequest', message: expect.stringContaining('state established') },
    });
    expect(unknown).toMatchObject({ ok: false, status: 404, error: { code: 'itemNotFound' } });
  });
});

describe('placeCall', () => {
  it('POSTs the request as JSON to /communications/calls and reads the new call from the 201', async () => {
    const { fake, graph, sent } = overFake();

    const result = await graph.placeCall(PLACE);

    const { url, init } = onlySent(sent);
    expect(url).toBe(`${fake.baseUrl}/communications/calls`);
    expect(init.method).toBe('POST');
    expect(JSON.parse(String(init.body))).toEqual(PLACE);
    expect(new Headers(init.headers).get('content-type')).toBe('application/json');
    expect(fake.requests[0]).toMatchObject({ method: 'POST', status: 201, body: PLACE });
    expect(fake.requests[0]?.callId).toBeUndefined();

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const [created] = fake.calls.values();
    expect(created).toBeDefined();
    expect(result.status).toBe(201);
    expect(result.call).toMatchObject({
      id: created?.id,
      state: 'establishing',
      etag: 'W/"1"',
      direction: 'outgoing',
      myParticipantId: created?.myParticipantId,
    });
    expect(result.call.resource).toMatchObject({
      '@odata.type': '#microsoft.graph.call',
      id: created?.id,
      state: 'establishing',
    });
    // The id is one the client can address the call with.
    expect(await graph.getCall(result.call.id)).toMatchObject({ ok: true, status: 200 });
  });

  it('passes on a 400 for a body Graph would refuse, and a 429 with its Retry-After', async () => {
    const { fake, graph } = overFake();

    const bad = await graph.placeCall({ ...PLACE, requestedModalities: [] });
    fake.throttleNext(1, 0.5);
    const throttled = await graph.placeCall(PLACE);

    expect(bad).toMatchObject({ ok: false, status: 400, error: { code: 'BadRequest' } });
    expect(throttled).toMatchObject({ ok: false, status: 429, retryAfterMs: 500 });
    expect(fake.calls.size).toBe(0);
  });

  it('gives up at timeoutMs with status 0 when fetch never answers', async () => {
    const { graph } = overStub(never, { timeoutMs: 100 });
    expect(await graph.placeCall(PLACE)).toMatchObject({
      ok: false,
      status: 0,
      error: { code: 'Timeout' },
    });
  });

  const created =
    (body: string, headers: Record<string, string> = {}): GraphFetch =>
    async () =>
      new Response(body, {
        status: 201,
        headers: { 'content-type': 'application/json', ...headers },
      });

  it.each([
    ['no id', JSON.stringify({ state: 'establishing' }), 'the body names no call id'],
    ['a numeric id', JSON.stringify({ id: 42 }), "the body's id is a number, not text"],
    ['an id that is a path', JSON.stringify({ id: '../x' }), 'the call id holds "/" at index 2'],
    ['an empty body', '', 'the body is empty'],
    ['a body that is not JSON', '<html>', 'the body is not JSON'],
    ['an array', '[]', 'the body is not a JSON object'],
  ])('fails a 201 with %s as InvalidResponse, keeping the 201', async (_name, body, problem) => {
    const { graph } = overStub(created(body, { 'request-id': 'r-9' }));

    const result = await graph.placeCall(PLACE);

    expect(result).toMatchObject({
      ok: false,
      status: 201,
      error: {
        code: 'InvalidResponse',
        requestId: 'r-9',
        clientRequestId: expect.stringMatching(UUID),
      },
    });
    if (result.ok) return;
    expect(result.error?.message).toContain(problem);
    expect(result.error?.message).toContain(
      'POST https://graph.example/v1.0/communications/calls answered 201',
    );
  });

  it('keeps the 201 when its body never finishes: a call may exist all the same', async () => {
    const stalled: GraphFetch = async () =>
      new Response(
        new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode('{"id":')) }),
        {
          status: 201,
        },
      );
    const { graph } = overStub(stalled, { timeoutMs: 100 });

    const result = await graph.placeCall(PLACE);

    expect(result).toMatchObject({ ok: false, status: 201, error: { code: 'Timeout' } });
    if (result.ok) return;
    expect(result.error?.message).toContain('body did not arrive');
  });

  it.each([
    [
      { id: 'c-1', callState: 'Establishing' },
      { id: 'c-1', state: 'establishing' },
    ],
    [
      { id: 'c-1', state: 'parked' },
      { id: 'c-1', state: 'unknownFutureValue' },
    ],
    [{ id: 'c-1', direction: 'sideways', myParticipantId: 7, '@odata.etag': '' }, { id: 'c-1' }],
    [
      { id: 'c-1', direction: 'incoming', myParticipantId: 'p-1', '@odata.etag': 'W/"3"' },
      { id: 'c-1', direction: 'incoming', myParticipantId: 'p-1', etag: 'W/"3"' },
    ],
  ])('reads %j as %j, leaving out what is not well-formed', async (body, call) => {
    const { graph } = overStub(created(JSON.stringify(body)));

    const result = await graph.placeCall(PLACE);

    expect(result).toEqual({ ok: true, status: 201, call: { ...call, resource: body } });
  });
});

describe('a body that cannot be written as JSON', () => {
  const cyclic: Record<string, unknown> = { ...ANSWER };
  cyclic.self = cyclic;

  it.each([
    [
      'a cycle',
      (g: GraphClient) => g.answerCall('abc', cyclic as unknown as AnswerRequest),
      'The answer request',
      /circular/i,
    ],
    [
      'a BigInt',
      (g: GraphClient) => g.placeCall({ ...PLACE, tenantId: 1n } as unknown as PlaceCallRequest),
      'The call to place',
      /BigInt/,
    ],
    [
      'a toJSON that throws',
      (g: GraphClient) =>
        g.transferCall('abc', {
          ...TRANSFER,
          toJSON: () => {
            throw new Error('no JSON for you');
          },
        } as TransferRequest),
      'The transfer request',
      /no JSON for you/,
    ],
    [
      'no request at all',
      (g: GraphClient) => g.rejectCall('abc', undefined as unknown as RejectRequest),
      'The reject request',
      /it is undefined, not an object/,
    ],
    [
      'an array',
      (g: GraphClient) => g.redirectCall('abc', [] as unknown as RedirectRequest),
      'The redirect request',
      /it is an array, not an object/,
    ],
  ] as const)(
    '%s is InvalidRequest, status 0, and nothing is sent',
    async (_name, send, what, why) => {
      const fetch = vi.fn<GraphFetch>(never);
      const { graph, getToken } = overStub(fetch);

      const result = await send(graph);

      expect(result).toMatchObject({ ok: false, status: 0, error: { code: 'InvalidRequest' } });
      if (result.ok) return;
      expect(result.error?.message).toMatch(new RegExp(`^${what} cannot be sent: `));
      expect(result.error?.message).toMatch(why);
      expect(result.error?.message).toMatch(/No request was sent\.$/);
      expect(fetch).not.toHaveBeenCalled();
      expect(getToken).not.toHaveBeenCalled();
    },
  );
});

describe('requests without a body are unchanged', () => {
  it('keepAlive still sends no body and no content type', async () => {
    const { fake, graph, sent } = overFake();
    const callId = fake.placeCall();

    expect(await graph.keepAlive(callId)).toEqual({ ok: true, status: 200 });
    const { init } = onlySent(sent);
    expect(init.body).toBeUndefined();
    expect(new Headers(init.headers).has('content-type')).toBe(false);
  });
});
