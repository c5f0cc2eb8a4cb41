import { describe, expect, it } from 'vitest';
import type {
  CallNotification,
  ParsedNotifications,
  RejectedNotification,
} from '../../src/graph/notification.js';
import { parseNotifications } from '../../src/graph/parseNotifications.js';

const CALL = '57dab8b1-894c-409a-b240-bd8beae78896';
const OTHER_CALL = '341a0500-d4bf-4224-8b19-1581168d328b';
const GUID_LIKE = '421f0c00-4a3f-4e33-bf9a-4a07e5bbd2ae';

type Item = Record<string, unknown>;

function envelope(...value: unknown[]): Item {
  return { '@odata.type': '#microsoft.graph.commsNotifications', value };
}

function callItem(overrides: Item = {}, data: Item = {}): Item {
  return {
    '@odata.type': '#microsoft.graph.commsNotification',
    changeType: 'updated',
    resourceUrl: `/communications/calls/${CALL}`,
    resourceData: { '@odata.type': '#microsoft.graph.call', state: 'established', ...data },
    ...overrides,
  };
}

function only(result: ParsedNotifications): CallNotification {
  expect(result.rejected).toEqual([]);
  expect(result.notifications).toHaveLength(1);
  const [n] = result.notifications;
  if (n === undefined) throw new Error('unreachable');
  return n;
}

function rejection(result: ParsedNotifications): RejectedNotification {
  expect(result.notifications).toEqual([]);
  expect(result.rejected).toHaveLength(1);
  const [r] = result.rejected;
  if (r === undefined) throw new Error('unreachable');
  return r;
}

/** Optional properties must be absent, never present with `undefined` (exactOptionalPropertyTypes). */
function expectNoUndefinedProps(value: object): void {
  for (const [key, v] of Object.entries(value)) {
    expect(v, `property ${key}`).not.toBeUndefined();
  }
}

describe('body forms', () => {
  const item = callItem();
  const body = envelope(item);
  const text = JSON.stringify(body);

  it('reads a parsed envelope and keeps the item itself as raw', () => {
    const n = only(parseNotifications(body));
    expect(n).toEqual({
      index: 0,
      callId: CALL,
      changeType: 'updated',
      resource: 'call',
      resourcePath: `/communications/calls/${CALL}`,
      state: 'established',
      dataType: '#microsoft.graph.call',
      raw: item,
    });
    expect(n.raw).toBe(item);
  });

  it('reads JSON text', () => {
    expect(only(parseNotifications(text))).toMatchObject({ callId: CALL, state: 'established' });
  });

  it('reads UTF-8 bytes as a Uint8Array, a Buffer, an ArrayBuffer or a view into a larger buffer', () => {
    const bytes = new TextEncoder().encode(text);
    const padded = new Uint8Array(bytes.length + 8);
    padded.set(bytes, 4);
    for (const input of [
      bytes,
      Buffer.from(text, 'utf8'),
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      padded.subarray(4, 4 + bytes.length),
      new DataView(padded.buffer, 4, bytes.length),
    ]) {
      expect(only(parseNotifications(input))).toMatchObject({ callId: CALL, state: 'established' });
    }
  });

  it('reads UTF-8 bytes with a byte-order mark and non-ASCII text', () => {
    const withAccent = envelope(callItem({}, { message: 'Zürich ☎' }));
    const bytes = new Uint8Array([
      0xef,
      0xbb,
      0xbf,
      ...new TextEncoder().encode(JSON.stringify(withAccent)),
    ]);
    const n = only(parseNotifications(bytes));
    expect(n.raw.resourceData).toMatchObject({ message: 'Zürich ☎' });
  });

  it.each([
    '#microsoft.graph.commsNotifications',
    'microsoft.graph.commsNotifications',
    '#Microsoft.Graph.CommsNotifications',
    'MICROSOFT.GRAPH.COMMSNOTIFICATIONS',
  ])('accepts the envelope type spelled %s', (type) => {
    only(parseNotifications({ '@odata.type': type, value: [callItem()] }));
  });

  it('accepts an envelope with no @odata.type (older payloads have none)', () => {
    only(parseNotifications({ value: [callItem()] }));
  });

  it('accepts an empty batch as nothing to do', () => {
    expect(parseNotifications(envelope())).toEqual({ notifications: [], rejected: [] });
  });

  it('accepts a bare commsNotification (the docs’ example shape) as a batch of one', () => {
    const bare = callItem({ changeType: 'created' }, { state: 'incoming' });
    const n = only(parseNotifications(bare));
    expect(n).toMatchObject({ index: 0, callId: CALL, changeType: 'created', state: 'incoming' });
    expect(n.raw).toBe(bare);
  });

  it('accepts a bare notification that only has the old resource field', () => {
    const n = only(parseNotifications({ changeType: 'deleted', resource: `/app/calls/${CALL}` }));
    expect(n).toMatchObject({ callId: CALL, changeType: 'deleted', resource: 'call' });
    expect(n.state).toBeUndefined();
  });

  it('names bare fields without a value[] prefix when rejecting them', () => {
    const r = rejection(
      parseNotifications({ changeType: 'created | updated | deleted', resourceUrl: 'String' }),
    );
    expect(r).toMatchObject({ index: 0, code: 'invalidChangeType', field: 'changeType' });
    expect(r.message).toBe(
      'changeType is "created | updated | deleted": expected created, updated or deleted',
    );
  });
});

describe('body rejections', () => {
  it('rejects JSON text that does not parse, with the parser’s reason', () => {
    const r = rejection(parseNotifications('{"value": [ {"changeType": "updated",} ]}'));
    expect(r).toMatchObject({ index: null, code: 'invalidBody' });
    expect(r.message).toMatch(/^the body is not valid JSON \(.+\)/);
    expect(r.raw).toBe('{"value": [ {"changeType": "updated",} ]}');
  });

  it.each([
    '',
    '   ',
    '{"value": [',
    '{"value": [{"changeType": "upda',
    'undefined',
    "{'value': []}",
  ])('rejects the truncated or non-JSON text %j as invalidBody', (text) => {
    expect(rejection(parseNotifications(text))).toMatchObject({ index: null, code: 'invalidBody' });
  });

  it('rejects bytes that are not UTF-8, before trying JSON', () => {
    const bytes = new Uint8Array([0x7b, 0x22, 0x76, 0xff, 0xfe, 0x22, 0x7d]);
    const r = rejection(parseNotifications(bytes));
    expect(r).toMatchObject({ index: null, code: 'invalidBody' });
    expect(r.message).toMatch(/UTF-8/);
    expect(r.raw).toBe(bytes);
  });

  it('rejects truncated multi-byte UTF-8 sequences', () => {
    const bytes = new TextEncoder().encode('{"value":"☎"}').subarray(0, 11);
    expect(rejection(parseNotifications(bytes)).code).toBe('invalidBody');
  });

  it.each<[unknown, string]>([
    [null, 'null'],
    [undefined, 'missing'],
    [42, '42 (a number)'],
    [true, 'true (a boolean)'],
    [[callItem()], 'an array of 1'],
    [() => 1, 'a function'],
  ])('rejects %j as notAnEnvelope, naming what it got', (body, shown) => {
    const r = rejection(parseNotifications(body));
    expect(r).toMatchObject({ index: null, code: 'notAnEnvelope', raw: body });
    expect(r.message).toBe(
      `the body is ${shown}: expected a commsNotifications envelope { "value": [ … ] }`,
    );
  });

  it.each(['null', '42', '"a string"', '[]'])(
    'rejects JSON text %s that is not an object as notAnEnvelope (decoded only once)',
    (text) => {
      expect(rejection(parseNotifications(text))).toMatchObject({
        index: null,
        code: 'notAnEnvelope',
        raw: text,
      });
    },
  );

  it('rejects JSON text whose value is itself JSON text, instead of decoding twice', () => {
    const twice = JSON.stringify(JSON.stringify(envelope(callItem())));
    expect(rejection(parseNotifications(twice)).code).toBe('notAnEnvelope');
  });

  it('rejects an object with neither value nor a notification shape, listing its keys', () => {
    const r = rejection(parseNotifications({ validationToken: 'abc', foo: 1 }));
    expect(r).toMatchObject({ index: null, code: 'notAnEnvelope' });
    expect(r.message).toContain('"validationToken", "foo"');
    expect(r.message).toContain('{ "value": [ … ] }');
  });

  it('rejects an object with changeType but no resource as not an envelope', () => {
    expect(rejection(parseNotifications({ changeType: 'updated' })).code).toBe('notAnEnvelope');
  });

  it.each<[unknown, string]>([
    [{}, 'an object'],
    ['x', '"x"'],
    [null, 'null'],
    [3, '3 (a number)'],
  ])('rejects value %j, which is not an array', (value, shown) => {
    const r = rejection(parseNotifications({ value }));
    expect(r).toMatchObject({ index: null, code: 'notAnEnvelope', field: 'value' });
    expect(r.message).toBe(
      `"value" is ${shown}: expected a commsNotifications envelope { "value": [ … ] }`,
    );
  });

  it('reads the items of an envelope whatever its @odata.type says, so nothing valid is lost', () => {
    for (const type of ['#microsoft.graph.changeNotificationCollection', 7]) {
      const { notifications, rejected } = parseNotifications({
        '@odata.type': type,
        value: [callItem()],
      });
      expect(rejected).toEqual([]);
      expect(notifications).toHaveLength(1);
    }
  });
});

describe('item fields', () => {
  it.each(['created', 'updated', 'deleted', 'Created', 'UPDATED', 'Deleted'])(
    'reads changeType %s as lowercase',
    (changeType) => {
      const n = only(parseNotifications(envelope(callItem({ changeType }))));
      expect(n.changeType).toBe(changeType.toLowerCase());
    },
  );

  it('prefers resourceUrl to resource when both are present', () => {
    const n = only(
      parseNotifications(
        envelope(
          callItem({
            resource: `/app/calls/${OTHER_CALL}`,
            resourceUrl: `/communications/calls/${CALL}`,
          }),
        ),
      ),
    );
    expect(n.callId).toBe(CALL);
    expect(n.resourcePath).toBe(`/communications/calls/${CALL}`);
  });

  it('falls back to resource when resourceUrl is missing or not a string', () => {
    for (const resourceUrl of [undefined, null, 42]) {
      const item = callItem({ resource: `/app/calls/${OTHER_CALL}` });
      if (resourceUrl === undefined) delete item.resourceUrl;
      else item.resourceUrl = resourceUrl;
      expect(only(parseNotifications(envelope(item)))).toMatchObject({
        callId: OTHER_CALL,
        resourcePath: `/app/calls/${OTHER_CALL}`,
      });
    }
  });

  it('reads a resourceUrl without its leading slash, and an absolute one', () => {
    for (const resourceUrl of [
      `communications/calls/${CALL}`,
      `https://graph.microsoft.com/v1.0/communications/calls/${CALL}`,
    ]) {
      expect(only(parseNotifications(envelope(callItem({ resourceUrl }))))).toMatchObject({
        callId: CALL,
        resource: 'call',
        resourcePath: resourceUrl,
      });
    }
  });

  it('reads the state from state, else from the old callState', () => {
    const fromState = only(parseNotifications(envelope(callItem({}, { state: 'hold' }))));
    expect(fromState.state).toBe('hold');
    const old = callItem({}, { callState: 'terminating' });
    delete (old.resourceData as Item).state;
    expect(only(parseNotifications(envelope(old))).state).toBe('terminating');
    const both = callItem({}, { state: 'established', callState: 'terminated' });
    expect(only(parseNotifications(envelope(both))).state).toBe('established');
    const nullState = callItem({}, { state: null, callState: 'hold' });
    expect(only(parseNotifications(envelope(nullState))).state).toBe('hold');
  });

  it.each([
    ['transfer-accepted', 'transferAccepted'],
    ['Established', 'established'],
    ['parked', 'unknownFutureValue'],
    ['', 'unknownFutureValue'],
  ])('normalises state %j to %s and keeps the text it received', (text, state) => {
    const n = only(parseNotifications(envelope(callItem({}, { state: text }))));
    expect(n.state).toBe(state);
    expect(n.stateText).toBe(text);
  });

  it('sets no stateText when the state was spelled exactly', () => {
    const n = only(parseNotifications(envelope(callItem({}, { state: 'transferAccepted' }))));
    expect(n.state).toBe('transferAccepted');
    expect('stateText' in n).toBe(false);
  });

  it('leaves state out when the call resourceData has none (reject, late deleted)', () => {
    const item = callItem({ changeType: 'deleted' });
    item.resourceData = {
      '@odata.type': '#microsoft.graph.call',
      '@odata.id': `/communications/calls/${CALL}`,
    };
    const n = only(parseNotifications(envelope(item)));
    expect(n).toMatchObject({ changeType: 'deleted', resource: 'call' });
    expect('state' in n).toBe(false);
    expectNoUndefinedProps(n);
  });

  it.each([undefined, null])('accepts resourceData %s as absent', (resourceData) => {
    const item = callItem({ changeType: 'deleted' });
    if (resourceData === undefined) delete item.resourceData;
    else item.resourceData = resourceData;
    const n = only(parseNotifications(envelope(item)));
    expect(n).toEqual({
      index: 0,
      callId: CALL,
      changeType: 'deleted',
      resource: 'call',
      resourcePath: `/communications/calls/${CALL}`,
      raw: item,
    });
  });

  it('reads the call from the first object of an array resourceData', () => {
    const item = callItem();
    item.resourceData = [
      'noise',
      null,
      { '@odata.type': '#microsoft.graph.call', state: 'hold', '@odata.etag': 'W/"9"' },
      { '@odata.type': '#microsoft.graph.call', state: 'terminated' },
    ];
    expect(only(parseNotifications(envelope(item)))).toMatchObject({
      state: 'hold',
      etag: 'W/"9"',
      dataType: '#microsoft.graph.call',
    });
  });

  it('reads the etag verbatim, and only when it is a string', () => {
    expect(
      only(parseNotifications(envelope(callItem({}, { '@odata.etag': 'W/"5445"' })))).etag,
    ).toBe('W/"5445"');
    const n = only(parseNotifications(envelope(callItem({}, { '@odata.etag': 5445 }))));
    expect('etag' in n).toBe(false);
  });

  it.each<[unknown, unknown]>([
    [
      { code: 200, subcode: 5001, message: 'The conversation has ended.' },
      { code: 200, subcode: 5001, message: 'The conversation has ended.' },
    ],
    [
      { code: '200', subcode: '5001' },
      { code: 200, subcode: 5001 },
    ],
    [
      { code: 500, subCode: 7000 },
      { code: 500, subcode: 7000 },
    ],
    [{ code: '0' }, { code: 0 }],
    [
      { code: ' 408 ', subcode: '+8537' },
      { code: 408, subcode: 8537 },
    ],
    [{ code: '200', subCode: 'transferring' }, { code: 200 }],
    [{ code: 'abc', subcode: '1e3', message: 42 }, {}],
    [{ code: '', subcode: '-' }, {}],
    [{ code: Number.NaN, subcode: Number.POSITIVE_INFINITY }, {}],
    [{ code: '99999999999999999999' }, {}],
    [
      { code: 1, subcode: 2, subCode: 3 },
      { code: 1, subcode: 2 },
    ],
    [{ '@odata.type': '#microsoft.graph.resultInfo' }, {}],
  ])('reads resultInfo %j as %j', (resultInfo, expected) => {
    const n = only(parseNotifications(envelope(callItem({}, { resultInfo }))));
    expect(n.resultInfo).toEqual(expected);
    if (n.resultInfo !== undefined) expectNoUndefinedProps(n.resultInfo);
  });

  it.each([null, 'code 200', 200, ['200']])('leaves out a resultInfo that is %j', (resultInfo) => {
    const n = only(parseNotifications(envelope(callItem({}, { resultInfo }))));
    expect('resultInfo' in n).toBe(false);
  });

  it('reads terminationReason from older payloads', () => {
    const n = only(
      parseNotifications(
        envelope(
          callItem(
            { changeType: 'deleted' },
            { state: 'terminated', terminationReason: 'AppInitiated' },
          ),
        ),
      ),
    );
    expect(n.terminationReason).toBe('AppInitiated');
    const other = only(parseNotifications(envelope(callItem({}, { terminationReason: 3 }))));
    expect('terminationReason' in other).toBe(false);
  });

  it('never sets an optional property to undefined', () => {
    const minimal = only(
      parseNotifications(envelope({ changeType: 'created', resource: `/app/calls/${CALL}` })),
    );
    expect(Object.keys(minimal).sort()).toEqual(
      ['callId', 'changeType', 'index', 'raw', 'resource', 'resourcePath'].sort(),
    );
    expectNoUndefinedProps(minimal);
  });
});

describe('who is on the call: direction, source, targets, myParticipantId', () => {
  const caller = {
    '@odata.type': '#microsoft.graph.participantInfo',
    identity: {
      '@odata.type': '#microsoft.graph.identitySet',
      user: { displayName: 'Test User', id: 'u1', tenantId: 't1', identityProvider: 'AAD' },
    },
    endpointType: 'default',
    region: 'westus',
    languageId: 'en-US',
  };
  const target = {
    '@odata.type': '#microsoft.graph.invitationParticipantInfo',
    identity: { application: { displayName: 'Test BOT', id: 'a1' } },
    endpointType: 'default',
    id: 'p1',
    region: null,
    languageId: null,
  };
  const incoming = {
    state: 'incoming',
    direction: 'incoming',
    source: caller,
    targets: [target],
    myParticipantId: 'c339cede-4bd6-4f20-ab9f-3a13e65f6d00',
  };

  it('lifts all four from an incoming call, reduced to strings', () => {
    const n = only(parseNotifications(envelope(callItem({ changeType: 'created' }, incoming))));
    expect(n).toMatchObject({
      state: 'incoming',
      direction: 'incoming',
      source: {
        identity: { user: { displayName: 'Test User', id: 'u1', tenantId: 't1' } },
        region: 'westus',
        languageId: 'en-US',
      },
      targets: [{ application: { displayName: 'Test BOT', id: 'a1' } }],
      myParticipantId: 'c339cede-4bd6-4f20-ab9f-3a13e65f6d00',
    });
    expect(n.source).toEqual({
      identity: { user: { displayName: 'Test User', id: 'u1', tenantId: 't1' } },
      region: 'westus',
      languageId: 'en-US',
    });
    expect(JSON.parse(JSON.stringify(n.source))).toEqual(n.source);
    expect(n.raw).toMatchObject({ resourceData: { source: caller } });
    expectNoUndefinedProps(n);
  });

  it('reads them from the legacy /app/calls and callState shape the same way', () => {
    const n = only(
      parseNotifications(
        envelope({
          changeType: 'created',
          resource: `/app/calls/${CALL}`,
          resourceData: { ...incoming, state: undefined, callState: 'incoming' },
        }),
      ),
    );
    expect(n).toMatchObject({ state: 'incoming', direction: 'incoming', targets: [{}] });
    expect(n.source?.identity.user?.id).toBe('u1');
  });

  it('reads an outgoing call that names only its direction', () => {
    const n = only(parseNotifications(envelope(callItem({}, { direction: 'outgoing' }))));
    expect(n.direction).toBe('outgoing');
    for (const key of ['source', 'targets', 'myParticipantId']) expect(key in n).toBe(false);
  });

  it('leaves all four out when the call resourceData does not carry them', () => {
    const n = only(parseNotifications(envelope(callItem())));
    for (const key of ['direction', 'source', 'targets', 'myParticipantId']) {
      expect(key in n).toBe(false);
    }
  });

  it.each([
    'Incoming',
    'OUTGOING',
    'inbound',
    '',
    ' incoming',
    5,
    true,
    null,
    ['incoming'],
    { value: 'incoming' },
  ])('leaves out a direction that is %j, and parses the item', (direction) => {
    const n = only(parseNotifications(envelope(callItem({}, { direction }))));
    expect('direction' in n).toBe(false);
    expect(n.state).toBe('established');
  });

  it.each([
    null,
    0,
    'Test User',
    [caller],
    {},
    { identity: 'user' },
    { identity: [caller.identity] },
    { identity: { user: 42 } },
    { identity: { user: { id: 1, displayName: { first: 'x' } } } },
    { identity: { device: { id: 'd' } }, region: 7 },
  ])('leaves out a source that is %j, and parses the item', (source) => {
    const n = only(parseNotifications(envelope(callItem({}, { direction: 'incoming', source }))));
    expect('source' in n).toBe(false);
    expect(n.direction).toBe('incoming');
  });

  it.each([
    null,
    'Test BOT',
    3,
    target,
    [],
    [null, 5, 'x', [], {}],
    [{ identity: null }, { identity: { device: { id: 'd' } } }],
  ])('leaves out targets that are %j, and parses the item', (targets) => {
    const n = only(parseNotifications(envelope(callItem({}, { targets }))));
    expect('targets' in n).toBe(false);
  });

  it('keeps the readable targets of an array, in order, skipping the garbage between them', () => {
    const n = only(
      parseNotifications(
        envelope(
          callItem(
            {},
            {
              targets: [
                5,
                { identity: { phone: { id: '+14258828080' } } },
                { identity: { user: { id: ['u'] } } },
                null,
                target,
              ],
            },
          ),
        ),
      ),
    );
    expect(n.targets).toEqual([
      { phone: { id: '+14258828080' } },
      { application: { displayName: 'Test BOT', id: 'a1' } },
    ]);
  });

  it.each([null, 5, ['c339'], { id: 'c339' }])('leaves out a myParticipantId that is %j', (id) => {
    const n = only(parseNotifications(envelope(callItem({}, { myParticipantId: id }))));
    expect('myParticipantId' in n).toBe(false);
  });

  it('keeps each field that is well formed when its neighbours are not', () => {
    const n = only(
      parseNotifications(
        envelope(
          callItem(
            {},
            { direction: 'sideways', source: 'caller', targets: [target], myParticipantId: 'me' },
          ),
        ),
      ),
    );
    expect(n).toMatchObject({ targets: [{ application: { id: 'a1' } }], myParticipantId: 'me' });
    expect('direction' in n || 'source' in n).toBe(false);
  });

  it('reads the call from the first object of an array resourceData', () => {
    const n = only(parseNotifications(envelope(callItem({ resourceData: [5, incoming] }))));
    expect(n.direction).toBe('incoming');
    expect(n.source?.region).toBe('westus');
  });

  it('does not lift them from a participant or an operation, whose fields are not the call’s', () => {
    const { notifications, rejected } = parseNotifications(
      envelope(
        {
          changeType: 'updated',
          resourceUrl: `/communications/calls/${CALL}/participants`,
          resourceData: [{ '@odata.type': '#microsoft.graph.participant', ...incoming }],
        },
        {
          changeType: 'deleted',
          resourceUrl: `/communications/calls/${CALL}/operations/op1`,
          resourceData: {
            '@odata.type': '#microsoft.graph.inviteParticipantsOperation',
            ...incoming,
          },
        },
      ),
    );
    expect(rejected).toEqual([]);
    expect(notifications).toHaveLength(2);
    for (const n of notifications) {
      for (const key of ['direction', 'source', 'targets', 'myParticipantId']) {
        expect(key in n).toBe(false);
      }
    }
  });

  it('neither reads nor pollutes through "__proto__" keys in the caller', () => {
    const text = `{"value":[{"changeType":"created","resourceUrl":"/communications/calls/${CALL}",
      "resourceData":{"__proto__":{"direction":"incoming","myParticipantId":"evil"},
        "source":{"__proto__":{"region":"evil"},"identity":{"__proto__":{"user":{"id":"evil"}},
          "user":{"__proto__":{"tenantId":"evil"},"id":"u1"}}},
        "targets":[{"__proto__":{"identity":{"user":{"id":"evil"}}}},{"identity":{"phone":{"id":"+1"}}}],
        "constructor":{"prototype":{"polluted":true}}}}]}`;
    const n = only(parseNotifications(text));
    expect(n.source).toEqual({ identity: { user: { id: 'u1' } } });
    expect(n.targets).toEqual([{ phone: { id: '+1' } }]);
    expect('direction' in n || 'myParticipantId' in n).toBe(false);
    const probe = {} as Item;
    for (const key of ['polluted', 'region', 'tenantId', 'user', 'identity', 'direction']) {
      expect(probe[key]).toBeUndefined();
    }
  });

  it('survives deeply nested garbage in every field without throwing', () => {
    let deep: unknown = { id: 'x' };
    for (let i = 0; i < 10_000; i++) deep = { user: deep, identity: [deep] };
    const n = only(
      parseNotifications(
        envelope(callItem({}, { source: deep, targets: [deep, deep], direction: deep })),
      ),
    );
    expect('direction' in n).toBe(false);
    // Only one level of the identity set is read: the nested object is no identity.
    expect(n.source).toBeUndefined();
    expect(n.targets).toBeUndefined();
  });
});

describe('sub-resources', () => {
  const roster = {
    '@odata.type': '#microsoft.graph.commsNotification',
    changeType: 'updated',
    resourceUrl: `/communications/calls/${CALL}/participants`,
    resourceData: [
      {
        '@odata.type': '#microsoft.graph.participant',
        id: 'p1',
        state: 'established',
        resultInfo: { code: 200 },
      },
      { '@odata.type': '#microsoft.graph.participant', id: 'p2' },
    ],
  };

  it('routes a participant roster to its call, without a state or a participant’s resultInfo', () => {
    const n = only(parseNotifications(envelope(roster)));
    expect(n).toEqual({
      index: 0,
      callId: CALL,
      changeType: 'updated',
      resource: 'participants',
      resourcePath: `/communications/calls/${CALL}/participants`,
      dataType: '#microsoft.graph.participant',
      roster: {
        kind: 'whole',
        entries: [
          { participant: { id: 'p1', identity: {}, mediaStreams: [] }, removed: false },
          { participant: { id: 'p2', identity: {}, mediaStreams: [] }, removed: false },
        ],
        skipped: 0,
      },
      raw: roster,
    });
  });

  it('reads a roster: identities, mute, lobby, streams, sequence numbers, departures, skipping entries without an id', () => {
    const item = {
      changeType: 'created',
      resourceUrl: `/communications/calls/${CALL}/participants`,
      resourceData: {
        '@odata.type': '#microsoft.graph.deltaParticipants',
        sequenceNumber: 9,
        participants: [
          {
            id: 'p1',
            info: {
              identity: { phone: { id: '+14255550100' } },
              endpointType: 'default',
              region: 'amer',
            },
            isMuted: true,
            isInLobby: 'no',
            mediaStreams: [{ mediaType: 'audio', direction: 'sendReceive', serverMuted: true }, 7],
            rosterSequenceNumber: 9,
          },
          { id: 'p2', removedState: { reason: 'left' } },
          { id: null, isMuted: false },
        ],
      },
    };
    expect(only(parseNotifications(envelope(item))).roster).toEqual({
      kind: 'delta',
      sequence: 9,
      skipped: 1,
      entries: [
        {
          participant: {
            id: 'p1',
            identity: { phone: { id: '+14255550100' } },
            endpointType: 'default',
            region: 'amer',
            isMuted: true,
            mediaStreams: [{ mediaType: 'audio', direction: 'sendReceive', serverMuted: true }],
            sequence: 9,
          },
          removed: false,
        },
        { participant: { id: 'p2', identity: {}, mediaStreams: [] }, removed: true },
      ],
    });
    const gone = only(
      parseNotifications(
        envelope({
          changeType: 'deleted',
          resourceUrl: `/communications/calls/${CALL}/participants/p3`,
        }),
      ),
    );
    expect(gone.roster).toEqual({
      kind: 'removed',
      entries: [{ participant: { id: 'p3', identity: {}, mediaStreams: [] }, removed: false }],
      skipped: 0,
    });
  });

  it('reads a finished operation: its id, type and resultInfo, but not its status as a state', () => {
    const operation = {
      changeType: 'deleted',
      resourceUrl: `communications/calls/${CALL}/operations/0fe0623f`,
      resourceData: {
        '@odata.type': '#microsoft.graph.recordOperation',
        '@odata.etag': 'W/"54451"',
        status: 'failed',
        state: 'terminated',
        terminationReason: 'AppInitiated',
        resultInfo: {
          code: 400,
          subcode: 8508,
          message: 'Action falied, the operation was cancelled.',
        },
      },
    };
    const n = only(parseNotifications(envelope(operation)));
    expect(n).toEqual({
      index: 0,
      callId: CALL,
      changeType: 'deleted',
      resource: 'operation',
      resourcePath: `communications/calls/${CALL}/operations/0fe0623f`,
      subresourceId: '0fe0623f',
      dataType: '#microsoft.graph.recordOperation',
      resultInfo: {
        code: 400,
        subcode: 8508,
        message: 'Action falied, the operation was cancelled.',
      },
      operation: {
        status: 'failed',
        dataType: '#microsoft.graph.recordOperation',
        resultInfo: {
          code: 400,
          subcode: 8508,
          message: 'Action falied, the operation was cancelled.',
        },
      },
      raw: operation,
    });
  });

  it('reads a key press on the call, only with a numeric sequence id', () => {
    const press = (toneInfo: unknown) =>
      only(
        parseNotifications(
          envelope({
            changeType: 'updated',
            resourceUrl: `/communications/calls/${CALL}`,
            resourceData: {
              '@odata.type': '#microsoft.graph.call',
              state: 'established',
              toneInfo,
            },
          }),
        ),
      );
    expect(press({ sequenceId: 3, tone: 'tone5' }).tone).toEqual({ sequenceId: 3, tone: 'tone5' });
    expect(press({ sequenceId: '3', tone: 'tone5' }).tone).toBeUndefined();
    expect(press({ sequenceId: 3 }).tone).toBeUndefined();
    expect(press('tone5').state).toBe('established');
  });

  it('reads content sharing sessions as other, with or without resourceData', () => {
    const created = only(
      parseNotifications(
        envelope({
          changeType: 'created',
          resourceUrl: `/communications/calls/${CALL}/contentsharingsessions/s1`,
        }),
      ),
    );
    expect(created).toMatchObject({ resource: 'other', subresourceId: 's1', callId: CALL });
    const updated = only(
      parseNotifications(
        envelope({
          changeType: 'updated',
          resourceUrl: `/communications/calls/${CALL}/contentsharingsessions`,
          resourceData: [{ '@odata.type': '#microsoft.graph.contentSharingSession', id: 's1' }],
        }),
      ),
    );
    expect(updated).toMatchObject({
      resource: 'other',
      dataType: '#microsoft.graph.contentSharingSession',
    });
    expect('subresourceId' in updated).toBe(false);
  });

  it('still rejects a sub-resource whose resourceData is not an object or array', () => {
    const r = rejection(parseNotifications(envelope({ ...roster, resourceData: 'participants' })));
    expect(r).toMatchObject({ code: 'invalidResourceData', field: 'value[0].resourceData' });
  });

  it('does not check a sub-resource’s state field, which is not the call’s', () => {
    const n = only(
      parseNotifications(envelope({ ...roster, resourceData: { '@odata.type': 'x', state: 42 } })),
    );
    expect(n.resource).toBe('participants');
  });
});

describe('item rejections', () => {
  function rejectItem(item: unknown): RejectedNotification {
    const r = rejection(parseNotifications(envelope(item)));
    expect(r.index).toBe(0);
    expect(r.raw).toBe(item);
    return r;
  }

  it.each<[unknown, string]>([
    [null, 'null'],
    ['updated', '"updated"'],
    [7, '7 (a number)'],
    [[callItem()], 'an array of 1'],
  ])('rejects the item %j as notAnObject', (item, shown) => {
    const r = rejectItem(item);
    expect(r).toMatchObject({ code: 'notAnObject', field: 'value[0]' });
    expect(r.message).toBe(`value[0] is ${shown}: expected a notification object`);
  });

  it.each([undefined, null])('rejects changeType %s as missingChangeType', (changeType) => {
    const item = callItem({ changeType });
    const r = rejectItem(item);
    expect(r).toMatchObject({ code: 'missingChangeType', field: 'value[0].changeType' });
    expect(r.message).toBe('value[0].changeType is missing: expected created, updated or deleted');
  });

  it('rejects the doc template "created | updated | deleted" as invalidChangeType', () => {
    const r = rejectItem(callItem({ changeType: 'created | updated | deleted' }));
    expect(r).toMatchObject({ code: 'invalidChangeType', field: 'value[0].changeType' });
    expect(r.message).toBe(
      'value[0].changeType is "created | updated | deleted": expected created, updated or deleted',
    );
  });

  it.each(['moved', 'create', ' created', 'createdd', '', 1, true, {}])(
    'rejects changeType %j as invalidChangeType',
    (changeType) => {
      expect(rejectItem(callItem({ changeType })).code).toBe('invalidChangeType');
    },
  );

  it('rejects an item with neither resourceUrl nor resource as missingResource', () => {
    const item = callItem();
    delete item.resourceUrl;
    const r = rejectItem(item);
    expect(r).toMatchObject({ code: 'missingResource', field: 'value[0].resourceUrl' });
    expect(r.message).toMatch(/^value\[0\]\.resourceUrl is missing: expected a call resource path/);
  });

  it('rejects non-string resource fields as missingResource, naming the field it read', () => {
    expect(rejectItem(callItem({ resourceUrl: 42 }))).toMatchObject({
      code: 'missingResource',
      field: 'value[0].resourceUrl',
    });
    const legacy = callItem({ resource: ['x'] });
    delete legacy.resourceUrl;
    const r = rejectItem(legacy);
    expect(r).toMatchObject({ code: 'missingResource', field: 'value[0].resource' });
    expect(r.message).toContain('value[0].resource is an array of 1');
  });

  it('rejects the doc template "String" as invalidResource', () => {
    const r = rejectItem(callItem({ resourceUrl: 'String' }));
    expect(r).toMatchObject({ code: 'invalidResource', field: 'value[0].resourceUrl' });
    expect(r.message).toBe(
      'value[0].resourceUrl: "String" is not a call resource: expected /communications/calls/{id} or /app/calls/{id}',
    );
  });

  it.each(['', '/communications/calls', '/communications/onlineMeetings/x', '/subscriptions/x'])(
    'rejects the resource %j as invalidResource',
    (resourceUrl) => {
      expect(rejectItem(callItem({ resourceUrl })).code).toBe('invalidResource');
    },
  );

  it('does not fall back to resource when resourceUrl is a string that is not a call', () => {
    const r = rejectItem(callItem({ resourceUrl: 'String', resource: `/app/calls/${CALL}` }));
    expect(r.code).toBe('invalidResource');
  });

  it.each<[unknown, string]>([
    ['established', '"established"'],
    [5, '5 (a number)'],
    [false, 'false (a boolean)'],
  ])('rejects resourceData %j as invalidResourceData', (resourceData, shown) => {
    const r = rejectItem(callItem({ resourceData }));
    expect(r).toMatchObject({ code: 'invalidResourceData', field: 'value[0].resourceData' });
    expect(r.message).toBe(
      `value[0].resourceData is ${shown}: expected an object, an array of objects, or nothing`,
    );
  });

  it.each<[unknown, string]>([
    [3, '3 (a number)'],
    [{ value: 'hold' }, 'an object'],
    [['hold'], 'an array of 1'],
  ])('rejects a call state %j as invalidState', (state, shown) => {
    const r = rejectItem(callItem({}, { state }));
    expect(r).toMatchObject({ code: 'invalidState', field: 'value[0].resourceData.state' });
    expect(r.message).toBe(
      `value[0].resourceData.state is ${shown}: expected a call state such as "established"`,
    );
  });

  it('names callState when that is where the bad state was', () => {
    const item = callItem({}, { callState: 9 });
    delete (item.resourceData as Item).state;
    expect(rejectItem(item)).toMatchObject({
      code: 'invalidState',
      field: 'value[0].resourceData.callState',
    });
  });

  it('reports the first problem only: changeType before resource before resourceData', () => {
    expect(rejectItem({ changeType: 'x', resourceUrl: 'y', resourceData: 1 }).code).toBe(
      'invalidChangeType',
    );
    expect(rejectItem({ changeType: 'created', resourceUrl: 'y', resourceData: 1 }).code).toBe(
      'invalidResource',
    );
  });

  it('cuts long values short in messages', () => {
    const long = 'x'.repeat(10_000);
    const r = rejectItem(callItem({ changeType: long }));
    expect(r.message).toBe(
      `value[0].changeType is "${'x'.repeat(80)}…": expected created, updated or deleted`,
    );
  });
});

describe('call ids that cannot be stored or sent back to Graph', () => {
  function refusedAt(body: unknown, index = 0): RejectedNotification {
    const r = rejection(parseNotifications(body));
    expect(r).toMatchObject({ index, code: 'invalidCallId' });
    return r;
  }

  it('rejects a call id with a lone surrogate instead of storing it (URIError crash)', () => {
    // Sent as a JSON escape, so the text and the bytes are valid: only the decoded id is not.
    const text =
      '{"value":[{"changeType":"updated","resourceUrl":"/communications/calls/\\ud800"}]}';
    for (const body of [text, new TextEncoder().encode(text), JSON.parse(text)]) {
      const r = refusedAt(body);
      expect(r.field).toBe('value[0].resourceUrl');
      expect(r.message).toMatch(
        /^value\[0\]\.resourceUrl: .* unpaired surrogate U\+D800 at index 0$/,
      );
    }
  });

  it.each([
    ['\ud800', 'unpaired surrogate U+D800'],
    ['\udbff', 'unpaired surrogate U+DBFF'],
    ['abc\udbff', 'U+DBFF at index 3'],
    ['.', 'relative path segment'],
    ['..', 'relative path segment'],
    ['%2E%2E', 'relative path segment'],
    ['%2e', 'relative path segment'],
    ['a%00b', 'control character U+0000'],
    ['a\u0007b', 'control character U+0007'],
    ['a%C2%85', 'control character U+0085'],
    ['a%2Fb', '"/" at index 1'],
    ['a%5Cb', '"\\" at index 1'],
    ['a\\b', '"\\" at index 1'],
    ['a%3Fb', '"?" at index 1'],
    ['a%23b', '"#" at index 1'],
  ])('rejects the call id %j, saying what is wrong (%s)', (id, why) => {
    const r = refusedAt(envelope(callItem({ resourceUrl: `/communications/calls/${id}` })));
    expect(r.field).toBe('value[0].resourceUrl');
    expect(r.message).toContain(why);
  });

  it('names the legacy resource field when that is where the id was', () => {
    const item = callItem({ resource: '/app/calls/\ud800' });
    delete item.resourceUrl;
    expect(refusedAt(envelope(item)).field).toBe('value[0].resource');
  });

  it('rejects an over-long id, and keeps the message short', () => {
    const r = refusedAt(
      envelope(callItem({ resourceUrl: `/communications/calls/${'a'.repeat(257)}` })),
    );
    expect(r.message).toContain('257 UTF-16 code units long, more than the 256 accepted');
    expect(r.message.length).toBeLessThan(400);
  });

  it('rejects a bad id below a sub-resource too, since the call id is what gets routed', () => {
    const r = refusedAt(
      envelope({ changeType: 'updated', resourceUrl: '/communications/calls/\ud800/participants' }),
    );
    expect(r.field).toBe('value[0].resourceUrl');
  });

  it('accepts the longest id allowed, and the literal text of an escape it cannot decode', () => {
    const longest = 'a'.repeat(256);
    expect(
      only(
        parseNotifications(envelope(callItem({ resourceUrl: `/communications/calls/${longest}` }))),
      ).callId,
    ).toBe(longest);
    expect(
      only(
        parseNotifications(envelope(callItem({ resourceUrl: '/communications/calls/a%ED%A0%80' }))),
      ).callId,
    ).toBe('a%ED%A0%80');
  });

  it('keeps the valid items of a mixed envelope when one id is refused, and never throws', () => {
    const items = [
      callItem({ resourceUrl: '/communications/calls/\ud800' }),
      callItem({ changeType: 'created' }, { state: 'incoming' }),
      callItem({ resourceUrl: '/communications/calls/%2E%2E' }),
      callItem({ resourceUrl: `/communications/calls/${OTHER_CALL}` }, { state: 'terminated' }),
      callItem({ resourceUrl: 'String' }),
    ];
    const { notifications, rejected } = parseNotifications(envelope(...items));
    expect(notifications.map((n) => [n.index, n.callId, n.state])).toEqual([
      [1, CALL, 'incoming'],
      [3, OTHER_CALL, 'terminated'],
    ]);
    expect(rejected.map((r) => [r.index, r.code, r.field])).toEqual([
      [0, 'invalidCallId', 'value[0].resourceUrl'],
      [2, 'invalidCallId', 'value[2].resourceUrl'],
      [4, 'invalidResource', 'value[4].resourceUrl'],
    ]);
    for (const r of rejected) expect(r.raw).toBe(items[r.index ?? -1]);
  });

  it('never passes on a call id that encodeURIComponent would throw on', () => {
    const ids = ['\ud800', '\udfff', 'a\ud800b', '\udbff\udbff', '%ED%A0%80', GUID_LIKE];
    const body = envelope(
      ...ids.map((id) => callItem({ resourceUrl: `/communications/calls/${id}` })),
    );
    const { notifications, rejected } = parseNotifications(JSON.stringify(body));
    expect(notifications.length + rejected.length).toBe(ids.length);
    for (const n of notifications) expect(() => encodeURIComponent(n.callId)).not.toThrow();
    expect(notifications.map((n) => n.index)).toEqual([4, 5]);
  });
});

describe('mixed batches', () => {
  it('keeps the valid items, rejects the others, and keeps every index', () => {
    const items = [
      callItem({ changeType: 'created' }, { state: 'incoming' }),
      42,
      callItem({ changeType: 'created | updated | deleted' }),
      {
        changeType: 'updated',
        resourceUrl: `/communications/calls/${OTHER_CALL}/participants`,
        resourceData: [],
      },
      callItem({ resourceUrl: 'String' }),
      callItem(
        { changeType: 'deleted', resourceUrl: `/communications/calls/${OTHER_CALL}` },
        {
          state: 'terminated',
        },
      ),
      callItem({}, { state: {} }),
    ];
    const { notifications, rejected } = parseNotifications(envelope(...items));
    expect(notifications.map((n) => [n.index, n.callId, n.resource, n.state])).toEqual([
      [0, CALL, 'call', 'incoming'],
      [3, OTHER_CALL, 'participants', undefined],
      [5, OTHER_CALL, 'call', 'terminated'],
    ]);
    expect(rejected.map((r) => [r.index, r.code, r.field])).toEqual([
      [1, 'notAnObject', 'value[1]'],
      [2, 'invalidChangeType', 'value[2].changeType'],
      [4, 'invalidResource', 'value[4].resourceUrl'],
      [6, 'invalidState', 'value[6].resourceData.state'],
    ]);
    for (const n of notifications) expect(n.raw).toBe(items[n.index]);
    for (const r of rejected) expect(r.raw).toBe(items[r.index ?? -1]);
  });

  it('reads holes in a sparse value array as items that are not objects', () => {
    const value: unknown[] = [];
    value[2] = callItem();
    const { notifications, rejected } = parseNotifications({ value });
    expect(notifications.map((n) => n.index)).toEqual([2]);
    expect(rejected.map((r) => [r.index, r.code])).toEqual([
      [0, 'notAnObject'],
      [1, 'notAnObject'],
    ]);
  });

  it('parses a large batch item by item', () => {
    const value = Array.from({ length: 10_000 }, (_, i) =>
      i % 10 === 9
        ? { changeType: 'nope' }
        : callItem({ resourceUrl: `/communications/calls/c${i}` }),
    );
    const { notifications, rejected } = parseNotifications({ value });
    expect(notifications).toHaveLength(9_000);
    expect(rejected).toHaveLength(1_000);
    expect(notifications[8_999]?.callId).toBe('c9998');
  });
});

describe('hostile input', () => {
  it('survives deep nesting inside an item, as text and as an object', () => {
    const depth = 100_000;
    const text = `{"value":[{"changeType":"updated","resourceUrl":"/communications/calls/${CALL}","resourceData":{"@odata.type":"#microsoft.graph.call","state":"hold","deep":${'['.repeat(depth)}${']'.repeat(depth)}}}]}`;
    const fromText = parseNotifications(text);
    expect(fromText.notifications.length + fromText.rejected.length).toBe(1);
    let nested: unknown = {};
    for (let i = 0; i < depth; i++) nested = { nested };
    expect(only(parseNotifications(envelope(callItem({}, { nested }))))).toMatchObject({
      state: 'established',
    });
  });

  it('rejects deeply nested JSON that is not an envelope without throwing', () => {
    const text = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const r = rejection(parseNotifications(text));
    expect(['invalidBody', 'notAnEnvelope']).toContain(r.code);
  });

  it('keeps messages short whatever the size of the values', () => {
    const huge = 'y'.repeat(5_000_000);
    const { rejected } = parseNotifications(
      envelope(
        callItem({ changeType: huge }),
        callItem({ resourceUrl: huge }),
        callItem({ resourceData: huge }),
        callItem({}, { state: Number.MAX_VALUE }),
        huge,
      ),
    );
    expect(rejected).toHaveLength(5);
    for (const r of rejected) expect(r.message.length).toBeLessThan(300);
    const invalidJson = rejection(parseNotifications(`{"value": "${huge}`));
    expect(invalidJson.message.length).toBeLessThan(300);
    const keys = Object.fromEntries(
      Array.from({ length: 1000 }, (_, i) => [huge.slice(0, 200) + i, i]),
    );
    expect(rejection(parseNotifications(keys)).message.length).toBeLessThan(800);
  });

  it('reads a huge state text as an unknown state without copying it into a message', () => {
    const huge = 'z'.repeat(1_000_000);
    const n = only(parseNotifications(envelope(callItem({}, { state: huge }))));
    expect(n.state).toBe('unknownFutureValue');
    expect(n.stateText).toBe(huge);
  });

  it('neither reads nor pollutes through "__proto__" keys in JSON text', () => {
    const text = `{"__proto__":{"value":[]},"value":[
      {"__proto__":{"changeType":"created","resourceUrl":"/communications/calls/evil"},"resourceUrl":"/communications/calls/${CALL}"},
      {"changeType":"updated","resourceUrl":"/communications/calls/${CALL}","resourceData":{"__proto__":{"state":"terminated"},"constructor":{"prototype":{"polluted":true}}}}
    ]}`;
    const { notifications, rejected } = parseNotifications(text);
    expect(rejected.map((r) => [r.index, r.code])).toEqual([[0, 'missingChangeType']]);
    expect(notifications).toHaveLength(1);
    expect(notifications[0]).toMatchObject({ index: 1, callId: CALL });
    expect(notifications[0] && 'state' in notifications[0]).toBe(false);
    expect(({} as Item).polluted).toBeUndefined();
    expect(({} as Item).changeType).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('value');
  });

  it('ignores inherited fields on objects it is handed', () => {
    const inheritsValue = Object.create({ value: [callItem()] }) as Item;
    expect(rejection(parseNotifications(inheritsValue)).code).toBe('notAnEnvelope');
    const inheritsChangeType = Object.create({ changeType: 'updated' }) as Item;
    inheritsChangeType.resourceUrl = `/communications/calls/${CALL}`;
    expect(rejection(parseNotifications(envelope(inheritsChangeType))).code).toBe(
      'missingChangeType',
    );
  });

  it('reads objects without a prototype', () => {
    const item = Object.assign(Object.create(null) as Item, callItem());
    const body = Object.assign(Object.create(null) as Item, { value: [item] });
    expect(only(parseNotifications(body)).callId).toBe(CALL);
  });

  it('rejects invalid UTF-8 anywhere in the bytes, including overlongs and lone surrogates', () => {
    for (const bad of [[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80]]) {
      const text = new TextEncoder().encode(JSON.stringify(envelope(callItem())));
      const bytes = new Uint8Array([...text.subarray(0, 20), ...bad, ...text.subarray(20)]);
      expect(rejection(parseNotifications(bytes)).code).toBe('invalidBody');
    }
  });

  it('rejects every prefix of a valid body without throwing', () => {
    const text = JSON.stringify(envelope(callItem({}, { resultInfo: { code: '200' } })));
    for (let end = 0; end < text.length; end++) {
      const result = parseNotifications(text.slice(0, end));
      expect(result.notifications).toEqual([]);
      expect(result.rejected).toHaveLength(1);
    }
  });

  it('rejects other exotic values as not an envelope', () => {
    for (const body of [Symbol('x'), 10n, new Map(), new Date(0), /value/]) {
      const result = parseNotifications(body);
      expect(result.notifications).toEqual([]);
      expect(result.rejected[0]?.code).toBe('notAnEnvelope');
    }
  });
});
