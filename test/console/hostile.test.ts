// The console against an attacker or a hostile network: call ids no call can have, records with
// missing or odd fields, a flood of calls, odd paths and headers, pages that come and go at once,
// a page that never reads, and close() while streams are being written.
import { once } from 'node:events';
import { createServer, get as httpGet, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ConsoleModelOptions, createConsoleModel } from '../../src/console/consoleModel.js';
import {
  type CallConsole,
  type CallConsoleOptions,
  type ConsoleCallDetail,
  type ConsoleSnapshot,
  createCallConsole,
  createRecordedConsole,
} from '../../src/console/index.js';
import { PAGE_SCRIPT } from '../../src/console/pageScript.js';
import type { CallView, FlightRecord } from '../../src/index.js';
import { CALL_OUTCOME_REASONS } from '../../src/machine/outcome.js';
import {
  asCall,
  hangUpRequest,
  ODD_IDS,
  ORIGIN,
  readUntil,
  recordsOfOneCall,
  type StubRegistry,
  stubRegistry,
} from './support.js';

const LIMITS: ConsoleModelOptions = {
  maxEndedCalls: 1_000,
  maxLiveCalls: 10_000,
  maxTimelineEntries: 200,
  redact: false,
};

/** Ids no call can have: the library refuses them where they enter (see `callIdProblem`). */
const IMPOSSIBLE_IDS: readonly unknown[] = [
  'x'.repeat(64 * 1024),
  'x'.repeat(257),
  '',
  '.',
  '..',
  'a/b',
  'a\\b',
  'a?b',
  'a#b',
  '\ud800',
  'a\udc00b',
  'a\u0000b',
  'line\nbreak',
  'a\u0085b',
  // A direction control makes an id read as another on screen.
  'live\u202Eevil\u202C',
  42,
  null,
  { toString: () => 'call' },
];

let oneCall: FlightRecord[] | undefined;
async function one(): Promise<FlightRecord[]> {
  oneCall ??= await recordsOfOneCall();
  return oneCall;
}

const consoles: CallConsole[] = [];
let server: Server | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const c of consoles.splice(0)) await c.close();
  for (const s of sockets.splice(0)) s.destroy();
  server?.closeAllConnections();
  if (server !== undefined) await new Promise<void>((resolve) => server?.close(() => resolve()));
  server = undefined;
});

function open(options: CallConsoleOptions = {}, registry: StubRegistry = stubRegistry()) {
  const callConsole = createCallConsole(registry, options);
  consoles.push(callConsole);
  return { callConsole, registry, handle: callConsole.handler };
}

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 5_000) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('call ids', () => {
  it('refuses records of ids no call can have, and keeps those a call can', async () => {
    const model = createConsoleModel(LIMITS);
    for (const id of IMPOSSIBLE_IDS) {
      for (const record of asCall(await one(), id as string)) {
        expect(model.record(record), JSON.stringify(id)?.slice(0, 40)).toBe(false);
      }
      model.view({ callId: id as string, state: 'established', phase: 'active', updatedAt: 1 });
    }
    expect(model.size).toBe(0);
    expect(model.counters().callsSeen).toBe(0);
    for (const id of ODD_IDS) for (const record of asCall(await one(), id)) model.record(record);
    expect(
      model
        .rows()
        .map((row) => row.id)
        .sort(),
    ).toEqual([...ODD_IDS].sort());
  });

  it('a recording skips them and says how many', async () => {
    const onError = vi.fn();
    const call = await one();
    const records = [...IMPOSSIBLE_IDS, 'good'].flatMap((id) => asCall(call, id as string));
    const recorded = createRecordedConsole(records, { onError });
    consoles.push(recorded);
    const response = await recorded.handler(new Request(`${ORIGIN}/calls`));
    const snapshot = (await response.json()) as ConsoleSnapshot;
    expect(snapshot.rows.map((row) => row.id)).toEqual(['good']);
    const skipped = IMPOSSIBLE_IDS.length * call.length;
    expect(onError).toHaveBeenCalledWith(
      expect.objectContaining({ message: expect.stringContaining(`${skipped} record(s)`) }),
    );
  });

  it('GET calls/{id} finds every id a call can have, and nothing for odd paths, cheaply', async () => {
    const views: CallView[] = ODD_IDS.map((callId) => ({
      callId,
      state: 'established',
      phase: 'active',
      updatedAt: 1,
    }));
    const { handle } = open({}, stubRegistry(views));
    for (const id of ODD_IDS) {
      const response = await handle(new Request(`${ORIGIN}/calls/${encodeURIComponent(id)}`));
      expect(response.status, id).toBe(200);
      expect(((await response.json()) as ConsoleCallDetail).call.id).toBe(id);
    }
    const started = performance.now();
    for (const path of [
      '/calls/%2F',
      '/calls/a%2Fb',
      '/calls/a/b',
      '/calls/%2E%2E%2F%2E%2E%2Fetc',
      '/calls/%ED%A0%80', // a lone surrogate's UTF-8, which no string holds
      '/calls/%',
      '/calls/%00',
      '/calls/%0A',
      `/calls/${'%41'.repeat(300_000)}`,
      `/calls/${'A'.repeat(1_000_000)}`,
      `/calls/${encodeURIComponent('y'.repeat(257))}`,
    ]) {
      const response = await handle(new Request(`${ORIGIN}${path}`));
      expect(response.status, path.slice(0, 40)).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    }
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('records with missing or odd fields', () => {
  /** Each record of a call, with one field broken in each way a file can break it. */
  function broken(records: readonly FlightRecord[]): unknown[] {
    const odd: Record<string, readonly unknown[]> = {
      input: [
        undefined,
        null,
        {},
        'start',
        { type: 'step' },
        { type: 'step', event: null },
        { type: 'step', event: { type: 42 } },
        { type: 'step', event: { type: 'notification' } },
        {
          type: 'step',
          event: {
            type: 'notification',
            notification: { resource: 'participants', roster: { kind: 'whole', entries: [null] } },
          },
        },
        { type: 'step', event: { type: 'delete.failed', status: 'teapot' } },
        { type: 'step', event: { type: 'operation', key: 'k' } },
        { type: 'start' },
        { type: 'start', input: { discoveredBy: { source: { identity: null } } } },
      ],
      emitted: [undefined, null, 'graph.deleteCall', [1, null, {}, 'graph.deleteCall'], {}],
      from: [null, {}, 'active', { state: 'nope', phase: 'active', value: 'x' }],
      verdict: ['bogus', '__proto__', 'constructor', 5, null],
      outcome: [
        null,
        {},
        'hungUp',
        { reason: 'bogus', at: 1 },
        { reason: '__proto__', at: 1 },
        { reason: 'hungUp', at: 'later' },
        { reason: 'hungUp', at: 1, resultInfo: null },
        { reason: 'hungUp', at: 1, resultInfo: 'none' },
      ],
      due: ['soon', Number.NaN, Number.POSITIVE_INFINITY, -1e300, null, {}],
      at: [undefined, Number.NaN, Number.POSITIVE_INFINITY, '1', null, 1e300],
      to: [undefined, null, {}, { state: 'established', phase: 'bogus', value: '' }],
      callId: [undefined, null, 7],
    };
    const out: unknown[] = [undefined, null, 42, 'record', [], () => {}];
    let n = 0;
    for (const record of records) {
      for (const [field, values] of Object.entries(odd)) {
        for (const value of values) {
          n += 1;
          const [copy] = asCall([record], `odd-${n}`);
          out.push({ ...copy, [field]: value });
        }
      }
    }
    return out;
  }

  it('never throw, count only what is known, and stop none of the good records', async () => {
    const records = await one();
    const model = createConsoleModel(LIMITS);
    const good = asCall(records, 'good');
    const bad = broken(records);
    // Interleaved: a bad record between each two good ones.
    for (const [i, record] of bad.entries()) {
      expect(() => model.record(record as FlightRecord)).not.toThrow();
      const next = good[i % good.length];
      if (i < good.length && next !== undefined) expect(model.record(next)).toBe(true);
    }
    expect(model.row('good')).toMatchObject({ phase: 'terminated', outcome: 'hungUp' });
    expect(model.detail('good')?.timeline).toHaveLength(good.length);
    for (const row of model.rows()) {
      expect(() => JSON.stringify(model.detail(row.id))).not.toThrow();
    }
    const counters = model.counters();
    expect(Object.keys(counters.notificationsByVerdict).sort()).toEqual(
      ['apply', 'late', 'rejected', 'stale', 'subresource', 'unchanged'].sort(),
    );
    for (const key of Object.keys(counters.outcomes)) expect(CALL_OUTCOME_REASONS).toContain(key);
    for (const key of Object.keys(counters.requestsByStatus)) {
      expect(key).toMatch(/^(?:[1-5]\d\d|ok|no answer|other)$/);
    }
    const numbers = [
      ...Object.values(counters.callsByPhase),
      ...Object.values(counters.notificationsByVerdict),
      ...Object.values(counters.outcomes),
      ...Object.values(counters.requestsByStatus),
    ];
    for (const value of numbers) expect(Number.isFinite(value)).toBe(true);
    for (const row of model.rows()) {
      expect(typeof row.id).toBe('string');
      expect(Number.isFinite(row.firstAt) && Number.isFinite(row.updatedAt)).toBe(true);
      if (row.dueAt !== undefined) expect(Number.isFinite(row.dueAt)).toBe(true);
    }
  });

  it('a recording of them opens, and shows the good calls', async () => {
    const records = await one();
    const onError = vi.fn();
    const recorded = createRecordedConsole(
      [...broken(records), ...asCall(records, 'good')] as FlightRecord[],
      { onError },
    );
    consoles.push(recorded);
    const response = await recorded.handler(new Request(`${ORIGIN}/calls`));
    expect(response.status).toBe(200);
    const snapshot = (await response.json()) as ConsoleSnapshot;
    expect(Number.isFinite(snapshot.now)).toBe(true);
    expect(snapshot.rows.find((row) => row.id === 'good')).toMatchObject({
      outcome: 'hungUp',
    });
    expect(onError).toHaveBeenCalledOnce();
  });

  it('bound what one call keeps, whatever its records claim', async () => {
    const [start, established] = await one();
    const model = createConsoleModel(LIMITS);
    model.record(start as FlightRecord);
    const base = established as FlightRecord;
    for (let i = 0; i < 5_000; i += 1) {
      model.record({
        ...base,
        at: base.at + i,
        to: { ...base.to, value: `made.up.${i}` },
        emitted: ['graph.deleteCall', 'graph.getCall'],
        input: {
          type: 'step',
          event:
            i % 2 === 0
              ? { type: 'operation', key: `op-${i}`, operation: { kind: 'playPrompt' }, at: i }
              : { type: 'getCall.result', status: 1_000 + i, at: i },
        } as unknown as FlightRecord['input'],
      });
    }
    const detail = model.detail(base.callId);
    expect(detail?.visited.length).toBeLessThanOrEqual(64);
    expect(detail?.moves.length).toBeLessThanOrEqual(64);
    expect(detail?.operations.length).toBeLessThanOrEqual(32);
    expect((model.row(base.callId)?.pending ?? '').split(', ').length).toBeLessThanOrEqual(16);
    expect(Object.keys(model.counters().requestsByStatus).length).toBeLessThanOrEqual(4);
  });
});

describe('a flood of calls', () => {
  it('20,000 distinct calls: the caps hold, and what waits for the pages stays bounded', async () => {
    const records = await one();
    const [start, terminated] = [records[0], records.at(-1)];
    const model = createConsoleModel(LIMITS);
    const bound = LIMITS.maxLiveCalls + LIMITS.maxEndedCalls;
    model.takeChanges(); // a page is watching
    let largest = 0;
    for (let i = 0; i < 20_000; i += 1) {
      model.record({ ...(start as FlightRecord), callId: `flood-${i}`, at: i });
      largest = Math.max(largest, model.size);
    }
    expect(model.size).toBe(LIMITS.maxLiveCalls);
    let changes = model.takeChanges();
    // The pages never had the calls let go within the tick: no word of them.
    expect(changes.removed).toEqual([]);
    expect(changes.rows).toHaveLength(LIMITS.maxLiveCalls);
    for (let i = 0; i < 20_000; i += 1) {
      model.record({ ...(terminated as FlightRecord), callId: `flood-${i}`, at: 20_000 + i });
      largest = Math.max(largest, model.size);
    }
    expect(largest).toBeLessThanOrEqual(bound);
    expect(model.counters().callsByPhase).toEqual({
      setup: 0,
      active: 0,
      terminating: 0,
      terminated: LIMITS.maxEndedCalls,
    });
    changes = model.takeChanges();
    expect(changes.removed.length).toBeLessThanOrEqual(bound);
    expect(changes.rows.length).toBeLessThanOrEqual(LIMITS.maxEndedCalls);
    expect(model.counters()).toMatchObject({ callsSeen: 30_000, callsDropped: 29_000 });
    // Nobody watching: calls come and go for days, and nothing piles up for a page to come.
    for (let i = 0; i < 20_000; i += 1) {
      model.record({ ...(terminated as FlightRecord), callId: `later-${i}`, at: 50_000 + i });
    }
    expect(model.takeChanges().removed.length).toBeLessThanOrEqual(LIMITS.maxEndedCalls);
  });
});

describe('odd requests', () => {
  it('refuses a Host that is a list or no host name, whatever it ends with', async () => {
    const { handle } = open();
    for (const host of [
      'evil.example.com, console.localhost',
      'evil.example.com,127.0.0.1',
      'evil.example.com console.localhost',
      'user@console.localhost',
      '127.0.0.1:8080/evil',
      `${'a'.repeat(100_000)}.localhost:8080x`,
    ]) {
      const response = await handle(new Request(`${ORIGIN}/calls`, { headers: { host } }));
      expect(response.status, host.slice(0, 40)).toBe(421);
    }
    expect(
      (await handle(new Request(`${ORIGIN}/calls`, { headers: { host: 'a.b.localhost:1' } })))
        .status,
    ).toBe(200);
  });

  it('answers absurd headers on an action with a problem, before reading much', async () => {
    const { handle, registry } = open({ allowActions: true });
    const action = (headers: Record<string, string>, body = '{"callId":"c1"}') =>
      handle(hangUpRequest(body, headers));
    const cases: [Record<string, string>, number][] = [
      [{ origin: `${ORIGIN}${'/'.repeat(100_000)}` }, 403],
      [{ 'content-type': `application/json${' '.repeat(100_000)}x` }, 415],
      // Taken as JSON, and c1 is no call the console shows.
      [{ 'content-type': `${'application/json;'.repeat(10_000)}` }, 404],
      [{ 'x-call-console': 'hang-up'.repeat(10_000) }, 403],
      [{ 'content-length': '99999999999999999999' }, 413],
    ];
    for (const [headers, status] of cases) {
      const started = performance.now();
      const response = await action(headers);
      expect(response.status, Object.keys(headers)[0]).toBe(status);
      expect(performance.now() - started).toBeLessThan(500);
    }
    expect(registry.hangUps).toEqual([]);
  });

  it('answers the event stream asked for while close() came with 503 closed', async () => {
    let letIn: (verdict: boolean) => void = () => {};
    const { handle, callConsole } = open({
      authorize: () =>
        new Promise<boolean>((resolve) => {
          letIn = resolve;
        }),
    });
    const pending = handle(new Request(`${ORIGIN}/events`));
    await callConsole.close();
    letIn(true);
    const response = await pending;
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ code: 'closed' });
    expect(callConsole.stats().clients).toBe(0);
  });

  it('writes call data with textContent only: nothing in the script parses HTML', () => {
    expect(PAGE_SCRIPT).not.toMatch(
      /innerHTML|outerHTML|insertAdjacentHTML|document\.write|DOMParser|createContextualFragment|srcdoc|\.html\(|eval\(|new Function|setTimeout\('|javascript:/,
    );
    // Attributes set from call data are data-* and title only, never an event handler or a URL.
    const named = [...PAGE_SCRIPT.matchAll(/setAttr(?:ibute)?\((?:[\w.]+, )?'([^']+)'/g)];
    expect(named.length).toBeGreaterThan(5);
    for (const [, name] of named) {
      expect(name).toMatch(/^(?:data-[a-z]+|role|tabindex|d|class|marker-end|x|y)$/);
    }
  });
});

describe('pages over a hostile network', () => {
  async function serve(options: CallConsoleOptions = {}, registry = stubRegistry()) {
    const callConsole = createCallConsole(registry, { tickMs: 10, ...options });
    consoles.push(callConsole);
    server = createServer(callConsole.listener).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    return { callConsole, registry, port, origin: `http://127.0.0.1:${port}` };
  }

  /** The connections still busy: idle keep-alive ones go, as a server's close() makes them. */
  function connections(): Promise<number> {
    server?.closeIdleConnections();
    return new Promise((resolve) => {
      server?.getConnections((_, count) => resolve(count));
    });
  }

  /** A raw connection that asks for the stream and never reads a byte of it. */
  async function stalledPage(port: number): Promise<Socket> {
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    socket.on('error', () => {});
    await once(socket, 'connect');
    socket.pause();
    socket.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    return socket;
  }

  /** Updates as large as they come: 2,000 rows a tick, until `done` holds. */
  async function flood(registry: StubRegistry, done: () => boolean | Promise<boolean>) {
    const [start] = await one();
    for (let round = 0; round < 500 && !(await done()); round += 1) {
      for (let i = 0; i < 2_000; i += 1) {
        registry.push({ ...(start as FlightRecord), callId: `c-${i}`, at: round * 10_000 + i });
      }
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
  }

  it('frees the slot of every page that comes and goes at once', async () => {
    const { callConsole, registry, port, origin } = await serve({ maxClients: 4 });
    for (const record of asCall(await one(), 'c1')) registry.push(record);
    const comings: Promise<unknown>[] = [];
    for (let i = 0; i < 120; i += 1) {
      // Half as raw sockets, half as HTTP requests: gone before, while and after being answered.
      const when = i % 4;
      comings.push(
        new Promise<void>((resolve) => {
          if (i % 2 === 0) {
            const socket = connect(port, '127.0.0.1');
            socket.on('error', () => {});
            socket.on('close', () => resolve());
            socket.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
            if (when === 0) socket.destroy();
            else socket.once('data', () => socket.destroy());
            return;
          }
          const request = httpGet(`${origin}/events`, { agent: false }, (response) => {
            if (when === 1) request.destroy();
            else response.once('data', () => setTimeout(() => request.destroy(), i % 5));
          });
          request.on('error', () => {});
          request.on('close', () => resolve());
          if (when === 3) setImmediate(() => request.destroy());
        }),
      );
    }
    await Promise.all(comings);
    await until(async () => callConsole.stats().clients === 0, 'every slot is free');
    await until(async () => (await connections()) === 0, 'every connection is closed', 1_000);
    // A page arriving now is served.
    const response = await fetch(`${origin}/events`);
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await readUntil(reader, (text) => text.includes('event: snapshot'));
    await reader.cancel();
    await until(async () => callConsole.stats().clients === 0, 'the last page left');
  });

  it('cuts the connection of a page that never reads, once it falls behind', async () => {
    const { callConsole, registry, port } = await serve();
    await stalledPage(port);
    await until(() => callConsole.stats().clients === 1, 'the page is connected');
    await flood(registry, () => callConsole.stats().droppedClients > 0);
    expect(callConsole.stats()).toMatchObject({ clients: 0, droppedClients: 1 });
    // Its socket too: nothing of it stays in the server, waiting for a drain that never comes.
    await until(async () => (await connections()) === 0, 'the connection is closed');
  }, 30_000);

  it('close() ends the connection of a page that does not read, after a short grace', async () => {
    const { callConsole, registry, port } = await serve({
      maxClientBufferBytes: 256 * 1024 * 1024,
    });
    const reading = await fetch(`http://127.0.0.1:${port}/events`);
    const reader = (reading.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    const decoder = new TextDecoder();
    const drain = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        text = (text + decoder.decode(value, { stream: true })).slice(-200);
      }
    })();
    await stalledPage(port);
    await until(() => callConsole.stats().clients === 2, 'both pages are connected');
    // Enough to fill what the sockets hold, so that the stalled page's writes wait.
    let rounds = 0;
    await flood(registry, () => {
      rounds += 1;
      return rounds > 40;
    });
    await callConsole.close();
    await drain;
    expect(text).toContain('event: closed');
    await until(async () => (await connections()) === 0, 'every connection is closed', 3_000);
  }, 30_000);

  it('serves maxClients pages at once without a warning, and close() ends them all', async () => {
    const warnings: string[] = [];
    const warned = (warning: Error) => warnings.push(warning.message);
    process.on('warning', warned);
    try {
      const { callConsole, origin } = await serve({ maxClients: 16 });
      const pages = await Promise.all(
        Array.from({ length: 16 }, async () => {
          const response = await fetch(`${origin}/events`);
          return (response.body as ReadableStream<Uint8Array>).getReader();
        }),
      );
      await until(() => callConsole.stats().clients === 16, 'every page is connected');
      await callConsole.close();
      for (const reader of pages) await readUntil(reader, (text) => text.includes('event: closed'));
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', warned);
    }
  });

  it('answers HEAD on the event stream with 405, and opens no stream', async () => {
    const { callConsole, origin } = await serve();
    const response = await fetch(`${origin}/events`, { method: 'HEAD' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
    expect(callConsole.stats().clients).toBe(0);
  });
});
