// The console's node:http listener: the event stream flows over a real socket as it is
// produced, a page that goes away is forgotten, bodies are bounded, and the Host header is the
// one the handler judges.
import { once } from 'node:events';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type CallConsole, createCallConsole } from '../../src/console/index.js';
import type { FlightRecord } from '../../src/index.js';
import { readUntil, recordsOfOneCall, type StubRegistry, stubRegistry } from './support.js';

let server: Server | undefined;
let callConsole: CallConsole | undefined;

afterEach(async () => {
  await callConsole?.close();
  server?.closeAllConnections();
  if (server !== undefined) await new Promise<void>((resolve) => server?.close(() => resolve()));
  server = undefined;
  callConsole = undefined;
});

async function serve(registry: StubRegistry = stubRegistry()): Promise<string> {
  callConsole = createCallConsole(registry, { tickMs: 10, allowActions: true });
  server = createServer(callConsole.listener).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A raw request, so that the test chooses the Host header. */
function rawGet(origin: string, path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${origin}${path}`, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the console as a node:http listener', () => {
  it('serves the page with its headers', async () => {
    const origin = await serve();
    const response = await fetch(`${origin}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toMatch(/script-src 'nonce-/);
    expect(await response.text()).toContain('<h1>Calls</h1>');
    const head = await fetch(`${origin}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('streams events as they happen, and forgets a page that went away', async () => {
    const registry = stubRegistry();
    const origin = await serve(registry);
    const records: FlightRecord[] = await recordsOfOneCall();
    const leaving = new AbortController();
    const response = await fetch(`${origin}/events`, { signal: leaving.signal });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await readUntil(reader, (t) => t.includes('event: snapshot'));
    for (const record of records) registry.push(record);
    const text = await readUntil(reader, (t) => t.includes('"phase":"terminated"'));
    expect(text).toContain('event: update');
    expect(callConsole?.stats().clients).toBe(1);
    leaving.abort();
    await reader.read().catch(() => undefined);
    await until(() => callConsole?.stats().clients === 0, 'the console forgot the page');
  });

  it('ends the streams on close(), so the response completes', async () => {
    const origin = await serve();
    const response = await fetch(`${origin}/events`);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await readUntil(reader, (t) => t.includes('event: snapshot'));
    await callConsole?.close();
    await readUntil(reader, (t) => t.includes('event: closed'));
    expect((await reader.read()).done).toBe(true);
  });

  it('bounds request bodies, and answers by the Host header it was sent', async () => {
    const origin = await serve();
    const large = await fetch(`${origin}/actions/hang-up`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin },
      body: JSON.stringify({ callId: 'x'.repeat(100_000) }),
    });
    expect(large.status).toBe(413);
    expect(await rawGet(origin, '/calls', 'evil.example.com')).toBe(421);
    expect(await rawGet(origin, '/calls', 'localhost')).toBe(200);
  });
});
