// The flight recorder and its replay: a faulty lifecycle recorded from the fake Graph (a
// throttled DELETE, every notification twice, the terminated notification lost, so the deadline
// leads to a GET) replays through the machine to the same states, verdicts and outcome; a
// machine whose rules were changed is caught, input by input.
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CallRegistry,
  callMachine,
  createCallRegistry,
  type FlightRecord,
  replayRecords,
} from '../../src/index.js';
import { createFakeGraph, type FakeGraph } from '../../src/testing/index.js';
import { graphOf } from '../control/support.js';
import { throttledHangUp } from '../support/throttledHangUp.js';

let open: { fake: FakeGraph; registry: CallRegistry } | undefined;
afterEach(async () => {
  await open?.registry.close();
  await open?.fake.close();
  open = undefined;
});

async function recordedLifecycle(options: { redact?: boolean; includeRaw?: boolean } = {}) {
  const records: FlightRecord[] = [];
  const fake = createFakeGraph({
    faults: {
      seed: 3,
      duplicate: 1,
      dropTerminated: true,
      throttle: { next: 1, retryAfter: 0.02 },
    },
  });
  const registry = createCallRegistry({
    graph: graphOf(fake),
    keepAliveMs: 0,
    confirmTimeoutMs: 30,
    recorder: { record: (record) => records.push(record), ...options },
  });
  open = { fake, registry };
  const { callId, ended } = await throttledHangUp(fake, registry);
  // Through JSON, as a file would keep them.
  return {
    callId,
    ended,
    records: records.map((r) => JSON.parse(JSON.stringify(r)) as FlightRecord),
  };
}

describe('the flight recorder', () => {
  it('records each input with what it did, and the replay agrees with every one', async () => {
    const { callId, ended, records } = await recordedLifecycle();
    const kinds = records.map((r) => (r.input.type === 'start' ? 'start' : r.input.event.type));
    expect(kinds[0]).toBe('start');
    for (const kind of [
      'answer',
      'answer.succeeded',
      'hangUp',
      'delete.failed',
      'deadline.reached',
      'delete.succeeded',
      'getCall.result',
    ]) {
      expect(kinds).toContain(kind);
    }
    // Every duplicate was recorded with its verdict.
    expect(
      records.filter((r) => r.verdict === 'unchanged' || r.verdict === 'stale').length,
    ).toBeGreaterThan(0);
    const [replayed] = replayRecords(records);
    expect(replayed?.callId).toBe(callId);
    expect(replayed?.problem).toBeUndefined();
    expect(replayed?.differences).toEqual([]);
    expect(replayed?.outcome?.reason).toBe(ended.outcome?.reason);
    expect(replayed?.position).toEqual({
      state: 'terminated',
      phase: 'terminated',
      value: 'terminated',
    });
  });

  it("records when the call's next deadline falls, and none once it waits on nothing", async () => {
    const { records } = await recordedLifecycle();
    const stepOf = (type: string) =>
      records.find((r) => r.input.type === 'step' && r.input.event.type === type);
    // A DELETE was sent: the call waits for its answer, at most requestTimeoutMs (30 s).
    const hangUp = stepOf('hangUp');
    expect(hangUp?.due).toBe((hangUp?.at ?? 0) + 30_000);
    // Throttled: the retry waits for Retry-After (0.02 s).
    const throttled = stepOf('delete.failed');
    expect(throttled?.due).toBe((throttled?.at ?? 0) + 20);
    // Accepted: the wait for terminated is the confirm deadline (30 ms here).
    const accepted = stepOf('delete.succeeded');
    expect(accepted?.due).toBe((accepted?.at ?? 0) + 30);
    expect(records.at(-1)?.to.phase).toBe('terminated');
    expect(records.at(-1)?.due).toBeUndefined();
  });

  it('names each input where a machine with other rules decides otherwise', async () => {
    const { records } = await recordedLifecycle();
    // A rule changed: a 404 to the verifying GET no longer confirms the end.
    const changed = callMachine.provide({ guards: { isConfirmedEnded: () => false } });
    const [replayed] = replayRecords(records, { machine: changed });
    expect(replayed?.differences.length).toBeGreaterThan(0);
    const getCall = replayed?.records.findIndex(
      (r) => r.input.type === 'step' && r.input.event.type === 'getCall.result',
    );
    expect(replayed?.differences.map((d) => [d.index, d.field, d.recorded, d.replayed])).toEqual([
      [getCall, 'state', 'terminated', 'terminating'],
      [getCall, 'phase', 'terminated', 'terminating'],
      [getCall, 'value', 'terminated', 'terminating.confirming'],
      [getCall, 'outcome', 'hungUp', undefined],
      [getCall, 'emitted', ['call.stateChanged', 'call.terminated'], []],
    ]);
  });

  it('keeps no raw item unless asked, and redacts people when asked', async () => {
    const plain = await recordedLifecycle();
    expect(JSON.stringify(plain.records)).toContain('+14255550100');
    expect(JSON.stringify(plain.records)).not.toContain('"resourceData"');
    await open?.registry.close();
    await open?.fake.close();
    open = undefined;
    const redacted = await recordedLifecycle({ redact: true, includeRaw: true });
    const text = JSON.stringify(redacted.records);
    expect(text).not.toContain('+14255550100');
    expect(text).toContain('"resourceData"');
    expect(text).not.toMatch(/bearer|authorization/i);
    // Redaction changes nothing the machine decides on.
    expect(replayRecords(redacted.records)[0]?.differences).toEqual([]);
  });

  it("never records the registry's own options: its Graph client, its headers", async () => {
    const records: FlightRecord[] = [];
    const fake = createFakeGraph();
    const registry = createCallRegistry({
      graph: { ...graphOf(fake), headers: { 'x-api-key': 'SECRET-KEY' } },
      keepAliveMs: 0,
      recorder: (record) => records.push(record),
    });
    open = { fake, registry };
    await registry.track('c1', { state: 'established' });
    await registry.hangUp('c1');
    const text = JSON.stringify(records);
    expect(text).not.toContain('SECRET-KEY');
    expect(text).not.toContain('getToken');
    const [start] = records;
    expect(start?.input.type === 'start' && Object.keys(start.input.input.options ?? {})).toEqual(
      [],
    );
  });

  it('keeps replaying the other calls when one cannot be (a machine that throws on its input)', async () => {
    const { records } = await recordedLifecycle();
    const other: FlightRecord = {
      v: 1,
      callId: 'c-other',
      at: 1,
      input: { type: 'start', input: { callId: 'c-other', state: 'established', at: 1 } },
      to: { state: 'established', phase: 'active', value: 'active.established' },
      emitted: ['call.established'],
      wrote: true,
    };
    const throwing = callMachine.provide({
      guards: {
        isSubresource: () => {
          throw new Error('boom');
        },
      },
    });
    const calls = replayRecords([other, ...records], { machine: throwing });
    expect(calls.map((c) => [c.callId === 'c-other', c.problem])).toEqual([
      [true, undefined],
      [false, expect.stringContaining('boom')],
    ]);
  });

  it('says when a call cannot be replayed', () => {
    const [replayed] = replayRecords([
      {
        v: 1,
        callId: 'c1',
        at: 1,
        input: { type: 'step', event: { type: 'hangUp', at: 1 } },
        to: { state: 'established', phase: 'terminating', value: 'terminating.hangingUp' },
        emitted: ['graph.deleteCall'],
        wrote: true,
      },
    ]);
    expect(replayed?.problem).toMatch(/start was not recorded/);
  });
});
