// The console's WHATWG handler: the page and its headers, the routes, authorization, the host
// check, the event stream (framing, client limit, a page that stops reading, close), the
// hang-up action and its CSRF checks, and what never reaches the page.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type CallConsole,
  type CallConsoleOptions,
  createCallConsole,
} from '../../src/console/index.js';
import { PAGE_SCRIPT } from '../../src/console/pageScript.js';
import { type FlightRecord, HangUpFailedError, UnknownCallError } from '../../src/index.js';
import {
  ALICE,
  answered,
  asCall,
  framesOf,
  hangUpRequest,
  MARKUP_ID,
  ORIGIN,
  openWorld,
  readUntil,
  recordsOfOneCall,
  SCRIPT_ID,
  type StubRegistry,
  stubRegistry,
  type World,
} from './support.js';

const consoles: CallConsole[] = [];
const worlds: World[] = [];
let oneCall: FlightRecord[] | undefined;

afterEach(async () => {
  for (const c of consoles.splice(0)) await c.close();
  for (const w of worlds.splice(0)) await w.close();
});

function open(options: CallConsoleOptions = {}, registry: StubRegistry = stubRegistry()) {
  const callConsole = createCallConsole(registry, options);
  consoles.push(callConsole);
  return { callConsole, registry, handle: callConsole.handler };
}

function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Request {
  return new Request(`${ORIGIN}${path}`, { method, headers });
}

async function records(): Promise<FlightRecord[]> {
  oneCall ??= await recordsOfOneCall();
  return oneCall;
}

describe('the page', () => {
  it('is HTML with a fresh nonce per response and the security headers', async () => {
    const { handle } = open();
    const first = await handle(get('/'));
    const second = await handle(get('/'));
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(first.headers.get('x-content-type-options')).toBe('nosniff');
    expect(first.headers.get('referrer-policy')).toBe('no-referrer');
    expect(first.headers.get('cache-control')).toBe('no-store');
    const csp = first.headers.get('content-security-policy') ?? '';
    const nonce = /script-src 'nonce-([0-9a-f]{32})'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain(`style-src 'nonce-${nonce}'`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe');
    const html = await first.text();
    expect(html.match(/<script nonce="([0-9a-f]+)">/)?.[1]).toBe(nonce);
    expect(html.match(/<style nonce="([0-9a-f]+)">/)?.[1]).toBe(nonce);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(second.headers.get('content-security-policy')).not.toBe(csp);
  });

  it('loads nothing from anywhere: no absolute URL, no src, only data: for the icon', async () => {
    const { handle } = open();
    const html = await (await handle(get('/'))).text();
    const absolute = html.match(/\b(?:https?:)?\/\/[^\s"'<>)]+/g) ?? [];
    // The SVG namespace is a name, never fetched.
    expect(absolute.filter((url) => url !== 'http://www.w3.org/2000/svg')).toEqual([]);
    expect(html).not.toMatch(/\ssrc=/);
    expect([...html.matchAll(/\shref="([^"]*)"/g)].map((m) => m[1])).toEqual(['data:,']);
    expect(html).not.toMatch(/@import|url\((?!#)/);
    // Every URL the script asks for is relative: it works under any basePath.
    expect(PAGE_SCRIPT).toMatch(/new EventSource\('events'\)/);
    expect(PAGE_SCRIPT).toMatch(/fetch\('calls\/' \+ encodeURIComponent/);
  });

  it('answers HEAD without a body, and other methods with 405 and Allow', async () => {
    const { handle } = open();
    const head = await handle(get('/', {}, 'HEAD'));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await handle(get('/', {}, 'POST'));
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(post.headers.get('content-type')).toBe('application/problem+json');
    expect(await post.json()).toMatchObject({ status: 405, code: 'methodNotAllowed' });
    expect((await handle(get('/events', {}, 'DELETE'))).headers.get('allow')).toBe('GET');
  });

  it('answers 404 for what it does not serve', async () => {
    const { handle } = open();
    for (const path of ['/favicon.ico', '/calls/', '/event', '/index.html', '/actions/hang-up']) {
      const response = await handle(get(path));
      expect(response.status, path).toBe(404);
      expect(await response.json()).toMatchObject({ code: 'notFound' });
    }
    expect((await handle(get('/calls/unknown'))).status).toBe(404);
  });

  it('lives under basePath, and redirects the base without its slash to it', async () => {
    const { handle } = open({ basePath: '/ops/console' });
    expect((await handle(get('/ops/console/'))).status).toBe(200);
    expect((await handle(get('/ops/console/calls'))).status).toBe(200);
    const bare = await handle(get('/ops/console?x=1'));
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe('console/?x=1');
    expect(new URL(bare.headers.get('location') ?? '', `${ORIGIN}/ops/console`).pathname).toBe(
      '/ops/console/',
    );
    expect((await handle(get('/'))).status).toBe(404);
    expect((await handle(get('/ops/events'))).status).toBe(404);
  });

  it('has no hang-up button and no action endpoint unless allowActions', async () => {
    const plain = open();
    expect(await (await plain.handle(get('/'))).text()).not.toContain('id="hang-up"');
    const refused = await plain.handle(hangUpRequest({ callId: 'c1' }));
    expect(refused.status).toBe(404);
    expect(plain.registry.hangUps).toEqual([]);
    const acting = open({ allowActions: true });
    const html = await (await acting.handle(get('/'))).text();
    expect(html).toContain('id="hang-up"');
    expect(html).toContain('data-actions="true"');
  });

  it('renders text into the DOM only: no HTML parsing of call data in the script', () => {
    expect(PAGE_SCRIPT).not.toMatch(
      /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/,
    );
    expect(() => new Function(PAGE_SCRIPT)).not.toThrow();
  });
});

describe('who may see it', () => {
  it('asks authorize first: true lets in, false is 403, a 401 carries its challenge', async () => {
    const seen: string[] = [];
    let verdict: Awaited<ReturnType<NonNullable<CallConsoleOptions['authorize']>>> = true;
    const { handle } = open({
      authorize: (request) => {
        seen.push(new URL(request.url).pathname);
        return verdict;
      },
    });
    expect((await handle(get('/calls'))).status).toBe(200);
    verdict = false;
    const forbidden = await handle(get('/'));
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ code: 'forbidden' });
    verdict = { status: 401, challenge: 'Basic realm="calls"', reason: 'who are you?' };
    const unauthorized = await handle(get('/events'));
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('www-authenticate')).toBe('Basic realm="calls"');
    expect(await unauthorized.json()).toMatchObject({
      code: 'unauthorized',
      detail: 'who are you?',
    });
    verdict = { status: 403 };
    expect((await handle(get('/calls/x'))).status).toBe(403);
    // Refused before anything else: even a path that does not exist says nothing more.
    expect((await handle(get('/nothing-here'))).status).toBe(403);
    expect(seen).toEqual(['/calls', '/', '/events', '/calls/x', '/nothing-here']);
  });

  it('answers 500 when authorize throws, and tells onError', async () => {
    const onError = vi.fn();
    const { handle } = open({
      onError,
      authorize: async () => {
        throw new Error('session store down');
      },
    });
    const response = await handle(get('/'));
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain('session store');
    expect(onError).toHaveBeenCalledWith(
      expect.objectContaining({ message: 'session store down' }),
    );
  });

  it('answers only loopback host names without authorize (no DNS rebinding)', async () => {
    const { handle } = open();
    for (const host of [
      '127.0.0.1:8080',
      'localhost:3000',
      'console.localhost',
      '[::1]:9',
      '10.0.0.5',
    ]) {
      expect((await handle(get('/calls', { host }))).status, host).toBe(200);
    }
    for (const host of ['evil.example.com', 'evil.example.com:8080', '127.0.0.1.nip.io']) {
      const response = await handle(get('/calls', { host }));
      expect(response.status, host).toBe(421);
      expect(await response.json()).toMatchObject({ code: 'misdirected' });
    }
  });

  it('answers the hosts it is told to, and any host behind authorize', async () => {
    const listed = open({ allowedHosts: ['console.example.com'] });
    expect((await listed.handle(get('/calls', { host: 'console.example.com:443' }))).status).toBe(
      200,
    );
    expect((await listed.handle(get('/calls', { host: 'localhost' }))).status).toBe(421);
    const authorized = open({ authorize: () => true });
    expect((await authorized.handle(get('/calls', { host: 'console.example.com' }))).status).toBe(
      200,
    );
  });
});

describe('the event stream', () => {
  it('starts with a snapshot, then sends each tick what changed, and heartbeats when idle', async () => {
    const { handle, registry, callConsole } = open({ tickMs: 10, heartbeatMs: 1_000 });
    const [start, ...rest] = await records();
    registry.push(start as FlightRecord);
    const response = await handle(get('/events'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(response.headers.get('cache-control')).toBe('no-store, no-transform');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await readUntil(reader, (text) => text.includes('event: snapshot'));
    expect(first.startsWith('retry: 2000\n\nevent: snapshot\ndata: {')).toBe(true);
    const [snapshot] = framesOf(first, 'snapshot') as {
      rows: { id: string; phase: string }[];
      frozen: boolean;
    }[];
    expect(snapshot?.frozen).toBe(false);
    expect(snapshot?.rows.map((r) => r.phase)).toEqual(['setup']);
    for (const record of rest) registry.push(record);
    const text = await readUntil(reader, (t) => t.includes('event: update'));
    const updates = framesOf(text, 'update') as { rows: { phase: string }[]; removed: string[] }[];
    // Everything pushed at once arrives in one update, with the row as it ended.
    expect(updates).toHaveLength(1);
    expect(updates[0]?.rows.map((r) => r.phase)).toEqual(['terminated']);
    const idle = await readUntil(reader, (t) => t.includes(': heartbeat'), 3_000);
    expect(idle).toMatch(/^: heartbeat\n\n$/m);
    expect(callConsole.stats()).toMatchObject({ clients: 1, calls: 1 });
    await reader.cancel();
    expect(callConsole.stats().clients).toBe(0);
  });

  it('serves at most maxClients pages: one more gets 503 until one leaves', async () => {
    const { handle } = open({ maxClients: 2 });
    const a = await handle(get('/events'));
    const b = await handle(get('/events'));
    const c = await handle(get('/events'));
    expect([a.status, b.status, c.status]).toEqual([200, 200, 503]);
    expect(c.headers.get('retry-after')).toBe('5');
    expect(await c.json()).toMatchObject({ code: 'tooManyClients' });
    await a.body?.cancel();
    expect((await handle(get('/events'))).status).toBe(200);
    await b.body?.cancel();
  });

  it('drops a page that stops reading once its updates pass maxClientBufferBytes', async () => {
    const { handle, registry, callConsole } = open({ tickMs: 10, maxClientBufferBytes: 4_096 });
    const one = await records();
    const stalled = await handle(get('/events'));
    const reading = await handle(get('/events'));
    const reader = (reading.body as ReadableStream<Uint8Array>).getReader();
    let received = 0;
    const drain = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        received += value.byteLength;
      }
    })();
    for (let i = 0; i < 60 && callConsole.stats().droppedClients === 0; i += 1) {
      for (const record of asCall(one, `call-${i}`, i)) registry.push(record);
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    expect(callConsole.stats()).toMatchObject({ droppedClients: 1, clients: 1 });
    // What the stalled page had queued is gone: reading it now fails, so its browser reconnects.
    await expect(stalled.body?.getReader().read()).rejects.toThrow(/too far behind/);
    expect(received).toBeGreaterThan(4_096);
    await callConsole.close();
    await drain;
  });

  it('close() ends every stream with a closed event and unsubscribes; later requests get 503', async () => {
    const { handle, registry, callConsole } = open();
    expect(registry.attached()).toBe(4);
    const response = await handle(get('/events'));
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await readUntil(reader, (t) => t.includes('event: snapshot'));
    await callConsole.close();
    await callConsole.close();
    const rest = await readUntil(reader, (t) => t.includes('event: closed'));
    expect(rest).toContain('event: closed\ndata: {}');
    expect(await reader.read()).toEqual({ done: true, value: undefined });
    expect(registry.attached()).toBe(0);
    expect(callConsole.stats().clients).toBe(0);
    for (const path of ['/', '/events', '/calls']) {
      const late = await handle(get(path));
      expect(late.status).toBe(503);
      expect(await late.json()).toMatchObject({ code: 'closed' });
    }
  });
});

describe('the hang-up action', () => {
  async function acting() {
    const opened = open({ allowActions: true });
    for (const record of (await records()).slice(0, 2)) opened.registry.push(record);
    const callId = (await records())[0]?.callId ?? '';
    return { ...opened, callId };
  }

  it('hangs up a call the console shows, from its own page', async () => {
    const { handle, registry, callId } = await acting();
    const response = await handle(hangUpRequest({ callId }, { 'sec-fetch-site': 'same-origin' }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ callId, state: 'established', phase: 'terminating' });
    expect(registry.hangUps).toEqual([callId]);
  });

  it('refuses a request another site could make (CSRF)', async () => {
    const { handle, registry, callId } = await acting();
    const cases: [Request, number, string][] = [
      [hangUpRequest({ callId }, { origin: 'https://evil.example.com' }), 403, 'crossOrigin'],
      [hangUpRequest({ callId }, { origin: 'null' }), 403, 'crossOrigin'],
      [hangUpRequest({ callId }, { 'sec-fetch-site': 'cross-site' }), 403, 'crossOrigin'],
      [hangUpRequest({ callId }, { 'x-call-console': '' }), 403, 'missingActionHeader'],
      [hangUpRequest({ callId }, { 'content-type': 'text/plain' }), 415, 'unsupportedMediaType'],
      [
        hangUpRequest(`callId=${callId}`, { 'content-type': 'application/x-www-form-urlencoded' }),
        415,
        'unsupportedMediaType',
      ],
    ];
    const noOrigin = hangUpRequest({ callId });
    noOrigin.headers.delete('origin');
    cases.push([noOrigin, 403, 'crossOrigin']);
    for (const [request, status, code] of cases) {
      const response = await handle(request);
      expect(response.status).toBe(status);
      expect(await response.json()).toMatchObject({ code });
    }
    expect(registry.hangUps).toEqual([]);
  });

  it('answers bad bodies, unknown calls and refusals with problems', async () => {
    const { handle, registry, callId } = await acting();
    const answer = async (request: Request) => {
      const response = await handle(request);
      return [response.status, ((await response.json()) as { code: string }).code];
    };
    expect(await answer(hangUpRequest('{not json'))).toEqual([400, 'badRequest']);
    expect(await answer(hangUpRequest({ id: callId }))).toEqual([400, 'badRequest']);
    expect(await answer(hangUpRequest({ callId: 'x'.repeat(5_000) }))).toEqual([
      413,
      'bodyTooLarge',
    ]);
    expect(await answer(hangUpRequest({ callId: 'not-shown' }))).toEqual([404, 'unknownCall']);
    registry.hangUpWith = async () => {
      throw new HangUpFailedError(callId, 403, 1);
    };
    expect(await answer(hangUpRequest({ callId }))).toEqual([502, 'hangUpFailed']);
    registry.hangUpWith = async () => {
      throw new UnknownCallError(callId);
    };
    expect(await answer(hangUpRequest({ callId }))).toEqual([404, 'unknownCall']);
    expect(await answer(get('/actions/hang-up'))).toEqual([405, 'methodNotAllowed']);
  });
});

describe('what reaches the page', () => {
  it('never a token, a header or a notification as received', async () => {
    const world = openWorld(
      { authorization: 'Bearer webhook-secret' },
      { getToken: async () => 'graph-secret-token' },
    );
    worlds.push(world);
    const callId = await answered(world, { source: ALICE });
    await world.registry.hangUp(callId);
    await world.settle();
    const { handle } = open({}, world.registry as unknown as StubRegistry);
    const texts = await Promise.all(
      ['/', '/calls', `/calls/${encodeURIComponent(callId)}`].map(async (path) =>
        (await handle(get(path))).text(),
      ),
    );
    for (const text of texts) {
      expect(text).not.toMatch(/graph-secret-token|webhook-secret|Bearer|authorization/i);
      expect(text).not.toMatch(/"raw"|resourceUrl|@odata/);
    }
  });

  it('redacts people when asked, whatever the registry records', async () => {
    const world = openWorld();
    worlds.push(world);
    const { handle } = open({ redact: true }, world.registry as unknown as StubRegistry);
    const callId = await answered(world, { source: ALICE });
    const detail = await (await handle(get(`/calls/${encodeURIComponent(callId)}`))).text();
    expect(detail).toContain('user: [redacted]');
    expect(detail).toContain('application: Test BOT');
    expect(detail).not.toContain('Alice');
  });

  it('keeps markup in call ids as data: escaped in JSON, never in the page', async () => {
    const world = openWorld();
    worlds.push(world);
    const { handle } = open({}, world.registry as unknown as StubRegistry);
    for (const id of [MARKUP_ID, SCRIPT_ID]) await answered(world, { callId: id });
    const html = await (await handle(get('/'))).text();
    expect(html).not.toContain('onerror');
    expect(html).not.toContain('__xss');
    const calls = await handle(get('/calls'));
    expect(calls.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(calls.headers.get('content-security-policy')).toBe(
      "default-src 'none'; frame-ancestors 'none'",
    );
    const ids = ((await calls.json()) as { rows: { id: string }[] }).rows.map((r) => r.id);
    expect(ids.sort()).toEqual([MARKUP_ID, SCRIPT_ID].sort());
    const detail = await handle(get(`/calls/${encodeURIComponent(MARKUP_ID)}`));
    expect(((await detail.json()) as { call: { id: string } }).call.id).toBe(MARKUP_ID);
  });
});
