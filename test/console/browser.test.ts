// The console's page in a real Chromium: calls run through the fake Graph and a registry, and
// the test checks what a person sees (the call appears, its state turns terminated, the chart
// lights where it is and the path it took, each call counts down to its deadline, live and in a
// recording), that markup and odd characters in a call id stay text and find its detail, that the
// page asks nothing of any origin but its own and breaks no rule of its CSP, and how long a
// change takes to show with 1,000 live calls (reports/console-latency.json).
import { once } from 'node:events';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type CallConsole,
  createCallConsole,
  createRecordedConsole,
} from '../../src/console/index.js';
import type { FlightRecord } from '../../src/index.js';
import { hasChromium, launchChromium } from './browser.js';
import {
  ALICE,
  answered,
  asCall,
  MARKUP_ID,
  ODD_IDS,
  openWorld,
  recordsOfOneCall,
  SCRIPT_ID,
  type World,
} from './support.js';

const REPORTS = new URL('../../reports/', import.meta.url);
const DOCS_SCREENSHOT = new URL('../../docs/console.png', import.meta.url);
// The latency run: live calls held, state changes made, one every PACE_MS.
const LIVE_CALLS = 1_000;
const CHANGES = 300;
const PACE_MS = 5;

let browser: Browser | undefined;
let world: World | undefined;
let callConsole: CallConsole | undefined;
let server: Server | undefined;

beforeAll(async () => {
  if (hasChromium) browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await callConsole?.close();
  server?.closeAllConnections();
  if (server !== undefined) await new Promise<void>((resolve) => server?.close(() => resolve()));
  await world?.close();
  [callConsole, server, world] = [undefined, undefined, undefined];
});

/** Serves a console of `world`'s registry on loopback; resolves with its origin. */
async function serveConsole(w: World, options: Parameters<typeof createCallConsole>[1]) {
  return serve(createCallConsole(w.registry, options));
}

/** Serves `served` on loopback; resolves with its origin. */
async function serve(served: CallConsole) {
  callConsole = served;
  server = createServer(callConsole.listener).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A page that notes every request it makes, every error it logs and every dialog it opens. */
async function openPage(origin: string) {
  if (browser === undefined) throw new Error('no browser');
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const requests: string[] = [];
  const problems: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await page.goto(`${origin}/`);
  await until(
    page,
    `['live', 'recording'].includes(document.getElementById('status').textContent)`,
    'the page is live',
  );
  return { page, requests, problems };
}

/**
 * Polls `expression` in the page until it is true. From here, not with `waitForFunction`: that
 * compiles its predicate inside the page, which the page's CSP (rightly) forbids.
 */
async function until(page: Page, expression: string, what: string, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  let last: unknown;
  while (Date.now() < deadline) {
    last = await page.evaluate(expression).catch((error: unknown) => error);
    if (last === true) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`the page never showed that ${what} (${expression} was ${String(last)})`);
}

const row = (id: string) => `.row[data-id=${JSON.stringify(id)}]`;
const js = (value: unknown) => JSON.stringify(value);

describe.skipIf(!hasChromium)('the console in Chromium', () => {
  it('shows calls as they happen, their path through the chart, and nothing but text', async () => {
    world = openWorld();
    const w = world;
    const origin = await serveConsole(w, { allowActions: true, title: 'Calls: front desk bot' });
    const { page, requests, problems } = await openPage(origin);

    // Calls of every kind, through the fake Graph.
    const transferred = await answered(w, { source: ALICE });
    await w.registry.transfer(transferred, {
      identity: { user: { id: 'f1e2d3c4-0000-4000-8000-000000000001', displayName: 'Front Desk' } },
    });
    const hungUp = w.fake.placeCall();
    const remote = w.fake.placeCall();
    const rejected = w.fake.incomingCall();
    const prompted = w.fake.placeCall();
    await w.settle();
    await until(
      page,
      `document.querySelector(${js(row(hungUp))}) !== null`,
      'the placed call appears',
    );
    await until(
      page,
      `document.querySelector(${js(`${row(hungUp)} .c-state`)}).textContent === 'established'`,
      'the call is established',
    );
    await w.registry.reject(rejected, 'busy');
    // Its prompt plays on: the call waits on it, and shows its deadline, until hung up below.
    w.fake.scriptOperations(prompted, 'neverCompletes');
    const prompt = w.registry
      .playPrompt(prompted, 'https://bot.example.com/audio/welcome.wav')
      .catch((error: unknown) => error);
    w.fake.remoteHangUp(remote);
    await w.registry.hangUp(hungUp);
    for (const id of [MARKUP_ID, SCRIPT_ID]) await answered(w, { callId: id });
    for (let i = 0; i < 3; i += 1) w.fake.placeCall();
    await w.settle();

    // The hung-up call turns terminated and moves among the ended calls.
    const ended = `#ended ${row(hungUp)}`;
    await until(
      page,
      `document.querySelector(${js(`${ended} .c-state`)})?.textContent === 'terminated'`,
      'the call is terminated',
    );
    expect(await page.textContent(`${ended} .c-outcome`)).toMatch(/^hungUp · 200\/5001/);
    await until(
      page,
      `document.querySelectorAll('#list .row[data-id]').length === 10`,
      'all ten calls are listed',
    );

    // Selected, it shows where it is and the way it came.
    await page.click(ended);
    await until(
      page,
      `document.getElementById('d-id').textContent === ${js(hungUp)}`,
      'the detail of the call',
    );
    const lit = (await page.evaluate(
      `[...document.querySelectorAll('#chart .box.current')].map((g) => g.dataset.state)`,
    )) as string[];
    expect(lit).toEqual(['terminated']);
    const visited = (await page.evaluate(
      `[...document.querySelectorAll('#chart .box.visited')].map((g) => g.dataset.state)`,
    )) as string[];
    expect(visited).toEqual(
      expect.arrayContaining([
        'setup.establishing',
        'active.established',
        'terminating.hangingUp',
        'terminating.confirming',
        'terminated',
      ]),
    );
    expect(await page.locator('#chart .taken .taken-edge').count()).toBe(4);
    const timeline = await page.locator('#timeline tr').allTextContents();
    expect(timeline.some((line) => line.includes('hangUp') && line.includes('DELETE'))).toBe(true);
    expect(timeline.at(-1)).toContain('ended hungUp');

    // Filters and search.
    await page.selectOption('#f-outcome', 'hungUp');
    await until(
      page,
      `document.getElementById('shown').textContent === '1 of 10 calls'`,
      'one hung-up call',
    );
    await page.selectOption('#f-outcome', '');
    await page.fill('#f-search', remote.slice(0, 13));
    await until(
      page,
      `document.getElementById('shown').textContent === '1 of 10 calls'`,
      'one call found',
    );
    await page.fill('#f-search', '');
    await page.selectOption('#f-state', 'established');
    await until(
      page,
      `document.getElementById('shown').textContent === '6 of 10 calls'`,
      'six established calls',
    );
    await page.selectOption('#f-state', '');

    // Markup in a call id is text, in the list and in the detail; nothing ran.
    for (const id of [MARKUP_ID, SCRIPT_ID]) {
      expect(await page.textContent(`${row(id)} .c-id`)).toBe(id);
    }
    await page.click(row(MARKUP_ID));
    await until(
      page,
      `document.getElementById('d-id').textContent === ${js(MARKUP_ID)}`,
      'the detail of the markup call',
    );
    expect(
      await page.evaluate(
        `document.querySelectorAll('body img, #list script, #detail-pane script').length`,
      ),
    ).toBe(0);
    expect(await page.evaluate('window.__xss')).toBeUndefined();

    // The screenshot of the docs: a call that was transferred, selected; a call playing a prompt.
    await until(
      page,
      `document.querySelector(${js(`${row(prompted)} .c-pending`)}).textContent.startsWith('1 operation · ')`,
      'the prompt and its deadline',
    );
    await page.click(row(transferred));
    await until(
      page,
      `document.getElementById('d-id').textContent === ${js(transferred)}`,
      'the transferred call',
    );
    await until(
      page,
      `document.querySelector('#chart .box.current')?.dataset.state === 'terminated'`,
      'the transferred call ended',
    );
    mkdirSync(REPORTS, { recursive: true });
    const screenshot = new URL('console.png', REPORTS);
    await page.screenshot({ path: screenshot.pathname });
    if (process.env.CONSOLE_SCREENSHOT_TO_DOCS === '1') copyFileSync(screenshot, DOCS_SCREENSHOT);

    // The hang-up button, from the page itself (its Origin, its header, its JSON).
    const live = w.registry.calls().find((call) => call.callId === prompted);
    expect(live?.phase).toBe('active');
    await page.click(row(prompted));
    await until(
      page,
      `document.getElementById('d-id').textContent === ${js(prompted)}`,
      'the prompted call',
    );
    await page.click('#hang-up');
    await until(
      page,
      `document.getElementById('action-note').textContent === 'Graph took the hang-up.'`,
      'the hang-up was taken',
    );
    await w.settle();
    await until(
      page,
      `document.querySelector(${js(`#ended ${row(prompted)} .c-outcome`)})?.textContent.startsWith('hungUp')`,
      'the prompted call hung up',
    );
    await prompt;

    // Closing the console tells the page, which stops reconnecting.
    await callConsole?.close();
    await until(
      page,
      `document.getElementById('status').textContent === 'console closed'`,
      'the console closed',
    );

    // Only the console's own origin was asked for anything; the CSP was never broken.
    expect(requests.filter((url) => !url.startsWith(`${origin}/`))).toEqual([]);
    expect(requests.map((url) => new URL(url).pathname)).toEqual(
      expect.arrayContaining([
        '/',
        '/events',
        '/actions/hang-up',
        `/calls/${encodeURIComponent(hungUp)}`,
      ]),
    );
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('counts down to the deadline a call waits on, in the list and in its detail', async () => {
    world = openWorld();
    const w = world;
    const origin = await serveConsole(w, {});
    const { page, problems } = await openPage(origin);
    const waiting = w.fake.placeCall();
    const throttled = w.fake.placeCall();
    const idle = w.fake.placeCall();
    await w.settle();
    // A prompt that plays on: the call waits on its operation, minutes away.
    w.fake.scriptOperations(waiting, 'neverCompletes');
    const prompt = w.registry
      .playPrompt(waiting, 'https://bot.example.com/audio/hold-music.wav')
      .catch((error: unknown) => error);
    // A hang-up Graph throttles: the DELETE goes again 20 s later.
    w.fake.failNext(1, 503, { method: 'DELETE', retryAfter: 20 });
    const hangUp = w.registry.hangUp(throttled).catch((error: unknown) => error);
    await w.settle();
    const cell = (id: string) => `document.querySelector(${js(`${row(id)} .c-pending`)})`;
    await until(
      page,
      `/^1 operation · [45] min$/.test(${cell(waiting)}?.textContent)`,
      'the operation and its deadline',
    );
    await until(
      page,
      `/^deadline in 1\\d(\\.\\d)? s$/.test(${cell(throttled)}?.textContent)`,
      'the retry of the DELETE',
    );
    expect(await page.evaluate(`${cell(idle)}.textContent`)).toBe('');
    // It counts down, on its own, between updates.
    const before = await page.evaluate(`${cell(throttled)}.textContent`);
    await until(page, `${cell(throttled)}.textContent !== ${js(before)}`, 'the countdown', 3_000);
    await page.click(row(waiting));
    await until(
      page,
      `/^in [45] min \\d+ s$/.test(document.getElementById('d-due')?.textContent)`,
      'the deadline in the detail',
    );
    expect(await page.getAttribute('#d-due', 'title')).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(
      await page.evaluate(`document.getElementById('d-due').previousElementSibling.textContent`),
    ).toBe('Deadline');
    const exact = await page.textContent('#d-due');
    await until(
      page,
      `document.getElementById('d-due').textContent !== ${js(exact)}`,
      'it moves',
      3_000,
    );
    // Ended, it waits on nothing.
    await w.registry.hangUp(waiting);
    await w.settle();
    await prompt;
    await until(page, `${cell(waiting)}?.textContent === ''`, 'no deadline once ended');
    await until(page, `document.getElementById('d-due') === null`, 'no deadline in the detail');
    expect(problems).toEqual([]);
    await page.close();
    await w.registry.close();
    await hangUp;
  }, 60_000);

  it('shows a recording against its frozen time, and finds calls by their oddest ids', async () => {
    const one = await recordsOfOneCall();
    const hangUpAt = one.findIndex(
      (r) => r.input.type === 'step' && r.input.event.type === 'hangUp',
    );
    const last = one.at(-1) as FlightRecord;
    const now = last.at; // the recording's last moment: time stands still there
    // Hung up 40 s before the end, Graph never answered the DELETE due 30 s after it.
    const hangUp = one[hangUpAt] as FlightRecord;
    const overdue = asCall(one.slice(0, hangUpAt + 1), 'waiting-delete', now - 40_000 - hangUp.at);
    overdue[overdue.length - 1] = { ...(overdue.at(-1) as FlightRecord), due: now - 10_000 };
    // Just offered, its answer window closes 4.2 s after the end.
    const [start] = asCall(one.slice(0, 1), 'in-setup', now - 1_000 - (one[0] as FlightRecord).at);
    const records = [
      ...one,
      ...overdue,
      { ...(start as FlightRecord), due: now + 4_200 },
      ...ODD_IDS.flatMap((id, i) => asCall(one, id, -10_000 * (i + 1))),
    ];
    const origin = await serve(createRecordedConsole(records));
    const { page, requests, problems } = await openPage(origin);
    expect(await page.textContent('#status')).toBe('recording');
    const pending = async (id: string) => page.textContent(`${row(id)} .c-pending`);
    await until(page, `document.querySelector(${js(row('in-setup'))}) !== null`, 'the calls');
    expect(await pending('waiting-delete')).toBe('DELETE · overdue 10 s');
    expect(await pending('in-setup')).toBe('deadline in 4.2 s');
    expect(await pending(last.callId)).toBe('');
    await page.click(row('waiting-delete'));
    await until(
      page,
      `document.getElementById('d-due')?.textContent === 'overdue 10 s'`,
      'the overdue deadline in the detail',
    );
    // Time stands still: a second later, it says the same.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await pending('in-setup')).toBe('deadline in 4.2 s');
    expect(await page.textContent('#d-due')).toBe('overdue 10 s');

    // Each odd id finds its detail (encoded in the URL, decoded by the console) and stays text.
    for (const id of ODD_IDS) {
      expect(await page.textContent(`${row(id)} .c-id`)).toBe(id);
      await page.click(row(id));
      await until(
        page,
        `document.getElementById('d-id').textContent === ${js(id)} && document.querySelector('#timeline tr:last-child')?.textContent.includes('ended hungUp')`,
        `the detail of ${id.slice(0, 20)}`,
      );
    }
    expect(await page.evaluate('window.__xss')).toBeUndefined();
    expect(requests.filter((url) => !url.startsWith(`${origin}/`))).toEqual([]);
    expect(requests.filter((url) => new URL(url).pathname.startsWith('/calls/'))).toHaveLength(
      ODD_IDS.length + 1,
    );
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it(`shows a state change within a tick or two with ${LIVE_CALLS} live calls`, async () => {
    world = openWorld({ rosterOnEstablished: false });
    const w = world;
    const origin = await serveConsole(w, {});
    const ids = Array.from({ length: LIVE_CALLS }, () => w.fake.placeCall());
    await w.settle();
    expect(w.registry.calls().filter((call) => call.phase === 'active')).toHaveLength(LIVE_CALLS);

    const loadStart = performance.now();
    const { page, requests, problems } = await openPage(origin);
    await until(
      page,
      `document.querySelectorAll('#live .row').length === ${LIVE_CALLS}`,
      `${LIVE_CALLS} rows`,
    );
    const snapshotRenderMs = performance.now() - loadStart;
    await page.evaluate(MEASURE_IN_PAGE);
    const offset = await clockOffset(page);

    // Steady: one call changes every PACE_MS. Then a burst: every other call at once.
    const steady = await measure(page, w, ids.slice(0, CHANGES), 'hold', PACE_MS, offset);
    const burst = await measure(page, w, ids.slice(CHANGES), 'hold', 0, offset);
    const figures = {
      measuredAt: new Date().toISOString(),
      browser: `Chromium ${browser?.version() ?? ''}`,
      node: process.version,
      liveCalls: LIVE_CALLS,
      tickMs: 100,
      snapshotRenderMs: round(snapshotRenderMs),
      steady: { stateChanges: CHANGES, changeEveryMs: PACE_MS, ...steady },
      burst: { stateChanges: LIVE_CALLS - CHANGES, changeEveryMs: 0, ...burst },
      clockOffsetMs: round(offset),
    };
    mkdirSync(REPORTS, { recursive: true });
    writeFileSync(
      new URL('console-latency.json', REPORTS),
      `${JSON.stringify(figures, null, 2)}\n`,
    );

    // Responsive: a change shows within a few ticks, and no frame is held for long.
    expect(figures.steady.latencyMs.p95).toBeLessThan(1_000);
    expect(figures.steady.frameGapMs.max).toBeLessThan(1_000);
    expect(figures.burst.latencyMs.max).toBeLessThan(3_000);
    expect(requests.filter((url) => !url.startsWith(`${origin}/`))).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);
});

// Installed in the page once its rows are there: when each row's state changed in the DOM
// (epoch ms, the page's clock), the gaps between frames, and the long tasks.
const MEASURE_IN_PAGE = `(() => {
  window.__seen = [];
  window.__frames = [];
  window.__long = [];
  new MutationObserver((records) => {
    const at = performance.timeOrigin + performance.now();
    for (const r of records) {
      if (r.target.hasAttribute('data-id')) window.__seen.push([r.target.getAttribute('data-id'), r.target.getAttribute('data-state'), at]);
    }
  }).observe(document.getElementById('list'), { subtree: true, attributes: true, attributeFilter: ['data-state'] });
  let last = performance.now();
  const frame = (now) => {
    window.__frames.push(now - last);
    last = now;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.__long.push(entry.duration);
  }).observe({ type: 'longtask', buffered: true });
})()`;

interface Measured {
  readonly latencyMs: { p50: number; p95: number; max: number; min: number };
  readonly frameGapMs: { p95: number; max: number };
  readonly longTasks: { count: number; maxMs: number };
}

/**
 * Moves each call of `ids` to `state` through the fake Graph, `paceMs` apart (0: all at once),
 * and measures, for each, the time from the registry's `call.stateChanged` to the row's state
 * changing in the page; and the page's frames and long tasks meanwhile.
 */
async function measure(
  page: Page,
  w: World,
  ids: readonly string[],
  state: 'hold',
  paceMs: number,
  offset: number,
): Promise<Measured> {
  await page.evaluate('window.__seen = [], window.__frames = [], window.__long = []');
  const changed: { id: string; at: number }[] = [];
  const stop = w.registry.on('call.stateChanged', ({ callId, to }) => {
    if (to.state === state)
      changed.push({ id: callId, at: performance.timeOrigin + performance.now() });
  });
  for (const id of ids) {
    w.fake.setState(id, state);
    if (paceMs > 0) await new Promise((resolve) => setTimeout(resolve, paceMs));
  }
  await w.settle();
  stop();
  expect(changed).toHaveLength(ids.length);
  const count = `window.__seen.filter((s) => s[1] === ${JSON.stringify(state)}).length`;
  await until(page, `${count} >= ${ids.length}`, `${ids.length} changes`, 20_000);
  const seen = (await page.evaluate('window.__seen')) as [string, string, number][];
  const frames = (await page.evaluate('window.__frames')) as number[];
  const longTasks = (await page.evaluate('window.__long')) as number[];
  const shownAt = new Map(
    seen.filter(([, s]) => s === state).map(([id, , at]) => [id, at - offset]),
  );
  const latencies = changed.map(({ id, at }) => (shownAt.get(id) ?? Number.NaN) - at);
  expect(latencies.filter((ms) => !Number.isFinite(ms))).toEqual([]);
  return {
    latencyMs: {
      p50: round(percentile(latencies, 0.5)),
      p95: round(percentile(latencies, 0.95)),
      max: round(Math.max(...latencies)),
      min: round(Math.min(...latencies)),
    },
    frameGapMs: { p95: round(percentile(frames, 0.95)), max: round(Math.max(...frames)) },
    longTasks: { count: longTasks.length, maxMs: round(Math.max(0, ...longTasks)) },
  };
}

/** The page's clock minus this process's (epoch ms), from the round trip with the least delay. */
async function clockOffset(page: Page): Promise<number> {
  let best = { rtt: Number.POSITIVE_INFINITY, offset: 0 };
  for (let i = 0; i < 9; i += 1) {
    const before = performance.timeOrigin + performance.now();
    const there = (await page.evaluate('performance.timeOrigin + performance.now()')) as number;
    const after = performance.timeOrigin + performance.now();
    if (after - before < best.rtt)
      best = { rtt: after - before, offset: there - (before + after) / 2 };
  }
  return best.offset;
}

function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
