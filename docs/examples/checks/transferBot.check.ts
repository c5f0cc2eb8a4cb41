// The whole bot of the README (docs/examples/transferBot.ts), run against the fake Graph: the
// fake posts its notifications to the bot's webhook over loopback, and answers the requests the
// bot's registry sends. test/docs/transferBot.test.ts loads this file; like examples.check.ts it
// lives beside the examples, which import `graph-call-machine` as a user would.
import type { CallOutcome } from 'graph-call-machine';
import type { FakeGraph, TransferOutcome } from 'graph-call-machine/testing';
import { describe, expect, it } from 'vitest';
import { startBot } from '../transferBot.js';
import { botOverLoopback, requestsOf } from './botOverLoopback.js';

const OPERATOR = { identity: { user: { id: '550fae72-d251-43ec-868c-373732c2704f' } } };
const CALLER = { identity: { phone: { id: '+14255550100' } } };

interface Run {
  readonly fake: FakeGraph;
  readonly lines: string[];
  /** Places an incoming call and resolves with how it ended. */
  call(options?: { transfer?: TransferOutcome }): Promise<{ callId: string; outcome: CallOutcome }>;
}

async function run(route: Parameters<typeof startBot>[0]['route']): Promise<Run> {
  const { fake, registry, lines } = await botOverLoopback((common) =>
    startBot({ ...common, route }),
  );
  return {
    fake,
    lines,
    async call(options = {}) {
      const ended = new Promise<CallOutcome>((resolve) => {
        registry.on('call.terminated', ({ outcome }) => resolve(outcome));
      });
      const callId = fake.incomingCall({ source: CALLER, ...options });
      const outcome = await ended;
      await fake.settle(); // the last post's answer is back
      return { callId, outcome };
    },
  };
}

describe('docs/examples/transferBot.ts', () => {
  it('answers an incoming call and transfers it: the call ends transferred', async () => {
    const callers: unknown[] = [];
    const { fake, lines, call } = await run((caller) => {
      callers.push(caller);
      return OPERATOR;
    });
    const { callId, outcome } = await call();

    expect(outcome).toMatchObject({ reason: 'transferred', resultInfo: { subcode: 7015 } });
    expect(callers).toEqual([CALLER]);
    expect(requestsOf(fake, callId)).toEqual(['POST answer 202', 'POST transfer 202']);
    const [answer, transfer] = fake.requests.filter((r) => r.callId === callId);
    expect(answer?.body).toMatchObject({ callbackUri: 'https://bot.example.com/api/calls' });
    expect(transfer?.body).toEqual({ transferTarget: OPERATOR });
    expect(fake.deliveries.map((d) => d.result)).toEqual(fake.deliveries.map(() => 202));
    expect(lines).toEqual([`${callId}: transferred`]);
  });

  it('hangs up when the transfer fails: the call ends hungUp', async () => {
    const { fake, lines, call } = await run(() => OPERATOR);
    const { callId, outcome } = await call({ transfer: 'failed' });

    expect(outcome).toMatchObject({ reason: 'hungUp', resultInfo: { subcode: 5001 } });
    expect(requestsOf(fake, callId)).toEqual([
      'POST answer 202',
      'POST transfer 202',
      'DELETE 204',
    ]);
    expect(fake.calls.get(callId)?.states).toEqual([
      'incoming',
      'establishing',
      'established',
      'transferring',
      'transferAccepted',
      'established',
      'terminating',
      'terminated',
    ]);
    expect(lines).toEqual([`${callId}: hungUp`]);
  });

  it('hangs up a caller it has nowhere to send', async () => {
    const { fake, call } = await run(() => undefined);
    const { callId, outcome } = await call();

    expect(outcome.reason).toBe('hungUp');
    expect(requestsOf(fake, callId)).toEqual(['POST answer 202', 'DELETE 204']);
  });
});
