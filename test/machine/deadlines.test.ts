// Every state that waits for Graph has a deadline of its own, so no call waits forever: the
// DELETE and the verifying GET time out as transient failures, and a call stuck in setup is
// checked with a GET after setupTimeoutMs.
import { describe, expect, it } from 'vitest';
import { dueAtOf, isHangUpPending } from '../../src/index.js';
import { callNotification } from '../../src/testing/index.js';
import { drive } from '../support/drive.js';

const callId = 'call-1';

describe('request deadlines (hangingUp, verifying)', () => {
  it('a DELETE with no answer within requestTimeoutMs is retried like a 503 (fetch ignoring its abort signal)', () => {
    const call = drive({ callId, state: 'established', options: { requestTimeoutMs: 5_000 } });
    call.send({ type: 'hangUp', at: 1_000 });
    expect(call.context().deadline).toEqual({ kind: 'request', at: 6_000 });
    expect(dueAtOf(call.snapshot())).toBe(6_000);

    call.send({ type: 'deadline.reached', at: 5_999 });
    expect(call.value()).toEqual({ terminating: 'hangingUp' });

    call.send({ type: 'deadline.reached', at: 6_000 });
    expect(call.value()).toEqual({ terminating: 'retryWait' });
    expect(call.context().deadline).toEqual({ kind: 'retry', at: 7_000 });
    expect(isHangUpPending(call.snapshot())).toBe(true);

    call.send({ type: 'deadline.reached', at: 7_000 });
    expect(call.of('graph.deleteCall').map((c) => c.attempt)).toEqual([1, 2]);
  });

  it('a hang-up whose DELETEs never answer gives up after maxDeleteAttempts, reporting status 0', () => {
    const call = drive({
      callId,
      state: 'established',
      options: { requestTimeoutMs: 100, maxDeleteAttempts: 2, retryBaseDelayMs: 10 },
    });
    call.send({ type: 'hangUp', at: 0 });
    for (let i = 0; i < 4; i++) {
      const at = call.context().deadline?.at;
      if (at === undefined) break;
      call.send({ type: 'deadline.reached', at });
    }
    expect(call.value()).toEqual({ active: 'established' });
    expect(call.of('call.hangUpFailed')).toEqual([
      expect.objectContaining({
        status: 0,
        attempts: 2,
        error: expect.objectContaining({ code: 'RequestTimeout' }),
      }),
    ]);
    expect(call.context().deadline).toBeNull();
    expect(isHangUpPending(call.snapshot())).toBe(false);
  });

  it('a late 204 for a DELETE that timed out still counts while waiting to retry', () => {
    const call = drive({ callId, state: 'established', options: { requestTimeoutMs: 100 } });
    call.send({ type: 'hangUp', at: 0 });
    call.send({ type: 'deadline.reached', at: 100 });
    expect(call.value()).toEqual({ terminating: 'retryWait' });
    call.send({ type: 'delete.succeeded', at: 150 });
    expect(call.value()).toEqual({ terminating: 'confirming' });
    expect(call.of('graph.deleteCall')).toHaveLength(1);
  });

  it('a verifying GET with no answer counts as a failed GET: confirm again, then unconfirmed', () => {
    const call = drive({
      callId,
      state: 'established',
      options: { requestTimeoutMs: 100, confirmTimeoutMs: 1_000, maxVerifications: 2 },
    });
    call.send({ type: 'hangUp', at: 0 });
    call.send({ type: 'delete.succeeded', at: 10 });
    for (let i = 0; i < 6 && call.snapshot().status === 'active'; i++) {
      const at = call.context().deadline?.at ?? 0;
      call.send({ type: 'deadline.reached', at });
    }
    expect(call.of('graph.getCall')).toHaveLength(2);
    expect(call.snapshot().output?.reason).toBe('unconfirmed');
  });
});

describe('setup deadline', () => {
  it('a call that stays in setup is checked with a GET after setupTimeoutMs; 404 ends it as gone', () => {
    const call = drive({
      callId,
      state: 'ringing',
      at: 1_000,
      options: { setupTimeoutMs: 60_000 },
    });
    expect(call.context().deadline).toEqual({ kind: 'setup', at: 61_000 });

    call.send({ type: 'deadline.reached', at: 61_000 });
    expect(call.of('graph.getCall')).toHaveLength(1);
    expect(call.context().deadline).toEqual({ kind: 'request', at: 91_000 });

    call.send({ type: 'getCall.result', status: 404, at: 61_100 });
    expect(call.snapshot().output).toEqual({ callId, reason: 'gone', at: 61_100 });
    expect(call.of('call.stateChanged').at(-1)?.to).toEqual({
      state: 'terminated',
      phase: 'terminated',
    });
  });

  it('a setup check that finds the call alive (or gets no answer) looks again one setupTimeoutMs later', () => {
    const call = drive({
      callId,
      at: 0,
      options: { setupTimeoutMs: 1_000, requestTimeoutMs: 100 },
    });
    call.send({ type: 'deadline.reached', at: 1_000 });
    call.send({ type: 'getCall.result', status: 200, state: 'establishing', at: 1_050 });
    expect(call.context().deadline).toEqual({ kind: 'setup', at: 2_050 });

    call.send({ type: 'deadline.reached', at: 2_050 });
    call.send({ type: 'deadline.reached', at: 2_150 }); // the GET never answered
    expect(call.context().deadline).toEqual({ kind: 'setup', at: 3_150 });
    expect(call.of('graph.getCall')).toHaveLength(2);
    expect(call.value()).toEqual({ setup: 'establishing' });
  });

  it('setup notifications do not push the check back; leaving setup drops it', () => {
    const call = drive({ callId, state: 'ringing', at: 0, options: { setupTimeoutMs: 1_000 } });
    call.send({
      type: 'notification',
      notification: callNotification(callId, 'establishing'),
      at: 500,
    });
    expect(call.context().deadline).toEqual({ kind: 'setup', at: 1_000 });
    call.send({
      type: 'notification',
      notification: callNotification(callId, 'established'),
      at: 600,
    });
    expect(call.context().deadline).toBeNull();
    expect(dueAtOf(call.snapshot())).toBeUndefined();
  });

  it('a failed hang-up during setup re-arms the setup deadline', () => {
    const call = drive({ callId, state: 'ringing', at: 0, options: { setupTimeoutMs: 1_000 } });
    call.send({ type: 'hangUp', at: 10 });
    call.send({ type: 'delete.failed', status: 403, at: 20 });
    expect(call.value()).toEqual({ setup: 'ringing' });
    expect(call.context().deadline).toEqual({ kind: 'setup', at: 1_020 });
  });

  it('an incoming call the bot leaves alone is checked after answerWindowMs, not setupTimeoutMs', () => {
    const call = drive({
      callId,
      state: 'incoming',
      at: 0,
      options: { setupTimeoutMs: 60_000, answerWindowMs: 5_000 },
    });
    expect(call.context().deadline).toEqual({ kind: 'setup', at: 5_000 });
  });
});
