// npm run bench: every figure measured against a baseline run in the same process, as a ratio.
// `--quick` (CI) runs each figure small and once, so the bench cannot rot; it never fails on a
// missed target, only on a crash. Timings are CPU time of this process (user + system), which
// is steadier than wall time on a shared two-core machine.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createActor, createMachine } from 'xstate';
import type { CallEvent, CallSnapshot, GraphClient } from '../src/index.js';
import type { FileRecorder } from '../src/recorder/index.js';
import { acceptingGraph } from './acceptingGraph.js';
import { lib, recorder as recorderEntry } from './built.js';

const { createCallRegistry, parseNotifications, startCall, stepCall } = lib;
const { createFileRecorder } = recorderEntry;

const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);

interface Row {
  figure: string;
  ours: string;
  baseline: string;
  ratio: number | undefined;
  target: string;
  pass: boolean | undefined;
}
const rows: Row[] = [];

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1_000;
};
const gc = (): void => {
  (globalThis as { gc?: () => void }).gc?.();
};

async function timeIt(fn: () => unknown): Promise<number> {
  gc();
  const start = cpuMs();
  await fn();
  return cpuMs() - start;
}

/** Runs ours and the baseline alternately, `rounds` times, and keeps the median of each. */
async function compare(rounds: number, ours: () => unknown, base: () => unknown) {
  const o: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < rounds; i++) {
    o.push(await timeIt(ours));
    b.push(await timeIt(base));
  }
  return { ours: median(o), base: median(b) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

// ---------------------------------------------------------------------------------------------
// Workload: N calls, each through a full lifecycle of five notifications as Graph sends them.

const STEPS: [string, string][] = [
  ['created', 'incoming'],
  ['updated', 'establishing'],
  ['updated', 'established'],
  ['updated', 'terminating'],
  ['deleted', 'terminated'],
];

function callIds(n: number, tag = 'a'): string[] {
  return Array.from(
    { length: n },
    (_, i) => `${tag}${String(i).padStart(7, '0')}-894c-409a-b240-bd8beae78896`,
  );
}

function item(id: string, changeType: string, state: string, etag: number) {
  return {
    '@odata.type': '#microsoft.graph.commsNotification',
    changeType,
    resourceUrl: `/communications/calls/${id}`,
    resourceData: {
      '@odata.type': '#microsoft.graph.call',
      '@odata.id': `/communications/calls/${id}`,
      '@odata.etag': `W/"${etag}"`,
      state,
      ...(state === 'terminated'
        ? {
            resultInfo: {
              '@odata.type': '#microsoft.graph.resultInfo',
              code: 200,
              subcode: 5001,
              message: 'The conversation has ended.',
            },
          }
        : {}),
    },
  };
}

/** Bodies for every call's lifecycle, in waves (every call's step k before any step k+1). */
function bodies(ids: string[], batch: number) {
  const items = STEPS.flatMap(([changeType, state], k) =>
    ids.map((id) => item(id, changeType, state, k + 1)),
  );
  const out: { '@odata.type': string; value: unknown[] }[] = [];
  for (let i = 0; i < items.length; i += batch) {
    out.push({
      '@odata.type': '#microsoft.graph.commsNotifications',
      value: items.slice(i, i + batch),
    });
  }
  return out;
}

const trivial = createMachine({
  initial: 'a',
  states: { a: { on: { next: 'b' } }, b: { on: { next: 'a' } } },
});

/** The baseline: one trivial actor created and started per call, five events sent to each. */
function bareXstate(ids: string[]) {
  const actors = ids.map((id) => createActor(trivial, { id }).start());
  for (let k = 0; k < STEPS.length; k++) for (const actor of actors) actor.send({ type: 'next' });
  for (const actor of actors) actor.stop();
}

async function ingestAll(prepared: ReturnType<typeof bodies>, recorder?: FileRecorder) {
  const registry = createCallRegistry({
    graph: acceptingGraph,
    ...(recorder === undefined ? {} : { recorder }),
  });
  await registry.ready;
  for (const body of prepared) await registry.ingest(body);
  await registry.close();
}

function pureTransitions(ids: string[], prepared: ReturnType<typeof bodies>) {
  const snapshots = new Map<string, CallSnapshot>();
  let at = 0;
  for (const body of prepared) {
    for (const n of parseNotifications(body).notifications) {
      const known = snapshots.get(n.callId);
      if (known === undefined) {
        snapshots.set(n.callId, startCall({ callId: n.callId, discoveredBy: n, at }).snapshot);
        continue;
      }
      const event: CallEvent = { type: 'notification', notification: n, at: at++ };
      snapshots.set(n.callId, stepCall(known, event).snapshot);
    }
  }
  return ids.length === snapshots.size;
}

async function ingestFigures() {
  const calls = quick ? 1_000 : 10_000;
  const rounds = quick ? 1 : 5;
  const ids = callIds(calls);
  for (const batch of [1, 20]) {
    const prepared = bodies(ids, batch);
    await ingestAll(prepared); // warm-up
    const r = await compare(
      rounds,
      () => ingestAll(prepared),
      () => bareXstate(ids),
    );
    push(
      `ingest, ${batch === 1 ? 'single-item' : '20-item'} POSTs (${calls} calls × 5)`,
      calls * 5,
      r,
      0.6,
    );
  }
  const prepared = bodies(ids, 20);
  const r = await compare(
    rounds,
    () => pureTransitions(ids, prepared),
    () => bareXstate(ids),
  );
  push(`stateless parse + transition() (${calls} calls × 5)`, calls * 5, r, undefined);
}

function push(
  figure: string,
  events: number,
  r: { ours: number; base: number },
  target: number | undefined,
) {
  const ratio = r.base / r.ours;
  rows.push({
    figure,
    ours: `${Math.round((events / r.ours) * 1_000).toLocaleString('en')} ev/s`,
    baseline: `${Math.round((events / r.base) * 1_000).toLocaleString('en')} ev/s`,
    ratio,
    target: target === undefined ? 'report' : `≥ ${target}×`,
    pass: target === undefined ? undefined : ratio >= target,
  });
}

// ---------------------------------------------------------------------------------------------
// Memory per tracked call.

async function memoryFigure() {
  const calls = quick ? 10_000 : 100_000;
  const ids = callIds(calls, 'm');
  const heap = () => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };

  // The bodies are made before the first reading: what they hold is input, not registry state.
  const established = bodies(ids, 500).filter((b) => {
    const first = b.value[0] as { resourceData: { state: string } };
    return ['incoming', 'establishing', 'established'].includes(first.resourceData.state);
  });
  const before = heap();
  const registry = createCallRegistry({ graph: acceptingGraph });
  for (const body of established) await registry.ingest(body);
  const ours = (heap() - before) / calls;
  await registry.close();

  const beforeBare = heap();
  const actors = ids.map((id) => createActor(trivial, { id }).start());
  const bare = (heap() - beforeBare) / calls;
  for (const actor of actors) actor.stop();

  rows.push({
    figure: `memory per established call (${calls.toLocaleString('en')} calls)`,
    ours: `${Math.round(ours)} B`,
    baseline: `${Math.round(bare)} B`,
    ratio: ours / bare,
    target: '≤ 0.5×',
    pass: ours / bare <= 0.5,
  });
}

// ---------------------------------------------------------------------------------------------
// Webhook throughput over loopback. Each server runs in a process of its own
// (bench/webhookServers.mjs: plain JavaScript run by node, the library as built), and autocannon
// here stands for Graph. In one process the load generator would spend the server's own thread,
// and work a server hands to libuv's thread pool (jose's RS256 checks) would look free beside
// work done on it. A bot's webhook serves for hours with its code compiled by V8's optimizing
// compiler, which takes the first seconds of load: each server is warmed up first (not
// measured), then measured in alternating rounds.

interface ServedWebhook {
  readonly url: string;
  stop(): Promise<void>;
}

async function serveWebhook(
  kind: string,
  env: Record<string, string> = {},
): Promise<ServedWebhook> {
  const child = spawn(
    process.execPath,
    [fileURLToPath(new URL('webhookServers.mjs', import.meta.url)), kind],
    { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    once(lines, 'line').then(([line]) => String(line)),
    exited.then(([code]) => {
      throw new Error(
        `bench: the ${kind} webhook server exited (${String(code)}) before listening`,
      );
    }),
    sleep(30_000).then(() => {
      throw new Error(`bench: the ${kind} webhook server did not listen within 30 s`);
    }),
  ]).catch((error: unknown) => {
    child.kill();
    throw error;
  });
  return {
    url: first,
    async stop() {
      lines.close();
      child.kill();
      await exited;
    },
  };
}

async function cannon(
  url: string,
  seconds: number,
  payloads: string[],
  headers: Record<string, string> = {},
) {
  let i = 0;
  const result = await autocannon({
    url,
    method: 'POST',
    connections: 16,
    duration: seconds,
    headers: { 'content-type': 'application/json', ...headers },
    requests: [
      {
        setupRequest: (req: autocannon.Request) => ({
          ...req,
          body: payloads[i++ % payloads.length] as string,
        }),
      },
    ],
  });
  return { rps: result.requests.average, non2xx: result.non2xx, errors: result.errors };
}

type LoadResult = Awaited<ReturnType<typeof cannon>>;

/**
 * Warms both servers up, then measures them in rounds, A then B, B then A, and so on. The figure
 * is the median of the rounds' ratios: the machine's speed drifts between rounds (other work on
 * its two cores), and a ratio of two neighbouring runs cancels most of that drift.
 */
async function sideBySide(
  a: ServedWebhook,
  b: ServedWebhook,
  payloads: string[],
  headers: Record<string, string> = {},
): Promise<{ a: LoadResult; b: LoadResult; ratio: number; seconds: number }> {
  const seconds = quick ? 1 : 3;
  const rounds = quick ? 1 : 7;
  await cannon(a.url, quick ? 1 : 5, payloads, headers);
  await cannon(b.url, quick ? 1 : 5, payloads, headers);
  const as: LoadResult[] = [];
  const bs: LoadResult[] = [];
  for (let round = 0; round < rounds; round += 1) {
    if (round % 2 === 0) {
      as.push(await cannon(a.url, seconds, payloads, headers));
      bs.push(await cannon(b.url, seconds, payloads, headers));
    } else {
      bs.push(await cannon(b.url, seconds, payloads, headers));
      as.push(await cannon(a.url, seconds, payloads, headers));
    }
  }
  const ratio = median(as.map((run, i) => run.rps / (bs[i]?.rps ?? Number.NaN)));
  return { a: medianRun(as), b: medianRun(bs), ratio, seconds };
}

/** The median rate of the runs; failures add up. */
function medianRun(runs: readonly LoadResult[]): LoadResult {
  return {
    rps: median(runs.map((run) => run.rps)),
    non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
  };
}

async function webhookFigure() {
  const payloads = bodies(callIds(2_000, 'w'), 1).map((b) => JSON.stringify(b));
  const ours = await serveWebhook('library');
  const bare = await serveWebhook('bare');
  try {
    const { a: o, b, ratio, seconds } = await sideBySide(ours, bare, payloads);
    rows.push({
      figure: `webhook over loopback (16 connections, ${seconds}s)${o.non2xx + o.errors > 0 ? ` ⚠ ${o.non2xx} non-2xx` : ''}`,
      ours: `${Math.round(o.rps).toLocaleString('en')} req/s`,
      baseline: `${Math.round(b.rps).toLocaleString('en')} req/s`,
      ratio,
      target: '≥ 0.7×',
      pass: ratio >= 0.7,
    });
  } finally {
    await Promise.all([ours.stop(), bare.stop()]);
  }
}

// ---------------------------------------------------------------------------------------------
// The webhook with token validation against the one a bot developer writes by hand today:
// node:http, jose's jwtVerify on every request, JSON.parse and a Map of call states. Both get
// the same bodies and the same signed RS256 token (Graph sends one token with many
// notifications until it expires), and the same local key set (no network in either).

async function webhookAuthFigure() {
  const appId = 'bench-app-id';
  const issuer = 'https://api.botframework.com';
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-key', alg: 'RS256', use: 'sig' };
  const token = await new SignJWT({ tid: 'bench-tenant' })
    .setProtectedHeader({ alg: 'RS256', kid: 'bench-key' })
    .setIssuer(issuer)
    .setAudience(appId)
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(privateKey);
  const headers = { authorization: `Bearer ${token}` };
  const payloads = bodies(callIds(2_000, 'v'), 1).map((b) => JSON.stringify(b));
  const env = {
    WEBHOOK_JWKS: JSON.stringify({ keys: [jwk] }),
    WEBHOOK_APP_ID: appId,
    WEBHOOK_ISSUER: issuer,
  };
  const ours = await serveWebhook('libraryWithTokens', env);
  const handWritten = await serveWebhook('handWritten', env);
  try {
    const { a: o, b: h, ratio, seconds } = await sideBySide(ours, handWritten, payloads, headers);
    const failures = o.non2xx + o.errors + h.non2xx + h.errors;
    rows.push({
      figure: `webhook + token validation vs hand-written (16 connections, ${seconds}s)${failures > 0 ? ` ⚠ ${failures} failures` : ''}`,
      ours: `${Math.round(o.rps).toLocaleString('en')} req/s`,
      baseline: `${Math.round(h.rps).toLocaleString('en')} req/s`,
      ratio,
      target: '≥ 1.2×',
      pass: ratio >= 1.2,
    });
  } finally {
    await Promise.all([ours.stop(), handWritten.stop()]);
  }
}

// ---------------------------------------------------------------------------------------------
// Steady state: many complete lifecycles with eviction, heap and handles back where they were.

async function steadyFigure() {
  const total = quick ? 20_000 : 1_000_000;
  const wave = 10_000;
  const heap = () => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const handles = () =>
    (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
  const registry = createCallRegistry({ graph: acceptingGraph, retainTerminatedMs: 0 });
  // One warm-up wave, so lazy structures exist before the first reading.
  for (const body of bodies(callIds(wave, 'x'), 20)) await registry.ingest(body);
  await new Promise((r) => setTimeout(r, 5));
  const heapBefore = heap();
  const handlesBefore = handles();
  const started = cpuMs();
  for (let done = 0; done < total; done += wave) {
    for (const body of bodies(callIds(wave, `s${done / wave}-`), 20)) await registry.ingest(body);
    await new Promise((r) => setTimeout(r, 1)); // let evictions run
  }
  const cpu = cpuMs() - started;
  await new Promise((r) => setTimeout(r, 5));
  const growth = (heap() - heapBefore) / 1_048_576;
  const handleDelta = handles() - handlesBefore;
  await registry.close();
  rows.push({
    figure: `steady state: ${total.toLocaleString('en')} lifecycles, evicted (${Math.round(cpu / 1_000)} s CPU)`,
    ours: `heap ${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MB, handles ${handleDelta >= 0 ? '+' : ''}${handleDelta}`,
    baseline: '0 MB, +0',
    ratio: undefined,
    target: '< 10 MB, +0',
    pass: growth < 10 && handleDelta <= 0,
  });
}

// ---------------------------------------------------------------------------------------------
// Hang-up latency: hangUp() → DELETE at the fake Graph, and terminated notification → call.terminated.

async function latencyFigure() {
  const calls = quick ? 500 : 5_000;
  let deleteSeen = 0n;
  const graph: GraphClient = {
    ...acceptingGraph,
    deleteCall: async () => {
      deleteSeen = process.hrtime.bigint();
      return { ok: true, status: 204 };
    },
  };
  const registry = createCallRegistry({ graph });
  let terminatedSeen = 0n;
  registry.on('call.terminated', () => {
    terminatedSeen = process.hrtime.bigint();
  });
  const toDelete: number[] = [];
  const toTerminated: number[] = [];
  for (const id of callIds(calls, 'l')) {
    await registry.track(id, { state: 'established' });
    const start = process.hrtime.bigint();
    await registry.hangUp(id);
    toDelete.push(Number(deleteSeen - start) / 1_000);
    const body = { value: [item(id, 'deleted', 'terminated', 9)] };
    const before = process.hrtime.bigint();
    await registry.ingest(body);
    toTerminated.push(Number(terminatedSeen - before) / 1_000);
  }
  await registry.close();
  const f = (v: number[]) =>
    `p50 ${percentile(v, 50).toFixed(0)} µs, p99 ${percentile(v, 99).toFixed(0)} µs`;
  rows.push({
    figure: 'hangUp() → DELETE sent',
    ours: f(toDelete),
    baseline: '—',
    ratio: undefined,
    target: 'report',
    pass: undefined,
  });
  rows.push({
    figure: 'terminated POST → call.terminated',
    ours: f(toTerminated),
    baseline: '—',
    ratio: undefined,
    target: 'report',
    pass: undefined,
  });
}

// ---------------------------------------------------------------------------------------------
// A meeting's roster: one whole 250-participant roster notification per POST, each changing one
// participant (a mute, with its rosterSequenceNumber), ingested into a registry with the call;
// against JSON.parse of the same bodies.

function rosterBodies(callId: string, count: number, size: number): string[] {
  const people = Array.from({ length: size }, (_, i) => ({
    '@odata.type': '#microsoft.graph.participant',
    id: `${callId}-p${i}`,
    info: {
      '@odata.type': '#microsoft.graph.participantInfo',
      identity: {
        '@odata.type': '#microsoft.graph.identitySet',
        user: { id: `user-${i}`, displayName: `Participant ${i}`, tenantId: 'tenant' },
      },
      region: 'amer',
      languageId: 'en-US',
    },
    mediaStreams: [
      { mediaType: 'audio', sourceId: String(i), direction: 'sendReceive', serverMuted: false },
    ],
    isMuted: false,
    isInLobby: false,
    rosterSequenceNumber: 1,
  }));
  return Array.from({ length: count }, (_, n) => {
    const who = people[n % size];
    if (who !== undefined) {
      who.isMuted = !who.isMuted;
      who.rosterSequenceNumber = n + 2;
    }
    return JSON.stringify({
      '@odata.type': '#microsoft.graph.commsNotifications',
      value: [
        {
          '@odata.type': '#microsoft.graph.commsNotification',
          changeType: 'updated',
          resourceUrl: `/communications/calls/${callId}/participants`,
          resourceData: people,
        },
      ],
    });
  });
}

async function rosterFigure() {
  const size = 250;
  const perRound = quick ? 10 : 50;
  const rounds = quick ? 1 : 5;
  const registry = createCallRegistry({ graph: acceptingGraph, keepAliveMs: 0 });
  const o: number[] = [];
  const b: number[] = [];
  for (let round = 0; round <= rounds; round++) {
    const callId = `roster-${round}`;
    await registry.track(callId, { state: 'established' });
    const bodies = rosterBodies(callId, perRound, size);
    const ours = await timeIt(async () => {
      for (const body of bodies) await registry.ingest(body);
    });
    const base = await timeIt(() => {
      for (const body of bodies) JSON.parse(body);
    });
    if (registry.participants(callId).length !== size) throw new Error('roster not applied');
    if (round === 0) continue; // warm-up
    o.push(ours);
    b.push(base);
  }
  await registry.close();
  const r = { ours: median(o), base: median(b) };
  const ratio = r.base / r.ours;
  const perPost = (ms: number) => `${((ms / perRound) * 1_000).toFixed(0)} µs/POST`;
  rows.push({
    figure: `roster: a ${size}-participant roster POST applied (vs JSON.parse)`,
    ours: perPost(r.ours),
    baseline: perPost(r.base),
    ratio,
    target: '≥ 0.3×',
    pass: ratio >= 0.3,
  });
}

// ---------------------------------------------------------------------------------------------
// The flight recorder: the 20-item ingest with createFileRecorder on, against the same ingest
// with no recorder. The recorder is closed inside the measured time, so every record is on disk
// (written, not fsynced) when a run stops the clock: its writes are part of its cost, and a
// recorder that only buffered could not look fast. The CPU time counts the threads libuv
// writes with. Each run appends to one file with the default rotation (64 MiB, 5 kept).
// This loop never lets I/O run (the in-memory store answers in microtasks), so the writes wait
// for close(): the buffer is raised to hold a whole run (~34 MB at full size) rather than drop
// records, which would make the figure look better than it is; a drop is flagged all the same.

async function recorderFigure() {
  const calls = quick ? 1_000 : 10_000;
  const rounds = quick ? 1 : 5;
  const prepared = bodies(callIds(calls), 20);
  const dir = await mkdtemp(join(tmpdir(), 'gcm-bench-recorder-'));
  let dropped = 0;
  const recorded = async () => {
    const recorder = createFileRecorder(join(dir, 'calls.jsonl'), {
      maxBufferedBytes: 64 * 1_048_576,
    });
    await ingestAll(prepared, recorder);
    await recorder.close();
    dropped += recorder.dropped;
  };
  try {
    await recorded(); // warm-up
    const r = await compare(rounds, recorded, () => ingestAll(prepared));
    push(
      `ingest with createFileRecorder on, 20-item POSTs (${calls} calls × 5)${dropped > 0 ? ` ⚠ ${dropped} records dropped` : ''}`,
      calls * 5,
      r,
      0.8,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

const figures: Record<string, () => Promise<void>> = {
  ingest: ingestFigures,
  memory: memoryFigure,
  webhook: webhookFigure,
  webhookAuth: webhookAuthFigure,
  steady: steadyFigure,
  latency: latencyFigure,
  roster: rosterFigure,
  recorder: recorderFigure,
};

if ((globalThis as { gc?: unknown }).gc === undefined) {
  console.warn('note: run with --expose-gc (npm run bench does) for steady memory readings');
}
for (const [name, run] of Object.entries(figures)) {
  if (only !== undefined && only !== name) continue;
  await run();
}

const header = ['figure', 'ours', 'baseline', 'ratio', 'target', 'result'];
const table = rows.map((r) => [
  r.figure,
  r.ours,
  r.baseline,
  r.ratio === undefined ? '—' : `${r.ratio.toFixed(2)}×`,
  r.target,
  r.pass === undefined ? '' : r.pass ? 'pass' : 'MISS',
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => (t[i] ?? '').length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
console.log(
  `\ngraph-call-machine bench — node ${process.version}, ${quick ? 'quick' : 'full'} run, ${new Date().toISOString()}`,
);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const t of table) console.log(line(t));
