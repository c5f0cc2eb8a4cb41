// The fake Graph's media and participant operations (graph-corpus sequences.md §7–10): each
// request's 200 with its commsOperation and the notifications that follow, checked against
// the docs' examples; the body and state checks; the roster (invite, mute, removal, joins);
// tones; scripted and seeded outcomes; and the request faults applied to operations.
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CallNotification,
  operationIdKey,
  parseNotifications,
  readOperationReport,
  readRoster,
} from '../../src/index.js';
import {
  createFakeGraph,
  createManualClock,
  type FakeGraph,
  type FakeGraphOptions,
} from '../../src/testing/index.js';
import { corpusFile } from '../support/corpus.js';
import { closeFakes, collectedFake } from './collectedFake.js';
import { post as postToCalls } from './requestBodies.js';

afterEach(closeFakes);

function setup(options: Omit<FakeGraphOptions, 'deliver'> = {}) {
  const { fake, take } = collectedFake(options);
  /** An established call, its own notifications already taken. */
  const established = async (): Promise<string> => {
    const callId = fake.incomingCall();
    fake.answer(callId);
    await take();
    return callId;
  };
  return { fake, take, established };
}

type Data = Record<string, unknown>;

const dataOf = (n: CallNotification | undefined): Data =>
  (n?.raw as { resourceData?: Data } | undefined)?.resourceData ?? {};

const rosterOf = (n: CallNotification | undefined): Data[] =>
  (n?.raw as { resourceData?: Data[] } | undefined)?.resourceData ?? [];

/** POSTs a JSON body (or raw text) to `/communications/calls/{callId}{path}`. */
const post = (fake: FakeGraph, callId: string, path: string, body?: unknown) =>
  postToCalls(fake, `/${callId}${path}`, body);

function send(
  fake: FakeGraph,
  method: 'GET' | 'DELETE',
  callId: string,
  path: string,
): Promise<Response> {
  return fake.fetch(`${fake.baseUrl}/communications/calls/${callId}${path}`, {
    method,
    headers: { authorization: 'Bearer t' },
  });
}

async function json(response: Response): Promise<Data> {
  return (await response.json()) as Data;
}

/** Every key path of a JSON value with the JSON type found there: `resultInfo.code:number`. */
function keyPaths(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) {
    return value.length === 0 ? [`${path}:array`] : value.flatMap((v) => keyPaths(v, `${path}[]`));
  }
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, v]) => keyPaths(v, path ? `${path}.${key}` : key));
  }
  return [`${path}:${value === null ? 'null' : typeof value}`];
}

/** Expects the fake's item to carry every field (of the same JSON type) of the docs' example. */
function expectDocFields(actual: CallNotification | undefined, file: string): void {
  const [doc] = parseNotifications(corpusFile(file).body).notifications;
  expect(actual?.changeType).toBe(doc?.changeType);
  expect(actual?.resource).toBe(doc?.resource);
  const mine = new Set(keyPaths(actual?.raw));
  // `id: null` in the docs' roster examples is a placeholder; the fake names its participants.
  // The invite examples repeat the path in the pre-2019 `resource` beside `resourceUrl`.
  const missing = keyPaths(doc?.raw).filter(
    (path) =>
      !mine.has(path) && !mine.has(path.replace(/:null$/, ':string')) && path !== 'resource:string',
  );
  expect(missing, `${file}: fields the docs show that the fake left out`).toEqual([]);
}

const PROMPT = { mediaInfo: { uri: 'https://cdn.contoso.com/welcome.wav', resourceId: 'welcome' } };
const PLAY = { clientContext: 'ctx-play', prompts: [PROMPT] };
const RECORD = {
  clientContext: 'ctx-record',
  prompts: [PROMPT],
  maxRecordDurationInSeconds: 10,
  stopTones: ['#', '*'],
};
const DTMF = { clientContext: 'ctx-dtmf', tones: ['tone1', 'pound'], delayBetweenTonesMs: 300 };
const ALICE = {
  identity: { user: { id: '98da8a1a-1b87-452c-a713-65d3f10b5555', displayName: 'Alice' } },
};
const INVITE = { clientContext: 'ctx-invite', participants: [ALICE] };

describe('media operations answer 200 with the operation, then report it', () => {
  it('playPrompt: running with a Location, then deleted completed 200/0 on the operation', async () => {
    const { fake, take, established } = setup();
    const callId = await established();
    const response = await post(fake, callId, '/playPrompt', PLAY);
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toEqual({
      '@odata.type': '#microsoft.graph.playPromptOperation',
      id: expect.stringMatching(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      ),
      status: 'running',
      clientContext: 'ctx-play',
      resultInfo: null,
    });
    const opId = String(body.id);
    expect(response.headers.get('location')).toBe(
      `${fake.baseUrl}/communications/calls/${callId}/operations/${opId}`,
    );
    expect(fake.requests.at(-1)).toMatchObject({
      action: 'playPrompt',
      callId,
      status: 200,
      operationId: opId,
    });

    const [done, ...rest] = await take();
    expect(rest).toEqual([]);
    expect(done).toMatchObject({ callId, changeType: 'deleted', resource: 'operation' });
    // As the docs spell it: the path's id without dashes and in capitals, the body's as answered.
    expect(done?.subresourceId).toBe(opId.replace(/-/g, '').toUpperCase());
    expect(operationIdKey(done?.subresourceId ?? '')).toBe(operationIdKey(opId));
    expect(readOperationReport(dataOf(done))).toEqual({
      id: opId,
      status: 'completed',
      clientContext: 'ctx-play',
      resultInfo: { code: 200, subcode: 0, message: 'Action completed successfully.' },
      dataType: '#microsoft.graph.playPromptOperation',
    });
    expectDocFields(done, 'v1.0_call-playprompt__1');
    expect(fake.calls.get(callId)?.operations).toMatchObject([
      { id: opId, kind: 'playPrompt', status: 'completed', clientContext: 'ctx-play' },
    ]);
  });

  it('recordResponse: running, then completed 200/8515 with where to fetch the recording', async () => {
    const { fake, take, established } = setup();
    const callId = await established();
    const response = await post(fake, callId, '/recordResponse', RECORD);
    const body = await json(response);
    expect(body).toMatchObject({
      '@odata.type': '#microsoft.graph.recordOperation',
      status: 'running',
      clientContext: 'ctx-record',
      resultInfo: null,
      recordingLocation: null,
    });
    const [done] = await take();
    const data = dataOf(done);
    expect(data).toMatchObject({
      '@odata.type': '#microsoft.graph.recordOperation',
      id: body.id,
      status: 'completed',
      clientContext: 'ctx-record',
      resultInfo: { code: 200, subcode: 8515 },
      completionReason: 'maxRecordDurationReached',
      recordingAccessToken: expect.any(String),
    });
    expect(new URL(String(data.recordingLocation)).protocol).toBe('https:');
    expect(readOperationReport(data)?.recordingLocation).toBe(data.recordingLocation);
    expectDocFields(done, 'v1.0_call-record__1');
  });

  it('cancelMediaProcessing: completed at once; each running prompt and recording fails 400/8508', async () => {
    const clock = createManualClock(Date.UTC(2025, 0, 1));
    const { fake, take } = setup({ clock });
    const callId = fake.incomingCall();
    fake.answer(callId);
    await clock.advance(0);
    await take();
    fake.scriptOperations(callId, 'neverCompletes', { result: 'completes', afterMs: 60_000 });
    const play = await json(await post(fake, callId, '/playPrompt', PLAY));
    const record = await json(await post(fake, callId, '/recordResponse', RECORD));
    const dtmf = await json(await post(fake, callId, '/sendDtmfTones', DTMF));
    await clock.advance(0);
    // Only the tones, which the script left alone, have completed.
    expect((await take()).map((n) => dataOf(n).id)).toEqual([dtmf.id]);

    const cancel = await post(fake, callId, '/cancelMediaProcessing', { clientContext: 'ctx-c' });
    expect(await json(cancel)).toEqual({
      '@odata.type': '#microsoft.graph.cancelMediaProcessingOperation',
      id: expect.any(String),
      status: 'completed',
      clientContext: 'ctx-c',
      resultInfo: null,
    });
    await clock.advance(0);
    const cancelled = await take();
    expect(cancelled.map((n) => dataOf(n))).toMatchObject([
      {
        id: play.id,
        status: 'failed',
        clientContext: 'ctx-play',
        resultInfo: {
          code: 400,
          subcode: 8508,
          message: 'Action failed, the operation was cancelled.',
        },
        completionReason: 'operationCanceled',
      },
      {
        id: record.id,
        status: 'failed',
        resultInfo: { code: 400, subcode: 8508 },
        completionReason: 'operationCanceled',
        recordingLocation: '',
      },
    ]);
    expectDocFields(cancelled[1], 'v1.0_call-cancelmediaprocessing__1');
    // The recording's own completion was disarmed: nothing comes when its time would have.
    await clock.advance(60_000);
    expect(await take()).toEqual([]);
    expect(fake.calls.get(callId)?.operations.map((op) => [op.kind, op.status])).toEqual([
      ['playPrompt', 'failed'],
      ['recordResponse', 'failed'],
      ['sendDtmfTones', 'completed'],
      ['cancelMediaProcessing', 'completed'],
    ]);
  });

  it('a prompt scripted to take a while completes when its time comes, by the fake’s clock', async () => {
    const clock = createManualClock(0);
    const { fake, take } = setup({ clock });
    const callId = fake.placeCall();
    await clock.advance(0);
    await take();
    fake.scriptOperations(callId, { result: 'completes', afterMs: 5_000 });
    await post(fake, callId, '/playPrompt', PLAY);
    await clock.advance(4_999);
    expect(await take()).toEqual([]);
    await clock.advance(1);
    expect((await take()).map((n) => dataOf(n).status)).toEqual(['completed']);
  });

  it('sendDtmfTones: running, then deleted completed with completionReason completedSuccessfully', async () => {
    const { fake, take, established } = setup();
    const callId = await established();
    const body = await json(await post(fake, callId, '/sendDtmfTones', DTMF));
    expect(body).toMatchObject({
      '@odata.type': '#microsoft.graph.sendDtmfTonesOperation',
      status: 'running',
    });
    const [done] = await take();
    // The docs' example has no resultInfo; the path spells the id as the body does.
    expect(dataOf(done)).toMatchObject({
      '@odata.type': '#microsoft.graph.sendDtmfTonesOperation',
      id: body.id,
      status: 'completed',
      completionReason: 'completedSuccessfully',
      clientContext: 'ctx-dtmf',
    });
    expect(dataOf(done).resultInfo).toBeUndefined();
    expect(done?.subresourceId).toBe(body.id);
    expectDocFields(done, 'v1.0_call-senddtmftones__1');
  });

  it('updateRecordingStatus: completed in the answer, nothing notified; the fake records the status', async () => {
    const { fake, take, established } = setup();
    const callId = await established();
    const response = await post(fake, callId, '/updateRecordingStatus', {
      clientContext: 'ctx-r',
      status: 'recording',
    });
    expect(await json(response)).toMatchObject({
      '@odata.type': '#microsoft.graph.updateRecordingStatusOperation',
      status: 'completed',
    });
    expect(await take()).toEqual([]);
    expect(fake.calls.get(callId)?.recordingStatus).toBe('recording');
  });

  it('a namespace-qualified action (as the sendDtmfTones docs write it) is the same operation', async () => {
    const { fake, established } = setup();
    const callId = await established();
    const response = await post(fake, callId, '/microsoft.graph.sendDtmfTones', DTMF);
    expect(response.status).toBe(200);
    expect(fake.calls.get(callId)?.operations[0]?.kind).toBe('sendDtmfTones');
  });

  it('is served over the loopback HTTP server as well', async () => {
    const { fake, take, established } = setup();
    const callId = await established();
    const server = await fake.listen();
    const response = await fetch(`${server.url}/communications/calls/${callId}/playPrompt`, {
      method: 'POST',
      headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      body: JSON.stringify(PLAY),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Data;
    expect(response.headers.get('location')).toBe(
      `${server.url}/communications/calls/${callId}/operations/${String(body.id)}`,
    );
    expect((await take()).map((n) => dataOf(n).id)).toEqual([body.id]);
  });
});

describe('tones', () => {
  it('subscribeToTone completes in its answer; pressTone then sends toneInfo numbered per call', async () => {
    const { fake, take, established } = setup();
    const callId = await established();
    const other = await established();
    expect(() => fake.pressTone(callId, 'tone1')).toThrow(/has not subscribed to tones/);

    const response = await post(fake, callId, '/subscribeToTone', { clientContext: 'ctx-t' });
    expect(await json(response)).toMatchObject({
      '@odata.type': '#microsoft.graph.subscribeToToneOperation',
      status: 'completed',
      clientContext: 'ctx-t',
    });
    expect(fake.calls.get(callId)?.toneSubscribed).toBe(true);
    expect(await take()).toEqual([]);
    await post(fake, other, '/subscribeToTone');

    expect(fake.pressTone(callId, 'tone1')).toBe(1);
    expect(fake.pressTone(callId, 'pound')).toBe(2);
    expect(fake.pressTone(other, 'star')).toBe(1);
    const tones = await take();
    expect(tones.map((n) => [n.callId, n.changeType, n.state, dataOf(n).toneInfo])).toEqual([
      [
        callId,
        'updated',
        'established',
        { '@odata.type': '#microsoft.graph.toneInfo', sequenceId: 1, tone: 'tone1' },
      ],
      [
        callId,
        'updated',
        'established',
        { '@odata.type': '#microsoft.graph.toneInfo', sequenceId: 2, tone: 'pound' },
      ],
      [
        other,
        'updated',
        'established',
        { '@odata.type': '#microsoft.graph.toneInfo', sequenceId: 1, tone: 'star' },
      ],
    ]);
    expectDocFields(tones[0], 'v1.0_call-subscribetotone__1');
    // A tone changes nothing: the call keeps its etag.
    expect(dataOf(tones[0])['@odata.etag']).toBeUndefined();
  });

  it('pressTone throws for a call that is not established', async () => {
    const { fake } = setup();
    const callId = fake.incomingCall();
    expect(() => fake.pressTone(callId, 'tone1')).toThrow(/state incoming/);
    expect(() => fake.pressTone('nope', 'tone1')).toThrow(/Known calls/);
  });
});

describe('the roster', () => {
  it('starts with the bot (myParticipantId); the caller joins when the call is established, silently', async () => {
    const { fake, take } = setup();
    const callId = fake.incomingCall({ myParticipantId: 'bot-participant' });
    expect(fake.participants(callId)).toEqual([
      {
        id: 'bot-participant',
        info: {
          identity: {
            application: { displayName: 'Test BOT', id: '24701998-1a73-4d42-8085-bf46ed0ae039' },
          },
        },
        mediaStreams: [
          {
            mediaType: 'audio',
            label: 'main-audio',
            sourceId: '1',
            direction: 'sendReceive',
            serverMuted: false,
          },
        ],
        isMuted: false,
        isInLobby: false,
        rosterSequenceNumber: 1,
      },
    ]);
    fake.answer(callId);
    // The call's documented sequence, and no roster notification.
    expect((await take()).map((n) => [n.resource, n.state])).toEqual([
      ['call', 'incoming'],
      ['call', 'establishing'],
      ['call', 'established'],
    ]);
    const roster = fake.participants(callId);
    expect(
      roster.map((p) => [
        p.info.identity.user?.displayName ?? p.info.identity.application?.displayName,
        p.rosterSequenceNumber,
      ]),
    ).toEqual([
      ['Test BOT', 1],
      ['Test User', 2],
    ]);
    // A copy: changing the call later does not change it.
    await post(fake, callId, '/mute');
    expect(roster[0]?.isMuted).toBe(false);
    expect(() => fake.participants('nope')).toThrow(/no such call/);
  });

  it('rosterOnEstablished: the whole roster right after the first established, once', async () => {
    const { fake, take } = setup({ rosterOnEstablished: true });
    const callId = fake.placeCall();
    fake.setState(callId, 'hold');
    fake.setState(callId, 'established');
    const sent = await take();
    expect(sent.map((n) => [n.resource, n.state])).toEqual([
      ['call', 'establishing'],
      ['call', 'established'],
      ['participants', undefined],
      ['call', 'hold'],
      ['call', 'established'],
    ]);
    expect(rosterOf(sent[2]).map((p) => p.id)).toEqual(fake.participants(callId).map((p) => p.id));
    expect(readRoster('updated', rosterOf(sent[2]))?.entries).toHaveLength(2);
  });

  it('mute and unmute: completed in the answer, then the whole roster with the bot muted, then not', async () => {
    const { fake, take, established } = setup();
    const callId = await established();
    const botId = fake.calls.get(callId)?.myParticipantId;
    const muted = await post(fake, callId, '/mute', { clientContext: 'ctx-m' });
    expect(await json(muted)).toMatchObject({
      '@odata.type': '#microsoft.graph.muteParticipantOperation',
      status: 'completed',
      clientContext: 'ctx-m',
    });
    const [first] = await take();
    expect(first).toMatchObject({ callId, changeType: 'updated', resource: 'participants' });
    expectDocFields(first, 'v1.0_call-mute__1');
    const unmuted = await post(fake, callId, '/unmute', { clientContext: 'ctx-u' });
    expect(await json(unmuted)).toMatchObject({
      '@odata.type': '#microsoft.graph.unmuteParticipantOperation',
      status: 'completed',
    });
    const [second] = await take();
    const botIn = (n: CallNotification | undefined) =>
      rosterOf(n).find((p) => p.id === botId) as Data | undefined;
    expect(botIn(first)).toMatchObject({ isMuted: true, rosterSequenceNumber: 3 });
    expect(botIn(second)).toMatchObject({ isMuted: false, rosterSequenceNumber: 4 });
    // Every roster is whole: the caller is in both.
    expect(rosterOf(first)).toHaveLength(2);
    expect(readRoster('updated', rosterOf(second))).toMatchObject({
      kind: 'whole',
      entries: [{ participant: { id: botId, isMuted: false, sequence: 4 } }, { removed: false }],
    });
  });

  it('invite: running, deleted completed with the invitees, then the roster with them added', async () => {
    const { fake, take, established } = setup();
    const callId = await established();
    const body = await json(await post(fake, callId, '/participants/invite', INVITE));
    expect(body).toMatchObject({
      '@odata.type': '#microsoft.graph.inviteParticipantsOperation',
      status: 'running',
      clientContext: 'ctx-invite',
      resultInfo: null,
      participants: [{ identity: { user: { id: ALICE.identity.user.id } } }],
    });
    expect(fake.requests.at(-1)).toMatchObject({ action: 'participants/invite', status: 200 });
    const [done, roster, ...rest] = await take();
    expect(rest).toEqual([]);
    expect(dataOf(done)).toMatchObject({ id: body.id, status: 'completed' });
    expectDocFields(done, 'v1.0_participant-invite__1');
    expectDocFields(roster, 'v1.0_participant-invite__2');
    const invited = fake.participants(callId)[2];
    expect(invited).toMatchObject({
      info: { identity: ALICE.identity, endpointType: 'default' },
      rosterSequenceNumber: 3,
    });
    expect(rosterOf(roster).map((p) => p.id)).toEqual(fake.participants(callId).map((p) => p.id));
    expect(new Set(fake.participants(callId).map((p) => p.id)).size).toBe(3);
  });

  it('DELETE …/participants/{id}: 204 and the whole roster without them; 404 for someone not in it', async () => {
    const { fake, take, established } = setup();
    const callId = await established();
    const caller = fake.participants(callId)[1]?.id ?? '';
    const listed = await json(await send(fake, 'GET', callId, '/participants'));
    expect((listed.value as Data[]).map((p) => p.id)).toEqual(
      fake.participants(callId).map((p) => p.id),
    );
    expect((await send(fake, 'GET', callId, `/participants/${caller}`)).status).toBe(200);

    const removed = await send(fake, 'DELETE', callId, `/participants/${caller}`);
    expect(removed.status).toBe(204);
    expect(fake.requests.at(-1)).toMatchObject({ action: 'participants', participantId: caller });
    const [roster] = await take();
    expect(roster).toMatchObject({ changeType: 'updated', resource: 'participants' });
    expect(rosterOf(roster).map((p) => p.id)).toEqual([fake.calls.get(callId)?.myParticipantId]);
    expect(rosterOf(roster)[0]?.rosterSequenceNumber).toBe(1);

    const again = await send(fake, 'DELETE', callId, `/participants/${caller}`);
    expect(again.status).toBe(404);
    expect(await json(again)).toMatchObject({ error: { code: 'itemNotFound' } });
    expect((await send(fake, 'GET', callId, `/participants/${caller}`)).status).toBe(404);
    const bot = await send(
      fake,
      'DELETE',
      callId,
      `/participants/${fake.calls.get(callId)?.myParticipantId}`,
    );
    expect(bot.status).toBe(400);
    expect(await take()).toEqual([]);
  });

  it('join, updateParticipant and leave notify the whole roster, numbered', async () => {
    const { fake, take, established } = setup();
    const callId = await established();
    const bob = fake.join(callId, {
      identity: { user: { id: 'b0b', displayName: 'Bob' } },
      isInLobby: true,
      modalities: ['audio', 'video'],
    });
    fake.updateParticipant(callId, bob, { isInLobby: false, isMuted: true });
    fake.leave(callId, bob);
    const rosters = await take();
    expect(
      rosters.map((n) =>
        rosterOf(n).map((p) => [p.id, p.isInLobby, p.isMuted, p.rosterSequenceNumber]),
      ),
    ).toEqual([
      [
        [expect.any(String), false, false, 1],
        [expect.any(String), false, false, 2],
        [bob, true, false, 3],
      ],
      [
        [expect.any(String), false, false, 1],
        [expect.any(String), false, false, 2],
        [bob, false, true, 4],
      ],
      [
        [expect.any(String), false, false, 1],
        [expect.any(String), false, false, 2],
      ],
    ]);
    const streams = (rosterOf(rosters[0])[2]?.mediaStreams ?? []) as Data[];
    expect(streams.map((stream) => stream.mediaType)).toEqual(['audio', 'video']);
    expect(() => fake.leave(callId, bob)).toThrow(/no such participant/);
    expect(() => fake.leave(callId, fake.calls.get(callId)?.myParticipantId ?? '')).toThrow(
      /the bot itself/,
    );
    expect(() => fake.join(callId, { identity: {} })).toThrow(TypeError);
    const carol = fake.join(callId, { id: 'carol', identity: { phone: { id: '+14255550100' } } });
    expect(carol).toBe('carol');
    expect(() => fake.join(callId, { id: 'carol', identity: { phone: { id: '+1' } } })).toThrow(
      /already in the call/,
    );
    await fake.fetch(`${fake.baseUrl}/communications/calls/${callId}`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer t' },
    });
    expect(() => fake.join(callId, ALICE)).toThrow(/ended/);
  });
});

describe('bodies are checked as Graph checks them', () => {
  const LONG = 'x'.repeat(257);
  const cases: readonly [string, unknown, string][] = [
    ['/playPrompt', { clientContext: 'c' }, 'prompts must be a non-empty array'],
    ['/playPrompt', { prompts: [] }, 'prompts must be a non-empty array'],
    ['/playPrompt', { prompts: [{}] }, 'prompts[0].mediaInfo is required'],
    ['/playPrompt', { prompts: [{ mediaInfo: { uri: 42 } }] }, 'prompts[0].mediaInfo.uri'],
    ['/playPrompt', { prompts: [PROMPT], loop: 'yes' }, 'loop must be true or false'],
    [
      '/playPrompt',
      { ...PLAY, clientContext: LONG },
      'clientContext must be a string of at most 256 characters, got 257',
    ],
    ['/playPrompt', { ...PLAY, clientContext: 7 }, 'clientContext must be a string'],
    ['/recordResponse', { prompts: [PROMPT, PROMPT] }, 'prompts must be an array of at most 1'],
    [
      '/recordResponse',
      { maxRecordDurationInSeconds: 121 },
      'maxRecordDurationInSeconds must be a whole number of seconds from 1 to 120',
    ],
    ['/recordResponse', { initialSilenceTimeoutInSeconds: 0 }, 'initialSilenceTimeoutInSeconds'],
    ['/recordResponse', { stopTones: '#' }, 'stopTones must be an array'],
    ['/recordResponse', { playBeep: 1 }, 'playBeep must be true or false'],
    ['/sendDtmfTones', { tones: [] }, 'tones must be a non-empty array'],
    ['/sendDtmfTones', { tones: ['tone1', '#'] }, 'tones[1] must be one of'],
    ['/sendDtmfTones', { tones: ['tone1'], delayBetweenTonesMs: -1 }, 'delayBetweenTonesMs'],
    ['/updateRecordingStatus', { clientContext: 'c' }, 'status is required'],
    ['/updateRecordingStatus', { status: 'paused' }, 'status is required: one of'],
    ['/participants/invite', { participants: [] }, 'participants must be a non-empty array'],
    [
      '/participants/invite',
      { participants: [{ endpointType: 'default' }] },
      'participants[0].identity is required',
    ],
    ['/mute', { clientContext: LONG }, 'clientContext'],
    ['/subscribeToTone', [], 'must be a JSON object'],
    ['/playPrompt', '{"prompts": [', 'is not valid JSON'],
  ];

  it.each(cases)('POST %s %j → 400 naming the field', async (path, body, message) => {
    const { fake, take, established } = setup();
    const callId = await established();
    const response = await post(fake, callId, path, body);
    expect(response.status).toBe(400);
    const error = (await json(response)).error as Data;
    expect(error.code).toBe('BadRequest');
    expect(String(error.message)).toContain(message);
    expect(fake.calls.get(callId)?.operations).toEqual([]);
    expect(await take()).toEqual([]);
  });

  it('an operation that needs parameters needs a body; one whose parameters are all optional does not', async () => {
    const { fake, established } = setup();
    const callId = await established();
    const none = await post(fake, callId, '/playPrompt');
    expect(none.status).toBe(400);
    expect(((await json(none)).error as Data).message).toBe(
      'playPrompt needs a JSON body with its parameters.',
    );
    for (const path of ['/mute', '/unmute', '/subscribeToTone', '/cancelMediaProcessing']) {
      const response = await post(fake, callId, path);
      expect(response.status, path).toBe(200);
      expect((await json(response)).clientContext, path).toBeUndefined();
    }
  });
});

describe('the call must be connected', () => {
  it('400 InvalidRequest in another live state, 404 for an unknown or ended call; on hold it is fine', async () => {
    const { fake, established } = setup();
    const ringing = fake.incomingCall();
    const refused = await post(fake, ringing, '/playPrompt', PLAY);
    expect(refused.status).toBe(400);
    expect((await json(refused)).error).toMatchObject({
      code: 'InvalidRequest',
      message: expect.stringContaining(
        `Cannot playPrompt the call ${ringing} in state incoming; only a call in state established or hold can be.`,
      ),
    });
    const removal = await send(fake, 'DELETE', ringing, '/participants/x');
    expect(removal.status).toBe(400);

    const unknown = await post(fake, 'no-such-call', '/participants/invite', INVITE);
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).error).toMatchObject({ code: 'itemNotFound' });
    // The body is checked first, as for call control.
    expect((await post(fake, 'no-such-call', '/playPrompt', {})).status).toBe(400);

    const held = await established();
    fake.setState(held, 'hold');
    expect((await post(fake, held, '/sendDtmfTones', DTMF)).status).toBe(200);
    fake.remoteHangUp(held);
    expect((await post(fake, held, '/sendDtmfTones', DTMF)).status).toBe(404);
    expect((await send(fake, 'DELETE', held, '/participants/x')).status).toBe(404);
  });

  it('a method the endpoint does not take is a 405', async () => {
    const { fake, established } = setup();
    const callId = await established();
    expect((await send(fake, 'GET', callId, '/playPrompt')).status).toBe(405);
    expect((await post(fake, callId, '/participants/abc', {})).status).toBe(405);
    expect((await post(fake, callId, '/unknownThing', {})).status).toBe(400);
  });
});

describe('scripted outcomes', () => {
  it('fails: deleted with status failed and 500/9999; the next operation completes again', async () => {
    const { fake, take, established } = setup();
    const callId = await established();
    fake.scriptOperations(callId, 'fails');
    await post(fake, callId, '/playPrompt', PLAY);
    await post(fake, callId, '/playPrompt', PLAY);
    expect(
      (await take()).map((n) => [dataOf(n).status, readOperationReport(dataOf(n))?.resultInfo]),
    ).toEqual([
      [
        'failed',
        { code: 500, subcode: 9999, message: 'Action failed, an unknown error occurred.' },
      ],
      ['completed', { code: 200, subcode: 0, message: 'Action completed successfully.' }],
    ]);
  });

  it('a failed invite adds no one', async () => {
    const { fake, take, established } = setup();
    const callId = await established();
    fake.scriptOperations(callId, 'fails');
    await post(fake, callId, '/participants/invite', INVITE);
    const [failed, ...rest] = await take();
    expect(dataOf(failed)).toMatchObject({ status: 'failed', resultInfo: { code: 500 } });
    expect(rest).toEqual([]);
    expect(fake.participants(callId)).toHaveLength(2);
  });

  it('the object form chooses resultInfo and completionReason', async () => {
    const { fake, take, established } = setup();
    const callId = await established();
    fake.scriptOperations(
      callId,
      {
        result: 'completes',
        completionReason: 'mediaOperationCanceled',
      },
      {
        result: 'fails',
        resultInfo: { code: 400, subcode: 8510, message: 'Prompt file not found.' },
      },
    );
    await post(fake, callId, '/sendDtmfTones', DTMF);
    await post(fake, callId, '/playPrompt', PLAY);
    expect((await take()).map((n) => dataOf(n))).toMatchObject([
      { status: 'completed', completionReason: 'mediaOperationCanceled' },
      {
        status: 'failed',
        resultInfo: { code: 400, subcode: 8510, message: 'Prompt file not found.' },
      },
    ]);
  });

  it('neverCompletes: 200 running, and nothing, ever; the call’s end adds nothing', async () => {
    const { fake, take, established } = setup();
    const callId = await established();
    fake.scriptOperations(callId, 'neverCompletes');
    const body = await json(await post(fake, callId, '/sendDtmfTones', DTMF));
    expect(body.status).toBe('running');
    expect(await take()).toEqual([]);
    fake.remoteHangUp(callId);
    expect((await take()).map((n) => [n.resource, n.changeType])).toEqual([
      ['call', 'updated'],
      ['call', 'deleted'],
    ]);
    expect(fake.calls.get(callId)?.operations[0]).toMatchObject({
      status: 'running',
      outcome: 'neverCompletes',
    });
  });

  it('completesAfterEnd: the completion comes only after the call’s terminated', async () => {
    const { fake, take, established } = setup();
    const callId = await established();
    fake.scriptOperations(callId, 'completesAfterEnd');
    const body = await json(await post(fake, callId, '/recordResponse', RECORD));
    expect(await take()).toEqual([]);
    expect((await send(fake, 'DELETE', callId, '')).status).toBe(204);
    const after = await take();
    expect(after.map((n) => [n.resource, n.changeType, n.state])).toEqual([
      ['call', 'updated', 'terminating'],
      ['call', 'deleted', 'terminated'],
      ['operation', 'deleted', undefined],
    ]);
    expect(dataOf(after[2])).toMatchObject({ id: body.id, status: 'completed' });
  });

  it('operations still running when the call ends are reported no more', async () => {
    const clock = createManualClock(0);
    const { fake, take } = setup({ clock });
    const callId = fake.placeCall();
    fake.scriptOperations(callId, { result: 'completes', afterMs: 1_000 });
    await post(fake, callId, '/playPrompt', PLAY);
    fake.remoteHangUp(callId);
    await clock.advance(5_000);
    expect((await take()).map((n) => n.resource)).toEqual(['call', 'call', 'call', 'call']);
    expect(clock.pending()).toBe(0);
  });

  it('only operations that report later take an outcome; scriptOperations checks what it is given', async () => {
    const { fake, take, established } = setup();
    const callId = await established();
    fake.scriptOperations(callId, 'fails');
    await post(fake, callId, '/mute');
    await post(fake, callId, '/subscribeToTone');
    await post(fake, callId, '/playPrompt', PLAY);
    expect((await take()).map((n) => [n.resource, dataOf(n).status])).toEqual([
      ['participants', undefined],
      ['operation', 'failed'],
    ]);
    expect(() => fake.scriptOperations('nope', 'fails')).toThrow(/no such call/);
    // @ts-expect-error: not an outcome
    expect(() => fake.scriptOperations(callId, 'explodes')).toThrow(TypeError);
    expect(() => fake.scriptOperations(callId, { result: 'fails', afterMs: -1 })).toThrow(
      /afterMs/,
    );
  });
});

describe('seeded operation faults', () => {
  async function outcomes(seed: number, count: number): Promise<unknown[]> {
    const { fake, established } = setup({
      faults: { seed, operations: { fail: 0.3, neverComplete: 0.2, completeAfterEnd: 0.2 } },
    });
    const callId = await established();
    for (let i = 0; i < count; i += 1) await post(fake, callId, '/playPrompt', PLAY);
    return fake.calls.get(callId)?.operations.map((op) => op.outcome) ?? [];
  }

  it('draws each unscripted operation’s outcome from the seed, so a run replays', async () => {
    const first = await outcomes(11, 40);
    expect(await outcomes(11, 40)).toEqual(first);
    expect(new Set(first)).toEqual(
      new Set(['completes', 'fails', 'neverCompletes', 'completesAfterEnd']),
    );
  });

  it('a script wins over the draw; shares above 1 in total are refused', async () => {
    const { fake, take, established } = setup({ faults: { operations: { fail: 1 } } });
    const callId = await established();
    fake.scriptOperations(callId, 'completes');
    await post(fake, callId, '/playPrompt', PLAY);
    await post(fake, callId, '/playPrompt', PLAY);
    expect((await take()).map((n) => dataOf(n).status)).toEqual(['completed', 'failed']);
    expect(() =>
      createFakeGraph({ faults: { operations: { fail: 0.6, neverComplete: 0.5 } } }),
    ).toThrow(RangeError);
    expect(() => createFakeGraph({ faults: { operations: { fail: 2 } } })).toThrow(
      /operations.fail/,
    );
  });
});

describe('request faults apply to operations', () => {
  it('throttleNext: 429 with Retry-After, no operation started, then served', async () => {
    const { fake, take, established } = setup();
    const callId = await established();
    fake.throttleNext(1, 1.5);
    const throttled = await post(fake, callId, '/playPrompt', PLAY);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('1.5');
    expect(fake.requests.at(-1)).toMatchObject({
      action: 'playPrompt',
      status: 429,
      fault: 'throttle',
    });
    expect(fake.requests.at(-1)?.operationId).toBeUndefined();
    expect(fake.calls.get(callId)?.operations).toEqual([]);
    expect(await take()).toEqual([]);
    expect((await post(fake, callId, '/playPrompt', PLAY)).status).toBe(200);
    expect(await take()).toHaveLength(1);
  });

  it('failNext limited to POST fails operations but not a participant removal', async () => {
    const { fake, established } = setup();
    const callId = await established();
    fake.failNext(2, 503, { method: 'POST', retryAfter: 2 });
    const failed = await post(fake, callId, '/participants/invite', INVITE);
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('2');
    const caller = fake.participants(callId)[1]?.id ?? '';
    expect((await send(fake, 'DELETE', callId, `/participants/${caller}`)).status).toBe(204);
    expect((await post(fake, callId, '/mute')).status).toBe(503);
    expect((await post(fake, callId, '/mute')).status).toBe(200);
    expect(fake.requests.map((r) => [r.method, r.action, r.status, r.fault])).toEqual([
      ['POST', 'participants/invite', 503, 'fail'],
      ['DELETE', 'participants', 204, undefined],
      ['POST', 'mute', 503, 'fail'],
      ['POST', 'mute', 200, undefined],
    ]);
  });
});
