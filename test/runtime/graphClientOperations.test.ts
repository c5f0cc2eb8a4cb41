// The Graph client's operations on a call (prompts, recording, DTMF, mute, recording status,
// invitations and removals), against stub fetches: each test decides what Graph answers, and
// every request is recorded as the client made it.
import { describe, expect, it, vi } from 'vitest';
import type { OperationRequest, OperationRequests } from '../../src/graph/operationRequests.js';
import { createGraphClient, type GraphFetch } from '../../src/runtime/graphClient.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const BASE = 'https://graph.example/v1.0';
const CALL_ID = '57dab8b1-894c-409a-b240-bd8beae78896';
const CALLS = `${BASE}/communications/calls/${CALL_ID}`;
const PARTICIPANT_ID = 'a7ebfb2d-4b7e-4a3f-9b1a-6a1c3f0e2d11';
const WELCOME = {
  mediaInfo: { uri: 'https://cdn.contoso.com/welcome.wav', resourceId: 'welcome' },
};

interface Sent {
  readonly url: string;
  readonly init: RequestInit;
}

/** A client over a stub fetch that answers every request with `answer()`, recording each. */
function overStub(
  answer: GraphFetch = async () => reply(200),
  options: { timeoutMs?: number } = {},
) {
  const sent: Sent[] = [];
  const fetch = vi.fn<GraphFetch>((url, init) => {
    sent.push({ url, init });
    return answer(url, init);
  });
  const getToken = vi.fn(async () => 'token-1');
  const graph = createGraphClient({ getToken, baseUrl: BASE, fetch, ...options });
  return { graph, sent, fetch, getToken };
}

function reply(status: number, body?: unknown, headers: Record<string, string> = {}): Response {
  const text = body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body);
  return new Response(text, {
    status,
    headers: text === null ? headers : { 'content-type': 'application/json', ...headers },
  });
}

function onlySent(sent: readonly Sent[]): Sent {
  expect(sent).toHaveLength(1);
  const [first] = sent;
  if (first === undefined) throw new Error('no request was sent');
  return first;
}

const never = () => new Promise<Response>(() => {});

function op<K extends OperationRequest['kind']>(
  kind: K,
  request: OperationRequests[K],
): OperationRequest {
  return { kind, request } as OperationRequest;
}

const PLAY = op('playPrompt', { prompts: [WELCOME], clientContext: 'k1' });
const REMOVE = op('removeParticipant', { participantId: PARTICIPANT_ID });

interface Kind {
  readonly kind: OperationRequest['kind'];
  readonly operation: OperationRequest;
  readonly method: 'POST' | 'DELETE';
  /** The path after `…/calls/{id}`. */
  readonly suffix: string;
}

const KINDS: readonly Kind[] = [
  { kind: 'playPrompt', operation: PLAY, method: 'POST', suffix: '/playPrompt' },
  {
    kind: 'recordResponse',
    operation: op('recordResponse', {
      prompts: [WELCOME],
      bargeInAllowed: true,
      initialSilenceTimeoutInSeconds: 5,
      maxSilenceTimeoutInSeconds: 2,
      maxRecordDurationInSeconds: 10,
      playBeep: true,
      stopTones: ['#', '1', '*'],
      clientContext: 'k2',
    }),
    method: 'POST',
    suffix: '/recordResponse',
  },
  {
    kind: 'cancelMediaProcessing',
    operation: op('cancelMediaProcessing', { clientContext: 'k3' }),
    method: 'POST',
    suffix: '/cancelMediaProcessing',
  },
  {
    kind: 'subscribeToTone',
    operation: op('subscribeToTone', { clientContext: 'k4' }),
    method: 'POST',
    suffix: '/subscribeToTone',
  },
  {
    kind: 'sendDtmfTones',
    operation: op('sendDtmfTones', {
      tones: ['tone1', 'star', 'pound'],
      delayBetweenTonesMs: 300,
      clientContext: 'k5',
    }),
    method: 'POST',
    suffix: '/sendDtmfTones',
  },
  { kind: 'mute', operation: op('mute', { clientContext: 'k6' }), method: 'POST', suffix: '/mute' },
  {
    kind: 'unmute',
    operation: op('unmute', { clientContext: 'k7' }),
    method: 'POST',
    suffix: '/unmute',
  },
  {
    kind: 'updateRecordingStatus',
    operation: op('updateRecordingStatus', { status: 'recording', clientContext: 'k8' }),
    method: 'POST',
    suffix: '/updateRecordingStatus',
  },
  {
    kind: 'invite',
    operation: op('invite', {
      participants: [
        {
          identity: { user: { id: '98da8a1a-1b87-452c-a713-65d3f10b5555' } },
          replacesCallId: 'e0f3e7f4-2b1c-4f5e-9d6a-3c2b1a0f9e8d',
        },
      ],
      clientContext: 'k9',
    }),
    method: 'POST',
    suffix: '/participants/invite',
  },
  {
    kind: 'removeParticipant',
    operation: REMOVE,
    method: 'DELETE',
    suffix: `/participants/${PARTICIPANT_ID}`,
  },
];

describe.each(KINDS)('runOperation $kind', ({ operation, method, suffix }) => {
  it(`sends ${method} …/calls/{id}${suffix.replace(PARTICIPANT_ID, '{participantId}')}`, async () => {
    const { graph, sent } = overStub();

    const result = await graph.runOperation(CALL_ID, operation);

    expect(result).toEqual({ ok: true, status: 200 });
    const { url, init } = onlySent(sent);
    expect(url).toBe(`${CALLS}${suffix}`);
    expect(init.method).toBe(method);
    const headers = new Headers(init.headers);
    if (method === 'POST') {
      // The operation's body, clientContext included, as JSON.
      expect(typeof init.body).toBe('string');
      expect(JSON.parse(String(init.body))).toEqual(operation.request);
      expect(headers.get('content-type')).toBe('application/json');
    } else {
      // The participant is named by the URL: a DELETE has no body.
      expect(init.body).toBeUndefined();
      expect(headers.has('content-type')).toBe(false);
    }
    expect(headers.get('accept')).toBe('application/json');
    expect(headers.get('authorization')).toBe('Bearer token-1');
    expect(headers.get('client-request-id')).toMatch(UUID);
    expect(init.redirect).toBe('manual');
    expect(init.signal).toBeInstanceOf(AbortSignal);
  });

  it('passes on 429 with its Retry-After as retryAfterMs', async () => {
    const { graph } = overStub(async () =>
      reply(
        429,
        { error: { code: 'TooManyRequests', message: 'Slow down.' } },
        { 'retry-after': '2' },
      ),
    );

    const result = await graph.runOperation(CALL_ID, operation);

    expect(result).toMatchObject({
      ok: false,
      status: 429,
      retryAfterMs: 2_000,
      error: { code: 'TooManyRequests', message: 'Slow down.' },
    });
  });

  it('gives up at timeoutMs with status 0 when fetch never answers', async () => {
    const { graph, fetch } = overStub(never, { timeoutMs: 100 });
    const started = Date.now();

    const result = await graph.runOperation(CALL_ID, operation);

    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result).toMatchObject({ ok: false, status: 0, error: { code: 'Timeout' } });
    if (result.ok) return;
    expect(result.error?.message).toContain('100 ms');
    expect(fetch).toHaveBeenCalledOnce();
    expect(fetch.mock.calls[0]?.[1].signal?.aborted).toBe(true);
  });

  it('refuses a call id that cannot be sent, without asking for a token or calling fetch', async () => {
    const { graph, fetch, getToken } = overStub(never);

    const result = await graph.runOperation('../admin', operation);

    expect(result).toMatchObject({ ok: false, status: 0, error: { code: 'InvalidCallId' } });
    expect(fetch).not.toHaveBeenCalled();
    expect(getToken).not.toHaveBeenCalled();
  });
});

describe('what a 2xx says about the operation', () => {
  it("reads Graph's commsOperation from a 200", async () => {
    const { graph } = overStub(async () =>
      reply(200, {
        '@odata.type': '#microsoft.graph.playPromptOperation',
        id: 'op1',
        status: 'running',
        clientContext: 'k1',
      }),
    );

    expect(await graph.runOperation(CALL_ID, PLAY)).toEqual({
      ok: true,
      status: 200,
      operation: {
        id: 'op1',
        status: 'running',
        clientContext: 'k1',
        dataType: '#microsoft.graph.playPromptOperation',
      },
    });
  });

  it('reads an operation that completed at once, with its result and where its recording is', async () => {
    const { graph } = overStub(async () =>
      reply(200, {
        '@odata.type': '#microsoft.graph.recordOperation',
        id: 'op2',
        status: 'completed',
        clientContext: 'k2',
        completionReason: 'maxRecordDurationReached',
        recordingLocation: 'https://media.example/recording.wav',
        recordingAccessToken: 'secret',
        resultInfo: { code: '200', subcode: '8515', message: 'Recorded.' },
      }),
    );

    const result = await graph.runOperation(CALL_ID, PLAY);

    expect(result).toEqual({
      ok: true,
      status: 200,
      operation: {
        id: 'op2',
        status: 'completed',
        clientContext: 'k2',
        completionReason: 'maxRecordDurationReached',
        recordingLocation: 'https://media.example/recording.wav',
        resultInfo: { code: 200, subcode: 8515, message: 'Recorded.' },
        dataType: '#microsoft.graph.recordOperation',
      },
    });
    // The recording's access token is a credential: it is never read.
    expect(JSON.stringify(result)).not.toContain('secret');
  });

  it('answers a 204 (the removal of a participant) as taken, without an operation', async () => {
    const { graph } = overStub(async () => reply(204));

    expect(await graph.runOperation(CALL_ID, REMOVE)).toEqual({ ok: true, status: 204 });
  });

  it.each([
    ['an empty body', ''],
    ['a body that is only white space', ' \n'],
    ['a body that is not JSON', '<html>OK</html>'],
    ['a JSON array', '[]'],
    ['a JSON string', '"running"'],
  ])('answers a 200 with %s as taken, without an operation', async (_name, body) => {
    const { graph } = overStub(
      async () => new Response(body, { status: 200, headers: { 'content-type': 'text/html' } }),
    );

    expect(await graph.runOperation(CALL_ID, PLAY)).toEqual({ ok: true, status: 200 });
  });

  it('answers a 202 whose body never finishes as taken: Graph has the request all the same', async () => {
    const stalled: GraphFetch = async () =>
      new Response(
        new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode('{"id":')) }),
        { status: 202 },
      );
    const { graph } = overStub(stalled, { timeoutMs: 100 });

    expect(await graph.runOperation(CALL_ID, PLAY)).toEqual({ ok: true, status: 202 });
  });
});

describe("Graph's refusals keep Graph's error", () => {
  it('404 with a Graph error body: its code, message, request-id and date', async () => {
    const { graph } = overStub(async () =>
      reply(404, {
        error: {
          code: 'itemNotFound',
          message: 'Unknown call.',
          innerError: { 'request-id': 'r-404', date: '2024-05-01T10:00:00' },
        },
      }),
    );

    const result = await graph.runOperation(CALL_ID, PLAY);

    expect(result).toEqual({
      ok: false,
      status: 404,
      error: {
        code: 'itemNotFound',
        message: 'Unknown call.',
        requestId: 'r-404',
        clientRequestId: expect.stringMatching(UUID),
        date: '2024-05-01T10:00:00',
      },
    });
  });

  it('a network error is status 0, NetworkError', async () => {
    const { graph } = overStub(async () => {
      throw new TypeError('fetch failed', { cause: new Error('ECONNRESET') });
    });

    const result = await graph.runOperation(CALL_ID, REMOVE);

    expect(result).toMatchObject({ ok: false, status: 0, error: { code: 'NetworkError' } });
    if (result.ok) return;
    expect(result.error?.message).toContain('ECONNRESET');
  });
});

describe('removeParticipant', () => {
  it('percent-encodes the participant id, as the call id is', async () => {
    const { graph, sent } = overStub(async () => reply(204));

    await graph.runOperation(CALL_ID, op('removeParticipant', { participantId: 'a/b?c#d é' }));

    expect(onlySent(sent).url).toBe(`${CALLS}/participants/a%2Fb%3Fc%23d%20%C3%A9`);
  });

  it.each([
    ['empty', '', 'the participant id is empty'],
    ['longer than 256', 'p'.repeat(257), '257 UTF-16 code units long'],
    ['holding a control character', 'p\u0000q', 'control character U+0000 at index 1'],
    ['holding a C1 control character', 'p\u0085', 'control character U+0085 at index 1'],
    ['`..`, which would address the call itself', '..', 'relative path segment'],
    ['`.`', '.', 'relative path segment'],
    ['not well-formed UTF-16', 'p\ud800', 'unpaired surrogate'],
    ['not text', 42 as unknown as string, 'the participant id is number, not text'],
  ])(
    'refuses a participant id %s with status 0, InvalidRequest, sending nothing',
    async (_name, participantId, why) => {
      const { graph, fetch, getToken } = overStub(never);

      const result = await graph.runOperation(CALL_ID, op('removeParticipant', { participantId }));

      expect(result).toMatchObject({ ok: false, status: 0, error: { code: 'InvalidRequest' } });
      if (result.ok) return;
      expect(result.error?.message).toMatch(/^The removeParticipant request cannot be sent: /);
      expect(result.error?.message).toContain(why);
      expect(result.error?.message).toMatch(/No request was sent\.$/);
      expect(fetch).not.toHaveBeenCalled();
      expect(getToken).not.toHaveBeenCalled();
    },
  );

  it('accepts a participant id of exactly 256 characters', async () => {
    const { graph, sent } = overStub(async () => reply(204));
    const participantId = 'p'.repeat(256);

    const result = await graph.runOperation(CALL_ID, op('removeParticipant', { participantId }));

    expect(result).toEqual({ ok: true, status: 204 });
    expect(onlySent(sent).url).toBe(`${CALLS}/participants/${participantId}`);
  });
});

describe('an operation that cannot be sent', () => {
  const cyclic: Record<string, unknown> = { clientContext: 'k1' };
  cyclic.self = cyclic;

  it.each([
    [
      'a BigInt in its body',
      {
        kind: 'sendDtmfTones',
        request: { tones: ['tone1'], delayBetweenTonesMs: 1n, clientContext: 'k' },
      },
      'The sendDtmfTones request cannot be sent: JSON.stringify failed on it',
    ],
    [
      'a cycle in its body',
      { kind: 'mute', request: cyclic },
      'The mute request cannot be sent: JSON.stringify failed on it',
    ],
    [
      'no body at all',
      { kind: 'invite', request: undefined },
      'The invite request cannot be sent: it is undefined, not an object',
    ],
    [
      'a kind the client does not know',
      { kind: 'hold', request: { clientContext: 'k' } },
      'The operation cannot be sent: its kind "hold" is none of playPrompt, recordResponse,',
    ],
    ['no operation at all', null, 'The operation cannot be sent: it is null, not an object'],
  ])('%s is InvalidRequest, status 0, and nothing is sent', async (_name, operation, why) => {
    const { graph, fetch, getToken } = overStub(never);

    const result = await graph.runOperation(CALL_ID, operation as unknown as OperationRequest);

    expect(result).toMatchObject({ ok: false, status: 0, error: { code: 'InvalidRequest' } });
    if (result.ok) return;
    expect(result.error?.message).toContain(why);
    expect(result.error?.message).toMatch(/No request was sent\.$/);
    expect(fetch).not.toHaveBeenCalled();
    expect(getToken).not.toHaveBeenCalled();
  });

  it('an operation whose kind throws when read is a ClientError, never a rejection', async () => {
    const { graph, fetch } = overStub(never);
    const hostile = {
      get kind(): never {
        throw new Error('no kind for you');
      },
    };

    const result = await graph.runOperation(CALL_ID, hostile as unknown as OperationRequest);

    expect(result).toMatchObject({ ok: false, status: 0, error: { code: 'ClientError' } });
    if (result.ok) return;
    expect(result.error?.message).toContain('no kind for you');
    expect(fetch).not.toHaveBeenCalled();
  });
});
