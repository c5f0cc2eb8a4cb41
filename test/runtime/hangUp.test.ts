// Hang-up faults through the registry, with fake timers: deterministic and fast.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type CallRegistry,
  createCallRegistry,
  HangUpFailedError,
  type RegistryEvent,
} from '../../src/index.js';
import { callItem, envelope, terminatedItem } from '../support/payloads.js';
import { ScriptedGraph } from '../support/scriptedGraph.js';

const ID = 'call-1';

let graph: ScriptedGraph;
let registry: CallRegistry;
let events: RegistryEvent[];

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
  graph = new ScriptedGraph();
  registry = createCallRegistry({ graph, confirmTimeoutMs: 10_000, keepAliveMs: 0 });
  events = [];
  for (const type of [
    'call.stateChanged',
    'call.terminated',
    'call.hangUpFailed',
    'registry.error',
  ] as const) {
    registry.on(type, (e) => events.push(e));
  }
});

afterEach(async () => {
  await registry.close();
  vi.useRealTimers();
});

const of = <T extends RegistryEvent['type']>(type: T) =>
  events.filter((e): e is Extract<RegistryEvent, { type: T }> => e.type === type);

describe('registry.hangUp', () => {
  it('sends one DELETE, resolves once Graph took it, and ends with the notifications', async () => {
    await registry.track(ID, { state: 'established' });
    const view = await registry.hangUp(ID);
    expect(view.phase).toBe('terminating');
    expect(graph.count('DELETE', ID)).toBe(1);
    const report = await registry.ingest(envelope(callItem(ID, 'updated', 'terminating')));
    expect(report.applied).toBe(1);
    await registry.ingest(envelope(terminatedItem(ID)));
    expect(registry.get(ID)?.outcome).toMatchObject({
      reason: 'hungUp',
      resultInfo: { code: 200, subcode: 5001 },
    });
    expect(of('call.terminated')).toHaveLength(1);
  });

  it('404 → terminated as gone, and hangUp resolves with that view', async () => {
    graph.answer('DELETE', { ok: false, status: 404 });
    await registry.track(ID, { state: 'established' });
    const view = await registry.hangUp(ID);
    expect(view.phase).toBe('terminated');
    expect(view.outcome?.reason).toBe('gone');
  });

  it('429 with Retry-After 0.2 s, then 204: the second DELETE goes no earlier than 200 ms later', async () => {
    graph.answer('DELETE', { ok: false, status: 429, retryAfterMs: 200 });
    await registry.track(ID, { state: 'established' });
    const done = registry.hangUp(ID);
    await vi.advanceTimersByTimeAsync(199);
    expect(graph.count('DELETE')).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(graph.count('DELETE')).toBe(2);
    const [first, second] = graph.requests;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(200);
    expect((await done).phase).toBe('terminating');
    expect(registry.get(ID)?.state).toBe('established');
  });

  it('503 twice, then 204: three DELETEs, backing off in between', async () => {
    graph.answer('DELETE', { ok: false, status: 503 }, { ok: false, status: 503 });
    await registry.track(ID, { state: 'established' });
    const done = registry.hangUp(ID);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(graph.count('DELETE')).toBe(2);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(graph.count('DELETE')).toBe(3);
    expect((await done).phase).toBe('terminating');
  });

  it('403 → rejects with HangUpFailedError, emits call.hangUpFailed, and the call keeps its state', async () => {
    const error = {
      code: 'Forbidden',
      message: 'Application does not have permission',
      requestId: 'r-1',
    };
    graph.answer('DELETE', { ok: false, status: 403, error });
    await registry.track(ID, { state: 'hold' });
    const failure = await registry.hangUp(ID).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(HangUpFailedError);
    expect(failure).toMatchObject({ status: 403, attempts: 1, graphError: error, callId: ID });
    expect((failure as Error).message).toContain('403');
    expect(of('call.hangUpFailed')).toEqual([
      { type: 'call.hangUpFailed', callId: ID, status: 403, error, attempts: 1, at: 1_000_000 },
    ]);
    expect(registry.get(ID)).toMatchObject({ state: 'hold', phase: 'active' });
  });

  it('a second hangUp while the first DELETE is in flight still sends one DELETE', async () => {
    graph.answer('DELETE', 'hold');
    await registry.track(ID, { state: 'established' });
    const first = registry.hangUp(ID);
    const second = registry.hangUp(ID);
    await vi.advanceTimersByTimeAsync(0);
    expect(graph.count('DELETE')).toBe(1);
    graph.release({ ok: true, status: 204 });
    const [a, b] = await Promise.all([first, second]);
    expect(a.phase).toBe('terminating');
    expect(b.phase).toBe('terminating');
    expect(graph.count('DELETE')).toBe(1);
  });

  it('missing terminated notification → deadline → GET → 404 → terminated', async () => {
    await registry.track(ID, { state: 'established' });
    await registry.hangUp(ID);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(graph.count('GET')).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(graph.count('GET')).toBe(1);
    expect(registry.get(ID)?.outcome?.reason).toBe('hungUp');
  });

  it('GET still terminating → waits again; after maxVerifications the call is given up as unconfirmed', async () => {
    const still = { ok: true as const, status: 200, state: 'terminating' as const };
    graph.answer('GET', still, still, still);
    await registry.track(ID, { state: 'established' });
    await registry.hangUp(ID);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(graph.count('GET')).toBe(3);
    expect(registry.get(ID)?.outcome?.reason).toBe('unconfirmed');
  });

  it('a remote hang-up racing ours: the terminated notification overtakes the DELETE answer', async () => {
    graph.answer('DELETE', 'hold');
    await registry.track(ID, { state: 'established' });
    const done = registry.hangUp(ID);
    await registry.ingest(envelope(terminatedItem(ID)));
    expect((await done).phase).toBe('terminated');
    graph.release({ ok: false, status: 404 });
    await vi.advanceTimersByTimeAsync(0);
    expect(registry.get(ID)?.outcome?.reason).toBe('hungUp');
    expect(of('call.terminated')).toHaveLength(1);
  });

  it('rejects for a call it does not know, naming the call and what to do', async () => {
    await expect(registry.hangUp('nope')).rejects.toThrow(/no call "nope" is tracked.*track/);
  });

  it('resolves at once for a call that already ended', async () => {
    await registry.ingest(envelope(terminatedItem(ID)));
    expect((await registry.hangUp(ID)).phase).toBe('terminated');
    expect(graph.count('DELETE')).toBe(0);
  });
});
