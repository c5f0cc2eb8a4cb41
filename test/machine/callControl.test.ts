// The call-control rules of the chart, one at a time, on the pure machine: which intents each
// state takes, one request per intent, results and retries, the answer window, the outcomes the
// bot's intent makes certain, and the once-per-call announcements.
import { describe, expect, it } from 'vitest';
import { type AnswerRequest, commandStatusOf, dueAtOf } from '../../src/index.js';
import { callNotification } from '../../src/testing/index.js';
import { drive } from '../support/drive.js';

const callId = 'call-1';
const ANSWER: AnswerRequest = {
  callbackUri: 'https://bot.example.com/api/calls',
  mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
};
const TARGET = { identity: { user: { id: 'target' } } };
const note = (...args: Parameters<typeof callNotification>) => ({
  type: 'notification' as const,
  notification: callNotification(callId, args[1], args[2]),
  at: 0,
});
const at = <E extends { at: number }>(event: E, time: number): E => ({ ...event, at: time });

function offered(options = {}) {
  return drive({
    callId,
    discoveredBy: callNotification(callId, 'incoming', { etag: 'W/"1"' }),
    at: 0,
    options,
  });
}

describe('intents', () => {
  it('an answer while incoming sends one request; repeats send nothing', () => {
    const call = offered();
    call.send({ type: 'answer', request: ANSWER, at: 10 });
    call.send({ type: 'answer', request: ANSWER, at: 11 });
    expect(call.of('graph.answerCall')).toEqual([
      { type: 'graph.answerCall', callId, request: ANSWER, attempt: 1, at: 10 },
    ]);
    expect(call.of('call.commandRejected')).toEqual([]);
    expect(call.context().deadline).toEqual({ kind: 'command', at: 30_010 });
    expect(commandStatusOf(call.snapshot(), 'answer')).toBe('pending');
  });

  it('an intent the state cannot take sends nothing and says why', () => {
    const call = drive({ callId, state: 'established', at: 0 });
    call.send({ type: 'answer', request: ANSWER, at: 5 });
    call.send({ type: 'reject', request: { reason: 'busy' }, at: 6 });
    const offer = offered();
    offer.send({ type: 'transfer', request: { transferTarget: TARGET }, at: 7 });
    expect(call.of('graph.answerCall')).toEqual([]);
    expect(call.of('call.commandRejected').map((e) => [e.verb, e.state, e.reason])).toEqual([
      [
        'answer',
        'established',
        'Graph lets a bot answer a call only while it is incoming; this one is established',
      ],
      [
        'reject',
        'established',
        'Graph lets a bot reject a call only while it is incoming; this one is established',
      ],
    ]);
    expect(offer.of('call.commandRejected')[0]?.reason).toMatch(/transfers only an established/);
    expect(offer.of('graph.transferCall')).toEqual([]);
  });

  it('another verb while one is in flight, or after the call was rejected, is refused', () => {
    const call = offered();
    call.send({ type: 'reject', request: { reason: 'busy' }, at: 10 });
    call.send({ type: 'answer', request: ANSWER, at: 11 });
    call.send({ type: 'reject.succeeded', at: 12 });
    call.send({ type: 'redirect', request: { targets: [TARGET] }, at: 13 });
    expect(call.of('call.commandRejected').map((e) => e.reason)).toEqual([
      'a reject is in flight; wait for its result',
      'the call was already rejected by this bot',
    ]);
    expect(call.of('graph.rejectCall')).toHaveLength(1);
  });

  it('an intent about an ended call is refused, and a hang-up abandons a command in flight', () => {
    const call = offered();
    call.send({ type: 'answer', request: ANSWER, at: 10 });
    call.send({ type: 'hangUp', at: 11 });
    expect(call.context().command).toBeNull();
    call.send(at(note(callId, 'terminated'), 12));
    call.send({ type: 'answer', request: ANSWER, at: 13 });
    expect(call.snapshot().output?.reason).toBe('hungUp');
    expect(call.of('call.commandRejected').at(-1)?.reason).toBe('the call has ended (hungUp)');
  });
});

describe('results', () => {
  it('202 accepts the answer; established must follow within answerTimeoutMs, else a GET decides', () => {
    const call = offered({ answerTimeoutMs: 5_000 });
    call.send({ type: 'answer', request: ANSWER, at: 10 });
    call.send({ type: 'answer.succeeded', at: 20 });
    expect(call.context().command?.status).toBe('accepted');
    expect(call.context().deadline).toEqual({ kind: 'setup', at: 5_020 });
    call.send({ type: 'deadline.reached', at: 5_020 });
    expect(call.of('graph.getCall')).toHaveLength(1);
    call.send({ type: 'getCall.result', status: 200, state: 'established', at: 5_030 });
    expect(call.value()).toEqual({ active: 'established' });
    expect(call.of('call.established')).toHaveLength(1);
  });

  it('notifications that overtake the 202 accept the answer: it is never sent again', () => {
    const call = offered();
    call.send({ type: 'answer', request: ANSWER, at: 10 });
    call.send(at(note(callId, 'establishing', { etag: 'W/"2"' }), 20));
    call.send(at(note(callId, 'established', { etag: 'W/"3"' }), 30));
    expect(call.context().command?.status).toBe('accepted');
    expect(dueAtOf(call.snapshot())).toBeUndefined();
    call.send({ type: 'answer.succeeded', at: 40 });
    call.send({ type: 'deadline.reached', at: 1_000_000 });
    expect(call.of('graph.answerCall')).toHaveLength(1);
    call.send({ type: 'transfer', request: { transferTarget: TARGET }, at: 50 });
    expect(call.of('graph.transferCall')).toHaveLength(1);
  });

  it('a reject overtaken by the call getting connected (answered elsewhere) is dropped, never re-sent', () => {
    const call = offered();
    call.send({ type: 'reject', request: { reason: 'busy' }, at: 10 });
    call.send(at(note(callId, 'established', { etag: 'W/"3"' }), 20));
    expect(call.context().command).toBeNull();
    expect(dueAtOf(call.snapshot())).toBeUndefined();
    call.send({ type: 'reject.succeeded', at: 30 });
    expect(call.value()).toEqual({ active: 'established' });
    expect(call.of('graph.rejectCall')).toHaveLength(1);
  });

  it('429 waits for Retry-After and sends again; no answer counts as a failure; gives up after maxCommandAttempts', () => {
    const call = offered({ maxCommandAttempts: 3, requestTimeoutMs: 1_000 });
    call.send({ type: 'answer', request: ANSWER, at: 0 });
    call.send({ type: 'answer.failed', status: 429, retryAfterMs: 2_500, at: 100 });
    expect(call.context().deadline).toEqual({ kind: 'retry', at: 2_600 });
    call.send({ type: 'deadline.reached', at: 2_599 });
    call.send({ type: 'deadline.reached', at: 2_600 });
    expect(call.of('graph.answerCall').map((c) => c.attempt)).toEqual([1, 2]);
    call.send({ type: 'deadline.reached', at: 3_600 }); // no answer in requestTimeoutMs
    expect(call.context().command?.status).toBe('retrying');
    call.send({ type: 'deadline.reached', at: call.context().deadline?.at ?? 0 });
    call.send({ type: 'answer.failed', status: 503, at: 9_000 });
    expect(call.of('graph.answerCall')).toHaveLength(3);
    expect(call.of('call.commandFailed')).toEqual([
      { type: 'call.commandFailed', callId, verb: 'answer', status: 503, attempts: 3, at: 9_000 },
    ]);
    expect(call.context().command).toBeNull();
  });

  it('404 ends the call, reporting the failure with Graph’s status', () => {
    const call = offered();
    call.send({ type: 'reject', request: { reason: 'none' }, at: 10 });
    call.send({ type: 'reject.failed', status: 404, error: { code: 'itemNotFound' }, at: 20 });
    expect(call.snapshot().output?.reason).toBe('gone');
    expect(call.of('call.commandFailed')[0]?.status).toBe(404);
  });

  it('a refusal (403) is final: reported, and the call may be answered again', () => {
    const call = offered();
    call.send({ type: 'answer', request: ANSWER, at: 10 });
    call.send({ type: 'answer.failed', status: 403, at: 20 });
    call.send({ type: 'answer', request: ANSWER, at: 30 });
    expect(call.of('graph.answerCall')).toHaveLength(2);
  });
});

describe('the answer window', () => {
  it('an incoming call left alone is checked after answerWindowMs and ends as missed when gone', () => {
    const call = offered({ answerWindowMs: 15_000 });
    expect(call.context().deadline).toEqual({ kind: 'setup', at: 15_000 });
    call.send({ type: 'deadline.reached', at: 15_000 });
    call.send({ type: 'getCall.result', status: 404, at: 15_100 });
    expect(call.snapshot().output?.reason).toBe('missed');
  });

  it('runs from the offer, not from a failed answer after it', () => {
    const call = offered({ answerWindowMs: 15_000 });
    call.send({ type: 'answer', request: ANSWER, at: 10_000 });
    call.send({ type: 'answer.failed', status: 400, at: 11_000 });
    expect(call.context().deadline).toEqual({ kind: 'setup', at: 15_000 });
  });
});

describe('outcomes the intent makes certain', () => {
  it('a redirect ends as redirected even though v1.0 says nothing but terminated', () => {
    const call = offered();
    call.send({ type: 'redirect', request: { targets: [TARGET] }, at: 10 });
    call.send({ type: 'redirect.succeeded', at: 20 });
    call.send(at(note(callId, 'terminated', { changeType: 'deleted' }), 30));
    expect(call.snapshot().output?.reason).toBe('redirected');
    // Without the bot's redirect, the same payload reads as the far end's doing.
    const other = offered();
    other.send(at(note(callId, 'terminated', { changeType: 'deleted' }), 30));
    expect(other.snapshot().output?.reason).toBe('remote');
  });

  it('a reject whose 202 is overtaken by the bare deleted still ends as rejected', () => {
    const call = offered();
    call.send({ type: 'reject', request: { reason: 'busy' }, at: 10 });
    call.send(at(note(callId, undefined, { changeType: 'deleted' }), 20));
    expect(call.snapshot().output?.reason).toBe('rejected');
  });

  it('a failed transfer comes back to established: call.transferFailed, and the call stays active', () => {
    const call = drive({ callId, state: 'established', etag: 'W/"3"', at: 0 });
    call.send({ type: 'transfer', request: { transferTarget: TARGET }, at: 10 });
    call.send({ type: 'transfer.succeeded', at: 20 });
    call.send(at(note(callId, 'transferring', { etag: 'W/"4"' }), 30));
    const failure = note(callId, 'established', {
      etag: 'W/"5"',
      resultInfo: { code: 500, subcode: 7000, message: 'Transfer failed' },
    });
    call.send(at(failure, 40));
    expect(call.value()).toEqual({ active: 'established' });
    expect(call.of('call.transferFailed')).toEqual([
      {
        type: 'call.transferFailed',
        callId,
        notification: failure.notification,
        resultInfo: { code: 500, subcode: 7000, message: 'Transfer failed' },
        at: 40,
      },
    ]);
    // A second transfer is not failed by a duplicate of the first one's failure.
    call.send({ type: 'transfer', request: { transferTarget: TARGET }, at: 50 });
    call.send(at(failure, 60));
    expect(call.of('call.transferFailed')).toHaveLength(1);
    expect(call.context().command?.status).toBe('sending');
    call.send({ type: 'transfer.succeeded', at: 70 });
    call.send(
      at(
        note(callId, 'terminated', {
          changeType: 'deleted',
          resultInfo: { code: 0, subcode: 7015 },
        }),
        80,
      ),
    );
    expect(call.snapshot().output?.reason).toBe('transferred');
  });
});

describe('once per call', () => {
  it('call.incoming and call.established are announced once, whatever repeats', () => {
    const call = offered();
    call.send(at(note(callId, 'incoming', { etag: 'W/"1"' }), 1));
    call.send(at(note(callId, 'incoming', { etag: 'W/"2"' }), 2)); // re-created, newer
    call.send({ type: 'answer', request: ANSWER, at: 3 });
    call.send(at(note(callId, 'established', { etag: 'W/"4"' }), 4));
    call.send({ type: 'transfer', request: { transferTarget: TARGET }, at: 5 });
    call.send(at(note(callId, 'transferring', { etag: 'W/"5"' }), 6));
    call.send(at(note(callId, 'established', { etag: 'W/"6"', resultInfo: { code: 500 } }), 7));
    expect(call.of('call.incoming')).toHaveLength(1);
    expect(call.of('call.established')).toHaveLength(1);
    expect(call.context().establishedAt).toBe(4);
  });
});
