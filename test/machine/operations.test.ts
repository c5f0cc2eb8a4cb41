// Operations, the roster and key presses on the pure machine: each operation's own lifecycle
// (requested → running → completed | failed | callEnded), matched to its notifications by id
// or clientContext whichever comes first, retried and timed out by the call's deadlines; the
// roster kept from roster notifications; each key press handed on once.
import { describe, expect, it } from 'vitest';
import {
  type CallEvent,
  type CallNotification,
  dueAtOf,
  type OperationRequest,
  operationOf,
  parseNotifications,
  participantsOf,
  persistCallSnapshot,
  restoreCall,
  stepCall,
} from '../../src/index.js';
import { type CommsNotification, notify } from '../../src/testing/index.js';
import { drive } from '../support/drive.js';

const callId = 'call-1';
const PROMPT = {
  kind: 'playPrompt',
  request: {
    prompts: [{ mediaInfo: { uri: 'https://bot.example.com/a.wav' } }],
    clientContext: 'k1',
  },
} as const satisfies OperationRequest;

function parsed(item: CommsNotification): CallNotification {
  const { notifications } = parseNotifications({ value: [item] });
  const n = notifications[0];
  if (n === undefined) throw new Error('the builder made an item the parser refused');
  return n;
}
const note = (item: CommsNotification, at: number): CallEvent => ({
  type: 'notification',
  notification: parsed(item),
  at,
});
const ask = (at: number, operation: OperationRequest = PROMPT, key = 'k1'): CallEvent => ({
  type: 'operation',
  key,
  operation,
  at,
});

/** Graph's 200 to the first operation: it runs as o1. */
const running = (at: number): CallEvent => ({
  type: 'operation.responded',
  key: 'k1',
  status: 200,
  report: { id: 'o1', status: 'running' },
  at,
});

function connected(options = {}) {
  return drive({ callId, state: 'established', at: 0, options });
}

describe('an operation', () => {
  it('is sent once, runs, and completes by the deleted notification on its (re-spelled) id', () => {
    const call = connected();
    call.send(ask(10));
    call.send(ask(11));
    expect(call.of('graph.operation')).toEqual([
      { type: 'graph.operation', callId, key: 'k1', operation: PROMPT, attempt: 1, at: 10 },
    ]);
    call.send({
      type: 'operation.responded',
      key: 'k1',
      status: 200,
      report: { id: '0fe0623f-d628-42ed-b4bd-8ac290072cc5', status: 'running' },
      at: 20,
    });
    expect(operationOf(call.snapshot(), 'k1')?.status).toBe('running');
    expect(dueAtOf(call.snapshot())).toBe(20 + 300_000);
    call.send(note(notify.operation(callId, '0FE0623FD62842EDB4BD8AC290072CC5', 'completed'), 30));
    const [done] = call.of('operation.completed');
    expect(done?.operation).toMatchObject({
      key: 'k1',
      kind: 'playPrompt',
      status: 'completed',
      resultInfo: { code: 200, subcode: 0 },
    });
    expect(dueAtOf(call.snapshot())).toBeUndefined();
    // A duplicate of the completion changes nothing and says nothing again.
    const before = call.snapshot();
    call.send(note(notify.operation(callId, '0FE0623FD62842EDB4BD8AC290072CC5', 'completed'), 31));
    expect(call.snapshot().context).toBe(before.context);
    expect(call.of('operation.completed')).toHaveLength(1);
  });

  it('completes by a notification that overtakes its response (matched by clientContext)', () => {
    const call = connected();
    call.send(ask(10));
    call.send(note(notify.operation(callId, 'op-9', 'completed', { clientContext: 'k1' }), 15));
    call.send({
      type: 'operation.responded',
      key: 'k1',
      status: 200,
      report: { id: 'op-9', status: 'running' },
      at: 20,
    });
    expect(operationOf(call.snapshot(), 'k1')).toMatchObject({ status: 'completed', id: 'op-9' });
    expect(call.of('operation.completed')).toHaveLength(1);
  });

  it('is done with its response when Graph says completed, or sends no operation for a mute', () => {
    const call = connected();
    call.send(ask(10, { kind: 'mute', request: { clientContext: 'm1' } }, 'm1'));
    call.send({ type: 'operation.responded', key: 'm1', status: 200, at: 11 });
    call.send(ask(12, { kind: 'subscribeToTone', request: { clientContext: 't1' } }, 't1'));
    call.send({
      type: 'operation.responded',
      key: 't1',
      status: 200,
      report: { status: 'completed' },
      at: 13,
    });
    expect(call.of('operation.completed').map((e) => e.operation.key)).toEqual(['m1', 't1']);
  });

  it('fails with Graph resultInfo when Graph reports it failed', () => {
    const call = connected();
    call.send(ask(10));
    call.send({
      type: 'operation.responded',
      key: 'k1',
      status: 200,
      report: { id: 'o1' },
      at: 11,
    });
    call.send(
      note(
        notify.operation(callId, 'o1', 'failed', {
          resultInfo: {
            code: 400,
            subcode: 8508,
            message: 'Action failed, the operation was cancelled.',
          },
          data: { completionReason: 'operationCanceled' },
        }),
        12,
      ),
    );
    expect(call.of('operation.failed')[0]?.operation).toMatchObject({
      status: 'failed',
      failure: 'graph',
      completionReason: 'operationCanceled',
      resultInfo: { code: 400, subcode: 8508 },
    });
  });

  it('is sent again after a throttle, and fails for good on a refusal', () => {
    const call = connected();
    call.send(ask(10));
    call.send({
      type: 'operation.requestFailed',
      key: 'k1',
      status: 429,
      retryAfterMs: 2_000,
      at: 20,
    });
    expect(dueAtOf(call.snapshot())).toBe(2_020);
    call.send({ type: 'deadline.reached', at: 1_000 });
    expect(call.of('graph.operation')).toHaveLength(1);
    call.send({ type: 'deadline.reached', at: 2_020 });
    expect(call.of('graph.operation').map((e) => e.attempt)).toEqual([1, 2]);
    call.send({
      type: 'operation.requestFailed',
      key: 'k1',
      status: 400,
      error: { code: 'BadRequest', message: 'no' },
      at: 2_100,
    });
    expect(call.of('operation.failed')[0]?.operation).toMatchObject({
      failure: 'request',
      httpStatus: 400,
      error: { code: 'BadRequest' },
    });
  });

  it('counts a request without an answer as failed, and gives up after maxCommandAttempts', () => {
    const call = connected({ maxCommandAttempts: 2, requestTimeoutMs: 100, retryBaseDelayMs: 10 });
    call.send(ask(0));
    call.send({ type: 'deadline.reached', at: 100 }); // no answer: retry after backoff
    call.send({ type: 'deadline.reached', at: 110 }); // sent again
    call.send({ type: 'deadline.reached', at: 210 }); // no answer again: given up
    expect(call.of('graph.operation')).toHaveLength(2);
    expect(call.of('operation.failed')[0]?.operation).toMatchObject({
      failure: 'request',
      httpStatus: 0,
      error: { code: 'Timeout' },
    });
  });

  it('times out when Graph never reports its end', () => {
    const call = connected();
    call.send({ ...ask(10), timeoutMs: 5_000 } as CallEvent);
    call.send(running(20));
    expect(dueAtOf(call.snapshot())).toBe(5_020);
    call.send({ type: 'deadline.reached', at: 5_020 });
    expect(call.of('operation.failed')[0]?.operation.failure).toBe('timedOut');
  });

  it('ends with the call, and its result after the end is late', () => {
    const call = connected();
    call.send(ask(10));
    call.send(running(11));
    call.send(note(notify.deleted(callId, { state: 'terminated' }), 12));
    expect(call.of('call.terminated')).toHaveLength(1);
    expect(call.of('operation.failed')[0]?.operation).toMatchObject({
      status: 'callEnded',
      failure: 'callEnded',
    });
    call.clear();
    call.send(note(notify.operation(callId, 'o1', 'completed'), 13));
    expect(call.emitted).toEqual([
      expect.objectContaining({ type: 'notification.ignored', verdict: 'late' }),
    ]);
    call.send(ask(14, PROMPT, 'k2'));
    expect(call.of('operation.rejected')[0]?.reason).toBe('the call is over');
  });

  it('is refused while the call is not connected, or being hung up', () => {
    const setup = drive({ callId, state: 'establishing', at: 0 });
    setup.send(ask(1));
    const ending = connected();
    ending.send({ type: 'hangUp', at: 1 });
    ending.send(ask(2));
    expect(setup.of('graph.operation')).toEqual([]);
    expect(ending.of('graph.operation')).toEqual([]);
    expect(setup.of('operation.rejected')[0]?.reason).toMatch(/not connected yet/);
    expect(ending.of('operation.rejected')[0]?.reason).toBe('the call is being hung up');
  });

  it('survives a store round trip, and its end applies there', () => {
    const call = connected();
    call.send(ask(10));
    call.send(running(11));
    const restored = restoreCall(JSON.parse(JSON.stringify(persistCallSnapshot(call.snapshot()))));
    const step = stepCall(restored, note(notify.operation(callId, 'o1', 'completed'), 12));
    expect(step.emitted.map((e) => e.type)).toEqual([
      'notification.subresource',
      'operation.completed',
    ]);
  });

  it('keeps every pending operation and the last finished ones, no more', () => {
    const call = connected();
    for (let i = 0; i < 40; i++) {
      call.send(ask(i, { kind: 'mute', request: { clientContext: `m${i}` } }, `m${i}`));
      call.send({ type: 'operation.responded', key: `m${i}`, status: 200, at: i });
    }
    expect(call.context().operations).toHaveLength(16);
    for (let i = 0; i < 33; i++) call.send(ask(100 + i, PROMPT, `p${i}`));
    expect(call.of('operation.rejected').map((e) => e.key)).toEqual(['p32']);
  });
});

describe('key presses', () => {
  it('are handed on once per sequence id; repeats are counted', () => {
    const call = connected();
    call.send(note(notify.tone(callId, 'tone1', { sequenceId: 1 }), 1));
    call.send(note(notify.tone(callId, 'tone2', { sequenceId: 2 }), 2));
    call.send(note(notify.tone(callId, 'tone1', { sequenceId: 1 }), 3));
    expect(call.of('call.tone').map((e) => [e.tone, e.sequenceId])).toEqual([
      ['tone1', 1],
      ['tone2', 2],
    ]);
    expect(call.context().tones?.duplicates).toBe(1);
    // Each press is still an unchanged notification about the call.
    expect(call.of('call.notification')).toHaveLength(3);
  });
});

describe('the roster', () => {
  it('tells who joined, what changed and who left', () => {
    const call = connected();
    const at = (n: number) => ({ data: { rosterSequenceNumber: n } });
    const alice = { id: 'p-alice', displayName: 'Alice', ...at(1) };
    const bob = { id: 'p-bob', displayName: 'Bob', ...at(2) };
    const mutedAlice = { ...alice, isMuted: true, ...at(3) };
    call.send(note(notify.participants(callId, [alice, bob]), 1));
    call.send(note(notify.participants(callId, [alice, bob]), 2));
    call.send(note(notify.participants(callId, [mutedAlice, bob]), 3));
    call.send(note(notify.participants(callId, [mutedAlice]), 4));
    expect(call.of('participant.joined').map((e) => e.participant.id)).toEqual([
      'p-alice',
      'p-bob',
    ]);
    expect(call.of('participant.updated').map((e) => [e.participant.id, e.changed])).toEqual([
      ['p-alice', ['isMuted']],
    ]);
    expect(call.of('participant.left').map((e) => e.participant.id)).toEqual(['p-bob']);
    const roster = () =>
      participantsOf(call.snapshot()).map((p) => [p.id, p.identity.user?.displayName, p.isMuted]);
    expect(roster()).toEqual([['p-alice', 'Alice', true]]);
    // A stale copy of an earlier roster changes nothing: its versions are older.
    const before = call.snapshot().context;
    call.send(note(notify.participants(callId, [alice, bob]), 5));
    expect(call.snapshot().context).toBe(before);
    expect(roster()).toEqual([['p-alice', 'Alice', true]]);
  });

  it('without versions, takes whole rosters in arrival order, and explicit departures for good', () => {
    const call = connected();
    const alice = { id: 'p-alice', displayName: 'Alice' };
    const bob = { id: 'p-bob', displayName: 'Bob' };
    call.send(note(notify.participants(callId, [alice, bob]), 1));
    call.send(note(notify.participants(callId, [alice]), 2));
    call.send(note(notify.participants(callId, [alice, bob]), 3));
    expect(participantsOf(call.snapshot()).map((p) => p.id)).toEqual(['p-alice', 'p-bob']);
    call.send(note(notify.participants(callId, [bob], { changeType: 'deleted' }), 4));
    call.send(note(notify.participants(callId, [alice, bob]), 5));
    expect(participantsOf(call.snapshot()).map((p) => p.id)).toEqual(['p-alice']);
  });

  it('keeps at most 10,000 participants: a runaway roster cannot grow the stored call without bound', () => {
    const call = connected();
    const crowd = Array.from({ length: 10_001 }, (_, i) => ({ id: `p${i}` }));
    call.send(note(notify.participants(callId, crowd), 1));
    expect(participantsOf(call.snapshot())).toHaveLength(10_000);
    expect(call.of('participant.joined')).toHaveLength(10_000);
  });
});
