// keepAlive, eviction, waitFor and close: the registry's timers, with fake time.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type CallRegistry,
  createCallRegistry,
  MemoryCallStore,
  RegistryClosedError,
  WaitTimeoutError,
} from '../../src/index.js';
import { callItem, envelope, terminatedItem } from '../support/payloads.js';
import { ScriptedGraph } from '../support/scriptedGraph.js';

const MINUTE = 60_000;

let graph: ScriptedGraph;
let store: MemoryCallStore;
let registry: CallRegistry;

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
  graph = new ScriptedGraph();
  store = new MemoryCallStore();
  registry = createCallRegistry({ graph, store });
});

afterEach(async () => {
  await registry.close();
  vi.useRealTimers();
});

describe('keepAlive', () => {
  it('is sent every 15 minutes while the call is active, and not during setup', async () => {
    await registry.ingest(envelope(callItem('a', 'created', 'incoming')));
    await vi.advanceTimersByTimeAsync(20 * MINUTE);
    expect(graph.count('KEEPALIVE')).toBe(0);
    await registry.ingest(envelope(callItem('a', 'updated', 'established')));
    await vi.advanceTimersByTimeAsync(15 * MINUTE - 1);
    expect(graph.count('KEEPALIVE')).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(graph.count('KEEPALIVE', 'a')).toBe(1);
    await vi.advanceTimersByTimeAsync(30 * MINUTE);
    expect(graph.count('KEEPALIVE', 'a')).toBe(3);
  });

  it('stops once the call ends', async () => {
    await registry.ingest(envelope(callItem('a', 'updated', 'established')));
    await vi.advanceTimersByTimeAsync(15 * MINUTE);
    await registry.ingest(envelope(terminatedItem('a')));
    await vi.advanceTimersByTimeAsync(60 * MINUTE);
    expect(graph.count('KEEPALIVE')).toBe(1);
  });

  it('treats a 404 as the call gone', async () => {
    graph.answer('KEEPALIVE', { ok: false, status: 404 });
    await registry.track('a', { state: 'established' });
    await vi.advanceTimersByTimeAsync(15 * MINUTE);
    expect(registry.get('a')?.outcome).toEqual({ callId: 'a', reason: 'gone', at: 15 * MINUTE });
  });

  it('reports other failures and keeps trying', async () => {
    const errors: Error[] = [];
    registry.on('registry.error', (e) => errors.push(e.error));
    graph.answer('KEEPALIVE', { ok: false, status: 503, error: { message: 'busy' } });
    await registry.track('a', { state: 'established' });
    await vi.advanceTimersByTimeAsync(30 * MINUTE);
    expect(graph.count('KEEPALIVE')).toBe(2);
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/keepAlive.*"a".*503: busy/),
    ]);
    expect(registry.get('a')?.phase).toBe('active');
  });
});

describe('eviction', () => {
  it('keeps an ended call readable for 5 minutes, then forgets it and its record', async () => {
    await registry.ingest(envelope(callItem('a', 'updated', 'established')));
    await registry.ingest(envelope(terminatedItem('a')));
    expect(store.size).toBe(1);
    await vi.advanceTimersByTimeAsync(5 * MINUTE - 1);
    expect(registry.get('a')?.phase).toBe('terminated');
    // Late notifications during retention are absorbed as late.
    expect((await registry.ingest(envelope(callItem('a', 'updated', 'terminating')))).late).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(registry.get('a')).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('leaves no timer behind for an evicted call', async () => {
    const before = vi.getTimerCount();
    await registry.ingest(envelope(callItem('a', 'updated', 'established')));
    await registry.ingest(envelope(terminatedItem('a')));
    await vi.advanceTimersByTimeAsync(5 * MINUTE);
    expect(vi.getTimerCount()).toBe(before);
  });
});

describe('waitFor', () => {
  it('resolves when the predicate holds, including for a call not known yet', async () => {
    const ended = registry.waitFor('a', 'terminated', { timeoutMs: MINUTE });
    const established = registry.waitFor('a', (v) => v.state === 'established');
    await registry.ingest(envelope(callItem('a', 'updated', 'established')));
    expect((await established).state).toBe('established');
    await registry.ingest(envelope(terminatedItem('a')));
    expect((await ended).outcome?.reason).toBe('remote');
  });

  it('waits past many polls for a call whose first notification has not come yet', async () => {
    const ended = registry.waitFor('later', 'terminated', { timeoutMs: MINUTE });
    await vi.advanceTimersByTimeAsync(10_000);
    await registry.ingest(envelope(terminatedItem('later')));
    expect((await ended).outcome?.reason).toBe('remote');
  });

  it('rejects with WaitTimeoutError naming the call and where it is', async () => {
    await registry.track('a', { state: 'established' });
    const failure = registry
      .waitFor('a', 'terminated', { timeoutMs: 1_000 })
      .catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(999);
    await vi.advanceTimersByTimeAsync(1);
    const error = await failure;
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect((error as Error).message).toMatch(
      /"a" did not reach .* within 1000 ms \(it is established\)/,
    );
  });
});

describe('close', () => {
  it('rejects pending waits, stops every timer, and refuses further work', async () => {
    await registry.track('a', { state: 'established' });
    const wait = registry.waitFor('a', 'terminated', { timeoutMs: MINUTE });
    await registry.close();
    await expect(wait).rejects.toThrow(RegistryClosedError);
    expect(vi.getTimerCount()).toBe(0);
    await expect(registry.ingest(envelope())).rejects.toThrow(RegistryClosedError);
    await expect(registry.track('b')).rejects.toThrow(RegistryClosedError);
  });
});
