// Four registries over one store, fed by the fake Graph with duplicates, reorders and batches,
// every POST to a random registry and several in flight at once: every call ends where one
// in-process registry leaves it, no commit is lost, and each hang-up sends one DELETE. The same
// assertions run over each store: four registries over one real Redis (each with its own
// connection, as bot instances have), four over one shared in-process MemoryCallStore, and one
// over a MemoryCallStore.
//
// 10,000 calls per store (the Redis run takes about 15 s on two cores); REDIS_CONVERGENCE_CALLS
// and REDIS_CONVERGENCE_SEED change the size and the seed (`npm run test:soak:redis` runs 50,000).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CallRegistry,
  type CallStore,
  type CallView,
  createCallRegistry,
  type IngestReport,
  MemoryCallStore,
  type RegistryEvent,
} from '../../src/index.js';
import { createRedisCallStore, type RedisCallStore } from '../../src/redis/index.js';
import {
  type CommsNotifications,
  createFakeGraph,
  type FakeGraph,
  type FakeGraphFaults,
} from '../../src/testing/index.js';
import { seededRandom } from '../../src/testing/random.js';
import { overriding } from './support/instances.js';
import {
  hasRedisServer,
  type RedisServer,
  SKIP_REASON,
  startRedisServer,
} from './support/redisServer.js';

const CALLS = Number(process.env.REDIS_CONVERGENCE_CALLS ?? 10_000);
const SEED = Number(process.env.REDIS_CONVERGENCE_SEED ?? 20_240_611);
const FAULTS: FakeGraphFaults = { seed: SEED, duplicate: 0.25, reorderWindow: 4, batch: 3 };
/** POSTs being ingested at once, across the registries. */
const IN_FLIGHT = 64;

type Kind =
  | 'hangUp'
  | 'raceHangUp'
  | 'answerHangUp'
  | 'remote'
  | 'reject'
  | 'redirect'
  | 'transfer'
  | 'transferFail'
  | 'hold';
const KINDS: readonly Kind[] = [
  'hangUp',
  'raceHangUp',
  'answerHangUp',
  'remote',
  'reject',
  'redirect',
  'transfer',
  'transferFail',
  'hold',
];

interface Scenario {
  readonly kinds: readonly Kind[];
}

function scenario(): Scenario {
  const random = seededRandom(SEED);
  return {
    kinds: Array.from(
      { length: CALLS },
      () => KINDS[Math.floor(random.next() * KINDS.length)] ?? 'hold',
    ),
  };
}

/** What the comparison looks at: where the call ended and why. */
function summary(view: CallView | undefined) {
  return view === undefined
    ? undefined
    : {
        state: view.state,
        phase: view.phase,
        reason: view.outcome?.reason,
        resultInfo: view.outcome?.resultInfo,
        terminationReason: view.outcome?.terminationReason,
      };
}

/** The fake's setup for each call, then what ends (or moves) it; every run does the same. */
function begin(fake: FakeGraph, kind: Kind): string {
  if (kind === 'answerHangUp' || kind === 'reject' || kind === 'redirect') {
    const id = fake.incomingCall();
    if (kind === 'answerHangUp') fake.answer(id);
    return id;
  }
  return fake.placeCall();
}

function finishRemotely(fake: FakeGraph, id: string, kind: Kind): void {
  if (kind === 'remote') fake.remoteHangUp(id);
  else if (kind === 'reject') fake.reject(id);
  else if (kind === 'redirect') fake.redirect(id);
  else if (kind === 'transfer') fake.transfer(id);
  else if (kind === 'transferFail') fake.transfer(id, { fail: true });
  else if (kind === 'hold') fake.setState(id, 'hold');
}

const isHangUp = (kind: Kind) =>
  kind === 'hangUp' || kind === 'raceHangUp' || kind === 'answerHangUp';

function countAll(report: IngestReport): number {
  return (
    report.applied +
    report.unchanged +
    report.stale +
    report.late +
    report.subresource +
    report.rejected
  );
}

/** One in-process registry: the reference. */
async function runSingle(plan: Scenario) {
  let target: ((body: CommsNotifications) => Promise<unknown>) | undefined;
  const fake = createFakeGraph({ faults: FAULTS, deliver: (body) => target?.(body) });
  const registry = createCallRegistry({
    graph: { getToken: async () => 't', fetch: fake.fetch, baseUrl: fake.baseUrl },
    keepAliveMs: 0,
  });
  target = (body) => registry.ingest(body);
  try {
    const started = Date.now();
    const ids = plan.kinds.map((kind) => begin(fake, kind));
    await fake.settle();
    await Promise.all(
      ids.map((id, i) => {
        const kind = plan.kinds[i] as Kind;
        if (isHangUp(kind)) return registry.hangUp(id);
        finishRemotely(fake, id, kind);
        return undefined;
      }),
    );
    await fake.settle();
    const ms = Date.now() - started;
    return { ids, views: ids.map((id) => summary(registry.get(id))), ms };
  } finally {
    await registry.close();
    await fake.close();
  }
}

// The reference is the same for every store: run once, when the first test needs it.
let reference: ReturnType<typeof runSingle> | undefined;
const plan = scenario();
const single = () => {
  reference ??= runSingle(plan);
  return reference;
};

/** Counts the commits that won, per call: the final version must equal that count. */
function countingCommits(
  store: CallStore,
  wins: Map<string, number>,
  conflicts: { count: number },
): CallStore {
  return overriding(store, {
    commit: async (callId, record, expectedVersion, due) => {
      const result = await store.commit(callId, record, expectedVersion, due);
      if (result.ok) wins.set(callId, (wins.get(callId) ?? 0) + 1);
      else conflicts.count += 1;
      return result;
    },
  });
}

/** The stores the registries of one run share. */
interface Backend {
  readonly name: string;
  readonly registries: number;
  readonly needsRedis: boolean;
  /** One store per registry (all over the same data), and how to close them. */
  open(redisUrl: string | undefined): {
    readonly stores: readonly CallStore[];
    close(): Promise<void>;
  };
}

const BACKENDS: readonly Backend[] = [
  {
    name: 'one real Redis',
    registries: 4,
    needsRedis: true,
    open(redisUrl) {
      const stores: RedisCallStore[] = Array.from({ length: 4 }, () =>
        createRedisCallStore({ url: redisUrl ?? '', keyPrefix: 'conv:' }),
      );
      return {
        stores,
        async close() {
          await Promise.all(stores.map((store) => store.close()));
        },
      };
    },
  },
  {
    name: 'one shared MemoryCallStore',
    registries: 4,
    needsRedis: false,
    open() {
      const store = new MemoryCallStore();
      return { stores: [store, store, store, store], close: async () => {} };
    },
  },
  {
    name: 'a MemoryCallStore',
    registries: 1,
    needsRedis: false,
    open() {
      return { stores: [new MemoryCallStore()], close: async () => {} };
    },
  },
];

async function converge(backend: Backend, redisUrl: string | undefined): Promise<void> {
  const reference = await single();
  const route = seededRandom(SEED ^ 0xbeef);
  const wins = new Map<string, number>();
  const conflicts = { count: 0 };
  const registries: CallRegistry[] = [];
  const events: RegistryEvent[] = [];
  const reports: IngestReport[] = [];
  const failures: unknown[] = [];
  const inFlight = new Set<Promise<void>>();
  let posted = 0;
  const pick = () => registries[Math.floor(route.next() * registries.length)] as CallRegistry;

  const fake = createFakeGraph({
    faults: FAULTS,
    deliver: async (body) => {
      // Several POSTs in flight at once, each to a random registry: the same call's
      // notifications race through different registries.
      while (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
      posted += body.value.length;
      const work = pick()
        .ingest(body)
        .then((report) => {
          reports.push(report);
        })
        .catch((error: unknown) => {
          failures.push(error);
        })
        .finally(() => inFlight.delete(work));
      inFlight.add(work);
    },
  });
  const { stores, close } = backend.open(redisUrl);
  for (const store of stores) {
    const registry = createCallRegistry({
      graph: { getToken: async () => 't', fetch: fake.fetch, baseUrl: fake.baseUrl },
      store: countingCommits(store, wins, conflicts),
      keepAliveMs: 0,
      pollMs: 50,
    });
    for (const type of ['call.terminated', 'call.hangUpFailed', 'registry.error'] as const) {
      registry.on(type, (event) => events.push(event));
    }
    registries.push(registry);
  }
  const quiet = async () => {
    do {
      await fake.settle();
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      await Promise.all(registries.map((r) => r.idle()));
    } while (inFlight.size > 0);
  };

  try {
    const started = Date.now();
    const ids = plan.kinds.map((kind) => begin(fake, kind));
    expect(ids).toEqual(reference.ids);
    await quiet();
    const hungUp: CallView[] = [];
    const asking = new Set<Promise<void>>();
    const ask = async (registry: CallRegistry, id: string) => {
      // As a bot would: a few dozen hang-ups at a time, not thousands in one tick.
      while (asking.size >= IN_FLIGHT) await Promise.race(asking);
      const work = registry
        .hangUp(id)
        .then((view) => {
          hungUp.push(view);
        })
        .finally(() => asking.delete(work));
      asking.add(work);
    };
    for (const [i, id] of ids.entries()) {
      const kind = plan.kinds[i] as Kind;
      if (!isHangUp(kind)) {
        finishRemotely(fake, id, kind);
        continue;
      }
      await ask(pick(), id);
      // Two registries asked to hang up the same call at the same moment.
      if (kind === 'raceHangUp') await ask(pick(), id);
    }
    while (asking.size > 0) await Promise.all([...asking]);
    await quiet();
    const ms = Date.now() - started;

    const reader = registries[0] as CallRegistry;
    const views = await Promise.all(ids.map(async (id) => summary(await reader.read(id))));

    // Same end, call by call, as the single registry.
    const differing = ids.filter(
      (_, i) => JSON.stringify(views[i]) !== JSON.stringify(reference.views[i]),
    );
    expect(
      differing.slice(0, 5).map((id) => ({
        id,
        kind: plan.kinds[ids.indexOf(id)],
        here: views[ids.indexOf(id)],
        single: reference.views[ids.indexOf(id)],
      })),
    ).toEqual([]);

    // Every notification posted was counted exactly once, on whichever registry got it.
    expect(failures).toEqual([]);
    expect(reports.reduce((sum, r) => sum + countAll(r), 0)).toBe(posted);

    // No lost update: each record's version is the number of commits that won for it.
    const lost: string[] = [];
    for (const id of ids) {
      const record = await (stores[0] as CallStore).load(id);
      if (record?.version !== wins.get(id)) lost.push(id);
    }
    expect(lost).toEqual([]);

    // One DELETE per hang-up, however many registries asked; one call.terminated per end.
    const hangUpCalls = plan.kinds.filter(isHangUp).length;
    const deletes = fake.requests.filter((r) => r.method === 'DELETE');
    expect(deletes).toHaveLength(hangUpCalls);
    expect(new Set(deletes.map((r) => r.callId)).size).toBe(hangUpCalls);
    expect(hungUp.every((v) => v.phase === 'terminating' || v.phase === 'terminated')).toBe(true);
    const ended = views.filter((v) => v?.phase === 'terminated').length;
    expect(events.filter((e) => e.type === 'call.terminated')).toHaveLength(ended);
    expect(events.filter((e) => e.type === 'registry.error')).toEqual([]);

    // Not vacuous: with several registries, they did race for the same calls.
    if (backend.registries > 1) expect(conflicts.count).toBeGreaterThan(0);
    const duplicated = fake.deliveries.filter((d) => d.duplicated).length;
    console.info(
      `[convergence] ${CALLS} calls, ${posted} notifications (${duplicated} POSTs with duplicates) over ${backend.registries} registr${backend.registries === 1 ? 'y' : 'ies'} on ${backend.name}: ` +
        `${ms} ms (single in-process reference ${reference.ms} ms); ${[...wins.values()].reduce((a, b) => a + b, 0)} commits, ` +
        `${conflicts.count} lost compare-and-sets retried; ${hangUpCalls} hang-ups, ${deletes.length} DELETEs`,
    );
  } finally {
    await Promise.all(registries.map((r) => r.close()));
    await close();
    await fake.close();
  }
}

for (const backend of BACKENDS) {
  const title = `${backend.registries} registr${backend.registries === 1 ? 'y' : 'ies'} over ${backend.name}, ${CALLS} calls`;
  if (backend.needsRedis && !hasRedisServer) {
    describe(title, () => {
      it.skip(SKIP_REASON, () => {});
    });
    continue;
  }
  describe(title, () => {
    let server: RedisServer | undefined;

    beforeAll(async () => {
      if (backend.needsRedis) server = await startRedisServer();
    });

    afterAll(async () => {
      await server?.dispose();
    });

    it(
      'every call ends where one registry leaves it; no lost update; one DELETE per hang-up',
      {
        timeout: 600_000,
      },
      () => converge(backend, server?.url),
    );
  });
}
