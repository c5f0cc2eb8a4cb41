import { describe, expect, it } from 'vitest';
import { callNotification } from '../../src/testing/index.js';
import { drive } from '../support/drive.js';

const callId = 'call-1';

describe('hang-up in the pure machine', () => {
  it('emits exactly one graph.deleteCall for a hangUp, and none for a second hangUp', () => {
    const call = drive({ callId, state: 'established' });
    call.send({ type: 'hangUp', at: 1_000 });
    expect(call.value()).toEqual({ terminating: 'hangingUp' });
    expect(call.of('graph.deleteCall')).toEqual([
      { type: 'graph.deleteCall', callId, attempt: 1, at: 1_000 },
    ]);
    call.send({ type: 'hangUp', at: 1_001 });
    call.send({ type: 'hangUp', at: 1_002 });
    expect(call.of('graph.deleteCall')).toHaveLength(1);
    expect(call.snapshot().hasTag('terminating')).toBe(true);
  });

  it('announces the move to terminating while Graph still reports the earlier state', () => {
    const call = drive({ callId, state: 'established' });
    call.send({ type: 'hangUp', at: 5 });
    expect(call.of('call.stateChanged')).toEqual([
      {
        type: 'call.stateChanged',
        callId,
        from: { state: 'established', phase: 'active' },
        to: { state: 'established', phase: 'terminating' },
        at: 5,
      },
    ]);
  });

  it('a hangUp during setup works too', () => {
    const call = drive({ callId, state: 'incoming' });
    call.send({ type: 'hangUp', at: 1 });
    expect(call.value()).toEqual({ terminating: 'hangingUp' });
    expect(call.of('graph.deleteCall')).toHaveLength(1);
  });

  it('204 → confirming with a deadline confirmTimeoutMs after the response', () => {
    const call = drive({ callId, state: 'established', options: { confirmTimeoutMs: 10_000 } });
    call.send({ type: 'hangUp', at: 1_000 });
    call.send({ type: 'delete.succeeded', at: 1_200 });
    expect(call.value()).toEqual({ terminating: 'confirming' });
    expect(call.context().deadline).toEqual({ kind: 'confirm', at: 11_200 });
  });

  it('the notifications after a 204 end the call as hungUp, with resultInfo', () => {
    const call = drive({ callId, state: 'established' });
    call.send({ type: 'hangUp', at: 1 });
    call.send({ type: 'delete.succeeded', at: 2 });
    call.send({
      type: 'notification',
      notification: callNotification(callId, 'terminating'),
      at: 3,
    });
    expect(call.context().state).toBe('terminating');
    const terminated = callNotification(callId, 'terminated', {
      resultInfo: { code: 200, subcode: 5001, message: 'The conversation has ended.' },
    });
    call.send({ type: 'notification', notification: terminated, at: 4 });
    const snap = call.snapshot();
    expect(snap.status).toBe('done');
    expect(snap.output).toEqual({
      callId,
      reason: 'hungUp',
      resultInfo: { code: 200, subcode: 5001, message: 'The conversation has ended.' },
      at: 4,
    });
    expect(call.of('call.terminated')).toEqual([
      { type: 'call.terminated', callId, outcome: snap.output },
    ]);
    expect(call.context().deadline).toBeNull();
  });

  it('404 → terminated with reason gone', () => {
    const call = drive({ callId, state: 'established' });
    call.send({ type: 'hangUp', at: 1 });
    call.send({ type: 'delete.failed', status: 404, at: 2 });
    expect(call.snapshot().status).toBe('done');
    expect(call.snapshot().output?.reason).toBe('gone');
  });

  it('429 with Retry-After → retryWait; the second DELETE only once the deadline has passed', () => {
    const call = drive({ callId, state: 'established' });
    call.send({ type: 'hangUp', at: 1_000 });
    call.send({ type: 'delete.failed', status: 429, retryAfterMs: 2_128, at: 1_100 });
    expect(call.value()).toEqual({ terminating: 'retryWait' });
    expect(call.context().deadline).toEqual({ kind: 'retry', at: 3_228 });

    call.send({ type: 'deadline.reached', at: 3_227 }); // a timer that fires early
    expect(call.value()).toEqual({ terminating: 'retryWait' });
    expect(call.of('graph.deleteCall')).toHaveLength(1);

    call.send({ type: 'deadline.reached', at: 3_228 });
    expect(call.value()).toEqual({ terminating: 'hangingUp' });
    expect(call.of('graph.deleteCall').map((c) => c.attempt)).toEqual([1, 2]);
    // The second DELETE waits for its answer until requestTimeoutMs, like the first.
    expect(call.context().deadline).toEqual({ kind: 'request', at: 3_228 + 30_000 });
  });

  it('without Retry-After, retries back off exponentially from retryBaseDelayMs', () => {
    const call = drive({ callId, state: 'established', options: { retryBaseDelayMs: 100 } });
    call.send({ type: 'hangUp', at: 0 });
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      const at = 10_000 * (i + 1);
      call.send({ type: 'delete.failed', status: 503, at });
      const deadline = call.context().deadline;
      waits.push((deadline?.at ?? Number.NaN) - at);
      call.send({ type: 'deadline.reached', at: deadline?.at ?? 0 });
    }
    expect(waits).toEqual([100, 200, 400]);
  });

  it('caps Retry-After at maxRetryDelayMs', () => {
    const call = drive({ callId, state: 'established', options: { maxRetryDelayMs: 5_000 } });
    call.send({ type: 'hangUp', at: 0 });
    call.send({ type: 'delete.failed', status: 429, retryAfterMs: 3_600_000, at: 10 });
    expect(call.context().deadline).toEqual({ kind: 'retry', at: 5_010 });
  });

  it('treats network errors (status 0) and 5xx as retryable', () => {
    for (const status of [0, 500, 502, 503, 504]) {
      const call = drive({ callId, state: 'established' });
      call.send({ type: 'hangUp', at: 0 });
      call.send({ type: 'delete.failed', status, at: 1 });
      expect(call.value(), `status ${status}`).toEqual({ terminating: 'retryWait' });
    }
  });

  it('gives up after maxDeleteAttempts and returns to where the call was, reporting the failure', () => {
    const call = drive({ callId, state: 'hold', options: { maxDeleteAttempts: 2 } });
    call.send({ type: 'hangUp', at: 0 });
    call.send({ type: 'delete.failed', status: 503, retryAfterMs: 0, at: 1 });
    call.send({ type: 'deadline.reached', at: 1 });
    call.send({ type: 'delete.failed', status: 503, at: 2 });
    expect(call.value()).toEqual({ active: 'hold' });
    expect(call.of('graph.deleteCall')).toHaveLength(2);
    expect(call.of('call.hangUpFailed')).toEqual([
      { type: 'call.hangUpFailed', callId, status: 503, attempts: 2, at: 2 },
    ]);
  });

  it('403 → back to the previous state with call.hangUpFailed carrying Graph’s error', () => {
    const call = drive({ callId, state: 'established' });
    call.send({ type: 'notification', notification: callNotification(callId, 'hold'), at: 1 });
    call.send({ type: 'hangUp', at: 2 });
    const error = { code: 'Forbidden', message: 'Access denied', requestId: 'req-1' };
    call.send({ type: 'delete.failed', status: 403, error, at: 3 });
    expect(call.value()).toEqual({ active: 'hold' });
    expect(call.snapshot().hasTag('active')).toBe(true);
    expect(call.context().hangUp).toBeNull();
    expect(call.of('call.hangUpFailed')).toEqual([
      { type: 'call.hangUpFailed', callId, status: 403, error, attempts: 1, at: 3 },
    ]);
    expect(call.of('call.stateChanged').at(-1)).toMatchObject({
      from: { state: 'hold', phase: 'terminating' },
      to: { state: 'hold', phase: 'active' },
    });
  });

  it('a failed hang-up during setup returns to the setup state', () => {
    const call = drive({ callId, state: 'incoming' });
    call.send({ type: 'hangUp', at: 1 });
    call.send({ type: 'delete.failed', status: 400, at: 2 });
    expect(call.value()).toEqual({ setup: 'incoming' });
  });

  it('after a failed hang-up, a new hangUp sends a new DELETE', () => {
    const call = drive({ callId, state: 'established' });
    call.send({ type: 'hangUp', at: 1 });
    call.send({ type: 'delete.failed', status: 403, at: 2 });
    call.send({ type: 'hangUp', at: 3 });
    expect(call.of('graph.deleteCall').map((c) => [c.attempt, c.at])).toEqual([
      [1, 1],
      [1, 3],
    ]);
  });

  it('deadline → verifying, which emits graph.getCall; 404 → terminated', () => {
    const call = drive({ callId, state: 'established', options: { confirmTimeoutMs: 100 } });
    call.send({ type: 'hangUp', at: 0 });
    call.send({ type: 'delete.succeeded', at: 10 });
    call.send({ type: 'deadline.reached', at: 50 }); // stale timer: ignored
    expect(call.value()).toEqual({ terminating: 'confirming' });
    expect(call.of('graph.getCall')).toHaveLength(0);
    call.send({ type: 'deadline.reached', at: 110 });
    expect(call.value()).toEqual({ terminating: 'verifying' });
    expect(call.of('graph.getCall')).toEqual([
      { type: 'graph.getCall', callId, attempt: 1, at: 110 },
    ]);
    call.send({ type: 'getCall.result', status: 404, at: 120 });
    expect(call.snapshot().output).toEqual({ callId, reason: 'hungUp', at: 120 });
  });

  it('a GET showing the call terminated ends it too', () => {
    const call = drive({ callId, state: 'established', options: { confirmTimeoutMs: 100 } });
    call.send({ type: 'hangUp', at: 0 });
    call.send({ type: 'delete.succeeded', at: 0 });
    call.send({ type: 'deadline.reached', at: 100 });
    call.send({ type: 'getCall.result', status: 200, state: 'terminated', at: 101 });
    expect(call.snapshot().status).toBe('done');
  });

  it('still terminating → confirming again, then unconfirmed after maxVerifications', () => {
    const call = drive({
      callId,
      state: 'established',
      options: { confirmTimeoutMs: 100, maxVerifications: 2 },
    });
    call.send({ type: 'hangUp', at: 0 });
    call.send({ type: 'delete.succeeded', at: 0 });
    call.send({ type: 'deadline.reached', at: 100 });
    call.send({ type: 'getCall.result', status: 200, state: 'terminating', at: 110 });
    expect(call.value()).toEqual({ terminating: 'confirming' });
    expect(call.context().deadline).toEqual({ kind: 'confirm', at: 210 });
    call.send({ type: 'deadline.reached', at: 210 });
    call.send({ type: 'getCall.result', status: 503, at: 220 });
    expect(call.of('graph.getCall')).toHaveLength(2);
    expect(call.snapshot().status).toBe('done');
    expect(call.snapshot().output).toEqual({ callId, reason: 'unconfirmed', at: 220 });
  });

  it('the terminated notification can overtake the DELETE response', () => {
    const call = drive({ callId, state: 'established' });
    call.send({ type: 'hangUp', at: 0 });
    call.send({
      type: 'notification',
      notification: callNotification(callId, 'terminated'),
      at: 1,
    });
    expect(call.snapshot().output?.reason).toBe('hungUp');
    call.send({ type: 'delete.succeeded', at: 2 }); // the final state takes no more events
    expect(call.of('graph.deleteCall')).toHaveLength(1);
  });

  it('a terminating notification during a retry wait moves to confirming and sends no more DELETEs', () => {
    const call = drive({ callId, state: 'established' });
    call.send({ type: 'hangUp', at: 0 });
    call.send({ type: 'delete.failed', status: 429, retryAfterMs: 1_000, at: 1 });
    call.send({
      type: 'notification',
      notification: callNotification(callId, 'terminating'),
      at: 2,
    });
    expect(call.value()).toEqual({ terminating: 'confirming' });
    expect(call.context().deadline?.kind).toBe('confirm');
    call.send({ type: 'deadline.reached', at: 1_001 });
    expect(call.of('graph.deleteCall')).toHaveLength(1);
  });

  it('a remote hang-up (terminating notification without hangUp) ends as remote', () => {
    const call = drive({ callId, state: 'established' });
    call.send({
      type: 'notification',
      notification: callNotification(callId, 'terminating'),
      at: 1,
    });
    expect(call.value()).toEqual({ terminating: 'confirming' });
    call.send({ type: 'hangUp', at: 2 });
    expect(call.of('graph.deleteCall')).toHaveLength(0);
    call.send({
      type: 'notification',
      notification: callNotification(callId, 'terminated'),
      at: 3,
    });
    expect(call.snapshot().output?.reason).toBe('remote');
  });
});
