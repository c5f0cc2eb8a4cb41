// Operations, the roster and key presses through the registry, against the fake Graph, on one
// registry and on three over one store (memory, Redis): every operation promise settles
// (completed, failed, timed out, or callEnded when the call ends mid-prompt), a pending operation
// is completed by whichever registry gets its notification, and results after the end are late.
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CallRegistry,
  createCallRegistry,
  MemoryCallStore,
  OperationFailedError,
  OperationRejectedError,
  type RegistryEvent,
  type RegistryEventType,
  UnknownCallError,
} from '../../src/index.js';
import { createFakeGraph } from '../../src/testing/index.js';
import { eventsOf, flush, graphOf, TARGET, watch } from '../control/support.js';
import { describeTopologies, openWorld, type TopologyKind, type World } from '../control/world.js';

const PROMPT = 'https://bot.example.com/audio/welcome.wav';
const NEWS: readonly RegistryEventType[] = [
  'operation.completed',
  'operation.failed',
  'operation.rejected',
  'call.tone',
  'participant.joined',
  'participant.left',
  'participant.updated',
  'notification.ignored',
  'registry.error',
];

function record(registry: CallRegistry): RegistryEvent[] {
  const events: RegistryEvent[] = [];
  for (const type of NEWS) registry.on(type, (event: RegistryEvent) => events.push(event));
  return events;
}

function topologyTests(kind: TopologyKind, redisUrl: () => string | undefined): void {
  let world: World | undefined;
  let news: RegistryEvent[][] = [];

  function open(faults = {}): World {
    world = openWorld({
      kind,
      redisUrl: redisUrl(),
      fake: { rosterOnEstablished: true, faults: { seed: 11, duplicate: 1, ...faults } },
    });
    news = world.registries.map(record);
    return world;
  }

  const all = () => news.flat();

  async function connected(w: World): Promise<string> {
    const callId = w.fake.placeCall();
    await w.settle();
    await w.registries[0]?.track(callId);
    await w.settle();
    return callId;
  }

  afterEach(async () => {
    const done = world;
    world = undefined;
    if (done === undefined) return;
    await done.close();
    expect(eventsOf(all(), 'registry.error')).toEqual([]);
  });

  it('a prompt resolves with the completed operation, once, whoever gets its notification', async () => {
    const w = open();
    const callId = await connected(w);
    const [first] = w.registries as [CallRegistry];
    const done = await first.playPrompt(callId, PROMPT);
    expect(done).toMatchObject({
      callId,
      kind: 'playPrompt',
      status: 'completed',
      resultInfo: { code: 200, subcode: 0 },
    });
    await w.settle();
    const posts = w.fake.requests.filter((r) => r.action === 'playPrompt');
    expect(posts).toHaveLength(1);
    expect(posts[0]?.body).toMatchObject({
      prompts: [{ mediaInfo: { uri: PROMPT } }],
      clientContext: done.key,
    });
    // Every registry that stepped the completion told its listeners: one story in all.
    expect(eventsOf(all(), 'operation.completed').map((e) => e.operation.key)).toEqual([done.key]);
    expect(w.registries[0]?.get(callId)?.pendingOperations).toBeUndefined();
  });

  it('a recording resolves with its location, and its access token is kept nowhere', async () => {
    const w = open();
    const callId = await connected(w);
    const done = await w.registries[0]?.recordResponse(callId, {
      prompts: [PROMPT],
      maxRecordDurationInSeconds: 10,
      stopTones: ['#'],
    });
    expect(done?.recordingLocation).toMatch(/^https:/);
    expect(done?.completionReason).toBe('maxRecordDurationReached');
    expect(JSON.stringify(done)).not.toMatch(/AccessToken/i);
  });

  it('a failed operation rejects with Graph resultInfo; a throttled one is sent again', async () => {
    const w = open();
    const callId = await connected(w);
    const registry = w.registries[0] as CallRegistry;
    w.fake.scriptOperations(callId, 'fails');
    const failed = await registry.playPrompt(callId, PROMPT).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(OperationFailedError);
    expect(failed).toMatchObject({
      reason: 'graph',
      kind: 'playPrompt',
      resultInfo: { code: 500 },
    });
    w.fake.throttleNext(1, 0.01);
    const done = await registry.sendDtmfTones(callId, ['tone1', 'pound']);
    expect(done.status).toBe('completed');
    expect(
      w.fake.requests.filter((r) => r.action === 'sendDtmfTones').map((r) => r.status),
    ).toEqual([429, 200]);
  });

  it('an operation Graph never finishes times out', async () => {
    const w = open();
    const callId = await connected(w);
    w.fake.scriptOperations(callId, 'neverCompletes');
    const failed = await w.registries[0]
      ?.playPrompt(callId, PROMPT, { timeoutMs: 50 })
      .catch((e: unknown) => e);
    expect(failed).toMatchObject({ reason: 'timedOut', operation: { status: 'failed' } });
  });

  it('a call hung up mid-prompt settles the prompt as callEnded; its late result stays late', async () => {
    const w = open();
    const callId = await connected(w);
    const registry = w.registries[0] as CallRegistry;
    w.fake.scriptOperations(callId, 'completesAfterEnd', 'neverCompletes');
    const prompt = watch(registry.playPrompt(callId, PROMPT));
    const record = watch(registry.recordResponse(callId));
    await w.settle();
    expect(prompt.state().status).toBe('pending');
    expect(registry.get(callId)?.pendingOperations).toBe(2);
    await registry.hangUp(callId);
    await registry.waitFor(callId, 'terminated');
    await w.settle();
    for (const settled of [prompt.state(), record.state()]) {
      expect(settled.status).toBe('rejected');
      const reason = settled.status === 'rejected' ? settled.reason : undefined;
      expect(reason).toBeInstanceOf(OperationFailedError);
      expect(reason).toMatchObject({ reason: 'callEnded', operation: { status: 'callEnded' } });
    }
    // The completion Graph sent after the end was judged late, never handed on as live.
    const late = eventsOf(all(), 'notification.ignored').filter(
      (e) => e.notification.resource === 'operation',
    );
    expect(late.length).toBeGreaterThan(0);
    expect(late.every((e) => e.verdict === 'late')).toBe(true);
    expect(eventsOf(all(), 'operation.completed')).toEqual([]);
  });

  it('mute, invite and remove change the roster, and the events say how', async () => {
    const w = open();
    const callId = await connected(w);
    const registry = w.registries[0] as CallRegistry;
    await registry.mute(callId);
    await w.settle();
    const me = registry.participants(callId).find((p) => p.identity.application !== undefined);
    expect(me?.isMuted).toBe(true);
    expect(eventsOf(all(), 'participant.updated').some((e) => e.changed.includes('isMuted'))).toBe(
      true,
    );
    await registry.invite(callId, TARGET);
    await w.settle();
    const alice = registry
      .participants(callId)
      .find((p) => p.identity.user?.id === TARGET.identity.user?.id);
    expect(alice).toBeDefined();
    await registry.removeParticipant(callId, alice?.id ?? '');
    await w.settle();
    expect(registry.participants(callId).map((p) => p.id)).not.toContain(alice?.id);
    expect(eventsOf(all(), 'participant.left').map((e) => e.participant.id)).toContain(alice?.id);
    // Every registry agrees on the roster: it lives in the stored call.
    for (const other of w.registries) {
      await other.read(callId);
      expect(other.participants(callId)).toEqual(registry.participants(callId));
    }
  });

  it('each key press is handed on once, however often Graph repeats it', async () => {
    const w = open();
    const callId = await connected(w);
    const registry = w.registries[0] as CallRegistry;
    await registry.subscribeToTone(callId);
    w.fake.pressTone(callId, 'tone1');
    w.fake.pressTone(callId, 'tone2');
    await w.settle();
    const tones = eventsOf(all(), 'call.tone', callId);
    expect(tones.map((e) => [e.sequenceId, e.tone])).toEqual([
      [1, 'tone1'],
      [2, 'tone2'],
    ]);
    expect((await registry.read(callId))?.duplicateTones).toBeGreaterThan(0);
  });

  // Two instances or more: the asker is not the one that hears Graph.
  if (kind !== 'one registry') {
    it('a prompt asked on one instance is completed by a notification only another receives', async () => {
      const w = open();
      const callId = await connected(w);
      const [asking, receiving] = w.registries as [CallRegistry, CallRegistry];
      w.disconnect();
      const onlyOther = w.fake.connect(receiving);
      try {
        const done = await asking.playPrompt(callId, PROMPT);
        expect(done.status).toBe('completed');
        // The instance that received the completion told its listeners; the asker learned it
        // from the stored call.
        const [, heard] = news;
        expect(eventsOf(heard ?? [], 'operation.completed').map((e) => e.operation.key)).toEqual([
          done.key,
        ]);
      } finally {
        onlyOther();
        w.connect();
      }
    });
  }

  it('an operation the call cannot take sends nothing and rejects', async () => {
    const w = open();
    const callId = w.fake.incomingCall();
    await w.settle();
    const registry = w.registries[0] as CallRegistry;
    const refused = await registry.playPrompt(callId, PROMPT).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OperationRejectedError);
    expect(refused).toMatchObject({ kind: 'playPrompt', state: 'incoming' });
    await expect(registry.mute('no-such-call')).rejects.toBeInstanceOf(UnknownCallError);
    await expect(registry.playPrompt(callId, [])).rejects.toThrow(
      'registry.playPrompt: prompts must name at least one prompt.',
    );
    await expect(registry.sendDtmfTones(callId, ['tone12' as 'tone1'])).rejects.toThrow(
      /tones\[0\] must be one of/,
    );
    expect(w.fake.requests.filter((r) => r.action === 'playPrompt')).toEqual([]);
  });
}

describeTopologies(topologyTests);

describe('a restart', () => {
  it('keeps a pending operation in the store; the next registry completes it', async () => {
    const fake = createFakeGraph();
    const store = new MemoryCallStore();
    const first = createCallRegistry({ graph: graphOf(fake), store, keepAliveMs: 0 });
    let disconnect = fake.connect(first);
    const callId = fake.placeCall();
    await fake.settle();
    await first.idle();
    fake.scriptOperations(callId, { result: 'completes', afterMs: 50 });
    const prompt = watch(first.playPrompt(callId, PROMPT));
    await first.idle();
    disconnect();
    await first.close();
    await flush();
    expect(prompt.state()).toMatchObject({ status: 'rejected' });

    const second = createCallRegistry({ graph: graphOf(fake), store, keepAliveMs: 0 });
    const completed: RegistryEvent[] = [];
    second.on('operation.completed', (e) => completed.push(e));
    disconnect = fake.connect(second);
    expect((await second.read(callId))?.pendingOperations).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 80));
    await fake.settle();
    await second.idle();
    expect(completed).toHaveLength(1);
    expect((await second.read(callId))?.pendingOperations).toBeUndefined();
    disconnect();
    await second.close();
    await fake.close();
  });
});
