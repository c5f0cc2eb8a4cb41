// npx tsx bench/redis.ts — ingest throughput of createCallRegistry over the Redis store against
// the memory store, in the same run, with one and with four registries sharing the Redis.
// Standalone: starts its own redis-server on a free loopback port (or uses REDIS_URL), and stops
// it at the end.
//
//   --calls=N         calls per mode (default 5000; --quick: 500)
//   --concurrency=C   webhook POSTs being ingested at once (default 32)
//
// Each call gets six notifications, one per POST as Graph sends them (establishing,
// established, hold, established, terminating, terminated, with increasing etags), posted
// round by round across all calls. Reported: notifications per second (wall clock), this
// process's CPU per notification, redis-server's CPU per notification, and the latency of one
// POST at concurrency 1. Every mode is the one registry, `createCallRegistry`: the "Redis store"
// row and the "×1" row run the same code (the latter without the start-up walk over the store),
// so the gap between them is the bench's own noise.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { type CallRegistry, createCallRegistry, MemoryCallStore } from '../src/index.js';
import { createRedisCallStore, type RedisCallStore } from '../src/redis/index.js';
import { type CommsNotifications, notify } from '../src/testing/index.js';
import { acceptingGraph } from './acceptingGraph.js';

const quick = process.argv.includes('--quick');
const argument = (name: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const CALLS = Number(argument('calls') ?? (quick ? 500 : 5_000));
const CONCURRENCY = Number(argument('concurrency') ?? 32);
const LATENCY_POSTS = quick ? 300 : 2_000;

function workload(prefix: string, calls: number): CommsNotifications[][] {
  const rounds: CommsNotifications[][] = [[], [], [], [], [], []];
  for (let i = 0; i < calls; i += 1) {
    const id = `${prefix}-${i}`;
    const items = [
      notify.updated(id, 'establishing', { etag: 1 }),
      notify.updated(id, 'established', { etag: 2 }),
      notify.updated(id, 'hold', { etag: 3 }),
      notify.updated(id, 'established', { etag: 4 }),
      notify.updated(id, 'terminating', { etag: 5 }),
      notify.deleted(id, {
        state: 'terminated',
        etag: 6,
        resultInfo: { code: 200, subcode: 5001, message: 'The conversation has ended.' },
      }),
    ];
    for (const [round, item] of items.entries()) rounds[round]?.push(notify.envelope(item));
  }
  return rounds;
}

interface Mode {
  readonly name: string;
  open(
    url: string,
    prefix: string,
  ): Promise<{
    readonly pick: () => Pick<CallRegistry, 'ingest'>;
    close(): Promise<void>;
  }>;
}

const noRetention = { retainTerminatedMs: 60 * 60_000, keepAliveMs: 0 };

const modes: Mode[] = [
  {
    name: 'memory store · createCallRegistry',
    async open() {
      const registry = createCallRegistry({
        graph: acceptingGraph,
        store: new MemoryCallStore(),
        ...noRetention,
      });
      return { pick: () => registry, close: () => registry.close() };
    },
  },
  {
    name: 'Redis store · createCallRegistry (1 instance)',
    async open(url, prefix) {
      const store = createRedisCallStore({ url, keyPrefix: prefix });
      const registry = createCallRegistry({ graph: acceptingGraph, store, ...noRetention });
      return {
        pick: () => registry,
        close: async () => {
          await registry.close();
          await store.close();
        },
      };
    },
  },
  {
    name: 'Redis store · createCallRegistry ×1 (an instance among others)',
    open: (url, prefix) => openInstances(url, prefix, 1),
  },
  {
    name: 'Redis store · createCallRegistry ×4 (random instance per POST)',
    open: (url, prefix) => openInstances(url, prefix, 4),
  },
];

/** `count` bot instances over one Redis: each a registry over a store of its own connection. */
async function openInstances(url: string, prefix: string, count: number) {
  const stores: RedisCallStore[] = [];
  const registries: CallRegistry[] = Array.from({ length: count }, () => {
    const store = createRedisCallStore({ url, keyPrefix: prefix });
    stores.push(store);
    return createCallRegistry({
      graph: acceptingGraph,
      store,
      ...noRetention,
      recoverOnStart: false,
    });
  });
  return {
    pick: () => registries[Math.floor(Math.random() * registries.length)] as CallRegistry,
    close: async () => {
      await Promise.all(registries.map((r) => r.close()));
      await Promise.all(stores.map((s) => s.close()));
    },
  };
}

async function deliver(
  rounds: readonly CommsNotifications[][],
  pick: () => Pick<CallRegistry, 'ingest'>,
  concurrency: number,
): Promise<number[]> {
  const latencies: number[] = [];
  for (const round of rounds) {
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < round.length; i = next++) {
        const started = performance.now();
        await pick().ingest(round[i]);
        latencies.push(performance.now() - started);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }
  return latencies;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1_000;
};

async function redisCpuMs(admin: Redis): Promise<number> {
  const info = await admin.info('cpu');
  const read = (field: string) => Number(new RegExp(`${field}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (read('used_cpu_user') + read('used_cpu_sys')) * 1_000;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  const server = process.env.REDIS_URL === undefined ? await startRedis() : undefined;
  const url = process.env.REDIS_URL ?? server?.url ?? '';
  const admin = new Redis(url, { maxRetriesPerRequest: 1 });
  const results: string[] = [];
  try {
    console.log(
      `graph-call-machine Redis bench: ${CALLS} calls × 6 notifications, ${CONCURRENCY} POSTs in flight; node ${process.version}, ${(await admin.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?'} redis`,
    );
    let run = 0;
    const throughput: Record<string, number> = {};
    for (const mode of modes) {
      run += 1;
      // Warm-up: JIT, connections, script cache.
      const warm = await mode.open(url, `bench-warm${run}:`);
      await deliver(workload(`w${run}`, Math.min(200, CALLS)), warm.pick, CONCURRENCY);
      await warm.close();

      const opened = await mode.open(url, `bench${run}:`);
      const rounds = workload(`m${run}`, CALLS);
      const notifications = CALLS * 6;
      const redisBefore = await redisCpuMs(admin);
      const cpuBefore = cpuMs();
      const started = performance.now();
      await deliver(rounds, opened.pick, CONCURRENCY);
      const wallMs = performance.now() - started;
      const cpu = cpuMs() - cpuBefore;
      const redisCpu = (await redisCpuMs(admin)) - redisBefore;
      await opened.close();

      const latencyRegistry = await mode.open(url, `bench-lat${run}:`);
      const latencies = await deliver(
        workload(`l${run}`, Math.ceil(LATENCY_POSTS / 6)),
        latencyRegistry.pick,
        1,
      );
      await latencyRegistry.close();

      const perSecond = (notifications / wallMs) * 1_000;
      throughput[mode.name] = perSecond;
      results.push(
        `| ${mode.name} | ${Math.round(perSecond).toLocaleString('en-US')} | ${((cpu * 1_000) / notifications).toFixed(0)} µs | ${((redisCpu * 1_000) / notifications).toFixed(0)} µs | ${percentile(latencies, 50).toFixed(2)} ms | ${percentile(latencies, 99).toFixed(2)} ms |`,
      );
      console.log(results.at(-1));
    }
    const memory = throughput[modes[0]?.name ?? ''] ?? 1;
    console.log(
      [
        '',
        '| mode | notifications/s | node CPU / notification | redis CPU / notification | p50 POST (1 in flight) | p99 POST (1 in flight) |',
        '|---|---:|---:|---:|---:|---:|',
        ...results,
        '',
        ...modes.map(
          (m) =>
            `${m.name}: ${((throughput[m.name] ?? 0) / memory).toFixed(3)} × the memory store's throughput`,
        ),
      ].join('\n'),
    );
  } finally {
    admin.disconnect();
    await server?.stop();
  }
}

async function startRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        resolve(typeof address === 'object' && address !== null ? address.port : 0),
      );
    });
  });
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  child.once('error', (error) => {
    console.error(`cannot start redis-server (${error.message}); install it or set REDIS_URL.`);
    process.exit(1);
  });
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  probe.on('error', () => {});
  for (let i = 0; ; i += 1) {
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch (error) {
      if (i > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  probe.disconnect();
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

await main();
