// The console's model: flight records in, rows, details and counters out; bounded; redacted.
import { afterEach, describe, expect, it } from 'vitest';
import { type ConsoleModelOptions, createConsoleModel } from '../../src/console/consoleModel.js';
import type { FlightRecord } from '../../src/index.js';
import { ALICE, answered, asCall, openWorld, recordsOfOneCall, type World } from './support.js';

const LIMITS: ConsoleModelOptions = {
  maxEndedCalls: 1_000,
  maxLiveCalls: 10_000,
  maxTimelineEntries: 200,
  redact: false,
};

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

function modelOf(records: readonly FlightRecord[], options: Partial<ConsoleModelOptions> = {}) {
  const model = createConsoleModel({ ...LIMITS, ...options });
  for (const record of records) expect(model.record(record)).toBe(true);
  return model;
}

describe('the console model', () => {
  it('reads a hung-up call from its records: row, path through the chart, timeline', async () => {
    const records = await recordsOfOneCall();
    const callId = records[0]?.callId ?? '';
    const model = modelOf(records);

    expect(model.rows()).toEqual([
      expect.objectContaining({
        id: callId,
        state: 'terminated',
        phase: 'terminated',
        value: 'terminated',
        outcome: 'hungUp',
        result: '200/5001 The conversation has ended.',
      }),
    ]);
    expect(model.row(callId)?.pending).toBeUndefined();
    const detail = model.detail(callId);
    expect(detail?.visited).toEqual([
      'setup.establishing',
      'active.established',
      'terminating.hangingUp',
      'terminating.confirming',
      'terminated',
    ]);
    expect(detail?.moves.map((m) => `${m.from} → ${m.to}`)).toEqual([
      'setup.establishing → active.established',
      'active.established → terminating.hangingUp',
      'terminating.hangingUp → terminating.confirming',
      'terminating.confirming → terminated',
    ]);
    const lines = detail?.timeline.map((e) =>
      [e.kind, e.text, e.verdict ?? e.status ?? (e.ok === true ? 'ok' : ''), e.requests.join(' ')]
        .join(' | ')
        .trim(),
    );
    expect(lines).toEqual([
      'start | discovered by updated establishing W/"1" | apply |',
      'notification | updated established W/"2" | apply |',
      'notification | updated participants | subresource |',
      'intent | hangUp |  | DELETE',
      'response | delete.succeeded | ok |',
      'notification | updated terminating W/"3" | apply |',
      'notification | deleted terminated W/"4" | apply |',
    ]);
    expect(detail?.timeline.at(-1)?.outcome).toBe('hungUp');
    expect(detail?.participants.map((p) => p.who)).toEqual([
      'application: Test BOT',
      'user: Test User',
    ]);
  });

  it('shows the request a call waits on until Graph answers it', async () => {
    const records = await recordsOfOneCall();
    const upToIntent = records.slice(
      0,
      records.findIndex((r) => r.input.type === 'step' && r.input.event.type === 'hangUp') + 1,
    );
    const model = modelOf(upToIntent);
    expect(model.rows()[0]).toMatchObject({ phase: 'terminating', pending: 'DELETE' });
  });

  it('carries the deadline a call waits on: set, changed, cleared when it has none or ended', async () => {
    const run = await recordsOfOneCall();
    const callId = run[0]?.callId ?? '';
    // Graph takes a second to answer the DELETE (in the test run it answers within the same ms).
    const answered = run.findIndex(
      (r) => r.input.type === 'step' && r.input.event.type === 'delete.succeeded',
    );
    const records = run.map((r, i) =>
      i < answered
        ? r
        : { ...r, at: r.at + 1_000, ...(r.due === undefined ? {} : { due: r.due + 1_000 }) },
    );
    const model = createConsoleModel(LIMITS);
    const steps = records.map((record) => {
      model.record(record);
      const changed = model.takeChanges().rows.map((row) => row.dueAt);
      const input = record.input.type === 'start' ? 'start' : record.input.event.type;
      return { input, dueAt: model.row(callId)?.dueAt, changed, record };
    });
    const at = (input: string) => steps.find((step) => step.input === input);
    // Set: a call in setup waits for its answer window, a hang-up for the DELETE's answer.
    expect(at('start')?.dueAt).toBe(records[0]?.due);
    expect(at('start')?.dueAt).toBeGreaterThan(records[0]?.at ?? Number.POSITIVE_INFINITY);
    const hangUp = at('hangUp');
    expect(hangUp?.dueAt).toBe(hangUp?.record.due);
    expect(hangUp?.dueAt).toBeGreaterThan(hangUp?.record.at ?? Number.POSITIVE_INFINITY);
    // Changed: once Graph took the DELETE, the wait for `terminated` has its own deadline.
    const deleted = at('delete.succeeded');
    expect(deleted?.dueAt).toBe(deleted?.record.due);
    expect(deleted?.dueAt).not.toBe(hangUp?.dueAt);
    expect(deleted?.changed).toEqual([deleted?.dueAt]);
    // Cleared: an established call waits on nothing; an ended one on nothing ever again.
    expect(steps[1]?.input).toBe('notification');
    expect(steps[1]?.dueAt).toBeUndefined();
    expect(steps.at(-1)?.dueAt).toBeUndefined();
    expect(steps.at(-1)?.changed).toEqual([undefined]);
    expect(JSON.stringify(model.rows())).not.toContain('dueAt');
    const last = records.at(-1) as FlightRecord;
    model.record({ ...last, due: last.at + 1_000 });
    expect(model.row(callId)?.dueAt).toBeUndefined();
    expect(model.detail(callId)?.call.dueAt).toBeUndefined();
  });

  it('counts calls by phase, notifications by verdict, Graph answers by status', async () => {
    world = openWorld();
    const hungUp = world.fake.placeCall();
    const remote = world.fake.placeCall();
    const live = world.fake.placeCall();
    await world.settle();
    world.fake.failNext(1, 503, { retryAfter: 0.01 });
    await world.registry.hangUp(hungUp);
    world.fake.remoteHangUp(remote);
    await world.settle();
    const model = modelOf(world.records);
    const counters = model.counters();
    expect(counters.callsByPhase).toEqual({ setup: 0, active: 1, terminating: 0, terminated: 2 });
    expect(counters.callsSeen).toBe(3);
    expect(counters.outcomes).toEqual({ hungUp: 1, remote: 1 });
    const verdicts = world.records.filter((r) => r.verdict === 'apply').length;
    expect(counters.notificationsByVerdict).toMatchObject({
      apply: verdicts,
      subresource: 3,
      rejected: 0,
    });
    expect(counters.requestsByStatus).toEqual({ '503': 1, ok: 1 });
    model.rejected();
    expect(model.counters().notificationsByVerdict.rejected).toBe(1);
    expect(model.row(live)?.phase).toBe('active');
    expect(
      model
        .detail(hungUp)
        ?.timeline.filter((e) => e.kind === 'response')
        .map((e) => e.status ?? 'ok'),
    ).toEqual([503, 'ok']);
  });

  it('keeps the last maxEndedCalls ended calls and says which ones it let go', async () => {
    const one = await recordsOfOneCall();
    const model = createConsoleModel({ ...LIMITS, maxEndedCalls: 3 });
    for (let i = 0; i < 2; i += 1)
      for (const r of asCall(one, `call-${i}`, i * 1_000)) model.record(r);
    model.takeChanges(); // the pages have call-0 and call-1
    for (let i = 2; i < 6; i += 1)
      for (const r of asCall(one, `call-${i}`, i * 1_000)) model.record(r);
    expect(model.rows().map((r) => r.id)).toEqual(['call-3', 'call-4', 'call-5']);
    expect(model.counters()).toMatchObject({ callsSeen: 6, callsDropped: 3 });
    expect(model.counters().callsByPhase.terminated).toBe(3);
    const changes = model.takeChanges();
    // call-2 came and went between two updates: no page heard of it, so none is told it went.
    expect(changes.removed).toEqual(['call-0', 'call-1']);
    expect(changes.rows.map((r) => r.id)).toEqual(['call-3', 'call-4', 'call-5']);
    expect(model.takeChanges()).toEqual({ rows: [], removed: [], counters: false });
  });

  it('with maxEndedCalls 0, lets a call go as it ends', async () => {
    const one = await recordsOfOneCall();
    const model = createConsoleModel({ ...LIMITS, maxEndedCalls: 0 });
    for (const record of one.slice(0, -1)) model.record(record);
    expect(model.takeChanges().rows).toHaveLength(1);
    model.record(one.at(-1) as FlightRecord);
    expect(model.takeChanges()).toEqual({ rows: [], removed: [one[0]?.callId], counters: true });
    expect(model.counters().callsByPhase).toEqual({
      setup: 0,
      active: 0,
      terminating: 0,
      terminated: 0,
    });
  });

  it('keeps at most maxLiveCalls live calls, the least recently changed let go first', async () => {
    const one = await recordsOfOneCall();
    const established = one.slice(0, 2); // discovered, then established
    const model = createConsoleModel({ ...LIMITS, maxLiveCalls: 2 });
    for (const r of asCall(established.slice(0, 1), 'a', 0)) model.record(r);
    for (const r of asCall(established.slice(0, 1), 'b', 10)) model.record(r);
    model.rows(); // a page has a and b
    for (const r of asCall(established.slice(1), 'a', 20)) model.record(r); // a changed last
    for (const r of asCall(established.slice(0, 1), 'c', 30)) model.record(r);
    expect(
      model
        .rows()
        .map((r) => r.id)
        .sort(),
    ).toEqual(['a', 'c']);
    expect(model.size).toBe(2);
    expect(model.takeChanges().removed).toEqual(['b']);
  });

  it('keeps the last maxTimelineEntries of a call and counts the rest', async () => {
    const one = await recordsOfOneCall();
    const model = modelOf(one, { maxTimelineEntries: 3 });
    const detail = model.detail(one[0]?.callId ?? '');
    expect(detail?.timeline).toHaveLength(3);
    expect(detail?.timelineDropped).toBe(one.length - 3);
    expect(detail?.timeline.at(-1)?.outcome).toBe('hungUp');
  });

  it('redacts people by the recorder rule, and bots stay readable', async () => {
    world = openWorld();
    const callId = await answered(world, { source: ALICE });
    for (const redact of [false, true]) {
      const model = modelOf(world.records, { redact });
      const detail = model.detail(callId);
      const text = JSON.stringify(detail);
      if (redact) {
        expect(detail?.caller).toBe('user: [redacted]');
        expect(detail?.participants.map((p) => p.who)).toEqual([
          'application: Test BOT',
          'user: [redacted]',
        ]);
        expect(text).not.toContain('Alice');
        expect(text).not.toContain(ALICE.identity.user.id);
      } else {
        expect(detail?.caller).toBe('user: Alice Liddell');
        expect(detail?.targets).toEqual(['application: Test BOT']);
      }
    }
  });

  it('follows operations: requested, completed, and ended with their call', async () => {
    world = openWorld();
    const callId = world.fake.placeCall();
    await world.settle();
    await world.registry.playPrompt(callId, 'https://bot.example.com/audio/hello.wav');
    world.fake.scriptOperations(callId, 'neverCompletes');
    const pending = world.registry
      .playPrompt(callId, 'https://bot.example.com/audio/wait.wav')
      .catch((e: unknown) => e);
    await world.settle();
    expect(modelOf(world.records).row(callId)?.operations).toBe(1);
    await world.registry.hangUp(callId);
    await world.settle();
    await pending;
    const model = modelOf(world.records);
    expect(model.detail(callId)?.operations.map((o) => [o.kind, o.status, o.result ?? ''])).toEqual(
      [
        ['playPrompt', 'completed', '200/0 Action completed successfully.'],
        ['playPrompt', 'callEnded', ''],
      ],
    );
    expect(model.row(callId)?.operations).toBeUndefined();
  });

  it('takes a registry view for a call it has no record of, and its word on an operation', () => {
    const model = createConsoleModel(LIMITS);
    model.view({
      callId: 'seen',
      state: 'established',
      phase: 'active',
      updatedAt: 5,
      source: ALICE,
    });
    model.view({ callId: 'seen', state: 'hold', phase: 'active', updatedAt: 6 });
    expect(model.rows()).toEqual([
      { id: 'seen', state: 'established', phase: 'active', value: '', firstAt: 5, updatedAt: 5 },
    ]);
    expect(model.detail('seen')?.caller).toBe('user: Alice Liddell');
    model.operation({
      callId: 'seen',
      key: 'k1',
      kind: 'playPrompt',
      status: 'failed',
      failure: 'timedOut',
      requestedAt: 1,
      updatedAt: 2,
    });
    expect(model.detail('seen')?.operations).toEqual([
      {
        key: 'k1',
        kind: 'playPrompt',
        status: 'failed',
        failure: 'timedOut',
        requestedAt: 1,
        updatedAt: 2,
      },
    ]);
  });

  it('skips a record that holds no position, and never throws on a mangled input', async () => {
    const [start, ...rest] = await recordsOfOneCall();
    const model = createConsoleModel(LIMITS);
    expect(model.record({ ...(start as FlightRecord), to: {} as FlightRecord['to'] })).toBe(false);
    expect(model.size).toBe(0);
    const mangled = rest.map((r) =>
      r.input.type === 'step'
        ? { ...r, input: { type: 'step', event: { type: r.input.event.type, at: r.at } } }
        : r,
    ) as FlightRecord[];
    for (const r of [start as FlightRecord, ...mangled]) expect(model.record(r)).toBe(true);
    expect(model.rows()[0]?.phase).toBe('terminated');
  });
});
