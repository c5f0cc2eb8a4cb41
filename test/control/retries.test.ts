// What Graph's answers do to a call-control intent and to placing a call, in exact time (a
// manual clock shared by the registry and the fake Graph): throttles and server errors are
// retried after Retry-After (or backoff), refusals reject with CommandFailedError carrying
// Graph's error, a 404 ends the call, a request that never answers counts as failed, and a
// hang-up abandons an answer in flight without leaving a promise pending.
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CallRegistry,
  type CallRegistryOptions,
  CommandFailedError,
  createCallRegistry,
  createGraphClient,
  type GraphClient,
  type GraphResult,
  type PlaceCallRequest,
  type RegistryEvent,
} from '../../src/index.js';
import {
  createFakeGraph,
  createManualClock,
  type FakeGraph,
  type ManualClock,
} from '../../src/testing/index.js';
import {
  ANSWER,
  attempt,
  controlPosts,
  eventsOf,
  flush,
  graphOf,
  recordEvents,
  TARGET,
  watch,
} from './support.js';

const T0 = Date.UTC(2025, 0, 1);

interface Setup {
  readonly clock: ManualClock;
  readonly fake: FakeGraph;
  readonly registry: CallRegistry;
  readonly events: RegistryEvent[];
}

let open: Setup | undefined;

afterEach(async () => {
  const done = open;
  open = undefined;
  if (done === undefined) return;
  await done.registry.close();
  await done.fake.close();
  expect(eventsOf(done.events, 'registry.error')).toEqual([]);
});

function setup(
  options: Omit<CallRegistryOptions, 'graph' | 'clock'> = {},
  wrap: (client: GraphClient, clock: ManualClock, fake: FakeGraph) => GraphClient = (c) => c,
): Setup {
  const clock = createManualClock(T0);
  const fake = createFakeGraph({ clock });
  const registry = createCallRegistry({
    clock,
    keepAliveMs: 0,
    ...options,
    graph: wrap(createGraphClient(graphOf(fake)), clock, fake),
  });
  const events = recordEvents(registry);
  fake.connect(registry);
  open = { clock, fake, registry, events };
  return open;
}

/** Lets every notification the fake produced so far reach the registry, and its work finish. */
async function deliver({ clock, fake, registry }: Setup): Promise<void> {
  await clock.advance(0);
  await fake.settle();
  await registry.idle();
}

/** Lets the registry judge what it was just asked and finish the requests that led to. */
async function quiesce(s: Setup): Promise<void> {
  await flush();
  await s.registry.idle();
}

async function offered(s: Setup): Promise<string> {
  const callId = s.fake.incomingCall();
  await deliver(s);
  expect(s.registry.get(callId)?.state).toBe('incoming');
  return callId;
}

async function established(s: Setup): Promise<string> {
  const callId = s.fake.placeCall();
  await deliver(s);
  expect(s.registry.get(callId)?.state).toBe('established');
  return callId;
}

async function failure(promise: Promise<unknown>): Promise<CommandFailedError> {
  const reason = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(reason).toBeInstanceOf(CommandFailedError);
  return reason as CommandFailedError;
}

describe('call-control intents', () => {
  it('429 with Retry-After is sent again after exactly that delay, then resolves', async () => {
    const s = setup();
    const callId = await offered(s);
    s.fake.throttleNext(1, 2.5);
    const answering = watch(s.registry.answer(callId, ANSWER));
    await quiesce(s);
    expect(controlPosts(s.fake, callId).map((r) => [r.status, r.at])).toEqual([[429, T0]]);
    expect(s.registry.get(callId)?.command).toEqual({ verb: 'answer', status: 'retrying' });

    await s.clock.advance(2_499);
    expect(controlPosts(s.fake, callId)).toHaveLength(1);
    expect(answering.state().status).toBe('pending');

    await s.clock.advance(1);
    await s.registry.idle();
    expect(controlPosts(s.fake, callId).map((r) => [r.status, r.at])).toEqual([
      [429, T0],
      [202, T0 + 2_500],
    ]);
    expect(answering.state()).toMatchObject({
      status: 'fulfilled',
      value: { callId, command: { verb: 'answer', status: 'accepted' } },
    });
    // The retry sent the same body.
    const [first, second] = controlPosts(s.fake, callId);
    expect(second?.body).toEqual(first?.body);
    expect(eventsOf(s.events, 'call.commandFailed')).toEqual([]);
  });

  it.each([
    ['503 without Retry-After: after the backoff (retryBaseDelayMs)', undefined, 1_000],
    ['503 with Retry-After: 4', 4, 4_000],
  ])('%s', async (_, retryAfter, delay) => {
    const s = setup();
    const callId = await established(s);
    s.fake.failNext(1, 503, {
      method: 'POST',
      ...(retryAfter === undefined ? {} : { retryAfter }),
    });
    const transferring = watch(s.registry.transfer(callId, TARGET));
    await quiesce(s);
    expect(controlPosts(s.fake, callId).map((r) => r.status)).toEqual([503]);
    await s.clock.advance(delay - 1);
    expect(controlPosts(s.fake, callId)).toHaveLength(1);
    await s.clock.advance(1);
    await s.registry.idle();
    expect(controlPosts(s.fake, callId).map((r) => [r.status, r.at - T0])).toEqual([
      [503, 0],
      [202, delay],
    ]);
    expect(transferring.state()).toMatchObject({
      status: 'fulfilled',
      value: { command: { verb: 'transfer', status: 'accepted' } },
    });
    await deliver(s);
    expect(s.registry.get(callId)?.outcome?.reason).toBe('transferred');
  });

  it("403 is not retried: CommandFailedError with Graph's error, call.commandFailed, the call can be answered again", async () => {
    const s = setup();
    const callId = await offered(s);
    s.fake.failNext(1, 403, { method: 'POST' });
    const error = await failure(s.registry.answer(callId, ANSWER));
    expect(error).toMatchObject({
      callId,
      verb: 'answer',
      status: 403,
      attempts: 1,
      graphError: { code: 'Forbidden', message: 'Injected failure 403.' },
    });
    expect(error.message).toContain('permissions');
    expect(eventsOf(s.events, 'call.commandFailed', callId)).toEqual([
      expect.objectContaining({
        verb: 'answer',
        status: 403,
        attempts: 1,
        error: expect.objectContaining({ code: 'Forbidden' }),
      }),
    ]);
    await s.clock.advance(60_000);
    expect(controlPosts(s.fake, callId)).toHaveLength(1);
    expect(s.registry.get(callId)).toMatchObject({ state: 'incoming' });
    expect(s.registry.get(callId)?.command).toBeUndefined();

    const view = await s.registry.answer(callId, ANSWER);
    expect(view.command).toEqual({ verb: 'answer', status: 'accepted' });
    expect(controlPosts(s.fake, callId).map((r) => r.status)).toEqual([403, 202]);
  });

  it('retries exhausted (maxCommandAttempts): CommandFailedError with the last status and every attempt', async () => {
    const s = setup({ maxCommandAttempts: 3 });
    const callId = await offered(s);
    s.fake.failNext(10, 503, { method: 'POST' });
    const rejecting = s.registry.reject(callId, 'busy');
    const outcome = failure(rejecting);
    await s.clock.advance(1_000 + 2_000);
    const error = await outcome;
    expect(error).toMatchObject({ callId, verb: 'reject', status: 503, attempts: 3 });
    expect(error.graphError?.code).toBe('ServiceUnavailable');
    expect(controlPosts(s.fake, callId).map((r) => [r.status, r.at - T0])).toEqual([
      [503, 0],
      [503, 1_000],
      [503, 3_000],
    ]);
    expect(eventsOf(s.events, 'call.commandFailed', callId)).toEqual([
      expect.objectContaining({ verb: 'reject', status: 503, attempts: 3 }),
    ]);
    // Nothing more is sent for it.
    s.fake.failNext(0, 503);
    await s.clock.advance(10_000);
    expect(controlPosts(s.fake, callId)).toHaveLength(3);
    expect(s.registry.get(callId)?.phase).toBe('setup');
  });

  it('404: the call ends (gone) and the promise rejects', async () => {
    const s = setup();
    const callId = await offered(s);
    s.fake.failNext(1, 404, { method: 'POST' });
    const error = await failure(s.registry.redirect(callId, TARGET));
    expect(error).toMatchObject({ callId, verb: 'redirect', status: 404, attempts: 1 });
    expect(error.message).toContain('failed with status 404');
    expect(s.registry.get(callId)).toMatchObject({
      state: 'terminated',
      outcome: { reason: 'gone' },
    });
    expect(eventsOf(s.events, 'call.terminated', callId)).toHaveLength(1);
    expect(controlPosts(s.fake, callId)).toHaveLength(1);
  });

  it('a request that never answers counts as failed at requestTimeoutMs, and is sent again', async () => {
    let answers = 0;
    const s = setup({ requestTimeoutMs: 5_000 }, (client) => ({
      ...client,
      answerCall(callId, request) {
        answers += 1;
        // The first one hangs for ever (a custom client can do that).
        return answers === 1
          ? new Promise<GraphResult>(() => {})
          : client.answerCall(callId, request);
      },
    }));
    const callId = await offered(s);
    const answering = watch(s.registry.answer(callId, ANSWER));
    await s.clock.advance(4_999);
    expect(answers).toBe(1);
    expect(answering.state().status).toBe('pending');
    // At 5 s the request counts as failed (status 0), retried after the 1 s backoff.
    await s.clock.advance(1);
    expect(s.registry.get(callId)?.command).toEqual({ verb: 'answer', status: 'retrying' });
    await s.clock.advance(999);
    expect(answers).toBe(1);
    await s.clock.advance(1);
    await s.registry.idle();
    expect(answers).toBe(2);
    expect(controlPosts(s.fake, callId).map((r) => [r.status, r.at - T0])).toEqual([[202, 6_000]]);
    expect(answering.state()).toMatchObject({
      status: 'fulfilled',
      value: { command: { verb: 'answer', status: 'accepted' } },
    });
    await deliver(s);
    expect(s.registry.get(callId)?.state).toBe('established');
  });

  it('hang-up while an answer is in flight: the answer rejects, the hang-up resolves, nothing is left pending', async () => {
    let release: ((result: GraphResult) => void) | undefined;
    const s = setup({}, (client) => ({
      ...client,
      answerCall: () =>
        new Promise<GraphResult>((resolve) => {
          release = resolve;
        }),
    }));
    const callId = await offered(s);
    const answering = watch(s.registry.answer(callId, ANSWER));
    const answered = failure(s.registry.answer(callId, ANSWER)); // a repeat, waiting with it
    await s.clock.advance(0);
    expect(release).toBeDefined();

    const hangingUp = watch(s.registry.hangUp(callId));
    const error = await answered;
    expect(error).toMatchObject({ callId, verb: 'answer' });
    expect(error.message).toContain('being hung up');
    await s.clock.advance(0);
    expect(answering.state()).toMatchObject({ status: 'rejected' });
    expect(hangingUp.state()).toMatchObject({
      status: 'fulfilled',
      value: { phase: 'terminating' },
    });

    // Graph's late 202 for the abandoned answer changes nothing.
    release?.({ ok: true, status: 202 });
    await deliver(s);
    await s.registry.idle();
    expect(s.registry.get(callId)).toMatchObject({
      state: 'terminated',
      outcome: { reason: 'hungUp' },
    });
    expect(s.registry.get(callId)?.command).toBeUndefined();
    expect(s.fake.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['DELETE 204']);
    expect(eventsOf(s.events, 'call.established')).toEqual([]);
  });

  it('an invalid request is a TypeError and sends nothing', async () => {
    const s = setup();
    const callId = await offered(s);
    const invalid: (() => Promise<unknown>)[] = [
      () => s.registry.answer(callId, { ...ANSWER, callbackUri: 'not a url' }),
      () => s.registry.answer(callId, { callbackUri: ANSWER.callbackUri } as never),
      () => s.registry.reject(callId, 'maybe' as never),
      () => s.registry.redirect(callId, []),
      () => s.registry.redirect(callId, TARGET, { timeout: 5 }),
      () => s.registry.transfer(callId, { identity: {} }),
    ];
    for (const call of invalid) await expect(attempt(call)).rejects.toThrow(TypeError);
    await s.registry.idle();
    expect(controlPosts(s.fake, callId)).toEqual([]);
    expect(s.registry.get(callId)?.command).toBeUndefined();
  });
});

const PLACE: PlaceCallRequest = {
  callbackUri: 'https://bot.example.com/api/calls',
  requestedModalities: ['audio'],
  mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
  targets: [TARGET],
  tenantId: 'aa67bd4c-8475-432d-bd41-39f255720e0a',
};

function placePosts(fake: FakeGraph) {
  return fake.requests.filter((r) => r.method === 'POST' && r.callId === undefined);
}

describe('placeCall', () => {
  it('201: resolves with the tracked call, establishing and outgoing; its notifications then move it', async () => {
    const s = setup();
    const view = await s.registry.placeCall(PLACE);
    const [post] = placePosts(s.fake);
    expect(post?.status).toBe(201);
    const fakeCall = s.fake.calls.get(view.callId);
    expect(view).toMatchObject({
      state: 'establishing',
      phase: 'setup',
      direction: 'outgoing',
      myParticipantId: fakeCall?.myParticipantId,
    });
    expect(await s.registry.read(view.callId)).toEqual(view);

    await deliver(s);
    expect(s.registry.get(view.callId)).toMatchObject({
      state: 'established',
      direction: 'outgoing',
    });
    expect(eventsOf(s.events, 'call.established', view.callId)).toHaveLength(1);
    expect(eventsOf(s.events, 'call.incoming')).toEqual([]);
  });

  it('notifications that arrive before the 201 are kept: one call, not two', async () => {
    const s = setup({}, (client, clock, fake) => ({
      ...client,
      async placeCall(request) {
        const result = await client.placeCall(request);
        // Graph's establishing and established reach the webhook before its 201 reaches us.
        await clock.advance(0);
        await fake.settle();
        return result;
      },
    }));
    const stateChanges: string[] = [];
    s.registry.on('call.stateChanged', (e) => stateChanges.push(`${e.callId}:${e.to.state}`));
    const view = await s.registry.placeCall(PLACE);
    await s.registry.idle();
    expect(placePosts(s.fake)).toHaveLength(1);
    expect(view).toMatchObject({ callId: [...s.fake.calls.keys()][0], state: 'established' });
    expect(await s.registry.read(view.callId)).toEqual(view);
    expect(stateChanges).toEqual([`${view.callId}:established`]);
    expect(eventsOf(s.events, 'call.established')).toHaveLength(1);
  });

  it('429 is sent again after Retry-After', async () => {
    const s = setup();
    s.fake.throttleNext(1, 1.5);
    const placing = watch(s.registry.placeCall(PLACE));
    await s.clock.advance(1_499);
    expect(placePosts(s.fake)).toHaveLength(1);
    await s.clock.advance(1);
    await s.registry.idle();
    expect(placePosts(s.fake).map((r) => [r.status, r.at - T0])).toEqual([
      [429, 0],
      [201, 1_500],
    ]);
    expect(placing.state()).toMatchObject({
      status: 'fulfilled',
      value: { state: 'establishing' },
    });
    expect(s.fake.calls.size).toBe(1);
  });

  it('503 with Retry-After is sent again', async () => {
    const s = setup();
    s.fake.failNext(1, 503, { retryAfter: 2 });
    const placing = watch(s.registry.placeCall(PLACE));
    await s.clock.advance(2_000);
    await s.registry.idle();
    expect(placePosts(s.fake).map((r) => r.status)).toEqual([503, 201]);
    expect(placing.state().status).toBe('fulfilled');
  });

  it.each([
    [500, {}],
    [503, {}],
    [502, { retryAfter: 1 }],
    [403, {}],
  ] as const)(
    '%i (%o) is not sent again: Graph may have created the call',
    async (status, extra) => {
      const s = setup();
      s.fake.failNext(1, status, extra);
      const error = await failure(s.registry.placeCall(PLACE));
      expect(error).toMatchObject({ callId: undefined, verb: 'placeCall', status, attempts: 1 });
      expect(error.graphError?.message).toBe(`Injected failure ${status}.`);
      await s.clock.advance(60_000);
      expect(placePosts(s.fake)).toHaveLength(1);
    },
  );

  it('an invalid request is a TypeError before any request', async () => {
    const s = setup();
    const invalid: unknown[] = [
      { ...PLACE, callbackUri: undefined },
      { ...PLACE, callbackUri: 'ftp://bot.example.com' },
      { ...PLACE, requestedModalities: [] },
      { ...PLACE, mediaConfig: { '@odata.type': '#microsoft.graph.mediaConfig' } },
      { ...PLACE, targets: undefined },
      { ...PLACE, targets: [{ identity: {} }] },
      null,
    ];
    for (const request of invalid) {
      await expect(
        attempt(() => s.registry.placeCall(request as PlaceCallRequest)),
      ).rejects.toThrow(TypeError);
    }
    expect(s.fake.requests).toEqual([]);
  });
});
