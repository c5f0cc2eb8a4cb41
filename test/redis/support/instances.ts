// Shared registries over one real Redis, each with its own connection, as separate bot
// instances would have.
import type { GraphClient, RegistryEvent } from '../../../src/index.js';
import { createRedisCallStore, type RedisCallStore } from '../../../src/redis/index.js';
import {
  createSharedCallRegistry,
  type SharedCallRegistry,
  type SharedCallRegistryOptions,
} from '../../../src/runtime/createSharedCallRegistry.js';

export interface Instance {
  readonly name: string;
  readonly registry: SharedCallRegistry;
  readonly store: RedisCallStore;
  readonly events: RegistryEvent[];
  readonly errors: Extract<RegistryEvent, { type: 'registry.error' }>[];
}

export type InstanceOptions = Omit<SharedCallRegistryOptions, 'graph' | 'store'>;

export class Instances {
  readonly all: Instance[] = [];
  private count = 0;

  constructor(
    private readonly url: string,
    private readonly keyPrefix: string,
  ) {}

  open(graph: GraphClient, options: InstanceOptions = {}): Instance {
    this.count += 1;
    const store = createRedisCallStore({ url: this.url, keyPrefix: this.keyPrefix });
    const registry = createSharedCallRegistry({
      graph,
      store,
      keepAliveMs: 0,
      pollMs: 20,
      ...options,
    });
    const events: RegistryEvent[] = [];
    const errors: Instance['errors'] = [];
    for (const type of [
      'call.stateChanged',
      'call.terminated',
      'call.hangUpFailed',
      'call.notification',
      'notification.ignored',
      'notification.subresource',
      'notification.rejected',
    ] as const) {
      registry.on(type, (event) => events.push(event));
    }
    registry.on('registry.error', (event) => errors.push(event));
    const instance = { name: `i${this.count}`, registry, store, events, errors };
    this.all.push(instance);
    return instance;
  }

  async closeAll(): Promise<void> {
    const open = this.all.splice(0);
    await Promise.all(open.map((i) => i.registry.close()));
    await Promise.all(open.map((i) => i.store.close()));
  }
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
