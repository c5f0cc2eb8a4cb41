import { describe, expect, it } from 'vitest';
import { classifyNotification, getCallView } from '../../src/index.js';
import { callNotification } from '../../src/testing/index.js';
import { drive } from '../support/drive.js';

const callId = 'c1';
const note = callNotification.bind(null, callId);

describe('reconciliation in the machine', () => {
  it('terminated before terminating: ends the call; the terminating that follows is late', () => {
    const call = drive({ callId, state: 'established' });
    call.send({ type: 'notification', notification: note('terminated'), at: 1 });
    expect(call.snapshot().status).toBe('done');
    expect(call.snapshot().output?.reason).toBe('remote');
    // A final state takes no events: the registry judges what comes later with the same rules.
    expect(classifyNotification(getCallView(call.snapshot()), note('terminating'))).toBe('late');
  });

  it('established after terminating is stale: reported, no move', () => {
    const call = drive({ callId, state: 'established' });
    call.send({ type: 'notification', notification: note('terminating'), at: 1 });
    call.clear();
    const late = note('established');
    call.send({ type: 'notification', notification: late, at: 2 });
    expect(call.value()).toEqual({ terminating: 'confirming' });
    expect(call.emitted).toEqual([
      { type: 'notification.ignored', callId, notification: late, verdict: 'stale', at: 2 },
    ]);
  });

  it('establishing after established is stale (the docs say they may arrive out of order)', () => {
    const call = drive({ callId, state: 'establishing' });
    call.send({ type: 'notification', notification: note('established'), at: 1 });
    call.send({ type: 'notification', notification: note('establishing'), at: 2 });
    expect(call.value()).toEqual({ active: 'established' });
    expect(call.of('notification.ignored').map((e) => e.verdict)).toEqual(['stale']);
  });

  it('the same notification twice: applied once, then unchanged but still handed on', () => {
    const call = drive({ callId, state: 'established' });
    const tone = note('hold', { etag: 'W/"7"' });
    call.send({ type: 'notification', notification: tone, at: 1 });
    call.send({ type: 'notification', notification: tone, at: 2 });
    expect(call.of('call.notification').map((e) => e.verdict)).toEqual(['apply', 'unchanged']);
    expect(call.of('call.stateChanged')).toHaveLength(1);
    expect(call.context().updatedAt).toBe(1);
  });

  it('numeric etags decide inside a phase: an older transferring after established is stale', () => {
    const call = drive({ callId, state: 'established', etag: 'W/"20"' });
    call.send({
      type: 'notification',
      notification: note('transferring', { etag: 'W/"19"' }),
      at: 1,
    });
    expect(call.value()).toEqual({ active: 'established' });
    call.send({
      type: 'notification',
      notification: note('transferring', { etag: 'W/"21"' }),
      at: 2,
    });
    expect(call.value()).toEqual({ active: 'transferring' });
    expect(call.context().etag).toBe('W/"21"');
  });

  it('with no etags at all, arrival order decides inside active (a failed transfer returns to established)', () => {
    const call = drive({ callId, state: 'established' });
    for (const state of ['transferring', 'transferAccepted', 'established'] as const) {
      call.send({ type: 'notification', notification: note(state), at: 1 });
    }
    expect(call.value()).toEqual({ active: 'established' });
    expect(call.context().etag).toBeNull();
  });

  it('deleted without a state is terminal on its own (reject)', () => {
    const call = drive({ callId, state: 'incoming' });
    call.send({
      type: 'notification',
      notification: note(undefined, { changeType: 'deleted' }),
      at: 9,
    });
    expect(call.snapshot().output).toEqual({ callId, reason: 'rejected', at: 9 });
  });

  it('an unknown state value neither crashes nor moves the call, and is handed on', () => {
    const call = drive({ callId, state: 'established' });
    const odd = note('unknownFutureValue');
    call.send({ type: 'notification', notification: odd, at: 3 });
    expect(call.value()).toEqual({ active: 'established' });
    expect(call.of('call.notification')).toEqual([
      { type: 'call.notification', callId, notification: odd, verdict: 'unchanged', at: 3 },
    ]);
  });

  it('sub-resource notifications are handed on as subresource and move nothing', () => {
    const call = drive({ callId, state: 'established' });
    const roster = note(undefined, { resource: 'participants' });
    call.send({ type: 'notification', notification: roster, at: 1 });
    expect(call.of('notification.subresource')).toEqual([
      { type: 'notification.subresource', callId, notification: roster, at: 1 },
    ]);
    expect(call.of('call.notification')).toEqual([]);
    expect(call.of('call.stateChanged')).toHaveLength(0);
  });

  it('a newer etag on an unchanged state is remembered for later comparisons', () => {
    const call = drive({ callId, state: 'established', etag: 'W/"1"' });
    call.send({
      type: 'notification',
      notification: note('established', { etag: 'W/"5"' }),
      at: 1,
    });
    expect(call.context().etag).toBe('W/"5"');
    call.send({ type: 'notification', notification: note('hold', { etag: 'W/"4"' }), at: 2 });
    expect(call.value()).toEqual({ active: 'established' });
  });

  it('learns the etag from a repeat of the state it was adopted in (found by the convergence property)', () => {
    const call = drive({ callId, state: 'established' });
    call.send({
      type: 'notification',
      notification: note('established', { etag: 'W/"13"' }),
      at: 1,
    });
    expect(call.context().etag).toBe('W/"13"');
    call.send({
      type: 'notification',
      notification: note('transferring', { etag: 'W/"11"' }),
      at: 2,
    });
    expect(call.value()).toEqual({ active: 'established' });
  });

  it('skipped states: establishing → terminating is applied', () => {
    const call = drive({ callId, state: 'establishing' });
    call.send({ type: 'notification', notification: note('terminating'), at: 1 });
    expect(call.value()).toEqual({ terminating: 'confirming' });
    expect(call.of('call.stateChanged')[0]).toMatchObject({
      from: { state: 'establishing', phase: 'setup' },
      to: { state: 'terminating', phase: 'terminating' },
    });
  });

  describe('why a call ended', () => {
    const endFrom = (
      state: 'incoming' | 'redirecting' | 'established' | 'transferring' | 'transferAccepted',
      terminal: ReturnType<typeof note>,
    ) => {
      const call = drive({ callId, state });
      call.send({ type: 'notification', notification: terminal, at: 1 });
      return call.snapshot().output?.reason;
    };

    it('transferred: transferAccepted, subcode 7015, or AppTransferred', () => {
      expect(endFrom('transferAccepted', note('terminated'))).toBe('transferred');
      expect(
        endFrom('transferring', note('terminated', { resultInfo: { code: 0, subcode: 7015 } })),
      ).toBe('transferred');
      expect(
        endFrom('established', note('terminated', { terminationReason: 'AppTransferred' })),
      ).toBe('transferred');
    });

    it('redirected: from redirecting, or AppRedirected', () => {
      expect(endFrom('redirecting', note('terminated'))).toBe('redirected');
      expect(endFrom('incoming', note('terminated', { terminationReason: 'AppRedirected' }))).toBe(
        'redirected',
      );
    });

    it('hungUp: AppInitiated in old payloads means the app ended it', () => {
      expect(
        endFrom('established', note('terminated', { terminationReason: 'AppInitiated' })),
      ).toBe('hungUp');
    });

    it('remote otherwise', () => {
      expect(
        endFrom('established', note('terminated', { resultInfo: { code: 0, subcode: 5000 } })),
      ).toBe('remote');
    });
  });
});
