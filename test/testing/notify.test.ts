// The notification builders: each output is what the docs show (compared with the corpus
// byte for byte where an example exists), and the library's own parser reads it into exactly
// the intended CallNotification.
import { describe, expect, it } from 'vitest';
import { type CallNotification, parseNotifications, readRoster } from '../../src/index.js';
import { type CommsNotification, notify } from '../../src/testing/index.js';
import { corpusFile } from '../support/corpus.js';

const ID = '57dab8b1-894c-409a-b240-bd8beae78896';
const PATH = `/communications/calls/${ID}`;
const HANG_UP = { code: 200, subcode: 5001, message: 'The conversation has ended.' };

function parseOne(item: CommsNotification): CallNotification {
  const { notifications, rejected } = parseNotifications(notify.envelope(item));
  expect(rejected).toEqual([]);
  expect(notifications).toHaveLength(1);
  const [parsed] = notifications;
  if (parsed === undefined) throw new Error('unreachable');
  return parsed;
}

function corpusItem(name: string): unknown {
  const body = corpusFile(name).body as { value: unknown[] };
  expect(body.value).toHaveLength(1);
  return body.value[0];
}

describe('notify: call notifications parse into exactly the intended CallNotification', () => {
  it('created incoming, with etag and extra resourceData', () => {
    const item = notify.created(ID, 'incoming', { etag: 1, data: { direction: 'incoming' } });
    expect(item).toStrictEqual({
      '@odata.type': '#microsoft.graph.commsNotification',
      changeType: 'created',
      resourceUrl: PATH,
      resourceData: {
        '@odata.type': '#microsoft.graph.call',
        '@odata.id': PATH,
        '@odata.etag': 'W/"1"',
        state: 'incoming',
        direction: 'incoming',
      },
    });
    expect(parseOne(item)).toStrictEqual({
      index: 0,
      callId: ID,
      changeType: 'created',
      resource: 'call',
      resourcePath: PATH,
      state: 'incoming',
      etag: 'W/"1"',
      direction: 'incoming',
      dataType: '#microsoft.graph.call',
      raw: item,
    });
  });

  it('updated, with a verbatim string etag', () => {
    const item = notify.updated(ID, 'established', { etag: '"opaque-1"' });
    expect(parseOne(item)).toStrictEqual({
      index: 0,
      callId: ID,
      changeType: 'updated',
      resource: 'call',
      resourcePath: PATH,
      state: 'established',
      etag: '"opaque-1"',
      dataType: '#microsoft.graph.call',
      raw: item,
    });
  });

  it('deleted terminated with resultInfo and terminationReason', () => {
    const item = notify.deleted(ID, {
      state: 'terminated',
      etag: 9,
      resultInfo: HANG_UP,
      terminationReason: 'AppInitiated',
    });
    expect(item.resourceData).toMatchObject({
      resultInfo: { '@odata.type': '#microsoft.graph.resultInfo', ...HANG_UP },
    });
    expect(parseOne(item)).toStrictEqual({
      index: 0,
      callId: ID,
      changeType: 'deleted',
      resource: 'call',
      resourcePath: PATH,
      state: 'terminated',
      etag: 'W/"9"',
      resultInfo: HANG_UP,
      terminationReason: 'AppInitiated',
      dataType: '#microsoft.graph.call',
      raw: item,
    });
  });

  it('deleted without a state: the shape of a reject', () => {
    const item = notify.deleted(ID);
    const parsed = parseOne(item);
    expect(parsed).toStrictEqual({
      index: 0,
      callId: ID,
      changeType: 'deleted',
      resource: 'call',
      resourcePath: PATH,
      dataType: '#microsoft.graph.call',
      raw: item,
    });
    expect('state' in parsed).toBe(false);
  });

  it('an unknown state is sent verbatim and read as unknownFutureValue', () => {
    const parsed = parseOne(notify.updated(ID, 'parked'));
    expect(parsed.state).toBe('unknownFutureValue');
    expect(parsed.stateText).toBe('parked');
  });
});

describe('notify: legacy shapes', () => {
  const cases: {
    name: string;
    item: CommsNotification;
    expected: Partial<CallNotification>;
    check(item: CommsNotification): void;
  }[] = [
    {
      name: 'callStateField: callState instead of state',
      item: notify.updated(ID, 'terminating', { legacy: { callStateField: true } }),
      expected: { state: 'terminating' },
      check: (item) => {
        expect(item.resourceData).toMatchObject({ callState: 'terminating' });
        expect(item.resourceData).not.toHaveProperty('state');
      },
    },
    {
      name: 'appResource: only resource /app/calls/{id}',
      item: notify.updated(ID, 'established', { legacy: { appResource: true } }),
      expected: { state: 'established', resourcePath: `/app/calls/${ID}` },
      check: (item) => {
        expect(item.resource).toBe(`/app/calls/${ID}`);
        expect(item).not.toHaveProperty('resourceUrl');
        expect(item.resourceData).toMatchObject({ '@odata.id': `/app/calls/${ID}` });
      },
    },
    {
      name: 'stringCodes: resultInfo codes as strings',
      item: notify.deleted(ID, {
        state: 'terminated',
        resultInfo: HANG_UP,
        legacy: { stringCodes: true },
      }),
      expected: { state: 'terminated', resultInfo: HANG_UP },
      check: (item) => {
        expect(item.resourceData).toMatchObject({ resultInfo: { code: '200', subcode: '5001' } });
      },
    },
    {
      name: 'subCodeKey: subCode instead of subcode',
      item: notify.updated(ID, 'established', {
        resultInfo: { code: 500, subcode: 7000, message: 'failed' },
        legacy: { subCodeKey: true },
      }),
      expected: {
        state: 'established',
        resultInfo: { code: 500, subcode: 7000, message: 'failed' },
      },
      check: (item) => {
        expect(item.resourceData).toMatchObject({ resultInfo: { subCode: 7000 } });
        expect(item.resourceData).not.toHaveProperty('resultInfo.subcode');
      },
    },
    {
      name: 'hyphenated: transfer-accepted',
      item: notify.updated(ID, 'transferAccepted', { legacy: { hyphenated: true } }),
      expected: { state: 'transferAccepted', stateText: 'transfer-accepted' },
      check: (item) => expect(item.resourceData).toMatchObject({ state: 'transfer-accepted' }),
    },
    {
      name: 'noLeadingSlash: communications/calls/{id}',
      item: notify.updated(ID, 'established', { legacy: { noLeadingSlash: true } }),
      expected: { state: 'established', resourcePath: `communications/calls/${ID}` },
      check: (item) => expect(item.resourceUrl).toBe(`communications/calls/${ID}`),
    },
    {
      name: 'capitalized: Established',
      item: notify.updated(ID, 'established', { legacy: { capitalized: true } }),
      expected: { state: 'established', stateText: 'Established' },
      check: (item) => expect(item.resourceData).toMatchObject({ state: 'Established' }),
    },
    {
      name: 'untyped: no @odata.type on the item nor on resultInfo',
      item: notify.deleted(ID, {
        state: 'terminated',
        resultInfo: { code: 0 },
        legacy: { untyped: true },
      }),
      expected: { state: 'terminated', resultInfo: { code: 0 } },
      check: (item) => {
        expect(item).not.toHaveProperty(['@odata.type']);
        expect(item.resourceData).toMatchObject({ '@odata.type': '#microsoft.graph.call' });
        expect(item.resourceData).not.toHaveProperty(['resultInfo', '@odata.type']);
      },
    },
    {
      name: 'all at once: the 2018 shape',
      item: notify.updated(ID, 'transferAccepted', {
        etag: 5445,
        legacy: {
          appResource: true,
          callStateField: true,
          hyphenated: true,
          noLeadingSlash: true,
          untyped: true,
        },
      }),
      expected: {
        state: 'transferAccepted',
        stateText: 'transfer-accepted',
        etag: 'W/"5445"',
        resourcePath: `app/calls/${ID}`,
      },
      check: (item) => expect(item.resource).toBe(`app/calls/${ID}`),
    },
  ];

  for (const { name, item, expected, check } of cases) {
    it(name, () => {
      check(item);
      const parsed = parseOne(item);
      const changeType = item.changeType;
      expect(parsed).toStrictEqual({
        index: 0,
        callId: ID,
        changeType,
        resource: 'call',
        resourcePath: PATH,
        dataType: '#microsoft.graph.call',
        raw: item,
        ...expected,
      });
    });
  }
});

describe('notify: sub-resources', () => {
  it('participants: a roster array on …/participants, routed as a sub-resource', () => {
    const item = notify.participants(ID, [
      { displayName: 'Alice', isMuted: true, id: 'p-alice' },
      { displayName: 'Bot', kind: 'application' },
    ]);
    expect(item.resourceUrl).toBe(`${PATH}/participants`);
    const roster = item.resourceData as readonly Record<string, unknown>[];
    expect(roster).toHaveLength(2);
    expect(roster[0]).toMatchObject({
      '@odata.type': '#microsoft.graph.participant',
      id: 'p-alice',
      isMuted: true,
      isInLobby: false,
      info: { identity: { user: { displayName: 'Alice' } } },
    });
    expect(roster[1]).toMatchObject({
      info: { identity: { application: { displayName: 'Bot' } } },
    });
    expect(parseOne(item)).toStrictEqual({
      index: 0,
      callId: ID,
      changeType: 'updated',
      resource: 'participants',
      resourcePath: `${PATH}/participants`,
      dataType: '#microsoft.graph.participant',
      roster: readRoster('updated', item.resourceData),
      raw: item,
    });
    expect(parseOne(item).roster).toMatchObject({
      kind: 'whole',
      entries: [{ participant: { id: 'p-alice', isMuted: true } }, { removed: false }],
    });
  });

  it('participants: a default roster of a user and the bot, with fixed ids', () => {
    const a = notify.participants(ID);
    expect(a).toStrictEqual(notify.participants(ID));
    expect(a.resourceData).toHaveLength(2);
  });

  it('operation completed: deleted …/operations/{id} with resultInfo; the operation etag is not the call’s', () => {
    const item = notify.operation(ID, 'op-1', 'completed', {
      type: '#microsoft.graph.playPromptOperation',
      etag: 54451,
    });
    expect(item.resourceData).toMatchObject({ '@odata.etag': 'W/"54451"', status: 'completed' });
    expect(parseOne(item)).toStrictEqual({
      index: 0,
      callId: ID,
      changeType: 'deleted',
      resource: 'operation',
      resourcePath: `${PATH}/operations/op-1`,
      subresourceId: 'op-1',
      resultInfo: { code: 200, subcode: 0, message: 'Action completed successfully.' },
      dataType: '#microsoft.graph.playPromptOperation',
      operation: {
        status: 'completed',
        resultInfo: { code: 200, subcode: 0, message: 'Action completed successfully.' },
        dataType: '#microsoft.graph.playPromptOperation',
      },
      raw: item,
    });
  });

  it('operation running: updated, no resultInfo by default; failed: 500', () => {
    const running = parseOne(notify.operation(ID, 'op-2', 'running'));
    expect(running.changeType).toBe('updated');
    expect(running).not.toHaveProperty('resultInfo');
    const failed = parseOne(notify.operation(ID, 'op-3', 'failed'));
    expect(failed.changeType).toBe('deleted');
    expect(failed.resultInfo).toEqual({ code: 500, message: 'Action failed.' });
    const none = notify.operation(ID, 'op-4', 'completed', { resultInfo: null });
    expect(none.resourceData).not.toHaveProperty('resultInfo');
  });

  it('tone: updated established carrying toneInfo; parsed as an unchanged call state', () => {
    const item = notify.tone(ID, 'tone5', { sequenceId: 3, etag: 4 });
    expect(item.resourceData).toMatchObject({
      state: 'established',
      toneInfo: { '@odata.type': '#microsoft.graph.toneInfo', sequenceId: 3, tone: 'tone5' },
    });
    expect(parseOne(item)).toStrictEqual({
      index: 0,
      callId: ID,
      changeType: 'updated',
      resource: 'call',
      resourcePath: PATH,
      state: 'established',
      etag: 'W/"4"',
      dataType: '#microsoft.graph.call',
      tone: { sequenceId: 3, tone: 'tone5' },
      raw: item,
    });
  });
});

describe('notify.batch and notify.envelope', () => {
  it('wraps items in order, for several calls, and unpacks envelopes', () => {
    const first = notify.updated('a', 'terminating');
    const second = notify.deleted('b');
    const third = notify.created('c', 'incoming');
    const body = notify.batch(first, notify.batch(second, third));
    expect(body).toStrictEqual({
      '@odata.type': '#microsoft.graph.commsNotifications',
      value: [first, second, third],
    });
    const { notifications, rejected } = parseNotifications(body);
    expect(rejected).toEqual([]);
    expect(notifications.map((n) => [n.index, n.callId, n.changeType])).toEqual([
      [0, 'a', 'updated'],
      [1, 'b', 'deleted'],
      [2, 'c', 'created'],
    ]);
  });

  it('envelope(item) is a batch of one', () => {
    const item = notify.updated('a', 'established');
    expect(notify.envelope(item)).toStrictEqual(notify.batch(item));
  });
});

describe('notify reproduces the documented examples exactly', () => {
  const stop = 'e141b67c-90fd-455d-858b-b48a40b9cc8d';
  const op = '0FE0623FD62842EDB4BD8AC290072CC5';
  const legacyId = '57DAB8B1894C409AB240BD8BEAE78896';
  const legacy2018 = { appResource: true, untyped: true } as const;
  const examples: [string, unknown][] = [
    ['v1.0_call-delete__1', notify.batch(notify.updated(ID, 'terminating', { odataId: false }))],
    [
      'v1.0_call-delete__2',
      notify.batch(
        notify.deleted(ID, {
          state: 'terminated',
          resultInfo: HANG_UP,
          odataId: false,
          legacy: { stringCodes: true },
        }),
      ),
    ],
    ['v1.0_call-reject__2', notify.batch(notify.deleted(ID))],
    [
      'v1.0_call-transfer__3',
      notify.batch(
        notify.deleted('341a0500-d4bf-4224-8b19-1581168d328b', {
          state: 'terminated',
          resultInfo: { code: 0, subcode: 7015, message: 'GracefulTransferCompleted' },
          odataId: false,
        }),
      ),
    ],
    [
      'v1.0_call-transfer__4',
      notify.batch(
        notify.updated('341a0500-d4bf-4224-8b19-1581168d328b', 'established', {
          resultInfo: { code: 500, subcode: 7000, message: '<message>' },
          data: { replacesContext: '<replacesContext>' },
          odataId: false,
          legacy: { subCodeKey: true },
        }),
      ),
    ],
    ['v1.0_call-subscribetotone__1', notify.batch(notify.tone(ID, 'tone1', { odataId: false }))],
    [
      'v1.0_call-playprompt__1',
      notify.batch(
        notify.operation(legacyId, op, 'completed', {
          type: '#microsoft.graph.playPromptOperation',
          etag: 54451,
          clientContext: 'd45324c1-fcb5-430a-902c-f20af696537c',
        }),
      ),
    ],
    [
      'v1.0_participant-stopholdmusic__1',
      notify.batch(
        notify.operation(stop, '0fe0623f-d628-42ed-b4bd-8ac290072cc5', 'completed', {
          type: '#microsoft.graph.stopHoldMusicOperation',
          etag: 54451,
          clientContext: 'd45324c1-fcb5-430a-902c-f20af696537c',
          resultInfo: null,
          legacy: { noLeadingSlash: true },
        }),
      ),
    ],
    [
      'history/beta_call-delete__4',
      notify.batch(
        notify.deleted(ID, {
          state: 'terminated',
          resultInfo: { code: 0 },
          odataId: false,
          legacy: { appResource: true, stringCodes: true },
        }),
      ),
    ],
  ];
  for (const [name, built] of examples) {
    it(name, () => {
      expect(built).toStrictEqual(corpusFile(name).body);
    });
  }

  // The 2018 bodies have no envelope @odata.type; their items are compared.
  const items: [string, CommsNotification][] = [
    [
      'history/beta_call-delete__1',
      notify.updated(legacyId, 'terminating', { etag: 5445, legacy: legacy2018 }),
    ],
    [
      'history/beta_call-delete__2',
      notify.deleted(legacyId, {
        state: 'terminated',
        etag: 5445,
        terminationReason: 'AppInitiated',
        legacy: legacy2018,
      }),
    ],
    [
      'history/beta_call-delete__6',
      notify.updated(legacyId, 'terminating', {
        etag: 5445,
        legacy: { ...legacy2018, callStateField: true },
      }),
    ],
    ['history/beta_call-delete__8', notify.deleted(legacyId, { etag: 5445, legacy: legacy2018 })],
    [
      'history/beta_call-transfer__9',
      notify.updated(legacyId, 'transferAccepted', {
        etag: 5445,
        legacy: { ...legacy2018, callStateField: true, hyphenated: true },
      }),
    ],
    [
      'history/beta_call-transfer__1',
      notify.operation(legacyId, op, 'running', {
        etag: 54451,
        clientContext: 'd45324c1-fcb5-430a-902c-f20af696537c',
        resultInfo: { code: '200', subcode: 'transferring' },
        legacy: { ...legacy2018, subCodeKey: true },
      }),
    ],
  ];
  for (const [name, built] of items) {
    it(name, () => {
      expect(built).toStrictEqual(corpusItem(name));
    });
  }
});
