// Registries over one real Redis, each with its own store and connection, as separate bot
// instances would have: `createCallRegistry` with a Redis store, nothing else.
import {
  type CallRegistry,
  type CallRegistryOptions,
  type CallStore,
  createCallRegistry,
  type GraphClient,
  type RegistryEvent,
} from '../../../src/index.js';
import { createRedisCallStore, type RedisCallStore } from '../../../src/redis/index.js';

export interface Instance {
  readonly name: string;
  readonly registry: CallRegistry;
  readonly store: RedisCallStore;
  readonly events: RegistryEvent[];
  readonly errors: Extract<RegistryEvent, { type: 'registry.error' }>[];
}

export type InstanceOptions = Omit<CallRegistryOptions, 'graph' | 'store'>;

/** The event types an instance records (besides `registry.error`, kept apart). */
const RECORDED = [
  'call.stateChanged',
  'call.terminated',
  'call.hangUpFailed',
  'call.notification',
  'notification.ignored',
  'notification.subresource',
  'notification.rejected',
] as const;

export class Instances {
  readonly all: Instance[] = [];
  private count = 0;

  constructor(
    private readonly url: string,
    private readonly keyPrefix: string,
  ) {}

  /**
   * A registry over a new connection to the instances' Redis. `wrap` lets a test see what the
   * registry asks of its store (the registry gets the wrapped store, `store` stays the raw one).
   */
  open(
    graph: GraphClient,
    options: InstanceOptions = {},
    wrap: (store: RedisCallStore) => CallStore = (store) => store,
  ): Instance {
    this.count += 1;
    const store = createRedisCallStore({ url: this.url, keyPrefix: this.keyPrefix });
    const registry = createCallRegistry({
      graph,
      store: wrap(store),
      keepAliveMs: 0,
      pollMs: 20,
      ...options,
    });
    const instance: Instance = {
      name: `i${this.count}`,
      registry,
      store,
      ...recordEvents(registry),
    };
    this.all.push(instance);
    return instance;
  }

  async closeAll(): Promise<void> {
    const open = this.all.splice(0);
    await Promise.all(open.map((i) => i.registry.close()));
    await Promise.all(open.map((i) => i.store.close()));
  }
}

/** Records what a registry tells its listeners: `events` for the calls, `errors` apart. */
export function recordEvents(registry: CallRegistry): Pick<Instance, 'events' | 'errors'> {
  const events: RegistryEvent[] = [];
  const errors: Instance['errors'] = [];
  for (const type of RECORDED) registry.on(type, (event) => events.push(event));
  registry.on('registry.error', (event) => errors.push(event));
  return { events, errors };
}

/**
 * A store that does what `store` does, except for `overrides`: for a test that watches or
 * bends what a registry asks of its store. An in-process store keeps its `nextDueAt`, so the
 * registry still arms its exact timer over it.
 */
export function overriding(store: CallStore, overrides: Partial<CallStore>): CallStore {
  return {
    load: (callId) => store.load(callId),
    commit: (callId, record, expectedVersion, due) =>
      store.commit(callId, record, expectedVersion, due),
    claimDue: (now, limit, leaseUntil) => store.claimDue(now, limit, leaseUntil),
    reschedule: (callId, due, ifDueAt) => store.reschedule(callId, due, ifDueAt),
    delete: (callId) => store.delete(callId),
    ids: () => store.ids(),
    countLive: () => store.countLive(),
    ...(typeof store.nextDueAt === 'function' ? { nextDueAt: () => store.nextDueAt?.() } : {}),
    ...overrides,
  };
}

/** Polls until `check` passes or `timeoutMs` runs out (then throws its last failure). */
export async function eventually(
  check: () => void | Promise<void>,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
