// The fake Graph over real loopback HTTP: served with listen(), and delivering to a webhook URL.
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createGraphClient, parseNotifications } from '../../src/index.js';
import { createFakeGraph, type FakeGraph } from '../../src/testing/index.js';
import { PLACE_CALL } from './requestBodies.js';

const fakes: FakeGraph[] = [];
const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
  await Promise.all(
    servers.splice(0).map(async (server) => {
      server.closeAllConnections();
      server.close();
      if (server.listening) await once(server, 'close');
    }),
  );
});

describe('listen()', () => {
  it('serves the fake over HTTP on 127.0.0.1 for a client that uses the network', async () => {
    const fake = createFakeGraph();
    fakes.push(fake);
    const server = await fake.listen();
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/v1.0`);
    const callId = fake.placeCall();

    // The library's client over the real global fetch.
    const graph = createGraphClient({ getToken: async () => 'token', baseUrl: server.url });
    expect(await graph.getCall(callId)).toEqual({ ok: true, status: 200, state: 'established' });
    expect(await graph.keepAlive(callId)).toEqual({ ok: true, status: 200 });
    expect(await graph.deleteCall(callId)).toEqual({ ok: true, status: 204 });
    expect(await graph.deleteCall(callId)).toMatchObject({
      ok: false,
      status: 404,
      error: { code: 'itemNotFound' },
    });

    // And plain fetch: headers and bodies cross the wire intact.
    const gone = await fetch(`${server.url}/communications/calls/${callId}`, {
      headers: { authorization: 'Bearer t' },
    });
    expect(gone.status).toBe(404);
    expect(gone.headers.get('content-type')).toBe('application/json');
    fake.throttleNext(1, 2.128);
    const throttled = await fetch(`${server.url}/communications/calls/${callId}`, {
      headers: { authorization: 'Bearer t' },
    });
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('2.128');
    expect(await throttled.json()).toMatchObject({ error: { code: 'TooManyRequests' } });
    const created = await fetch(`${server.url}/communications/calls`, {
      method: 'POST',
      headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      body: JSON.stringify(PLACE_CALL),
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({
      state: 'establishing',
      '@odata.context': `${server.url}/$metadata#communications/calls/$entity`,
    });

    expect(fake.requests.map((r) => [r.method, r.status])).toEqual([
      ['GET', 200],
      ['POST', 200],
      ['DELETE', 204],
      ['DELETE', 404],
      ['GET', 404],
      ['GET', 429],
      ['POST', 201],
    ]);
    expect(fake.requests.every((r) => r.url.startsWith(server.origin))).toBe(true);
  });

  it('close() stops listening: a later request is refused', async () => {
    const fake = createFakeGraph();
    fakes.push(fake);
    const server = await fake.listen();
    expect((await fetch(`${server.url}/communications/calls/x`)).status).toBe(401);
    await server.close();
    await expect(fetch(`${server.url}/communications/calls/x`)).rejects.toThrow();
  });

  it('fake.close() closes every server it opened, open keep-alive connections included', async () => {
    const fake = createFakeGraph();
    const a = await fake.listen();
    const b = await fake.listen();
    await fetch(`${a.url}/communications/calls/x`);
    await fake.close();
    await expect(fetch(`${a.url}/communications/calls/x`)).rejects.toThrow();
    await expect(fetch(`${b.url}/communications/calls/x`)).rejects.toThrow();
  });
});

describe('deliver to a webhook URL', () => {
  interface Seen {
    readonly method: string;
    readonly url: string;
    readonly headers: IncomingHttpHeaders;
    readonly body: string;
  }

  async function webhook(status = 202): Promise<{ url: string; seen: Seen[] }> {
    const seen: Seen[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        res.writeHead(status).end();
      });
    });
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}/api/calls`, seen };
  }

  it('POSTs each envelope as JSON, with the authorization header, and records the answer', async () => {
    const hook = await webhook(202);
    let n = 0;
    const fake = createFakeGraph({
      deliver: hook.url,
      authorization: () => `Bearer jwt-${++n}`,
    });
    fakes.push(fake);
    const callId = fake.placeCall();
    await fake.settle();

    expect(hook.seen).toHaveLength(2);
    for (const [i, request] of hook.seen.entries()) {
      expect(request.method).toBe('POST');
      expect(request.url).toBe('/api/calls');
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers.authorization).toBe(`Bearer jwt-${i + 1}`);
    }
    const states = hook.seen.map((r) => {
      const { notifications, rejected } = parseNotifications(r.body);
      expect(rejected).toEqual([]);
      return [notifications[0]?.callId, notifications[0]?.state];
    });
    expect(states).toEqual([
      [callId, 'establishing'],
      [callId, 'established'],
    ]);
    expect(fake.deliveries.map((d) => d.status)).toEqual([202, 202]);
  });

  it('a webhook that answers 500 is recorded; one that is unreachable too', async () => {
    const hook = await webhook(500);
    const fake = createFakeGraph({ deliver: hook.url, authorization: 'Bearer static' });
    fakes.push(fake);
    fake.incomingCall();
    await fake.settle();
    expect(fake.deliveries[0]).toMatchObject({ status: 500 });
    expect(hook.seen[0]?.headers.authorization).toBe('Bearer static');

    // A port that was just freed: nothing listens there.
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const { port } = probe.address() as AddressInfo;
    probe.close();
    await once(probe, 'close');
    const lost = createFakeGraph({ deliver: `http://127.0.0.1:${port}/api/calls` });
    fakes.push(lost);
    lost.incomingCall();
    await lost.settle();
    expect(lost.deliveries[0]?.error).toEqual(expect.any(String));
    expect(lost.deliveries[0]).not.toHaveProperty('status');
  });
});
