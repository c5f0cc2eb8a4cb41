// The IVR of docs/media-and-participants.md (docs/examples/ivrBot.ts), run against the fake
// Graph: the fake posts its notifications to the bot's webhook over loopback, answers the
// requests the bot's registry sends, and presses the caller's keys. test/docs/ivrBot.test.ts
// loads this file; like the other checks it imports `graph-call-machine` as a user would.
import type { CallOutcome } from 'graph-call-machine';
import type { FakeGraph, OperationOutcome } from 'graph-call-machine/testing';
import { describe, expect, it } from 'vitest';
import { startIvr } from '../ivrBot.js';
import { botOverLoopback, requestsOf } from './botOverLoopback.js';

const SALES = { identity: { user: { id: '550fae72-d251-43ec-868c-373732c2704f' } } };
const MENU = 'https://bot.example.com/audio/menu.wav';

async function run() {
  const { fake, registry, lines } = await botOverLoopback((common) =>
    startIvr({ ...common, menu: MENU, sales: SALES }),
  );

  /** An incoming call whose menus end as `menus` say; resolves with its id and how it ends. */
  function call(...menus: OperationOutcome[]) {
    const ended = new Promise<CallOutcome>((resolve) => {
      registry.on('call.terminated', ({ outcome }) => resolve(outcome));
    });
    const callId = fake.incomingCall();
    fake.scriptOperations(callId, ...menus);
    return { callId, ended };
  }
  return { fake, lines, call };
}

/** Waits (in real time, briefly) until the bot has sent `count` requests of `action`. */
async function sent(fake: FakeGraph, callId: string, action: string, count = 1): Promise<void> {
  for (let waited = 0; waited < 5_000; waited += 5) {
    const seen = fake.requests.filter((r) => r.callId === callId && r.action === action);
    if (seen.length >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`the bot never sent ${count} × ${action}`);
}

describe('docs/examples/ivrBot.ts', () => {
  it('1 during the menu stops it and transfers the caller', async () => {
    const { fake, lines, call } = await run();
    const { callId, ended } = call('neverCompletes');
    await sent(fake, callId, 'playPrompt');
    fake.pressTone(callId, 'tone1');
    const outcome = await ended;
    await fake.settle();

    expect(outcome).toMatchObject({ reason: 'transferred' });
    expect(requestsOf(fake, callId)).toEqual([
      'POST answer 202',
      'POST subscribeToTone 200',
      'POST playPrompt 200',
      'POST cancelMediaProcessing 200',
      'POST transfer 202',
    ]);
    const prompt = fake.requests.find((r) => r.callId === callId && r.action === 'playPrompt');
    expect(prompt?.body).toMatchObject({ prompts: [{ mediaInfo: { uri: MENU } }] });
    expect(lines).toEqual([`${callId}: transferred`]);
  });

  it('2 hangs up; other keys are ignored', async () => {
    const { fake, lines, call } = await run();
    const { callId, ended } = call('neverCompletes');
    await sent(fake, callId, 'playPrompt');
    fake.pressTone(callId, 'star');
    fake.pressTone(callId, 'tone2');
    const outcome = await ended;
    await fake.settle();

    expect(outcome.reason).toBe('hungUp');
    expect(requestsOf(fake, callId)).toEqual([
      'POST answer 202',
      'POST subscribeToTone 200',
      'POST playPrompt 200',
      'DELETE 204',
    ]);
    expect(lines).toEqual([`${callId}: hungUp`]);
  });

  it('a caller who presses nothing hears the menu three times, then is hung up on', async () => {
    const { fake, lines, call } = await run();
    const { callId, ended } = call();
    expect((await ended).reason).toBe('hungUp');
    await fake.settle();

    expect(requestsOf(fake, callId)).toEqual([
      'POST answer 202',
      'POST subscribeToTone 200',
      'POST playPrompt 200',
      'POST playPrompt 200',
      'POST playPrompt 200',
      'DELETE 204',
    ]);
    expect(lines).toEqual([`${callId}: hungUp`]);
  });

  it('a caller who hangs up mid-menu ends the menu with the call, and nothing fails', async () => {
    const { fake, lines, call } = await run();
    const { callId, ended } = call('completesAfterEnd');
    await sent(fake, callId, 'playPrompt');
    fake.remoteHangUp(callId);
    expect((await ended).reason).toBe('remote');
    await fake.settle();

    expect(requestsOf(fake, callId)).toEqual([
      'POST answer 202',
      'POST subscribeToTone 200',
      'POST playPrompt 200',
    ]);
    // No error line: the menu's promise settled as callEnded, which the bot expects.
    expect(lines).toEqual([`${callId}: remote`]);
  });
});
