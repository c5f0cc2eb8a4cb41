import { Agent, createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookHandler } from '../../src/webhook/createWebhookHandler.js';
import { type FetchHandler, toNodeListener } from '../../src/webhook/toNodeListener.js';
import {
  CALL_A,
  CALL_B,
  callItem,
  countingStream,
  envelope,
  parsingRegistry,
  problemOf,
} from './support.js';

const MiB = 1024 * 1024;
const servers: Server[] = [];

async function listen(
  listener: (req: IncomingMessage, res: import('node:http').ServerResponse) => void,
): Promise<{ server: Server; base: string }> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, base: `http://127.0.0.1:${port}` };
}

afterAll(async () => {
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

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

describe('toNodeListener: the Request and the Response', () => {
  it('builds the Request: method, URL from Host and path, every header, repeated ones too', async () => {
    let seen:
      | { method: string; url: string; multi: string | null; host: string | null }
      | undefined;
    const { base } = await listen(
      toNodeListener(async (req) => {
        seen = {
          method: req.method,
          url: req.url,
          multi: req.headers.get('x-multi'),
          host: req.headers.get('host'),
        };
        return new Response(null, { status: 204 });
      }),
    );
    const { port } = new URL(base);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${base}/api/calls?validationToken=abc`,
        {
          method: 'DELETE',
          headers: ['Host', `bot.example:${port}`, 'X-Multi', 'one', 'X-Multi', 'two'],
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(204);
    expect(seen).toEqual({
      method: 'DELETE',
      url: `http://bot.example:${port}/api/calls?validationToken=abc`,
      multi: 'one, two',
      host: `bot.example:${port}`,
    });
  });

  it('streams the request body to the handler', async () => {
    const { base } = await listen(
      toNodeListener(async (req) => new Response(`got ${(await req.arrayBuffer()).byteLength}`)),
    );
    const { stream } = countingStream(8, 1000);
    const res = await fetch(`${base}/`, {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(await res.text()).toBe('got 8000');
  });

  it('writes the Response back: status, status text, headers, each Set-Cookie, streamed body', async () => {
    const { base } = await listen(
      toNodeListener(async () => {
        const headers = new Headers({ 'content-type': 'text/plain', 'x-answer': '42' });
        headers.append('set-cookie', 'a=1; Path=/');
        headers.append('set-cookie', 'b=2; Path=/');
        const parts = ['one ', 'two ', 'three'];
        const body = new ReadableStream<Uint8Array>({
          pull(controller) {
            const part = parts.shift();
            if (part === undefined) controller.close();
            else controller.enqueue(new TextEncoder().encode(part));
          },
        });
        return new Response(body, { status: 207, statusText: 'Several Things', headers });
      }),
    );
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(207);
    expect(res.statusText).toBe('Several Things');
    expect(res.headers.get('x-answer')).toBe('42');
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(await res.text()).toBe('one two three');
  });

  it('keeps the socket when the handler cancels the body, so a later answer still arrives', async () => {
    const { base } = await listen(
      toNodeListener(async (req) => {
        const reader = req.body?.getReader();
        await reader?.read();
        await reader?.cancel(new Error('enough'));
        // Whatever the handler does next (log, audit) takes a while; the connection must wait.
        await new Promise((resolve) => setTimeout(resolve, 20));
        return new Response('stopped reading', { status: 413 });
      }),
    );
    const { stream, pulled } = countingStream(160, 64 * 1024);
    const res = await fetch(`${base}/`, {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.text()).toBe('stopped reading');
    expect(pulled()).toBeLessThan(160);
  });

  it('answers 500 problem JSON when the handler throws, and reports the error', async () => {
    const failure = new Error('boom');
    const failing: FetchHandler = async () => {
      throw failure;
    };
    const reported: unknown[] = [];
    const { base } = await listen(
      toNodeListener(failing, { onError: (error) => reported.push(error) }),
    );
    const res = await fetch(`${base}/`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(500);
    const problem = await problemOf(res);
    expect(problem.code).toBe('internalError');
    expect(JSON.stringify(problem)).not.toContain('boom');
    expect(reported).toEqual([failure]);
  });

  it('answers TRACE, which a fetch Request cannot carry, with 405 instead of failing', async () => {
    let called = false;
    const { base } = await listen(
      toNodeListener(async () => {
        called = true;
        return new Response(null, { status: 204 });
      }),
    );
    const answer = await new Promise<{ status: number; type: string | undefined; body: string }>(
      (resolve, reject) => {
        const req = request(`${base}/`, { method: 'TRACE' }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }),
          );
        });
        req.on('error', reject);
        req.end();
      },
    );
    expect(answer.status).toBe(405);
    expect(answer.type).toBe('application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ status: 405, code: 'methodNotAllowed' });
    expect(called).toBe(false);
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

  it('aborts the Request signal and survives when the client goes away mid-body', async () => {
    let resolveSeen: (value: { aborted: boolean; bodyError: string }) => void = () => {};
    const seen = new Promise<{ aborted: boolean; bodyError: string }>((resolve) => {
      resolveSeen = resolve;
    });
    const { base } = await listen(
      toNodeListener(async (req) => {
        let bodyError = '';
        try {
          await req.arrayBuffer();
        } catch (error) {
          bodyError = error instanceof Error ? error.name : String(error);
        }
        if (bodyError === '') return new Response('too late');
        // The socket's close (which aborts the signal) may come a moment after the body error.
        await Promise.race([
          new Promise((resolve) => {
            if (req.signal.aborted) resolve(undefined);
            else req.signal.addEventListener('abort', resolve, { once: true });
          }),
          new Promise((resolve) => setTimeout(resolve, 2000)),
        ]);
        resolveSeen({ aborted: req.signal.aborted, bodyError });
        return new Response('too late');
      }),
    );
    const client = new AbortController();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(1024));
        // Never closes: the client aborts instead.
        setTimeout(() => client.abort(), 50);
      },
    });
    await expect(
      fetch(`${base}/`, {
        method: 'POST',
        body,
        duplex: 'half',
        signal: client.signal,
      } as RequestInit),
    ).rejects.toThrow();
    const result = await seen;
    expect(result).toEqual({ aborted: true, bodyError: expect.not.stringMatching(/^$/) });
    // The server is still there for the next client.
    const next = await fetch(`${base}/`, { method: 'POST', body: 'x' });
    expect(await next.text()).toBe('too late');
  });
});
