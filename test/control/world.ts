// A fake Graph in front of one registry, or of several over one shared store (memory or Redis),
// as the call-control tests use them. Every notification the fake posts reaches every registry
// at once: the worst case of duplicated deliveries spread over instances.

import { afterAll, beforeAll, describe } from 'vitest';
import {
  type CallRegistry,
  type CallRegistryOptions,
  type CallStore,
  createCallRegistry,
  MemoryCallStore,
  type RegistryEvent,
} from '../../src/index.js';
import { createRedisCallStore, type RedisCallStore } from '../../src/redis/index.js';
import { createFakeGraph, type FakeGraph, type FakeGraphOptions } from '../../src/testing/index.js';
import {
  hasRedisServer,
  type RedisServer,
  startRedisServer,
} from '../redis/support/redisServer.js';
import { recordEvents } from './support.js';

export type TopologyKind =
  | 'one registry'
  | 'three registries, one MemoryCallStore'
  | 'three registries, Redis';

export interface WorldOptions {
  readonly kind: TopologyKind;
  readonly fake?: FakeGraphOptions;
  readonly registry?: Omit<CallRegistryOptions, 'graph' | 'store'>;
  /** For Redis: the server's URL. */
  readonly redisUrl?: string | undefined;
}

export interface World {
  readonly fake: FakeGraph;
  readonly registries: readonly CallRegistry[];
  /** What each registry told its listeners. */
  readonly events: readonly RegistryEvent[][];
  /** Holds every request to the fake until `release()`. */
  hold(): void;
  release(): void;
  /** Stops delivering notifications (they wait in order) until `connect()`. */
  disconnect(): void;
  connect(): void;
  /** Every registry idle, and the fake has posted everything. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

let worlds = 0;

export function openWorld(options: WorldOptions): World {
  worlds += 1;
  const fake = createFakeGraph(options.fake);
  let gate: { promise: Promise<void>; open: () => void } | undefined;
  const fetch: typeof fake.fetch = async (input, init) => {
    if (gate !== undefined) await gate.promise;
    return fake.fetch(input, init);
  };
  const stores: RedisCallStore[] = [];
  const shared: CallStore | undefined =
    options.kind === 'three registries, one MemoryCallStore' ? new MemoryCallStore() : undefined;
  const count = options.kind === 'one registry' ? 1 : 3;
  const registries = Array.from({ length: count }, () => {
    let store: CallStore | undefined = shared;
    if (options.kind === 'three registries, Redis') {
      if (options.redisUrl === undefined) throw new Error('a Redis world needs redisUrl');
      const redis = createRedisCallStore({
        url: options.redisUrl,
        keyPrefix: `control${process.pid}-${worlds}:`,
      });
      stores.push(redis);
      store = redis;
    }
    return createCallRegistry({
      graph: { getToken: async () => 'token', fetch, baseUrl: fake.baseUrl },
      ...(store === undefined ? {} : { store }),
      keepAliveMs: 0,
      pollMs: 10,
      ...options.registry,
    });
  });
  const events = registries.map(recordEvents);
  const target = {
    ingest: (body: unknown) => Promise.all(registries.map((registry) => registry.ingest(body))),
  };
  let disconnect = fake.connect(target);
  return {
    fake,
    registries,
    events,
    hold() {
      let open = (): void => {};
      const promise = new Promise<void>((resolve) => {
        open = resolve;
      });
      gate = { promise, open };
    },
    release() {
      gate?.open();
      gate = undefined;
    },
    disconnect() {
      disconnect();
    },
    connect() {
      disconnect = fake.connect(target);
    },
    async settle() {
      for (let round = 0; round < 3; round += 1) {
        await fake.settle();
        await Promise.all(registries.map((registry) => registry.idle()));
      }
    },
    async close() {
      gate?.open();
      await Promise.all(registries.map((registry) => registry.close()));
      await Promise.all(stores.map((store) => store.close()));
      await fake.close();
    },
  };
}

/**
 * Declares `tests` once per topology: one registry, three over one MemoryCallStore, and three
 * over Redis (skipped, with vitest's notice, where no redis-server can be started).
 */
export function describeTopologies(
  tests: (kind: TopologyKind, redisUrl: () => string | undefined) => void,
): void {
  describe('one registry', () => {
    tests('one registry', () => undefined);
  });
  describe('three registries over one MemoryCallStore', () => {
    tests('three registries, one MemoryCallStore', () => undefined);
  });
  describe.skipIf(!hasRedisServer)('three registries over Redis', () => {
    let server: RedisServer | undefined;
    beforeAll(async () => {
      server = await startRedisServer();
    });
    afterAll(async () => {
      await server?.dispose();
    });
    tests('three registries, Redis', () => server?.url);
  });
}
