// A registry over a store that already holds calls picks them up where they were.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CALL_RECORD_SCHEMA_VERSION,
  type CallRegistry,
  createCallRegistry,
  MemoryCallStore,
  type RegistryEvent,
  RestoreError,
} from '../../src/index.js';
import { callItem, envelope, terminatedItem } from '../support/payloads.js';
import { ScriptedGraph } from '../support/scriptedGraph.js';

let store: MemoryCallStore;
const open: CallRegistry[] = [];

function openRegistry(graph: ScriptedGraph) {
  const registry = createCallRegistry({
    graph,
    store,
    keepAliveMs: 0,
    confirmTimeoutMs: 10_000,
    requestTimeoutMs: 5_000,
  });
  const errors: Extract<RegistryEvent, { type: 'registry.error' }>[] = [];
  registry.on('registry.error', (e) => errors.push(e));
  open.push(registry);
  return { registry, errors };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
  store = new MemoryCallStore();
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
  vi.useRealTimers();
});

describe('persistence', () => {
  it('saves every call with an increasing version and the current schema version', async () => {
    const { registry } = openRegistry(new ScriptedGraph());
    await registry.ingest(envelope(callItem('a', 'created', 'incoming')));
    const first = await store.load('a');
    await registry.ingest(envelope(callItem('a', 'updated', 'established')));
    const second = await store.load('a');
    expect(first?.schemaVersion).toBe(CALL_RECORD_SCHEMA_VERSION);
    expect(second?.version).toBeGreaterThan(first?.version ?? Number.POSITIVE_INFINITY);
    expect(second?.snapshot).toMatchObject({ value: { active: 'established' } });
  });

  it('never stores a token: snapshots hold only call state', async () => {
    const graph = new ScriptedGraph();
    const { registry } = openRegistry(graph);
    await registry.track('a', { state: 'established' });
    await registry.hangUp('a');
    expect(JSON.stringify(await store.load('a'))).not.toMatch(/token|bearer|authorization/i);
  });

  it('closed mid-hang-up (DELETE sent, no answer): a new registry sends the DELETE again once its deadline passes, and finishes', async () => {
    const first = new ScriptedGraph().answer('DELETE', 'hold');
    const a = openRegistry(first);
    await a.registry.track('a', { state: 'established' });
    const abandoned = a.registry.hangUp('a').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(0);
    expect(first.count('DELETE')).toBe(1);
    await a.registry.close();
    expect(await abandoned).toMatchObject({ name: 'RegistryClosedError' });
    expect((await store.load('a'))?.snapshot).toMatchObject({
      value: { terminating: 'hangingUp' },
    });

    // The DELETE may still be answered to its sender: only its deadline says it was lost.
    const second = new ScriptedGraph();
    const b = openRegistry(second);
    await b.registry.ready;
    expect(second.count('DELETE')).toBe(0);
    await vi.advanceTimersByTimeAsync(5_000 + 1_000); // request deadline, then the retry backoff
    expect(second.count('DELETE', 'a')).toBe(1);
    expect(b.registry.get('a')?.phase).toBe('terminating');
    await b.registry.ingest(envelope(callItem('a', 'updated', 'terminating'), terminatedItem('a')));
    expect(b.registry.get('a')?.outcome?.reason).toBe('hungUp');
    expect(second.count('DELETE')).toBe(1);
    expect(b.errors).toEqual([]);
  });

  it('re-arms a restored deadline: confirming → GET after the remaining time', async () => {
    const a = openRegistry(new ScriptedGraph());
    await a.registry.track('a', { state: 'established' });
    await a.registry.hangUp('a');
    await vi.advanceTimersByTimeAsync(4_000);
    await a.registry.close();

    const graph = new ScriptedGraph();
    const b = openRegistry(graph);
    await b.registry.ready;
    await vi.advanceTimersByTimeAsync(5_999);
    expect(graph.count('GET')).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(graph.count('GET', 'a')).toBe(1);
    expect(b.registry.get('a')?.outcome?.reason).toBe('hungUp');
  });

  it('a verification GET lost with its registry is sent again after its deadline', async () => {
    const first = new ScriptedGraph().answer('GET', 'hold');
    const a = openRegistry(first);
    await a.registry.track('a', { state: 'established' });
    await a.registry.hangUp('a');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(first.count('GET')).toBe(1);
    await a.registry.close();

    const second = new ScriptedGraph();
    const b = openRegistry(second);
    await b.registry.ready;
    await vi.advanceTimersByTimeAsync(5_000); // the lost GET counts as failed: confirm again
    expect(second.count('GET')).toBe(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(second.count('GET')).toBe(1);
    expect(b.registry.get('a')?.phase).toBe('terminated');
  });

  it('reports corrupt and future-version records, skips them, and restores the rest', async () => {
    const a = openRegistry(new ScriptedGraph());
    await a.registry.track('good', { state: 'established' });
    await a.registry.close();
    const good = await store.load('good');
    if (good === undefined) throw new Error('good was not saved');
    store.put('future', { ...good, schemaVersion: 99 });
    store.put('garbage', { ...good, snapshot: 'not a snapshot' });
    store.put('elsewhere', good);
    store.put('unknown-state', {
      ...good,
      snapshot: {
        ...(good.snapshot as object),
        context: { ...(good.snapshot as { context: object }).context, callId: 'unknown-state' },
        value: { active: 'dancing' },
      },
    });

    const b = openRegistry(new ScriptedGraph());
    await b.registry.ready;
    expect(b.registry.get('good')?.state).toBe('established');
    for (const id of ['future', 'garbage', 'elsewhere', 'unknown-state']) {
      expect(b.registry.get(id), id).toBeUndefined();
    }
    const reasons = Object.fromEntries(
      b.errors.map((e) => [
        e.callId,
        e.error instanceof RestoreError ? e.error.reason : e.error.message,
      ]),
    );
    expect(reasons).toEqual({
      future: 'unknownSchemaVersion',
      garbage: 'corruptRecord',
      elsewhere: 'corruptRecord',
      'unknown-state': 'unknownState',
    });
    expect(b.errors.find((e) => e.callId === 'future')?.error.message).toMatch(
      /schema version 99.*reads 1/,
    );
  });

  it('restored calls are evicted on schedule, as if the registry had never stopped', async () => {
    const a = openRegistry(new ScriptedGraph());
    await a.registry.ingest(envelope(terminatedItem('a')));
    await vi.advanceTimersByTimeAsync(60_000);
    await a.registry.close();
    const b = openRegistry(new ScriptedGraph());
    await b.registry.ready;
    expect(b.registry.get('a')?.phase).toBe('terminated');
    await vi.advanceTimersByTimeAsync(4 * 60_000);
    expect(b.registry.get('a')).toBeUndefined();
    expect(store.size).toBe(0);
  });
});
