import {
  Agent,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type AuthResult,
  createWebhookHandler,
  type WebhookHandler,
} from '../../src/webhook/createWebhookHandler.js';
import { WEBHOOK_CORE } from '../../src/webhook/exchange.js';
import { toNodeListener } from '../../src/webhook/toNodeListener.js';
import {
  CALL_A,
  CALL_B,
  callItem,
  countingStream,
  envelope,
  parsingRegistry,
  problemOf,
  recordingRegistry,
} from './support.js';

const MiB = 1024 * 1024;
const servers: Server[] = [];

async function listen(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ server: Server; base: string }> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, base: `http://127.0.0.1:${port}` };
}

/** A client on a raw socket, for what fetch cannot do: send a body a byte at a time. */
function rawClient(base: string): {
  readonly socket: Socket;
  readonly connected: Promise<void>;
  /** When the connection closed (performance.now()). */
  readonly closed: Promise<number>;
  readonly received: () => string;
} {
  const socket = connect(Number(new URL(base).port), '127.0.0.1');
  sockets.push(socket);
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    received += chunk;
  });
  // Writing after the server closed the connection fails (EPIPE, ECONNRESET): that is the point.
  socket.on('error', () => {});
  return {
    socket,
    connected: new Promise((resolve) => socket.once('connect', () => resolve())),
    closed: new Promise((resolve) => socket.once('close', () => resolve(performance.now()))),
    received: () => received,
  };
}

/** The status line and headers (lower-cased) of a raw answer, and its body. */
function parseAnswer(raw: string): { head: string; body: string } {
  const end = raw.indexOf('\r\n\r\n');
  return { head: raw.slice(0, end).toLowerCase(), body: raw.slice(end + 4) };
}

const sockets: Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
});

function closeServers(closing: readonly Server[]): Promise<unknown> {
  return Promise.all(
    closing.map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
}

afterAll(() => closeServers(servers.splice(0)));

describe('toNodeListener with the webhook handler', () => {
  const registry = parsingRegistry();
  let base = '';
  let connections = 0;

  beforeAll(async () => {
    const started = await listen(toNodeListener(createWebhookHandler(registry)));
    base = started.base;
    started.server.on('connection', () => {
      connections += 1;
    });
  });

  it('answers a notification POST with 202 and the counts', async () => {
    const res = await fetch(`${base}/api/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(envelope(callItem(CALL_A, 'established'), callItem(CALL_B, 'hold'))),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ applied: 2, rejected: 0 });
    expect(registry.handed.map((n) => n.callId)).toEqual([CALL_A, CALL_B]);
  });

  it('answers GET with 405 and Allow: POST', async () => {
    const res = await fetch(`${base}/api/calls`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect((await problemOf(res)).detail).toContain('"GET" is not allowed');
  });

  it('answers text/plain with 415', async () => {
    const res = await fetch(`${base}/api/calls`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{"value":[]}',
    });
    expect(res.status).toBe(415);
    expect((await problemOf(res)).code).toBe('unsupportedMediaType');
  });

  it('answers a 10 MiB streamed body with 413 long before the client sent it all', async () => {
    const before = registry.bodies.length;
    const chunk = 64 * 1024;
    const total = (10 * MiB) / chunk;
    const { stream, pulled } = countingStream(total, chunk);
    const res = await fetch(`${base}/api/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(res.headers.get('connection')).toBe('close');
    const problem = await problemOf(res);
    expect(problem.code).toBe('bodyTooLarge');
    expect(problem.detail).toContain('while it was read');
    expect(pulled()).toBeLessThan(total);
    expect(registry.bodies.length).toBe(before);
  });

  it('answers a body with a Content-Length over the limit with 413', async () => {
    const res = await fetch(`${base}/api/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Uint8Array(2 * MiB),
    });
    expect(res.status).toBe(413);
    expect((await problemOf(res)).detail).toContain(`${2 * MiB} bytes (Content-Length)`);
  });

  it('still serves after a 413: the server was not hurt by the abandoned body', async () => {
    const res = await fetch(`${base}/api/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(envelope()),
    });
    expect(res.status).toBe(202);
  });

  it('keeps a keep-alive connection usable after an answer that left the body unread', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const post = (contentType: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = request(
          `${base}/api/calls`,
          { method: 'POST', agent, headers: { 'content-type': contentType } },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify(envelope(callItem(CALL_A, 'hold'))));
      });
    const opened = connections;
    expect(await post('text/plain')).toBe(415);
    expect(await post('application/json')).toBe(202);
    expect(connections - opened).toBe(1);
    agent.destroy();
  });
});

describe('toNodeListener: the node request and the answer', () => {
  /** A raw node request, for what fetch cannot send (a Host of our own, TRACE, absolute form). */
  function send(
    url: string,
    options: {
      method?: string;
      path?: string;
      headers?: Record<string, string> | string[];
      body?: string;
    } = {},
  ): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: options.method ?? 'POST',
          ...(options.path !== undefined && { path: options.path }),
          ...(options.headers !== undefined && { headers: options.headers }),
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on('error', reject);
      req.end(options.body);
    });
  }

  /** A webhook whose `authenticate` records the fetch Request it was given, and accepts it. */
  function recordingAuth() {
    const seen: Request[] = [];
    const authenticate = async (req: Request): Promise<AuthResult> => {
      seen.push(req);
      return { ok: true };
    };
    return { seen, authenticate };
  }

  const json = JSON.stringify(envelope(callItem(CALL_A, 'established')));

  it('builds the Request for authenticate: URL from Host and path, every header, repeated ones too', async () => {
    const { seen, authenticate } = recordingAuth();
    const { base } = await listen(
      toNodeListener(createWebhookHandler(parsingRegistry(), { authenticate })),
    );
    const { port } = new URL(base);
    const answer = await send(`${base}/api/calls?validationToken=abc`, {
      headers: [
        'Host',
        `bot.example:${port}`,
        'Content-Type',
        'application/json',
        'Authorization',
        'Bearer abc',
        'X-Multi',
        'one',
        'X-Multi',
        'two',
      ],
      body: json,
    });
    expect(answer.status).toBe(202);
    const [req] = seen;
    expect({
      method: req?.method,
      url: req?.url,
      authorization: req?.headers.get('authorization'),
      multi: req?.headers.get('x-multi'),
      host: req?.headers.get('host'),
    }).toEqual({
      method: 'POST',
      url: `http://bot.example:${port}/api/calls?validationToken=abc`,
      authorization: 'Bearer abc',
      multi: 'one, two',
      host: `bot.example:${port}`,
    });
  });

  it('keeps a Host that is not a plain host[:port] out of the URL, and reads absolute-form targets', async () => {
    const { seen, authenticate } = recordingAuth();
    const { base } = await listen(
      toNodeListener(createWebhookHandler(parsingRegistry(), { authenticate })),
    );
    const headers = { 'content-type': 'application/json' };
    await send(`${base}/api/calls`, {
      headers: { ...headers, host: 'user@evil.example/elsewhere' },
      body: json,
    });
    await send(base, { path: 'http://proxy.example/api/calls?x=1', headers, body: json });
    expect(seen.map((req) => new URL(req.url))).toMatchObject([
      { host: 'localhost', pathname: '/api/calls' },
      { pathname: '/api/calls', search: '?x=1' },
    ]);
  });

  it('reads a chunked body that arrives in several pieces', async () => {
    const registry = parsingRegistry();
    const { base } = await listen(toNodeListener(createWebhookHandler(registry)));
    const text = JSON.stringify(
      envelope(callItem(CALL_A, 'established'), callItem(CALL_B, 'hold')),
    );
    const pieces = [text.slice(0, 10), text.slice(10, 50), text.slice(50)];
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const piece = pieces.shift();
        if (piece === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(piece));
      },
    });
    const res = await fetch(`${base}/api/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(202);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toMatchObject({ applied: 2, rejected: 0 });
    expect(registry.handed.map((n) => n.callId)).toEqual([CALL_A, CALL_B]);
  });

  it('answers TRACE like any other method that is not POST: 405 with Allow: POST', async () => {
    const registry = recordingRegistry();
    const { base } = await listen(toNodeListener(createWebhookHandler(registry)));
    const answer = await send(`${base}/api/calls`, { method: 'TRACE' });
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('POST');
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ status: 405, code: 'methodNotAllowed' });
    expect(registry.bodies).toEqual([]);
  });

  it('answers 500 problem JSON when the registry fails, without its message', async () => {
    const failure = new Error('boom');
    const webhookErrors: unknown[] = [];
    const listenerErrors: unknown[] = [];
    const handler = createWebhookHandler(
      {
        async ingest() {
          throw failure;
        },
      },
      { onError: (error) => webhookErrors.push(error) },
    );
    const { base } = await listen(
      toNodeListener(handler, { onError: (error) => listenerErrors.push(error) }),
    );
    const res = await fetch(`${base}/api/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: json,
    });
    expect(res.status).toBe(500);
    const problem = await problemOf(res);
    expect(problem.code).toBe('internalError');
    expect(JSON.stringify(problem)).not.toContain('boom');
    // The webhook answered it: its own onError hears of it, the listener had nothing to report.
    expect(webhookErrors).toEqual([failure]);
    expect(listenerErrors).toEqual([]);
  });

  it('answers 500 problem JSON and reports the error when the core itself fails', async () => {
    const failure = new Error('boom');
    const broken: WebhookHandler = Object.assign(async () => new Response(null, { status: 204 }), {
      [WEBHOOK_CORE]: async () => {
        throw failure;
      },
    });
    const reported: unknown[] = [];
    const { base } = await listen(
      toNodeListener(broken, {
        onError: (error) => {
          reported.push(error);
          throw new Error('a reporter that throws must not take the listener down');
        },
      }),
    );
    const res = await fetch(`${base}/api/calls`, { method: 'POST', body: json });
    expect(res.status).toBe(500);
    const problem = await problemOf(res);
    expect(problem.code).toBe('internalError');
    expect(JSON.stringify(problem)).not.toContain('boom');
    expect(reported).toEqual([failure]);
  });

  it('refuses a handler that createWebhookHandler did not make, saying what to pass', () => {
    const plain = async (): Promise<Response> => new Response(null, { status: 204 });
    // @ts-expect-error a plain fetch handler has no webhook core to serve
    expect(() => toNodeListener(plain)).toThrow(
      /not made by createWebhookHandler; pass what createWebhookHandler\(registry, options\) returns/,
    );
  });

  it('answers 500 naming the cause when a body parser consumed the body first', async () => {
    const listener = toNodeListener(createWebhookHandler(parsingRegistry()));
    const { base } = await listen((req, res) => {
      // What express.json() does before the route runs.
      req.resume();
      req.on('end', () => listener(req, res));
    });
    const res = await fetch(`${base}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(envelope()),
    });
    expect(res.status).toBe(500);
    expect((await problemOf(res)).detail).toContain('before body parsers');
  });

  it('stops reading and survives when the client goes away mid-body', async () => {
    const registry = parsingRegistry();
    const listener = toNodeListener(createWebhookHandler(registry));
    let served: IncomingMessage | undefined;
    const { base } = await listen((req, res) => {
      served = req;
      listener(req, res);
    });
    const client = new AbortController();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"value":['));
        // Never closes: the client aborts instead.
        setTimeout(() => client.abort(), 50);
      },
    });
    await expect(
      fetch(`${base}/api/calls`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        duplex: 'half',
        signal: client.signal,
      } as RequestInit),
    ).rejects.toThrow();
    // The read settled (it let go of the request) instead of waiting for a body that never comes.
    await vi.waitFor(() => expect(served?.listenerCount('data')).toBe(0));
    expect(registry.bodies).toEqual([]);
    // The server is still there for the next client.
    const next = await fetch(`${base}/api/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: json,
    });
    expect(next.status).toBe(202);
  });
});

describe('toNodeListener: slow and refused bodies', () => {
  // Each test's server and connections are gone when it ends.
  let first = 0;
  beforeEach(() => {
    first = servers.length;
  });
  afterEach(() => closeServers(servers.splice(first)));

  const head = (contentType: string, length: number) =>
    `POST /api/calls HTTP/1.1\r\nHost: bot.example\r\nContent-Type: ${contentType}\r\nContent-Length: ${length}\r\n\r\n`;

  it('answers 408 and closes the connection when a body trickles in slower than bodyTimeoutMs', async () => {
    const registry = recordingRegistry();
    const { base } = await listen(
      toNodeListener(createWebhookHandler(registry), { bodyTimeoutMs: 300 }),
    );
    const client = rawClient(base);
    await client.connected;
    const start = performance.now();
    client.socket.write(head('application/json', 1000));
    // A byte every 100 ms: the 1000 bytes would take 100 s.
    const trickle = setInterval(() => client.socket.write(' '), 100);
    const closedAt = await client.closed;
    clearInterval(trickle);
    expect(closedAt - start).toBeGreaterThanOrEqual(290);
    expect(closedAt - start).toBeLessThan(1_500);
    const answer = parseAnswer(client.received());
    expect(answer.head).toMatch(/^http\/1\.1 408 request timeout/);
    expect(answer.head).toContain('connection: close');
    expect(answer.head).toContain('content-type: application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({
      status: 408,
      code: 'requestTimeout',
      bodyTimeoutMs: 300,
      detail: 'the body did not arrive within 300 ms of the request (bodyTimeoutMs)',
    });
    expect(registry.bodies).toEqual([]);
  });

  it('cuts off a slow body even while authenticate is still deciding', async () => {
    const registry = recordingRegistry();
    let decide: (result: AuthResult) => void = () => {};
    const authenticate = (): Promise<AuthResult> =>
      new Promise((resolve) => {
        decide = resolve;
      });
    const { base } = await listen(
      toNodeListener(createWebhookHandler(registry, { authenticate }), { bodyTimeoutMs: 200 }),
    );
    const client = rawClient(base);
    await client.connected;
    client.socket.write(`${head('application/json', 100)}{"value":`);
    await client.closed;
    expect(parseAnswer(client.received()).head).toMatch(/^http\/1\.1 408/);
    // The verdict comes too late: the answer was given, and nothing is read or applied.
    decide({ ok: true });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(registry.bodies).toEqual([]);
  });

  it('closes the connection after refusing a large body, without reading the rest', async () => {
    let served: IncomingMessage | undefined;
    const listener = toNodeListener(createWebhookHandler(recordingRegistry()));
    const { base } = await listen((req, res) => {
      served = req;
      listener(req, res);
    });
    const client = rawClient(base);
    await client.connected;
    const total = 64 * MiB;
    client.socket.write(head('text/plain', total));
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const pump = (): void => {
      while (sent < total && !client.socket.destroyed) {
        sent += chunk.byteLength;
        if (!client.socket.write(chunk)) return;
      }
    };
    client.socket.on('drain', pump);
    pump();
    await client.closed;
    const answer = parseAnswer(client.received());
    expect(answer.head).toMatch(/^http\/1\.1 415/);
    expect(answer.head).toContain('connection: close');
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'unsupportedMediaType' });
    expect(sent).toBeLessThan(total);
    expect(served?.socket.bytesRead).toBeLessThan(total);
  });

  it('discards a small refused body only until bodyTimeoutMs, then closes the connection', async () => {
    const { base } = await listen(
      toNodeListener(createWebhookHandler(recordingRegistry()), { bodyTimeoutMs: 300 }),
    );
    const client = rawClient(base);
    await client.connected;
    const start = performance.now();
    client.socket.write(head('text/plain', 1000));
    const trickle = setInterval(() => client.socket.write(' '), 100);
    // The 415 comes at once, keeping the connection for a small body…
    await vi.waitFor(() => expect(client.received()).toContain('\r\n\r\n'), { interval: 5 });
    const answered = performance.now() - start;
    const answer = parseAnswer(client.received());
    expect(answer.head).toMatch(/^http\/1\.1 415/);
    expect(answer.head).not.toContain('connection: close');
    // …but a body that has not come by the deadline loses it.
    const closedAt = await client.closed;
    clearInterval(trickle);
    expect(answered).toBeLessThan(250);
    expect(closedAt - start).toBeGreaterThanOrEqual(290);
    expect(closedAt - start).toBeLessThan(1_500);
  });

  it('leaves a body that arrives in time alone, however long the webhook then takes', async () => {
    const registry = recordingRegistry();
    const slow = createWebhookHandler({
      async ingest(body) {
        await new Promise((resolve) => setTimeout(resolve, 150));
        return registry.ingest(body);
      },
    });
    const { base } = await listen(toNodeListener(slow, { bodyTimeoutMs: 50 }));
    const res = await fetch(`${base}/api/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(envelope(callItem(CALL_A, 'established'))),
    });
    expect(res.status).toBe(202);
    expect(registry.bodies).toHaveLength(1);
  });

  it('refuses a bodyTimeoutMs that is not a positive number of milliseconds', () => {
    const handler = createWebhookHandler(recordingRegistry());
    expect(() => toNodeListener(handler, { bodyTimeoutMs: 0 })).toThrow(
      /bodyTimeoutMs is 0, expected milliseconds > 0/,
    );
    expect(() => toNodeListener(handler, { bodyTimeoutMs: Number.NaN })).toThrow(TypeError);
    expect(() => toNodeListener(handler, { bodyTimeoutMs: 2 ** 31 })).toThrow(TypeError);
    expect(() => toNodeListener(handler, { bodyTimeoutMs: Infinity })).not.toThrow();
  });
});
