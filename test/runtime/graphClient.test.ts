import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createGraphClient,
  type GraphClientOptions,
  type GraphFetch,
} from '../../src/runtime/graphClient.js';

// A real HTTP server on loopback plays Graph, so status codes, headers, bodies, timeouts and
// sockets behave as they do on the wire. Each test sets `respond`; every request is recorded.

interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly socket: Socket;
}

type Responder = (req: IncomingMessage, res: ServerResponse) => void;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let server: Server;
let origin: string;
let respond: Responder;
const seen: SeenRequest[] = [];

const noContent: Responder = (_req, res) => {
  res.writeHead(204).end();
};

function json(status: number, body: unknown, headers: Record<string, string> = {}): Responder {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
}

function client(overrides: Partial<GraphClientOptions> = {}) {
  return createGraphClient({
    getToken: async () => 'token-1',
    baseUrl: `${origin}/v1.0`,
    ...overrides,
  });
}

function only(): SeenRequest {
  expect(seen).toHaveLength(1);
  const [request] = seen;
  if (request === undefined) throw new Error('no request reached the server');
  return request;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        socket: req.socket,
      });
      respond(req, res);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});

beforeEach(() => {
  seen.length = 0;
  respond = noContent;
});

describe('deleteCall', () => {
  it('sends DELETE /communications/calls/{id} with the token, and reads 204 as taken', async () => {
    const result = await client().deleteCall('abc-123');

    expect(result).toEqual({ ok: true, status: 204 });
    const request = only();
    expect(request.method).toBe('DELETE');
    expect(request.url).toBe('/v1.0/communications/calls/abc-123');
    expect(request.headers.authorization).toBe('Bearer token-1');
    expect(request.headers.accept).toBe('application/json');
    expect(request.headers['client-request-id']).toMatch(UUID);
    expect(request.body).toBe('');
  });

  it('reads 200 as taken too', async () => {
    respond = json(200, {});
    expect(await client().deleteCall('abc')).toEqual({ ok: true, status: 200 });
  });

  it('passes 404 on as a failure with its status, for the machine to read as gone', async () => {
    respond = (_req, res) => {
      res.writeHead(404).end();
    };
    const result = await client().deleteCall('gone');

    expect(result.ok).toBe(false);
    expect(result.status).toBe(404);
    if (result.ok) return;
    expect(result.retryAfterMs).toBeUndefined();
    expect(result.error?.code).toBe('HttpError404');
    expect(result.error?.clientRequestId).toBe(only().headers['client-request-id']);
  });

  it('does not follow a redirect, so the token never travels to another URL', async () => {
    respond = (_req, res) => {
      res.writeHead(307, { location: `${origin}/elsewhere` }).end();
    };
    const result = await client().deleteCall('abc');

    expect(result).toMatchObject({ ok: false, status: 307 });
    expect(only().url).toBe('/v1.0/communications/calls/abc');
  });
});

describe('failures', () => {
  it('turns 429 with Retry-After: 0.2 into retryAfterMs 200', async () => {
    respond = json(
      429,
      { error: { code: 'TooManyRequests', message: 'Too many requests.' } },
      { 'retry-after': '0.2' },
    );
    const result = await client().deleteCall('abc');

    expect(result).toMatchObject({
      ok: false,
      status: 429,
      retryAfterMs: 200,
      error: { code: 'TooManyRequests', message: 'Too many requests.' },
    });
  });

  it('turns 503 with an HTTP-date Retry-After into the time left until that date', async () => {
    const retryAt = Date.UTC(2030, 0, 2, 3, 4, 5);
    respond = (_req, res) => {
      res.writeHead(503, { 'retry-after': new Date(retryAt).toUTCString() }).end('busy');
    };
    const result = await client({ now: () => retryAt - 7_250 }).deleteCall('abc');

    expect(result).toMatchObject({ ok: false, status: 503, retryAfterMs: 7_250 });
  });

  it('measures an HTTP-date Retry-After against the real clock by default', async () => {
    respond = (_req, res) => {
      const inThreeSeconds = Math.ceil((Date.now() + 3_000) / 1000) * 1000;
      res.writeHead(503, { 'retry-after': new Date(inThreeSeconds).toUTCString() }).end();
    };
    const result = await client().deleteCall('abc');

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.retryAfterMs).toBeGreaterThan(1_000);
    expect(result.retryAfterMs).toBeLessThanOrEqual(4_000);
  });

  it("keeps Graph's error body: code, message, request-id, date, and the client-request-id sent", async () => {
    respond = json(403, {
      error: {
        code: 'Forbidden',
        message: 'Application does not have permission to DeleteCall.',
        innerError: {
          'request-id': 'f0b7d3e2-0000-4000-8000-000000000001',
          date: '2024-05-01T10:00:00',
          'client-request-id': 'echoed-by-graph',
        },
      },
    });
    const result = await client().deleteCall('abc');

    expect(result).toEqual({
      ok: false,
      status: 403,
      error: {
        code: 'Forbidden',
        message: 'Application does not have permission to DeleteCall.',
        requestId: 'f0b7d3e2-0000-4000-8000-000000000001',
        date: '2024-05-01T10:00:00',
        clientRequestId: only().headers['client-request-id'],
      },
    });
  });

  it('reads the lower-case innererror older services send', async () => {
    respond = json(400, {
      error: {
        code: 'BadRequest',
        message: 'no',
        innererror: { 'request-id': 'r-1', date: 'd-1' },
      },
    });
    const result = await client().deleteCall('abc');

    expect(result).toMatchObject({ error: { code: 'BadRequest', requestId: 'r-1', date: 'd-1' } });
  });

  it('tolerates an error body with pieces missing, taking request-id from the header', async () => {
    respond = json(400, { error: { message: 'Bad call id.' } }, { 'request-id': 'from-header' });
    const result = await client().deleteCall('abc');

    expect(result).toMatchObject({
      ok: false,
      status: 400,
      error: { code: 'HttpError400', message: 'Bad call id.', requestId: 'from-header' },
    });
  });

  it('keeps the first 200 characters of a body that is not JSON', async () => {
    const page = `<html><body>${'Gateway error. '.repeat(40)}</body></html>`;
    respond = (_req, res) => {
      res.writeHead(500, { 'content-type': 'text/html', 'request-id': 'gw-7' }).end(page);
    };
    const result = await client().deleteCall('abc');

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.status).toBe(500);
    expect(result.error?.code).toBe('HttpError500');
    expect(result.error?.message).toBe(page.slice(0, 200));
    expect(result.error?.requestId).toBe('gw-7');
    // node:http stamps every response with Date; it is the time Microsoft support asks for.
    expect(result.error?.date).toMatch(/GMT$/);
    expect(result.retryAfterMs).toBeUndefined();
  });

  it('ignores a Retry-After it cannot read', async () => {
    respond = json(429, {}, { 'retry-after': 'later' });
    const result = await client().deleteCall('abc');

    expect(result).toMatchObject({ ok: false, status: 429 });
    expect(result).not.toHaveProperty('retryAfterMs');
  });
});

describe('getCall', () => {
  it('sends GET and reads state', async () => {
    respond = json(200, {
      '@odata.type': '#microsoft.graph.call',
      id: 'abc',
      state: 'established',
    });
    const result = await client().getCall('abc');

    expect(result).toEqual({ ok: true, status: 200, state: 'established' });
    expect(only().method).toBe('GET');
    expect(only().url).toBe('/v1.0/communications/calls/abc');
  });

  it.each([
    [{ callState: 'Terminated' }, 'terminated'],
    [{ state: 'transfer-accepted' }, 'transferAccepted'],
    [{ state: 'parked' }, 'unknownFutureValue'],
    [{ state: 'terminating', callState: 'established' }, 'terminating'],
  ])('reads %j as %s', async (body, state) => {
    respond = json(200, body);
    expect(await client().getCall('abc')).toEqual({ ok: true, status: 200, state });
  });

  it('reports no state when the body has none', async () => {
    respond = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('not json');
    };
    expect(await client().getCall('abc')).toEqual({ ok: true, status: 200 });
  });

  it('passes 404 on without a state', async () => {
    respond = json(404, { error: { code: 'ItemNotFound', message: 'Call not found.' } });
    const result = await client().getCall('gone');

    expect(result).toMatchObject({ ok: false, status: 404, error: { code: 'ItemNotFound' } });
    expect(result.state).toBeUndefined();
  });

  it('fails a 200 whose body never finishes: the state is unknown', async () => {
    respond = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"state":');
    };
    const result = await client({ timeoutMs: 150 }).getCall('abc');

    expect(result).toMatchObject({ ok: false, status: 0, error: { code: 'Timeout' } });
    if (result.ok) return;
    expect(result.error?.message).toContain('body did not arrive');
    expect(result.state).toBeUndefined();
  });
});

describe('keepAlive', () => {
  it('sends POST …/calls/{id}/keepAlive with an empty body and Content-Length: 0', async () => {
    respond = (_req, res) => {
      res.writeHead(200).end();
    };
    const result = await client().keepAlive('abc');

    expect(result).toEqual({ ok: true, status: 200 });
    const request = only();
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/v1.0/communications/calls/abc/keepAlive');
    expect(request.headers['content-length']).toBe('0');
    expect(request.headers['content-type']).toBeUndefined();
    expect(request.body).toBe('');
  });

  it('passes 404 on for the machine to read as gone', async () => {
    respond = (_req, res) => {
      res.writeHead(404).end();
    };
    expect(await client().keepAlive('gone')).toMatchObject({ ok: false, status: 404 });
  });
});

describe('tokens and headers', () => {
  it('asks for a token before every request and never reuses one', async () => {
    let calls = 0;
    const graph = client({ getToken: async () => `token-${++calls}` });
    respond = (req, res) => {
      if (req.method === 'GET') json(200, { state: 'established' })(req, res);
      else noContent(req, res);
    };

    await graph.deleteCall('a');
    await graph.getCall('a');
    await graph.keepAlive('a');
    await graph.deleteCall('a');

    expect(calls).toBe(4);
    expect(seen.map((r) => r.headers.authorization)).toEqual([
      'Bearer token-1',
      'Bearer token-2',
      'Bearer token-3',
      'Bearer token-4',
    ]);
    const ids = seen.map((r) => r.headers['client-request-id']);
    expect(new Set(ids).size).toBe(4);
  });

  it('sends userAgent and extra headers', async () => {
    await client({ userAgent: 'my-bot/1.2', headers: { 'x-ms-tenant-hint': 't-1' } }).deleteCall(
      'abc',
    );

    expect(only().headers['user-agent']).toBe('my-bot/1.2');
    expect(only().headers['x-ms-tenant-hint']).toBe('t-1');
    expect(only().headers.authorization).toBe('Bearer token-1');
  });

  it('refuses headers that would replace the token or the request id', () => {
    expect(() => client({ headers: { Authorization: 'Bearer stale' } })).toThrow(
      /authorization header is set by the client/,
    );
    expect(() => client({ headers: { 'Client-Request-Id': 'fixed' } })).toThrow(TypeError);
  });

  it('sends nothing when getToken rejects, and says why', async () => {
    const graph = client({
      getToken: () => Promise.reject(new Error('AADSTS7000215: Invalid client secret')),
    });
    const result = await graph.deleteCall('abc');

    expect(result).toMatchObject({ ok: false, status: 0, error: { code: 'TokenUnavailable' } });
    if (result.ok) return;
    expect(result.error?.message).toContain('AADSTS7000215: Invalid client secret');
    expect(seen).toHaveLength(0);
  });

  it('treats an empty token, or getToken throwing synchronously, as unavailable', async () => {
    const empty = await client({ getToken: async () => '' }).keepAlive('abc');
    const thrown = await client({
      getToken: () => {
        throw new Error('no credential');
      },
    }).getCall('abc');

    expect(empty).toMatchObject({ ok: false, status: 0, error: { code: 'TokenUnavailable' } });
    expect(thrown).toMatchObject({ ok: false, status: 0, error: { code: 'TokenUnavailable' } });
    expect(seen).toHaveLength(0);
  });
});

describe('paths', () => {
  it('uses the beta root with /communications', async () => {
    await client({ baseUrl: `${origin}/beta`, apiVersion: 'beta' }).deleteCall('abc');
    expect(only().url).toBe('/beta/communications/calls/abc');
  });

  it('uses the deprecated beta /app/calls path when asked', async () => {
    await client({ baseUrl: `${origin}/beta`, apiVersion: 'beta', callsPath: 'app' }).keepAlive(
      'abc',
    );
    expect(only().url).toBe('/beta/app/calls/abc/keepAlive');
  });

  it('tolerates a trailing slash on baseUrl', async () => {
    await client({ baseUrl: `${origin}/v1.0/` }).deleteCall('abc');
    expect(only().url).toBe('/v1.0/communications/calls/abc');
  });

  it('encodes the call id as one path segment', async () => {
    await client().deleteCall('a b%f+é&=');
    expect(only().url).toBe('/v1.0/communications/calls/a%20b%25f%2B%C3%A9%26%3D');
  });

  it('refuses call ids that would address another resource or another URL, without sending', async () => {
    const graph = client();
    for (const id of ['', '.', '..', 'a/b', 'a\\b', 'a?b', 'a#b', 'a\u0000', 'x'.repeat(257)]) {
      expect(await graph.deleteCall(id)).toMatchObject({
        ok: false,
        status: 0,
        error: { code: 'InvalidCallId' },
      });
    }
    expect(seen).toHaveLength(0);
  });

  describe('default base URL (graph.microsoft.com cannot be a local server)', () => {
    function capture(): { fetch: GraphFetch; urls: string[] } {
      const urls: string[] = [];
      return {
        urls,
        fetch: async (url) => {
          urls.push(url);
          return new Response(null, { status: 204 });
        },
      };
    }
    const getToken = async () => 't';

    it.each([
      [{}, 'https://graph.microsoft.com/v1.0/communications/calls/abc'],
      [
        { apiVersion: 'v1.0' as const },
        'https://graph.microsoft.com/v1.0/communications/calls/abc',
      ],
      [
        { apiVersion: 'beta' as const },
        'https://graph.microsoft.com/beta/communications/calls/abc',
      ],
      [
        { apiVersion: 'beta' as const, callsPath: 'app' as const },
        'https://graph.microsoft.com/beta/app/calls/abc',
      ],
    ])('%j → %s', async (options, url) => {
      const fake = capture();
      await createGraphClient({ getToken, fetch: fake.fetch, ...options }).deleteCall('abc');
      expect(fake.urls).toEqual([url]);
    });
  });
});

describe('options', () => {
  const getToken = async () => 't';

  it.each([
    ['v1.0 by default', { callsPath: 'app' as const }],
    ['explicit v1.0', { apiVersion: 'v1.0' as const, callsPath: 'app' as const }],
    ['a v1.0 baseUrl', { baseUrl: 'https://proxy.example/v1.0/', callsPath: 'app' as const }],
  ])('rejects /app/calls with %s: it exists only in beta', (_name, options) => {
    expect(() => createGraphClient({ getToken, ...options })).toThrow(TypeError);
    expect(() => createGraphClient({ getToken, ...options })).toThrow(/only in the beta API/);
  });

  it.each([
    ['timeoutMs 0', { timeoutMs: 0 }],
    ['timeoutMs NaN', { timeoutMs: Number.NaN }],
    ['a relative baseUrl', { baseUrl: '/v1.0' }],
    ['a non-http baseUrl', { baseUrl: 'ftp://graph.example/v1.0' }],
    ['an invalid header name', { headers: { 'bad header': 'x' } }],
  ])('rejects %s at creation', (_name, options) => {
    expect(() => createGraphClient({ getToken, ...options })).toThrow(TypeError);
  });
});

describe('transport failures', () => {
  it('gives up after timeoutMs with status 0, and closes the socket', async () => {
    respond = () => {
      // Never answers.
    };
    const started = Date.now();
    const result = await client({ timeoutMs: 100 }).deleteCall('abc');

    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result).toMatchObject({ ok: false, status: 0, error: { code: 'Timeout' } });
    if (result.ok) return;
    expect(result.error?.message).toContain('100 ms');
    expect(result.error?.clientRequestId).toBe(only().headers['client-request-id']);
    await expect.poll(() => only().socket.destroyed, { timeout: 2_000 }).toBe(true);
  });

  it('reports a refused connection as status 0 NetworkError', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');

    const result = await client({ baseUrl: `http://127.0.0.1:${port}/v1.0` }).deleteCall('abc');

    expect(result).toMatchObject({ ok: false, status: 0, error: { code: 'NetworkError' } });
    if (result.ok) return;
    expect(result.error?.message).toContain('ECONNREFUSED');
    expect(result.error?.clientRequestId).toMatch(UUID);
  });

  it('never rejects, even when an injected fetch throws synchronously', async () => {
    const graph = client({
      fetch: () => {
        throw new TypeError('boom');
      },
    });
    await expect(graph.deleteCall('abc')).resolves.toMatchObject({
      ok: false,
      status: 0,
      error: { code: 'NetworkError', message: expect.stringContaining('boom') },
    });
  });

  it('recognises a TimeoutError from an injected fetch that times out on its own', async () => {
    const graph = client({
      fetch: () => Promise.reject(new DOMException('timed out', 'TimeoutError')),
    });
    expect(await graph.getCall('abc')).toMatchObject({
      ok: false,
      status: 0,
      error: { code: 'Timeout' },
    });
  });
});

describe('one deadline for the whole request (getToken, fetch and body)', () => {
  const TIMEOUT_MS = 1_000;
  const never = <T>() => new Promise<T>(() => {});

  // A fetch that takes the signal and does nothing with it: the attack the deadline is for.
  function deafFetch(answer: () => Promise<Response> = never): {
    fetch: GraphFetch;
    calls: RequestInit[];
  } {
    const calls: RequestInit[] = [];
    return {
      calls,
      fetch: (_url, init) => {
        calls.push(init);
        return answer();
      },
    };
  }

  // A body whose next chunk never comes and which no abort can end.
  function endlessBody(status: number): Response {
    return new Response(new ReadableStream({ pull: () => never<void>() }), { status });
  }

  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  /** Starts a request and records when it settles, in fake time. */
  function track<T>(promise: Promise<T>): { readonly settled: () => T | undefined } {
    let result: T | undefined;
    void promise.then((value) => {
      result = value;
    });
    return { settled: () => result };
  }

  it('answers status 0 Timeout at timeoutMs when fetch ignores its abort signal and never settles', async () => {
    const fake = deafFetch();
    const graph = client({ fetch: fake.fetch, timeoutMs: TIMEOUT_MS });
    const request = track(graph.deleteCall('abc'));

    await vi.advanceTimersByTimeAsync(TIMEOUT_MS - 1);
    expect(request.settled()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);

    expect(request.settled()).toMatchObject({
      ok: false,
      status: 0,
      error: {
        code: 'Timeout',
        message: expect.stringContaining('got no response within the 1000 ms timeout'),
        clientRequestId: expect.stringMatching(UUID),
      },
    });
    // The signal still fires, for fetches that do listen.
    expect(fake.calls[0]?.signal?.aborted).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('answers status 0 Timeout when getToken never settles, and sends nothing', async () => {
    const fake = deafFetch();
    const graph = client({ getToken: never, fetch: fake.fetch, timeoutMs: TIMEOUT_MS });
    const request = track(graph.keepAlive('abc'));

    await vi.advanceTimersByTimeAsync(TIMEOUT_MS);

    expect(request.settled()).toEqual({
      ok: false,
      status: 0,
      error: {
        code: 'Timeout',
        message:
          'getToken() did not settle within the 1000 ms timeout (timeoutMs). No request was sent.',
      },
    });
    expect(fake.calls).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sends nothing when the token arrives after the deadline', async () => {
    const fake = deafFetch();
    let giveToken: (token: string) => void = () => {};
    const getToken = () =>
      new Promise<string>((resolve) => {
        giveToken = resolve;
      });
    const request = track(
      client({ getToken, fetch: fake.fetch, timeoutMs: TIMEOUT_MS }).getCall('abc'),
    );

    await vi.advanceTimersByTimeAsync(TIMEOUT_MS);
    giveToken('late-token');
    await vi.advanceTimersByTimeAsync(TIMEOUT_MS);

    expect(request.settled()).toMatchObject({ ok: false, status: 0, error: { code: 'Timeout' } });
    expect(fake.calls).toHaveLength(0);
  });

  it('counts the time spent on the token against the same deadline as the fetch', async () => {
    const fake = deafFetch();
    const getToken = () =>
      new Promise<string>((resolve) => {
        setTimeout(() => resolve('slow-token'), 600);
      });
    const request = track(
      client({ getToken, fetch: fake.fetch, timeoutMs: TIMEOUT_MS }).deleteCall('abc'),
    );

    await vi.advanceTimersByTimeAsync(600);
    expect(fake.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(400);

    expect(request.settled()).toMatchObject({ ok: false, status: 0, error: { code: 'Timeout' } });
  });

  it('times out a GET whose body never ends even when the stream ignores the abort', async () => {
    const fake = deafFetch(async () => endlessBody(200));
    const request = track(client({ fetch: fake.fetch, timeoutMs: TIMEOUT_MS }).getCall('abc'));

    await vi.advanceTimersByTimeAsync(TIMEOUT_MS);

    expect(request.settled()).toMatchObject({
      ok: false,
      status: 0,
      error: {
        code: 'Timeout',
        message: expect.stringContaining(
          'answered 200 but its body did not arrive within the 1000 ms timeout',
        ),
      },
    });
  });

  it('still reads a 200 to DELETE as taken when its body never ends: Graph took the request', async () => {
    const fake = deafFetch(async () => endlessBody(200));
    const request = track(client({ fetch: fake.fetch, timeoutMs: TIMEOUT_MS }).deleteCall('abc'));

    await vi.advanceTimersByTimeAsync(TIMEOUT_MS);

    expect(request.settled()).toEqual({ ok: true, status: 200 });
  });

  it('keeps status and Retry-After of an error whose body never ends', async () => {
    const fake = deafFetch(async () => {
      const response = endlessBody(429);
      response.headers.set('retry-after', '3');
      return response;
    });
    const request = track(client({ fetch: fake.fetch, timeoutMs: TIMEOUT_MS }).keepAlive('abc'));

    await vi.advanceTimersByTimeAsync(TIMEOUT_MS);

    expect(request.settled()).toMatchObject({
      ok: false,
      status: 429,
      retryAfterMs: 3_000,
      error: { code: 'HttpError429', message: expect.stringContaining('body did not arrive') },
    });
  });

  it('clears its deadline timer as soon as the request finishes, whatever the outcome', async () => {
    const answers = [
      async () => new Response(null, { status: 204 }),
      async () => new Response('{"error":{"code":"Forbidden"}}', { status: 403 }),
      () => Promise.reject(new TypeError('fetch failed')),
    ];
    for (const answer of answers) {
      await client({ fetch: deafFetch(answer).fetch, timeoutMs: TIMEOUT_MS }).deleteCall('abc');
      expect(vi.getTimerCount()).toBe(0);
    }
    await client({ getToken: () => Promise.reject(new Error('no')) }).deleteCall('abc');
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('the deadline timer', () => {
  it('does not keep the process alive on its own (unref)', async () => {
    const spy = vi.spyOn(globalThis, 'setTimeout');
    try {
      const result = await client({
        getToken: () => new Promise<string>(() => {}),
        timeoutMs: 20,
      }).deleteCall('abc');
      expect(result).toMatchObject({ ok: false, status: 0, error: { code: 'Timeout' } });
      const deadlines = spy.mock.calls.flatMap(([, ms], i) =>
        ms === 20 ? [spy.mock.results[i]?.value as ReturnType<typeof setTimeout>] : [],
      );
      expect(deadlines).toHaveLength(1);
      expect(deadlines[0]?.hasRef()).toBe(false);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('never throws', () => {
  it('refuses a lone-surrogate call id as InvalidCallId without calling fetch (URIError crash)', async () => {
    expect(() => encodeURIComponent('\ud800')).toThrow(URIError);
    const fetch = vi.fn<GraphFetch>();
    const getToken = vi.fn(async () => 't');
    const graph = client({ fetch, getToken });

    for (const id of ['\ud800', 'abc\udbff', '\udc00']) {
      expect(await graph.getCall(id)).toMatchObject({
        ok: false,
        status: 0,
        error: {
          code: 'InvalidCallId',
          message: expect.stringMatching(
            /^Invalid call id: the call id is not well-formed UTF-16: .*\. No request was sent\.$/,
          ),
        },
      });
    }
    expect(fetch).not.toHaveBeenCalled();
    expect(getToken).not.toHaveBeenCalled();
  });

  it('answers status 0 when fetch throws synchronously, for every method', async () => {
    const graph = client({
      fetch: () => {
        throw new RangeError('synchronous boom');
      },
    });
    for (const result of [
      await graph.deleteCall('abc'),
      await graph.getCall('abc'),
      await graph.keepAlive('abc'),
    ]) {
      expect(result).toMatchObject({
        ok: false,
        status: 0,
        error: { code: 'NetworkError', message: expect.stringContaining('synchronous boom') },
      });
    }
  });

  it('answers status 0 ClientError when fetch resolves to something that is not a Response', async () => {
    const graph = client({ fetch: async () => undefined as unknown as Response });
    const result = await graph.deleteCall('abc');
    expect(result).toMatchObject({ ok: false, status: 0, error: { code: 'ClientError' } });
  });

  it('answers status 0 ClientError when the injected clock throws while reading Retry-After', async () => {
    const graph = client({
      fetch: async () => new Response(null, { status: 503, headers: { 'retry-after': '1' } }),
      now: () => {
        throw new Error('clock broke');
      },
    });
    expect(await graph.deleteCall('abc')).toMatchObject({
      ok: false,
      status: 0,
      error: { code: 'ClientError', message: expect.stringContaining('clock broke') },
    });
  });

  it('describes a thrown value that cannot be turned into text without throwing again', async () => {
    const graph = client({ fetch: () => Promise.reject(Object.create(null)) });
    expect(await graph.deleteCall('abc')).toMatchObject({
      ok: false,
      status: 0,
      error: { code: 'NetworkError', message: expect.stringContaining('cannot be described') },
    });
  });

  it('refuses a token that cannot be a header value, without echoing it', async () => {
    const fetch = vi.fn<GraphFetch>();
    const result = await client({ fetch, getToken: async () => 'secret\r\nx-evil: 1' }).deleteCall(
      'abc',
    );
    expect(result).toMatchObject({ ok: false, status: 0, error: { code: 'TokenUnavailable' } });
    expect(JSON.stringify(result)).not.toContain('secret');
    expect(fetch).not.toHaveBeenCalled();
  });
});
