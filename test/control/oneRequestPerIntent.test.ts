// One intent, one request: however often the bot asks for the same answer, reject, redirect or
// transfer, concurrently, on one registry or on several over one store, and whatever duplicated
// notifications arrive meanwhile, Graph gets exactly one POST, and every promise settles with
// the call's view once Graph took it (on one registry: the same view). An intent the call cannot take sends nothing, rejects with
// CommandRejectedError, and is reported as `call.commandRejected`.
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CallControlVerb,
  type CallRegistry,
  type CallView,
  CommandRejectedError,
} from '../../src/index.js';
import { ANSWER, attempt, controlPosts, eventsOf, OTHER_TARGET, TARGET } from './support.js';
import { describeTopologies, openWorld, type TopologyKind, type World } from './world.js';

const REPEATS = 4;

function intent(registry: CallRegistry, verb: CallControlVerb, callId: string): Promise<CallView> {
  return attempt(() => {
    switch (verb) {
      case 'answer':
        return registry.answer(callId, ANSWER);
      case 'reject':
        return registry.reject(callId, 'busy');
      case 'redirect':
        return registry.redirect(callId, [TARGET, OTHER_TARGET], { timeout: 30 });
      case 'transfer':
        return registry.transfer(callId, TARGET);
    }
  });
}

/** Every registry asks `REPEATS` times at once; the views each registry's promises settled with. */
function repeatedly(world: World, verb: CallControlVerb, callId: string): Promise<CallView[][]> {
  return Promise.all(
    world.registries.map((registry) =>
      Promise.all(Array.from({ length: REPEATS }, () => intent(registry, verb, callId))),
    ),
  );
}

/**
 * Every promise settles with a view of the call whose command Graph took. On one registry they
 * all settle with the same view. Over a shared store each repeat is judged on the stored call as
 * it is then, and another registry learns of the 202 when it reads the call again, by which time
 * later notifications (the re-created offer's newer etag, `transferring`) may have moved it: its
 * view is the stored one at that moment.
 */
function expectSettledAlike(
  byRegistry: CallView[][],
  callId: string,
  verb: CallControlVerb,
  sameView: boolean,
): void {
  const all = byRegistry.flat();
  expect(byRegistry.map((views) => views.length)).toEqual(byRegistry.map(() => REPEATS));
  for (const view of all) {
    expect(view).toMatchObject({ callId, command: { verb, status: 'accepted' } });
  }
  if (sameView) for (const view of all) expect(view).toEqual(all[0]);
}

async function refusal(promise: Promise<unknown>): Promise<CommandRejectedError> {
  const reason = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(reason).toBeInstanceOf(CommandRejectedError);
  return reason as CommandRejectedError;
}

function allEvents(world: World) {
  return world.events.flat();
}

/** An incoming call every registry knows. */
async function incomingCall(world: World): Promise<string> {
  const callId = world.fake.incomingCall();
  await world.settle();
  return callId;
}

/** An established call every registry knows, that the bot did not answer (it placed it). */
async function establishedCall(world: World): Promise<string> {
  const callId = world.fake.placeCall();
  await world.settle();
  for (const registry of world.registries) {
    expect((await registry.read(callId))?.state).toBe('established');
  }
  return callId;
}

const OFFERED_OUTCOMES = {
  answer: { state: 'established', reason: undefined },
  reject: { state: 'terminated', reason: 'rejected' },
  redirect: { state: 'terminated', reason: 'redirected' },
} as const;

function topologyTests(kind: TopologyKind, redisUrl: () => string | undefined): void {
  let world: World | undefined;

  function open(): World {
    world = openWorld({ kind, redisUrl: redisUrl(), fake: { faults: { seed: 5, duplicate: 1 } } });
    return world;
  }

  afterEach(async () => {
    const done = world;
    world = undefined;
    if (done === undefined) return;
    await done.close();
    // No registry reported trouble (a store conflict that never ended, a listener that threw).
    expect(eventsOf(allEvents(done), 'registry.error')).toEqual([]);
  });

  it.each(['answer', 'reject', 'redirect'] as const)(
    '%s on an incoming call: one POST for every concurrent repeat on every registry',
    async (verb) => {
      const w = open();
      const callId = await incomingCall(w);
      // Graph offers the call again (re-created, newer etag) while the intents are judged; the
      // fake posts every notification twice, and each copy reaches every registry.
      w.fake.setState(callId, 'incoming', { changeType: 'created' });
      const views = await repeatedly(w, verb, callId);
      await w.settle();

      expect(controlPosts(w.fake, callId)).toHaveLength(1);
      expect(controlPosts(w.fake, callId, verb)).toHaveLength(1);
      expectSettledAlike(views, callId, verb, kind === 'one registry');

      const expected = OFFERED_OUTCOMES[verb];
      for (const registry of w.registries) {
        const stored = await registry.read(callId);
        expect(stored?.state).toBe(expected.state);
        expect(stored?.outcome?.reason).toBe(expected.reason);
      }
      const events = allEvents(w);
      expect(eventsOf(events, 'call.incoming', callId)).toHaveLength(1);
      expect(eventsOf(events, 'call.established', callId)).toHaveLength(verb === 'answer' ? 1 : 0);
      expect(eventsOf(events, 'call.terminated', callId)).toHaveLength(verb === 'answer' ? 0 : 1);
      expect(eventsOf(events, 'call.commandRejected')).toEqual([]);
      expect(eventsOf(events, 'call.commandFailed')).toEqual([]);
    },
  );

  it('transfer on an established call: one POST for every concurrent repeat on every registry', async () => {
    const w = open();
    const callId = await establishedCall(w);
    const views = await repeatedly(w, 'transfer', callId);
    await w.settle();

    expect(controlPosts(w.fake, callId)).toHaveLength(1);
    expect(controlPosts(w.fake, callId, 'transfer')[0]?.body).toEqual({ transferTarget: TARGET });
    expectSettledAlike(views, callId, 'transfer', kind === 'one registry');
    for (const registry of w.registries) {
      expect((await registry.read(callId))?.outcome?.reason).toBe('transferred');
    }
    expect(eventsOf(allEvents(w), 'call.terminated', callId)).toHaveLength(1);
  });

  it('a repeat after Graph took the intent sends nothing and resolves with the call as it is', async () => {
    const w = open();
    const callId = await incomingCall(w);
    await intent(w.registries[0] as CallRegistry, 'answer', callId);
    await w.settle();
    const again = await Promise.all(w.registries.map((r) => intent(r, 'answer', callId)));
    for (const view of again) {
      expect(view).toMatchObject({ state: 'established', command: { verb: 'answer' } });
    }
    expect(controlPosts(w.fake, callId)).toHaveLength(1);
    expect(eventsOf(allEvents(w), 'call.established', callId)).toHaveLength(1);
  });

  describe('intents the call cannot take: nothing sent, CommandRejectedError, call.commandRejected', () => {
    it.each(['answer', 'reject', 'redirect'] as const)(
      '%s on an established call the bot placed',
      async (verb) => {
        const w = open();
        const callId = await establishedCall(w);
        const last = w.registries.at(-1) as CallRegistry;
        const error = await refusal(intent(last, verb, callId));
        expect(error).toMatchObject({ callId, verb, state: 'established', phase: 'active' });
        expect(error.reason).toContain('only while it is incoming');
        expect(error.message).toContain('Nothing was sent to Graph');
        expect(controlPosts(w.fake, callId)).toEqual([]);
        const reported = eventsOf(w.events.at(-1) ?? [], 'call.commandRejected', callId);
        expect(reported).toEqual([
          expect.objectContaining({ verb, state: 'established', reason: error.reason }),
        ]);
      },
    );

    it('transfer on an incoming call', async () => {
      const w = open();
      const callId = await incomingCall(w);
      const error = await refusal(intent(w.registries[0] as CallRegistry, 'transfer', callId));
      expect(error).toMatchObject({ verb: 'transfer', state: 'incoming', phase: 'setup' });
      expect(error.reason).toMatch(/transfers only an established .* this one is incoming/);
      expect(eventsOf(allEvents(w), 'call.commandRejected', callId)).toEqual([
        expect.objectContaining({ verb: 'transfer', state: 'incoming', phase: 'setup' }),
      ]);
      expect(controlPosts(w.fake, callId)).toEqual([]);
      // The call can still be answered.
      await intent(w.registries[0] as CallRegistry, 'answer', callId);
      expect(controlPosts(w.fake, callId, 'answer')).toHaveLength(1);
    });

    it.each(['answer', 'reject', 'redirect', 'transfer'] as const)(
      '%s on a terminated call',
      async (verb) => {
        const w = open();
        const callId = await establishedCall(w);
        w.fake.remoteHangUp(callId);
        await w.settle();
        const errors = await Promise.all(w.registries.map((r) => refusal(intent(r, verb, callId))));
        for (const error of errors) {
          expect(error).toMatchObject({ verb, state: 'terminated', phase: 'terminated' });
          expect(error.reason).toBe('the call has ended (remote)');
        }
        expect(controlPosts(w.fake, callId)).toEqual([]);
        expect(eventsOf(allEvents(w), 'call.commandRejected', callId)).toHaveLength(
          w.registries.length,
        );
      },
    );

    it('answer after reject: before and after Graph ended the call', async () => {
      const w = open();
      const callId = await incomingCall(w);
      w.disconnect(); // the reject's `deleted` waits
      await intent(w.registries[0] as CallRegistry, 'reject', callId);
      const early = await refusal(intent(w.registries.at(-1) as CallRegistry, 'answer', callId));
      expect(early).toMatchObject({ verb: 'answer', state: 'incoming', phase: 'setup' });
      expect(early.reason).toBe('the call was already rejected by this bot');

      w.connect();
      await w.settle();
      const late = await refusal(intent(w.registries.at(-1) as CallRegistry, 'answer', callId));
      expect(late).toMatchObject({ verb: 'answer', state: 'terminated' });
      expect(late.reason).toBe('the call has ended (rejected)');
      expect(controlPosts(w.fake, callId).map((r) => r.action)).toEqual(['reject']);
      expect(eventsOf(allEvents(w), 'call.commandRejected', callId)).toHaveLength(2);
    });

    it('another verb while one is in flight is refused; the one in flight completes', async () => {
      const w = open();
      const callId = await incomingCall(w);
      w.hold();
      const answering = intent(w.registries[0] as CallRegistry, 'answer', callId);
      answering.catch(() => {}); // awaited below; a rejection must not go unhandled meanwhile
      // The answer is judged and on its way (held in front of the fake).
      await expect
        .poll(async () => (await w.registries[0]?.read(callId))?.command)
        .toEqual({
          verb: 'answer',
          status: 'sending',
        });
      const others = await Promise.all(
        (['reject', 'redirect'] as const).map((verb) =>
          refusal(intent(w.registries.at(-1) as CallRegistry, verb, callId)),
        ),
      );
      for (const error of others) {
        expect(error.reason).toMatch(/answer is in flight; wait for its result/);
      }
      w.release();
      expect((await answering).command).toEqual({ verb: 'answer', status: 'accepted' });
      await w.settle();
      expect(controlPosts(w.fake, callId).map((r) => r.action)).toEqual(['answer']);
    });
  });
}

describeTopologies(topologyTests);
