import { describe, expect, it } from 'vitest';
import { getCallView, type KnownCallState } from '../../src/index.js';
import { callNotification } from '../../src/testing/index.js';
import { drive } from '../support/drive.js';

describe('starting a call from input', () => {
  const expected: Record<KnownCallState, unknown> = {
    incoming: { setup: 'incoming' },
    ringing: { setup: 'ringing' },
    redirecting: { setup: 'redirecting' },
    establishing: { setup: 'establishing' },
    established: { active: 'established' },
    hold: { active: 'hold' },
    transferring: { active: 'transferring' },
    transferAccepted: { active: 'transferAccepted' },
    terminating: { terminating: 'confirming' },
    terminated: 'terminated',
  };

  it.each(Object.entries(expected))('input.state %s → %j', (state, value) => {
    const call = drive({ callId: 'c1', state: state as KnownCallState });
    expect(call.value()).toEqual(value);
    expect(call.context().state).toBe(state);
  });

  it('defaults to establishing, the state of a freshly created call', () => {
    const call = drive({ callId: 'c1' });
    expect(call.value()).toEqual({ setup: 'establishing' });
    expect(getCallView(call.snapshot())).toEqual({
      callId: 'c1',
      state: 'establishing',
      phase: 'setup',
      updatedAt: 0,
    });
  });

  it('a call adopted while terminating waits for confirmation from its adoption time', () => {
    const call = drive({
      callId: 'c1',
      state: 'terminating',
      at: 5_000,
      options: { confirmTimeoutMs: 100 },
    });
    expect(call.context().deadline).toEqual({ kind: 'confirm', at: 5_100 });
  });

  it('a call adopted as terminated is over at once, as gone', () => {
    const call = drive({ callId: 'c1', state: 'terminated', at: 42 });
    expect(call.snapshot().status).toBe('done');
    expect(call.snapshot().output).toEqual({ callId: 'c1', reason: 'gone', at: 42 });
  });

  it('keeps the etag it was adopted with', () => {
    expect(drive({ callId: 'c1', state: 'established', etag: 'W/"3"' }).context().etag).toBe(
      'W/"3"',
    );
  });

  it('ignores options that are not finite non-negative numbers, keeping the defaults', () => {
    const call = drive({
      callId: 'c1',
      options: { confirmTimeoutMs: Number.NaN, maxDeleteAttempts: -1, maxVerifications: 7 },
    });
    expect(call.context().options).toEqual({
      confirmTimeoutMs: 30_000,
      maxDeleteAttempts: 5,
      maxVerifications: 7,
      retryBaseDelayMs: 1_000,
      maxRetryDelayMs: 60_000,
      requestTimeoutMs: 30_000,
      setupTimeoutMs: 120_000,
      answerWindowMs: 15_000,
      answerTimeoutMs: 30_000,
      maxCommandAttempts: 5,
      operationTimeoutMs: 300_000,
    });
  });

  describe('discovered from a notification (the registry’s first sight of a call)', () => {
    it('starts where the notification says and hands it on as applied', () => {
      const n = callNotification('c1', 'incoming', { etag: 'W/"5445"' });
      const call = drive({ callId: 'c1', discoveredBy: n, at: 10 });
      expect(call.value()).toEqual({ setup: 'incoming' });
      expect(call.context().etag).toBe('W/"5445"');
      expect(call.emitted).toEqual([
        { type: 'call.notification', callId: 'c1', notification: n, verdict: 'apply', at: 10 },
        { type: 'call.incoming', callId: 'c1', notification: n, at: 10 },
      ]);
    });

    it('a terminal notification ends the call at once, keeping its resultInfo', () => {
      const n = callNotification('c1', 'terminated', { resultInfo: { code: 0, subcode: 7015 } });
      const call = drive({ callId: 'c1', discoveredBy: n, at: 10 });
      expect(call.snapshot().output).toEqual({
        callId: 'c1',
        reason: 'transferred',
        resultInfo: { code: 0, subcode: 7015 },
        at: 10,
      });
      // Never seen alive, so there is no state change to announce: only the end.
      expect(call.emitted.map((e) => e.type)).toEqual(['call.notification', 'call.terminated']);
    });

    it('a bare deleted (what a reject sends) ends it as rejected, even with the incoming lost', () => {
      const n = callNotification('c1', undefined, { changeType: 'deleted' });
      expect(drive({ callId: 'c1', discoveredBy: n }).snapshot().output?.reason).toBe('rejected');
    });

    it('no state, or an unknown one, starts a live call in establishing', () => {
      for (const state of [undefined, 'unknownFutureValue'] as const) {
        const call = drive({ callId: 'c1', discoveredBy: callNotification('c1', state) });
        expect(call.value()).toEqual({ setup: 'establishing' });
      }
    });
  });

  it('a keepAlive answered 404 means Graph lost the call: terminated as gone', () => {
    const call = drive({ callId: 'c1', state: 'established' });
    call.send({ type: 'keepAlive.result', status: 200, at: 1 });
    expect(call.value()).toEqual({ active: 'established' });
    call.send({ type: 'keepAlive.result', status: 404, at: 2 });
    expect(call.snapshot().output).toEqual({ callId: 'c1', reason: 'gone', at: 2 });
  });
});
