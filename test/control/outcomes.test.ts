// How calls end after the bot's call control, from the notifications the Graph docs show for
// each flow (test/fixtures/graph-corpus, sequences.md §2, §4–6), fed to a registry through
// `ingest` with the call id rewritten, while a scripted Graph client answers the requests.
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CallRegistry,
  type CallRegistryOptions,
  createCallRegistry,
  parseNotifications,
  type RegistryEvent,
} from '../../src/index.js';
import { createManualClock, type ManualClock } from '../../src/testing/index.js';
import { corpusFile } from '../support/corpus.js';
import { ScriptedGraph } from '../support/scriptedGraph.js';
import { ANSWER, eventsOf, flush, recordEvents, TARGET, watch, withCallId } from './support.js';

const T0 = Date.UTC(2025, 0, 1);

interface Setup {
  readonly clock: ManualClock;
  readonly graph: ScriptedGraph;
  readonly registry: CallRegistry;
  readonly events: RegistryEvent[];
  /** Ingests corpus files in order, each as Graph posted it, about `callId`. */
  feed(callId: string, ...files: string[]): Promise<void>;
}

let open: Setup | undefined;
let calls = 0;

afterEach(async () => {
  const done = open;
  open = undefined;
  if (done === undefined) return;
  await done.registry.close();
  expect(eventsOf(done.events, 'registry.error')).toEqual([]);
});

/** A fresh call id for each test, so no two tests share one. */
function newCallId(): string {
  calls += 1;
  return `c0ffee00-0000-4000-8000-${calls.toString(16).padStart(12, '0')}`;
}

function corpusCallId(file: string): string {
  const [n] = parseNotifications(corpusFile(file).body).notifications;
  if (n === undefined) throw new Error(`${file} holds no notification`);
  return n.callId;
}

function setup(options: Omit<CallRegistryOptions, 'graph' | 'clock'> = {}): Setup {
  const clock = createManualClock(T0);
  const graph = new ScriptedGraph();
  const registry = createCallRegistry({ graph, clock, keepAliveMs: 0, ...options });
  const events = recordEvents(registry);
  open = {
    clock,
    graph,
    registry,
    events,
    async feed(callId, ...files) {
      for (const file of files) {
        const body = withCallId(corpusFile(file).body, corpusCallId(file), callId);
        const report = await registry.ingest(body);
        expect(report.rejected, `${file} was rejected`).toBe(0);
      }
      await registry.idle();
    },
  };
  return open;
}

function outcomeOf(s: Setup, callId: string) {
  return s.registry.get(callId)?.outcome;
}

describe('reject (§4): created incoming → a bare deleted', () => {
  it('after registry.reject the call ends as rejected', async () => {
    const s = setup();
    const callId = newCallId();
    await s.feed(callId, 'v1.0_call-reject__1');
    const [offered] = eventsOf(s.events, 'call.incoming', callId);
    expect(offered).toMatchObject({
      direction: 'incoming',
      source: { identity: { user: { displayName: 'John' } } },
    });

    const view = await s.registry.reject(callId, 'busy');
    expect(view).toMatchObject({
      state: 'incoming',
      command: { verb: 'reject', status: 'accepted' },
    });
    expect(s.graph.requests).toEqual([
      expect.objectContaining({ method: 'REJECT', callId, body: { reason: 'busy' } }),
    ]);
    await s.feed(callId, 'v1.0_call-reject__2');
    expect(outcomeOf(s, callId)).toEqual({ callId, reason: 'rejected', at: T0 });
    expect(eventsOf(s.events, 'call.terminated', callId)).toHaveLength(1);
  });

  it('the same payloads without the bot’s reject also end as rejected (a bare deleted while incoming)', async () => {
    const s = setup();
    const callId = newCallId();
    await s.feed(callId, 'v1.0_call-reject__1', 'v1.0_call-reject__2');
    expect(outcomeOf(s, callId)?.reason).toBe('rejected');
    expect(s.graph.requests).toEqual([]);
  });
});

describe('redirect (§5): created incoming → deleted terminated, no resultInfo in v1.0', () => {
  it('after registry.redirect the call ends as redirected', async () => {
    const s = setup();
    const callId = newCallId();
    await s.feed(callId, 'v1.0_call-redirect__1');
    await s.registry.redirect(callId, TARGET, { timeout: 60 });
    expect(s.graph.requests).toEqual([
      expect.objectContaining({
        method: 'REDIRECT',
        body: { targets: [TARGET], timeout: 60 },
      }),
    ]);
    await s.feed(callId, 'v1.0_call-redirect__2');
    expect(outcomeOf(s, callId)).toEqual({ callId, reason: 'redirected', at: T0 });
  });

  it('simultaneous ring (example 2) and PSTN (example 3) end as redirected too', async () => {
    const s = setup();
    for (const [incoming, ended] of [
      ['v1.0_call-redirect__3', 'v1.0_call-redirect__4'],
      ['v1.0_call-redirect__5', 'v1.0_call-redirect__6'],
    ] as const) {
      const callId = newCallId();
      await s.feed(callId, incoming);
      await s.registry.redirect(callId, [TARGET, { identity: { phone: { id: '+12345678901' } } }]);
      await s.feed(callId, ended);
      expect(outcomeOf(s, callId)?.reason).toBe('redirected');
    }
  });

  it('without the bot’s redirect the same payloads end as remote (a terminated state is no reject)', async () => {
    const s = setup();
    const callId = newCallId();
    await s.feed(callId, 'v1.0_call-redirect__1', 'v1.0_call-redirect__2');
    expect(outcomeOf(s, callId)).toEqual({ callId, reason: 'remote', at: T0 });
  });

  it('the bot’s own command decides when Graph’s end is ambiguous: redirect + bare deleted, reject + terminated', async () => {
    const s = setup();
    const redirected = newCallId();
    await s.feed(redirected, 'v1.0_call-reject__1');
    await s.registry.redirect(redirected, TARGET);
    await s.feed(redirected, 'v1.0_call-reject__2');
    expect(outcomeOf(s, redirected)?.reason).toBe('redirected');

    const rejected = newCallId();
    await s.feed(rejected, 'v1.0_call-redirect__1');
    await s.registry.reject(rejected);
    await s.feed(rejected, 'v1.0_call-redirect__2');
    expect(outcomeOf(s, rejected)?.reason).toBe('rejected');
  });
});

describe('transfer (§6): transferring → transferAccepted → the end, or back to established', () => {
  async function establishedCall(s: Setup): Promise<string> {
    const callId = newCallId();
    await s.registry.track(callId, { state: 'established' });
    return callId;
  }

  it('success: deleted terminated with 0/7015 GracefulTransferCompleted → transferred', async () => {
    const s = setup();
    const callId = await establishedCall(s);
    const view = await s.registry.transfer(callId, TARGET);
    expect(view.command).toEqual({ verb: 'transfer', status: 'accepted' });
    await s.feed(callId, 'v1.0_call-transfer__1', 'v1.0_call-transfer__2');
    expect(s.registry.get(callId)?.state).toBe('transferAccepted');
    await s.feed(callId, 'v1.0_call-transfer__3');
    expect(outcomeOf(s, callId)).toEqual({
      callId,
      reason: 'transferred',
      at: T0,
      resultInfo: { code: 0, subcode: 7015, message: 'GracefulTransferCompleted' },
    });
    expect(eventsOf(s.events, 'call.transferFailed')).toEqual([]);
  });

  it('consultative success: terminationReason AppTransferred → transferred', async () => {
    const s = setup();
    const callId = await establishedCall(s);
    await s.registry.transfer(callId, { ...TARGET, replacesCallId: newCallId() });
    await s.feed(callId, 'v1.0_call-transfer__5', 'v1.0_call-transfer__6', 'v1.0_call-transfer__7');
    expect(outcomeOf(s, callId)).toMatchObject({
      reason: 'transferred',
      terminationReason: 'AppTransferred',
    });
  });

  it.each([
    [
      'blind, 500/7000',
      ['v1.0_call-transfer__1', 'v1.0_call-transfer__2', 'v1.0_call-transfer__4'],
      7000,
    ],
    [
      'consultative, 500/7700',
      ['v1.0_call-transfer__5', 'v1.0_call-transfer__6', 'v1.0_call-transfer__8'],
      7700,
    ],
  ] as const)(
    'failure (%s): call.transferFailed with the resultInfo; the call stays established and can be transferred again',
    async (_, files, subcode) => {
      const s = setup();
      const callId = await establishedCall(s);
      await s.registry.transfer(callId, TARGET);
      await s.feed(callId, ...files);
      expect(eventsOf(s.events, 'call.transferFailed', callId)).toEqual([
        expect.objectContaining({
          callId,
          resultInfo: { code: 500, subcode, message: '<message>' },
        }),
      ]);
      const after = s.registry.get(callId);
      expect(after).toMatchObject({ state: 'established', phase: 'active' });
      expect(after?.command).toBeUndefined();
      expect(after?.outcome).toBeUndefined();
      expect(eventsOf(s.events, 'call.terminated')).toEqual([]);
      // Announced once, when it was tracked established; not again: it was connected all along.
      expect(eventsOf(s.events, 'call.established', callId)).toHaveLength(1);

      const again = await s.registry.transfer(callId, TARGET);
      expect(again.command).toEqual({ verb: 'transfer', status: 'accepted' });
      expect(s.graph.count('TRANSFER', callId)).toBe(2);
      await s.feed(
        callId,
        'v1.0_call-transfer__1',
        'v1.0_call-transfer__2',
        'v1.0_call-transfer__3',
      );
      expect(outcomeOf(s, callId)?.reason).toBe('transferred');
      expect(eventsOf(s.events, 'call.transferFailed', callId)).toHaveLength(1);
    },
  );

  it('failure reported without transferring first: established with 500/7000 is still call.transferFailed', async () => {
    const s = setup();
    const callId = await establishedCall(s);
    await s.registry.transfer(callId, TARGET);
    await s.feed(callId, 'v1.0_call-transfer__4');
    expect(eventsOf(s.events, 'call.transferFailed', callId)).toEqual([
      expect.objectContaining({
        resultInfo: expect.objectContaining({ code: 500, subcode: 7000 }),
      }),
    ]);
    expect(s.registry.get(callId)?.command).toBeUndefined();
  });

  it('a transfer failure notification with no transfer asked for is not call.transferFailed', async () => {
    const s = setup();
    const callId = await establishedCall(s);
    await s.feed(callId, 'v1.0_call-transfer__4');
    expect(eventsOf(s.events, 'call.transferFailed')).toEqual([]);
    expect(s.registry.get(callId)?.state).toBe('established');
  });
});

describe('missed: an incoming call nobody acts on within the answer window', () => {
  it('the window passes, GET → 404: the call ends as missed', async () => {
    const s = setup();
    const callId = newCallId();
    await s.feed(callId, 'v1.0_call-answer__1');
    await s.clock.advance(14_999);
    expect(s.graph.count('GET')).toBe(0);
    await s.clock.advance(1);
    await flush();
    await s.registry.idle();
    expect(s.graph.requests.map((r) => [r.method, r.callId])).toEqual([['GET', callId]]);
    expect(outcomeOf(s, callId)).toEqual({ callId, reason: 'missed', at: T0 + 15_000 });
    expect(eventsOf(s.events, 'call.terminated', callId)).toEqual([
      expect.objectContaining({ outcome: expect.objectContaining({ reason: 'missed' }) }),
    ]);
  });

  it('a call Graph still offers is looked at again a window later', async () => {
    const s = setup();
    s.graph.answer('GET', { ok: true, status: 200, state: 'incoming' });
    const callId = newCallId();
    await s.feed(callId, 'v1.0_call-answer__1');
    await s.clock.advance(15_000);
    expect(s.registry.get(callId)?.state).toBe('incoming');
    await s.clock.advance(15_000);
    await flush();
    await s.registry.idle();
    expect(s.graph.count('GET', callId)).toBe(2);
    expect(outcomeOf(s, callId)).toMatchObject({ reason: 'missed', at: T0 + 30_000 });
  });

  it('the answer window honours answerWindowMs (5 s for policy-based recording)', async () => {
    const s = setup({ answerWindowMs: 5_000 });
    const callId = newCallId();
    await s.feed(callId, 'v1.0_call-answer__9');
    await s.clock.advance(5_000);
    await flush();
    await s.registry.idle();
    expect(outcomeOf(s, callId)?.reason).toBe('missed');
  });

  it('an answered call is never missed: after answerTimeoutMs a GET that finds it established makes it active', async () => {
    const s = setup();
    s.graph.answer('GET', { ok: true, status: 200, state: 'established' });
    const callId = newCallId();
    await s.feed(callId, 'v1.0_call-answer__1');
    await s.registry.answer(callId, ANSWER);
    // Neither establishing nor established ever arrives.
    await s.clock.advance(29_999);
    expect(s.graph.count('GET')).toBe(0);
    await s.clock.advance(1);
    await flush();
    await s.registry.idle();
    expect(s.graph.count('GET', callId)).toBe(1);
    expect(s.registry.get(callId)).toMatchObject({ state: 'established', phase: 'active' });
    expect(eventsOf(s.events, 'call.established', callId)).toHaveLength(1);
    expect(outcomeOf(s, callId)).toBeUndefined();
  });
});

describe('answer (§2): incoming → establishing → established', () => {
  it('call.established once; the view keeps who called, the direction, and the bot’s participant id', async () => {
    const s = setup();
    const callId = newCallId();
    await s.feed(callId, 'v1.0_call-answer__1');
    const answering = watch(s.registry.answer(callId, ANSWER));
    // The 202 may come after the notifications it led to; duplicates come too.
    await s.feed(callId, 'v1.0_call-answer__2', 'v1.0_call-answer__3', 'v1.0_call-answer__3');
    await s.feed(callId, 'v1.0_call-answer__2');
    await flush();
    expect(answering.state()).toMatchObject({
      status: 'fulfilled',
      value: { command: { verb: 'answer', status: 'accepted' } },
    });
    expect(eventsOf(s.events, 'call.established', callId)).toEqual([
      { type: 'call.established', callId, at: T0 },
    ]);
    expect(eventsOf(s.events, 'call.incoming', callId)).toHaveLength(1);
    expect(s.registry.get(callId)).toMatchObject({
      state: 'established',
      phase: 'active',
      etag: 'W/"5445"',
      direction: 'incoming',
      source: {
        identity: {
          user: { displayName: 'Test User', id: '8A34A46B-3D17-4ADC-8DCE-DC4E7D572698' },
        },
        region: 'westus',
      },
      establishedAt: T0,
      command: { verb: 'answer', status: 'accepted' },
    });
    expect(s.graph.requests).toEqual([
      expect.objectContaining({ method: 'ANSWER', callId, body: ANSWER }),
    ]);
    const states = eventsOf(s.events, 'call.stateChanged', callId).map((e) => e.to.state);
    expect(states).toEqual(['establishing', 'established']);
  });

  it('the policy-based recording offer (example 3) gives the bot its myParticipantId', async () => {
    const s = setup();
    const callId = newCallId();
    await s.feed(callId, 'v1.0_call-answer__9');
    await s.registry.answer(callId, ANSWER);
    await s.feed(callId, 'v1.0_call-answer__5', 'v1.0_call-answer__6');
    expect(s.registry.get(callId)).toMatchObject({
      state: 'established',
      direction: 'incoming',
      myParticipantId: '1520a1a5-5394-4a41-aa72-9ee6fa18cfc8',
      source: { identity: { user: { id: '8A34A46B-3D17-4ADC-8DCE-DC4E7D572698' } } },
    });
    expect(eventsOf(s.events, 'call.established', callId)).toHaveLength(1);
  });
});
