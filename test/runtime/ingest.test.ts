import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CallRegistry, createCallRegistry, type RegistryEvent } from '../../src/index.js';
import { loadCorpus } from '../support/corpus.js';
import { callItem, envelope, rosterItem, terminatedItem } from '../support/payloads.js';
import { ScriptedGraph } from '../support/scriptedGraph.js';

let graph: ScriptedGraph;
let registry: CallRegistry;
let events: RegistryEvent[];

beforeEach(() => {
  vi.useFakeTimers({ now: 5_000 });
  graph = new ScriptedGraph();
  registry = createCallRegistry({ graph, keepAliveMs: 0 });
  events = [];
  for (const type of [
    'call.stateChanged',
    'call.terminated',
    'call.notification',
    'notification.ignored',
    'notification.rejected',
    'notification.subresource',
    'registry.error',
  ] as const) {
    registry.on(type, (e) => events.push(e));
  }
});

afterEach(async () => {
  await registry.close();
  vi.useRealTimers();
});

const sum = (r: Awaited<ReturnType<CallRegistry['ingest']>>) =>
  r.applied + r.unchanged + r.stale + r.late + r.subresource + r.rejected;

describe('registry.ingest', () => {
  it('creates a call on first sight: created/incoming starts in setup', async () => {
    const report = await registry.ingest(envelope(callItem('a', 'created', 'incoming')));
    expect(report).toMatchObject({ applied: 1, unknownCalls: 1 });
    expect(registry.get('a')).toMatchObject({
      state: 'incoming',
      phase: 'setup',
      updatedAt: 5_000,
    });
    expect(events.map((e) => e.type)).toEqual(['call.notification']);
  });

  it('records an unknown call’s deleted as terminated instead of losing it', async () => {
    const report = await registry.ingest(envelope(terminatedItem('ghost')));
    expect(report).toMatchObject({ applied: 1, unknownCalls: 1 });
    expect(registry.get('ghost')?.outcome).toMatchObject({
      reason: 'remote',
      resultInfo: { code: 200, subcode: 5001 },
    });
    expect(events.map((e) => e.type)).toContain('call.terminated');
  });

  it('applies a batch for several calls in order, reports the invalid item, and keeps the valid ones', async () => {
    const report = await registry.ingest(
      envelope(
        callItem('a', 'created', 'incoming'),
        callItem('b', 'updated', 'establishing'),
        { changeType: 'moved', resourceUrl: '/communications/calls/c' },
        callItem('a', 'updated', 'establishing'),
        callItem('b', 'updated', 'established'),
        callItem('a', 'updated', 'incoming'),
        rosterItem('b'),
      ),
    );
    expect(report).toMatchObject({
      applied: 4,
      stale: 1,
      subresource: 1,
      rejected: 1,
      unknownCalls: 2,
      unchanged: 0,
      late: 0,
    });
    expect(sum(report)).toBe(7);
    expect(report.rejections).toEqual([
      expect.objectContaining({
        index: 2,
        code: 'invalidChangeType',
        field: 'value[2].changeType',
      }),
    ]);
    expect(registry.get('a')?.state).toBe('establishing');
    expect(registry.get('b')?.state).toBe('established');
    expect(registry.get('c')).toBeUndefined();
    expect(events.filter((e) => e.type === 'notification.rejected')).toHaveLength(1);
  });

  it('counts duplicates as unchanged and late notifications as late, and still tells listeners', async () => {
    await registry.ingest(envelope(callItem('a', 'updated', 'established')));
    const dup = await registry.ingest(envelope(callItem('a', 'updated', 'established')));
    expect(dup).toMatchObject({ unchanged: 1, applied: 0 });
    await registry.ingest(envelope(terminatedItem('a')));
    const late = await registry.ingest(
      envelope(callItem('a', 'updated', 'terminating'), callItem('a', 'deleted')),
    );
    expect(late).toMatchObject({ late: 2, applied: 0 });
    const ignored = events.filter((e) => e.type === 'notification.ignored');
    expect(ignored.map((e) => e.type === 'notification.ignored' && e.verdict)).toEqual([
      'late',
      'late',
    ]);
  });

  it('routes sub-resource notifications of an unknown call without inventing the call', async () => {
    const report = await registry.ingest(envelope(rosterItem('x')));
    expect(report).toMatchObject({ subresource: 1, unknownCalls: 0 });
    expect(registry.get('x')).toBeUndefined();
    expect(events).toEqual([
      expect.objectContaining({ type: 'notification.subresource', callId: 'x' }),
    ]);
  });

  it('answers a body that is not an envelope with one body-level rejection, and never throws', async () => {
    for (const body of [null, 42, 'not json', '{"value": 3}', new Uint8Array([0xff, 0xfe])]) {
      const report = await registry.ingest(body);
      expect(report.rejected, String(body)).toBe(1);
      expect(report.rejections[0]?.index).toBeNull();
    }
  });

  it('every corpus payload lands in exactly one bucket per item', async () => {
    let items = 0;
    let counted = 0;
    for (const file of loadCorpus()) {
      const body = file.body as { value?: unknown[] };
      items += Array.isArray(body.value) ? body.value.length : 1;
      counted += sum(await registry.ingest(file.body));
    }
    expect(counted).toBe(items);
  });

  it('applies events of one call in arrival order while another call’s DELETE hangs', async () => {
    graph.answer('DELETE', 'hold');
    await registry.track('slow', { state: 'established' });
    const pending = registry.hangUp('slow');
    await vi.advanceTimersByTimeAsync(0);
    // The slow call's DELETE is still unanswered; another call is not blocked by it.
    await registry.ingest(
      envelope(callItem('fast', 'updated', 'established'), terminatedItem('fast')),
    );
    expect(registry.get('fast')?.phase).toBe('terminated');
    expect(registry.get('slow')?.phase).toBe('terminating');
    graph.release({ ok: true, status: 204 });
    expect((await pending).phase).toBe('terminating');
  });

  it('a throwing listener is reported as registry.error and does not stop the others', async () => {
    const seen: string[] = [];
    registry.on('call.notification', () => {
      throw new Error('listener bug');
    });
    registry.on('call.notification', (e) => seen.push(e.callId));
    await registry.ingest(envelope(callItem('a', 'created', 'incoming')));
    expect(seen).toEqual(['a']);
    const errors = events.filter((e) => e.type === 'registry.error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      callId: 'a',
      error: expect.objectContaining({ message: 'listener bug' }),
    });
  });

  it('on() returns an unsubscribe function', async () => {
    const seen: string[] = [];
    const off = registry.on('call.notification', (e) => seen.push(e.callId));
    await registry.ingest(envelope(callItem('a', 'created', 'incoming')));
    off();
    await registry.ingest(envelope(callItem('b', 'created', 'incoming')));
    expect(seen).toEqual(['a']);
  });
});
