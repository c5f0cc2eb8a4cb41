// The fake Graph's call-control flows send the notifications the docs show for each
// (graph-corpus sequences.md §2–6): an incoming call with its caller, answer, reject,
// redirect, and transfers that succeed or fail as the test scripts them, per call or per
// request. Each sequence is checked against the corpus: same changeTypes, states, resultInfo
// codes and termination reasons, and every field the docs' example has.
import type * as Graph from '@microsoft/microsoft-graph-types';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { type CallNotification, parseNotifications } from '../../src/index.js';
import type { FakeGraph, ParticipantInfoSpec } from '../../src/testing/index.js';
import { corpusFile } from '../support/corpus.js';
import { closeFakes, collectedFake } from './collectedFake.js';
import {
  ANSWER,
  CALLBACK_URI,
  CONSULTATIVE_TRANSFER,
  post,
  REDIRECT,
  REJECT,
  TRANSFER,
} from './requestBodies.js';

afterEach(closeFakes);

const setup = collectedFake;

type Data = Record<string, unknown>;

const dataOf = (n: CallNotification | undefined): Data =>
  (n?.raw as { resourceData?: Data } | undefined)?.resourceData ?? {};

/** Every key path of a JSON value with the JSON type found there: `source.identity.user.id:string`. */
function keyPaths(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) {
    return value.length === 0 ? [`${path}:array`] : value.flatMap((v) => keyPaths(v, `${path}[]`));
  }
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, v]) => keyPaths(v, path ? `${path}.${key}` : key));
  }
  return [`${path}:${value === null ? 'null' : typeof value}`];
}

/**
 * Expects the fake's notifications to follow the docs' example sequence: same changeType,
 * state, resultInfo code/subcode and terminationReason, one for one, and each fake item to
 * carry every field (of the same JSON type) the docs' item has.
 */
function expectCorpusSequence(actual: readonly CallNotification[], files: readonly string[]) {
  const expected = files.map((name) => {
    const [n] = parseNotifications(corpusFile(name).body).notifications;
    if (n === undefined) throw new Error(`${name} holds no notification`);
    return n;
  });
  const gist = (n: CallNotification) => ({
    changeType: n.changeType,
    state: n.state,
    code: n.resultInfo?.code,
    subcode: n.resultInfo?.subcode,
    terminationReason: n.terminationReason,
  });
  expect(actual.map(gist)).toEqual(expected.map(gist));
  expected.forEach((doc, i) => {
    const mine = new Set(keyPaths(actual[i]?.raw));
    // Example placeholders (`<message>`) and ids differ; the fields and their types must not.
    const missing = keyPaths(doc.raw).filter((path) => !mine.has(path));
    expect(missing, `${files[i]}: fields the docs show that the fake left out`).toEqual([]);
  });
}

const PHONE_CALLER: ParticipantInfoSpec = {
  identity: { phone: { id: '+14255550100', displayName: '+1 425 555 0100' } },
  region: 'amer',
};

describe('an incoming call with a caller identity', () => {
  it('created incoming carries direction, the caller as source, the bot as target, and myParticipantId', async () => {
    const { fake, take } = setup();
    const callId = fake.incomingCall({
      source: PHONE_CALLER,
      callbackUri: CALLBACK_URI,
      myParticipantId: 'f540f1b6-994b-4866-be95-8aad34c4f4dc',
    });
    const [created] = await take();
    expect(created).toMatchObject({ callId, changeType: 'created', state: 'incoming' });
    expect(dataOf(created)).toEqual({
      '@odata.type': '#microsoft.graph.call',
      '@odata.id': `/communications/calls/${callId}`,
      '@odata.etag': 'W/"1"',
      state: 'incoming',
      direction: 'incoming',
      callbackUri: CALLBACK_URI,
      source: {
        '@odata.type': '#microsoft.graph.participantInfo',
        identity: {
          '@odata.type': '#microsoft.graph.identitySet',
          phone: {
            '@odata.type': '#microsoft.graph.identity',
            id: '+14255550100',
            displayName: '+1 425 555 0100',
          },
        },
        region: 'amer',
      },
      targets: [
        {
          '@odata.type': '#microsoft.graph.invitationParticipantInfo',
          identity: {
            '@odata.type': '#microsoft.graph.identitySet',
            application: {
              '@odata.type': '#microsoft.graph.identity',
              displayName: 'Test BOT',
              id: '24701998-1a73-4d42-8085-bf46ed0ae039',
            },
          },
        },
      ],
      requestedModalities: ['audio'],
      myParticipantId: 'f540f1b6-994b-4866-be95-8aad34c4f4dc',
      id: callId,
    });
    expect(fake.calls.get(callId)).toMatchObject({
      direction: 'incoming',
      source: PHONE_CALLER,
      myParticipantId: 'f540f1b6-994b-4866-be95-8aad34c4f4dc',
    });
  });

  it('a Teams user, another bot, and several callees are taken as given', async () => {
    const { fake, take } = setup();
    const fromUser = fake.incomingCall({
      source: { identity: { user: { id: 'u-1', displayName: 'Adele', tenantId: 't-1' } } },
      targets: [
        { identity: { applicationInstance: { id: 'ai-1', displayName: 'Reception' } } },
        { identity: { application: { id: 'app-1' } } },
      ],
      requestedModalities: ['audio', 'video'],
    });
    const fromBot = fake.incomingCall({ source: { identity: { application: { id: 'bot-2' } } } });
    const [user, bot] = await take();
    expect(dataOf(user)).toMatchObject({
      source: { identity: { user: { id: 'u-1', displayName: 'Adele', tenantId: 't-1' } } },
      targets: [
        { identity: { applicationInstance: { id: 'ai-1' } } },
        { identity: { application: { id: 'app-1' } } },
      ],
      requestedModalities: ['audio', 'video'],
    });
    expect(dataOf(bot)).toMatchObject({ source: { identity: { application: { id: 'bot-2' } } } });
    expect([user?.callId, bot?.callId]).toEqual([fromUser, fromBot]);
  });

  it('without a caller, the docs’ Test User calls; each call gets its own myParticipantId', async () => {
    const { fake, take } = setup();
    fake.incomingCall();
    fake.incomingCall();
    const [a, b] = await take();
    expect(dataOf(a)).toMatchObject({
      source: { identity: { user: { displayName: 'Test User' } } },
      targets: [{ identity: { application: { displayName: 'Test BOT' } } }],
    });
    expect(dataOf(a).myParticipantId).not.toBe(dataOf(b).myParticipantId);
  });

  it('a caller without an identity is a mistake in the test, said so', () => {
    const { fake } = setup();
    const bad = { identity: { user: { displayName: 'no id' } } } as unknown as ParticipantInfoSpec;
    expect(() => fake.incomingCall({ source: bad })).toThrow(
      /source.identity needs user with a non-empty id/,
    );
    expect(() => fake.incomingCall({ targets: [{} as unknown as ParticipantInfoSpec] })).toThrow(
      /targets\[0\] must be a participantInfo/,
    );
    expect(fake.calls.size).toBe(0);
  });

  it('the caller’s type fits Graph’s participantInfo and communicationsIdentitySet', () => {
    expectTypeOf<ParticipantInfoSpec>().toExtend<
      Graph.ParticipantInfo & { identity: Graph.CommunicationsIdentitySet }
    >();
  });
});

describe('answer, reject and redirect over HTTP send what the docs show', () => {
  it('answer: created incoming → updated establishing → updated established (call-answer example 1)', async () => {
    const { fake, take } = setup();
    const callId = fake.incomingCall();
    expect((await post(fake, `/${callId}/answer`, ANSWER)).status).toBe(202);
    const notifications = await take();
    expectCorpusSequence(notifications, [
      'v1.0_call-answer__1',
      'v1.0_call-answer__2',
      'v1.0_call-answer__3',
    ]);
    expect(notifications.map((n) => n.etag)).toEqual(['W/"1"', 'W/"2"', 'W/"3"']);
    expect(fake.calls.get(callId)).toMatchObject({
      state: 'established',
      callbackUri: CALLBACK_URI,
    });
  });

  it('reject: created incoming → a bare deleted with no state (call-reject)', async () => {
    const { fake, take } = setup();
    const callId = fake.incomingCall();
    expect((await post(fake, `/${callId}/reject`, REJECT)).status).toBe(202);
    const notifications = await take();
    expectCorpusSequence(notifications, ['v1.0_call-reject__1', 'v1.0_call-reject__2']);
    expect(Object.keys(dataOf(notifications[1]))).toEqual([
      '@odata.type',
      '@odata.id',
      '@odata.etag',
    ]);
    expect(fake.calls.get(callId)?.ended).toBe(true);
  });

  it('redirect: created incoming → deleted terminated with the whole call and myParticipantId (call-redirect example 2)', async () => {
    const { fake, take } = setup();
    const callId = fake.incomingCall({ callbackUri: CALLBACK_URI });
    expect((await post(fake, `/${callId}/redirect`, REDIRECT)).status).toBe(202);
    const notifications = await take();
    expectCorpusSequence(notifications, ['v1.0_call-redirect__3', 'v1.0_call-redirect__4']);
    const myParticipantId = fake.calls.get(callId)?.myParticipantId;
    expect(notifications.map((n) => dataOf(n).myParticipantId)).toEqual([
      myParticipantId,
      myParticipantId,
    ]);
  });

  it('the scripted answer, reject and redirect send the same as the requests', async () => {
    const { fake, take } = setup();
    const a = fake.incomingCall();
    const b = fake.incomingCall();
    const c = fake.incomingCall({ callbackUri: CALLBACK_URI });
    await take();
    fake.answer(a);
    fake.reject(b);
    fake.redirect(c);
    const all = await take();
    const of = (callId: string) => all.filter((n) => n.callId === callId);
    expectCorpusSequence(of(a), ['v1.0_call-answer__2', 'v1.0_call-answer__3']);
    expectCorpusSequence(of(b), ['v1.0_call-reject__2']);
    expectCorpusSequence(of(c), ['v1.0_call-redirect__4']);
  });
});

describe('transfer: how it ends is the test’s choice', () => {
  async function transferOver(fake: FakeGraph, callId: string, body: unknown = TRANSFER) {
    expect((await post(fake, `/${callId}/transfer`, body)).status).toBe(202);
  }

  it('by default it succeeds: transferring → transferAccepted → deleted terminated 0/7015 (call-transfer example 1)', async () => {
    const { fake, take } = setup();
    const callId = fake.placeCall();
    await take();
    await transferOver(fake, callId);
    expectCorpusSequence(await take(), [
      'v1.0_call-transfer__1',
      'v1.0_call-transfer__2',
      'v1.0_call-transfer__3',
    ]);
    expect(fake.calls.get(callId)?.ended).toBe(true);
  });

  it('a consultative transfer (replacesCallId) ends with terminationReason AppTransferred (example 2)', async () => {
    const { fake, take } = setup();
    const callId = fake.placeCall();
    await take();
    await transferOver(fake, callId, CONSULTATIVE_TRANSFER);
    expectCorpusSequence(await take(), [
      'v1.0_call-transfer__5',
      'v1.0_call-transfer__6',
      'v1.0_call-transfer__7',
    ]);
  });

  it('per call: placeCall({ transfer: "failed" }) fails every transfer, back to established with 500/7000 (example 3)', async () => {
    const { fake, take } = setup();
    const callId = fake.placeCall({ transfer: 'failed' });
    await take();
    await transferOver(fake, callId);
    const first = await take();
    expectCorpusSequence(first, [
      'v1.0_call-transfer__9',
      'v1.0_call-transfer__10',
      'v1.0_call-transfer__12',
    ]);
    // The docs spell the key subCode in a failed transfer; the fake does too.
    expect(dataOf(first[2]).resultInfo).toMatchObject({ code: 500, subCode: 7000 });
    await transferOver(fake, callId);
    expect((await take()).at(-1)).toMatchObject({
      state: 'established',
      resultInfo: { subcode: 7000 },
    });
    expect(fake.calls.get(callId)).toMatchObject({ ended: false, state: 'established' });
  });

  it('a consultative transfer that fails reports 500/7700 (example 4)', async () => {
    const { fake, take } = setup();
    const callId = fake.incomingCall({ transfer: 'failed' });
    fake.answer(callId);
    await take();
    await transferOver(fake, callId, CONSULTATIVE_TRANSFER);
    expectCorpusSequence(await take(), [
      'v1.0_call-transfer__13',
      'v1.0_call-transfer__14',
      'v1.0_call-transfer__16',
    ]);
  });

  it('per request: scriptTransfers decides the next transfers one by one, then the call’s own outcome again', async () => {
    const { fake, take } = setup();
    const callId = fake.placeCall({ transfer: 'failed' });
    fake.scriptTransfers(callId, 'failed', {
      result: 'failed',
      resultInfo: { code: 500, subcode: 7700 },
    });
    fake.scriptTransfers(callId, 'completed');
    await take();
    const last = async () => (await take()).at(-1);
    await transferOver(fake, callId);
    expect(await last()).toMatchObject({ state: 'established', resultInfo: { subcode: 7000 } });
    await transferOver(fake, callId);
    expect(await last()).toMatchObject({ state: 'established', resultInfo: { subcode: 7700 } });
    await transferOver(fake, callId);
    expect(await last()).toMatchObject({
      changeType: 'deleted',
      state: 'terminated',
      resultInfo: { code: 0, subcode: 7015 },
    });
  });

  it('the object form can report a consultative success for any request, or a resultInfo of its own', async () => {
    const { fake, take } = setup();
    const a = fake.placeCall();
    const b = fake.placeCall();
    fake.scriptTransfers(a, { result: 'completed', consultative: true });
    fake.scriptTransfers(b, {
      result: 'completed',
      resultInfo: { code: 0, subcode: 7015, message: 'Transferred to voicemail.' },
    });
    await take();
    await transferOver(fake, a);
    await transferOver(fake, b);
    const ends = (await take()).filter((n) => n.changeType === 'deleted');
    expect(ends.map((n) => [n.callId, n.terminationReason, n.resultInfo?.message])).toEqual([
      [a, 'AppTransferred', undefined],
      [b, undefined, 'Transferred to voicemail.'],
    ]);
  });

  it('fake.transfer takes an outcome too; fail: true is the failed one', async () => {
    const { fake, take } = setup();
    const a = fake.placeCall();
    const b = fake.placeCall();
    await take();
    fake.transfer(a, { outcome: { result: 'failed', consultative: true } });
    fake.transfer(b, { fail: true });
    const failed = (await take()).filter((n) => n.resultInfo !== undefined);
    expect(failed.map((n) => [n.callId, n.state, n.resultInfo?.subcode])).toEqual([
      [a, 'established', 7700],
      [b, 'established', 7000],
    ]);
  });

  it('scripting an outcome that does not exist, or for a call that does not, throws a message that says so', () => {
    const { fake } = setup();
    const callId = fake.placeCall();
    expect(() => fake.scriptTransfers(callId, 'rejected' as never)).toThrow(
      /outcomes\[0\] must be 'completed', 'failed' or \{ result/,
    );
    expect(() => fake.scriptTransfers('ghost', 'failed')).toThrow(/no such call.*Known calls/);
    expect(() => fake.placeCall({ transfer: { result: 'ok' } as never })).toThrow(
      /transfer must be/,
    );
  });
});

describe('faults apply to the call-control notifications', () => {
  it('duplicate: 1 posts every notification of an answer and a transfer twice', async () => {
    const { fake, take } = setup({ faults: { seed: 5, duplicate: 1 } });
    const callId = fake.incomingCall();
    await post(fake, `/${callId}/answer`, ANSWER);
    await post(fake, `/${callId}/transfer`, TRANSFER);
    const states = (await take()).map((n) => n.state);
    expect(states).toEqual([
      'incoming',
      'incoming',
      'establishing',
      'establishing',
      'established',
      'established',
      'transferring',
      'transferring',
      'transferAccepted',
      'transferAccepted',
      'terminated',
      'terminated',
    ]);
  });

  it('dropTerminated drops the end of a redirect, and a reject’s bare deleted', async () => {
    const { fake, take } = setup({ faults: { dropTerminated: true } });
    const a = fake.incomingCall();
    const b = fake.incomingCall();
    await post(fake, `/${a}/redirect`, REDIRECT);
    await post(fake, `/${b}/reject`, REJECT);
    expect((await take()).map((n) => n.changeType)).toEqual(['created', 'created']);
    expect(fake.deliveries.filter((d) => d.dropped)).toHaveLength(2);
  });

  it('reorderWindow can swap a transfer’s notifications, seed by seed, reproducibly', async () => {
    const run = async (seed: number) => {
      const { fake, take } = setup({ faults: { seed, reorderWindow: 3 } });
      const callId = fake.placeCall();
      await take();
      await post(fake, `/${callId}/transfer`, TRANSFER);
      return (await take()).map((n) => n.state);
    };
    const orders = new Set<string>();
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const order = await run(seed);
      expect(await run(seed)).toEqual(order);
      orders.add(order.join(' '));
    }
    expect(orders.size).toBeGreaterThan(1);
  });
});
