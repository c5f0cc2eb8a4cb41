// Every operation sequence the Graph docs show (test/fixtures/graph-corpus/sequences.md),
// replayed from the corpus payloads themselves, must leave the call where the docs say.
import { describe, expect, it } from 'vitest';
import { parseNotifications } from '../../src/index.js';
import { corpusFile } from '../support/corpus.js';
import { Replay } from '../support/replay.js';

const ID = '57dab8b1-894c-409a-b240-bd8beae78896';
const OLD_ID = '57DAB8B1894C409AB240BD8BEAE78896';
const GROUP_ID = '90ED37DCD8E34E119DE330A955DDA06F';

function callIdOf(file: string): string {
  const [n] = parseNotifications(corpusFile(file).body).notifications;
  if (n === undefined) throw new Error(`${file} holds no notification`);
  return n.callId;
}

/** The one call id a sequence touched. */
function single(replay: Replay): string {
  const ids = [...replay.calls.keys()];
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

describe('1. hang up: DELETE → 204 → terminating → terminated', () => {
  it.each([
    ['v1.0 (resultInfo 200/5001 as strings)', 'v1.0_call-delete__1', 'v1.0_call-delete__2'],
    ['beta', 'beta_call-delete__1', 'beta_call-delete__2'],
  ])('%s', (_, terminating, terminated) => {
    const replay = new Replay().track(ID, 'established').hangUp(ID);
    replay.send(ID, { type: 'delete.succeeded', at: replay.tick() });
    replay.feed(terminating);
    expect(replay.value(ID)).toEqual({ terminating: 'confirming' });
    replay.feed(terminated);
    expect(replay.view(ID).outcome).toMatchObject({
      reason: 'hungUp',
      resultInfo: { code: 200, subcode: 5001, message: 'The conversation has ended.' },
    });
    expect(replay.verdictsOf(ID)).toEqual(['apply', 'apply']);
    expect(replay.emitted.filter((e) => e.type === 'graph.deleteCall')).toHaveLength(1);
  });

  it('2018 shape: /app/calls, etag W/"5445" on both, terminationReason AppInitiated', () => {
    const replay = new Replay().track(OLD_ID, 'established').hangUp(OLD_ID);
    replay.send(OLD_ID, { type: 'delete.succeeded', at: replay.tick() });
    replay.feed('history/beta_call-delete__1', 'history/beta_call-delete__2');
    expect(replay.view(OLD_ID).outcome).toMatchObject({
      reason: 'hungUp',
      terminationReason: 'AppInitiated',
    });
  });

  it('2019–2021 shape: terminated carries only resultInfo {code: "0"}', () => {
    const replay = new Replay().track(ID, 'established').hangUp(ID);
    replay.feed('history/beta_call-delete__3', 'history/beta_call-delete__4');
    expect(replay.view(ID).outcome).toMatchObject({ reason: 'hungUp', resultInfo: { code: 0 } });
  });

  it('2018-09 shape: updated terminated, then a bare deleted that is late', () => {
    const replay = new Replay().track(OLD_ID, 'established').hangUp(OLD_ID);
    replay.feed(
      'history/beta_call-delete__6',
      'history/beta_call-delete__7',
      'history/beta_call-delete__8',
    );
    expect(replay.view(OLD_ID).phase).toBe('terminated');
    expect(replay.verdictsOf(OLD_ID)).toEqual(['apply', 'apply', 'late']);
  });

  it('a terminated notification alone (v1.0 history) ends a call nobody hung up as remote', () => {
    const replay = new Replay().feed('history/v1.0_call-delete__1');
    expect(replay.view(single(replay)).outcome).toMatchObject({
      reason: 'remote',
      resultInfo: { code: 0 },
    });
  });
});

describe('2. answer: incoming → establishing → established (same etag W/"5445" on all three)', () => {
  it.each([
    ['v1.0 example 1', ['v1.0_call-answer__1', 'v1.0_call-answer__2', 'v1.0_call-answer__3']],
    ['v1.0 example 2', ['v1.0_call-answer__4', 'v1.0_call-answer__5', 'v1.0_call-answer__6']],
    ['beta', ['beta_call-answer__1', 'beta_call-answer__2', 'beta_call-answer__3']],
    [
      '2018 callState',
      [
        'history/beta_call-answer__11',
        'history/beta_call-answer__12',
        'history/beta_call-answer__13',
      ],
    ],
  ])('%s', (_, files) => {
    const replay = new Replay().feed(...files);
    const id = single(replay);
    expect(replay.value(id)).toEqual({ active: 'established' });
    expect(replay.view(id).etag).toBe('W/"5445"');
    // The first notification creates the call in incoming.
    expect(replay.verdictsOf(id)).toEqual(['apply', 'apply', 'apply']);
  });

  it('“may arrive out of order”: established before establishing ends established', () => {
    const replay = new Replay().feed(
      'v1.0_call-answer__1',
      'v1.0_call-answer__3',
      'v1.0_call-answer__2',
    );
    const id = single(replay);
    expect(replay.value(id)).toEqual({ active: 'established' });
    expect(replay.verdictsOf(id)).toEqual(['apply', 'apply', 'stale']);
  });

  it('content sharing notifications after answering are handed on as sub-resource', () => {
    const replay = new Replay().feed('v1.0_call-answer__7', 'v1.0_call-answer__8');
    expect(replay.verdicts.map((v) => v.verdict)).toEqual(['subresource', 'subresource']);
  });

  it('policy-based recording: incoming with both resource (/app) and resourceUrl', () => {
    const replay = new Replay().feed('v1.0_call-answer__9');
    expect(replay.value('e71f0300-9c1f-4d99-b5f4-2722e877d497')).toEqual({ setup: 'incoming' });
  });
});

describe('3. create or join: establishing → established, then roster', () => {
  it('v1.0 peer-to-peer (example 1): a doc typo gives the two notifications two call ids', () => {
    const replay = new Replay().feed(
      'v1.0_application-post-calls__1',
      'v1.0_application-post-calls__2',
    );
    const phases = [...replay.calls.keys()].map((id) => replay.value(id));
    expect(phases).toEqual([{ setup: 'establishing' }, { active: 'established' }]);
  });

  it('v1.0 join scheduled meeting (example 5)', () => {
    const replay = new Replay().feed(
      'v1.0_application-post-calls__6',
      'v1.0_application-post-calls__7',
      'v1.0_application-post-calls__8',
    );
    const id = single(replay);
    expect(replay.value(id)).toEqual({ active: 'established' });
    expect(replay.verdictsOf(id)).toEqual(['apply', 'apply', 'subresource']);
  });

  it('beta join meeting', () => {
    const replay = new Replay().feed(
      'beta_application-post-calls__3',
      'beta_application-post-calls__4',
    );
    expect(replay.value(single(replay))).toEqual({ active: 'established' });
  });

  it('2018: ringing → established (the only ringing example)', () => {
    const replay = new Replay().feed(
      'history/beta_application-post-calls__11',
      'history/beta_application-post-calls__12',
    );
    const id = single(replay);
    expect(replay.verdictsOf(id)).toEqual(['apply', 'apply']);
    expect(replay.value(id)).toEqual({ active: 'established' });
  });
});

describe('4. reject: incoming → deleted with no state', () => {
  it.each([
    ['v1.0', ['v1.0_call-reject__1', 'v1.0_call-reject__2']],
    ['beta', ['beta_call-reject__1', 'beta_call-reject__2']],
    ['2018', ['history/beta_call-reject__1', 'history/beta_call-reject__2']],
  ])('%s ends as rejected', (_, files) => {
    const replay = new Replay().feed(...files);
    expect(replay.view(single(replay)).outcome?.reason).toBe('rejected');
  });
});

describe('5. redirect', () => {
  it.each([
    ['v1.0 example 1 (repaired JSON)', ['v1.0_call-redirect__1', 'v1.0_call-redirect__2']],
    ['v1.0 example 3 (PSTN, repaired JSON)', ['v1.0_call-redirect__5', 'v1.0_call-redirect__6']],
  ])('%s: incoming → terminated', (_, files) => {
    const replay = new Replay().feed(...files);
    const view = replay.view(single(replay));
    expect(view.phase).toBe('terminated');
    // Nothing in these payloads says "redirect": only the bot knows it asked for one.
    expect(view.outcome?.reason).toBe('remote');
  });

  it('2018-11: incoming → redirecting → terminated (AppRedirected)', () => {
    const replay = new Replay().feed(
      'history/beta_call-redirect__1',
      'history/beta_call-redirect__2',
      'history/beta_call-redirect__3',
    );
    expect(replay.view(OLD_ID).outcome).toMatchObject({
      reason: 'redirected',
      terminationReason: 'AppRedirected',
    });
  });

  it('2018-09: Incoming → Redirecting → Terminated (updated) → Deleted, the last one late', () => {
    const replay = new Replay().feed(
      'history/beta_call-redirect__6',
      'history/beta_call-redirect__7',
      'history/beta_call-redirect__8',
      'history/beta_call-redirect__9',
    );
    expect(replay.view(OLD_ID).outcome?.reason).toBe('redirected');
    expect(replay.verdictsOf(OLD_ID)).toEqual(['apply', 'apply', 'apply', 'late']);
  });

  it('the doc typo in example 2 (two call ids) loses nothing: the unknown call’s deleted is recorded as terminated', () => {
    const replay = new Replay().feed('v1.0_call-redirect__3', 'v1.0_call-redirect__4');
    expect(replay.calls.size).toBe(2);
    const states = [...replay.calls.keys()].map((id) => replay.view(id).phase).sort();
    expect(states).toEqual(['setup', 'terminated']);
  });
});

describe('6. transfer: transferring → transferAccepted → terminated, or back to established', () => {
  const examples = [
    [1, 2, 3, 4],
    [5, 6, 7, 8],
    [9, 10, 11, 12],
    [13, 14, 15, 16],
    [17, 18, 19, 20],
  ];

  it.each(examples)('v1.0 success %i,%i,%i', (a, b, success) => {
    const replay = new Replay().feed(...[a, b, success].map((n) => `v1.0_call-transfer__${n}`));
    expect(replay.view(single(replay)).outcome?.reason).toBe('transferred');
  });

  it.each(examples)('v1.0 failure %i,%i,…,%i', (a, b, _success, failure) => {
    const replay = new Replay().feed(...[a, b, failure].map((n) => `v1.0_call-transfer__${n}`));
    const id = single(replay);
    expect(replay.value(id)).toEqual({ active: 'established' });
    expect(replay.verdictsOf(id)).toEqual(['apply', 'apply', 'apply']);
  });

  it('2018-09: transfer-accepted (hyphenated) → Terminated (updated) → Deleted ×2, the deletes late', () => {
    const replay = new Replay().feed(
      ...[8, 9, 10, 11, 12].map((n) => `history/beta_call-transfer__${n}`),
    );
    expect(replay.view(OLD_ID).outcome).toMatchObject({
      reason: 'transferred',
      terminationReason: 'AppTransferred',
    });
    expect(replay.verdictsOf(OLD_ID)).toEqual(['apply', 'apply', 'apply', 'late', 'late']);
  });

  it('2018-11: progress on a commsOperation, then the call terminated AppTransferred', () => {
    const replay = new Replay().track(OLD_ID, 'established');
    replay.feed(
      'history/beta_call-transfer__1',
      'history/beta_call-transfer__2',
      'history/beta_call-transfer__3',
    );
    expect(replay.verdictsOf(OLD_ID)).toEqual(['subresource', 'subresource', 'apply']);
    expect(replay.view(OLD_ID).outcome?.reason).toBe('transferred');
  });

  it('2019-09: failure with media state updates stays established', () => {
    const replay = new Replay().feed(
      ...[4, 5, 6, 7].map((n) => `history/beta_call-transfer__${n}`),
    );
    expect(replay.value(single(replay))).toEqual({ active: 'established' });
  });
});

describe('7. invite with replaces: one callback stream, two calls', () => {
  it('the P2P call A ends (AppInitiated) while the group call B stays established', () => {
    const replay = new Replay().feed(
      ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map(
        (n) => `history/beta_participant-invitewithreplaces__${n}`,
      ),
    );
    expect(replay.calls.size).toBe(2);
    expect(replay.view(OLD_ID).outcome?.reason).toBe('hungUp');
    expect(replay.verdictsOf(OLD_ID)).toEqual([
      'apply',
      'apply',
      'apply',
      'subresource',
      'apply',
      'late',
    ]);
    expect(replay.value(GROUP_ID)).toEqual({ active: 'established' });
    expect(replay.verdictsOf(GROUP_ID)).toEqual(['apply', 'apply', 'subresource']);
  });
});

describe('8–9. roster, media operations and tones never move the call', () => {
  it('a tone is an updated established notification: unchanged, handed on with its toneInfo', () => {
    const id = callIdOf('v1.0_call-subscribetotone__1');
    const replay = new Replay().track(id, 'established');
    replay.feed('v1.0_call-subscribetotone__1', 'v1.0_call-subscribetotone__1');
    expect(replay.verdictsOf(id)).toEqual(['unchanged', 'unchanged']);
    const handedOn = replay.emitted.filter((e) => e.type === 'call.notification');
    expect(handedOn).toHaveLength(2);
    const data =
      handedOn[0]?.type === 'call.notification'
        ? handedOn[0].notification.raw.resourceData
        : undefined;
    expect(data).toHaveProperty('toneInfo');
    expect(replay.emitted.filter((e) => e.type === 'call.stateChanged')).toHaveLength(0);
  });

  it.each([
    'v1.0_call-playprompt__1',
    'v1.0_call-record__1',
    'v1.0_call-cancelmediaprocessing__1',
    'v1.0_call-senddtmftones__1',
    'v1.0_participant-startholdmusic__1',
    'v1.0_participant-stopholdmusic__1',
    'v1.0_call-mute__1',
    'v1.0_participant-invite__1',
    'v1.0_participant-invite__2',
  ])('%s: sub-resource, call stays established', (file) => {
    const id = callIdOf(file);
    const replay = new Replay().track(id, 'established').feed(file, file);
    expect(replay.verdictsOf(id)).toEqual(['subresource', 'subresource']);
    expect(replay.value(id)).toEqual({ active: 'established' });
  });
});
