/**
 * Conformance over every notification example the Graph docs show (test/fixtures/graph-corpus).
 * The expectations are computed from the raw items with deliberately simple code of their own,
 * so a bug in the parser cannot hide behind the same bug in the test.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type GraphCallState, isGraphCallState } from '../../src/graph/callState.js';
import type {
  CallNotification,
  ParsedNotifications,
  RejectionCode,
  ResultInfo,
} from '../../src/graph/notification.js';
import { parseNotifications } from '../../src/graph/parseNotifications.js';
import { CORPUS_DIR, type CorpusFile, corpusFile, loadCorpus } from '../support/corpus.js';

type Item = Record<string, unknown>;

const MAIN_COUNT = 129;
const HISTORY_COUNT = 189;

/** The schema templates ("JSON representation") and how each is turned away. */
const TEMPLATES: ReadonlyMap<string, { code: RejectionCode; field: string }> = new Map([
  // Bare shape, changeType "created | updated | deleted", resourceUrl "String".
  ['v1.0_commsnotification__1', { code: 'invalidChangeType', field: 'changeType' }],
  ['beta_commsnotification__1', { code: 'invalidChangeType', field: 'changeType' }],
  // Envelope whose only item is { "@odata.type": "#microsoft.graph.commsNotification" }.
  ['v1.0_commsnotifications__1', { code: 'missingChangeType', field: 'value[0].changeType' }],
  ['beta_commsnotifications__1', { code: 'missingChangeType', field: 'value[0].changeType' }],
  // Bare shape with the old resource field; its raw text has a trailing comma.
  ['history/beta_commsnotification__1', { code: 'invalidChangeType', field: 'changeType' }],
]);

const LEGACY_STATE_SPELLINGS: Readonly<Record<string, GraphCallState>> = {
  'transfer-accepted': 'transferAccepted',
};

const CALL_PATH = /^\/?(?:communications|app)\/calls\/([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?$/;

function isObject(value: unknown): value is Item {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The items a webhook would hand on: `value`, or the bare notification itself. */
function itemsOf(body: unknown): unknown[] {
  if (!isObject(body)) throw new Error('every corpus body is an object');
  return Array.isArray(body.value) ? body.value : [body];
}

interface ExpectedRoute {
  callId: string;
  resource: CallNotification['resource'];
  subresourceId?: string;
}

function expectedRoute(item: Item): ExpectedRoute {
  const path = typeof item.resourceUrl === 'string' ? item.resourceUrl : item.resource;
  const match = typeof path === 'string' ? CALL_PATH.exec(path) : null;
  const [, callId, kind, subId] = match ?? [];
  if (callId === undefined) throw new Error(`not a call path: ${String(path)}`);
  const resource =
    kind === undefined
      ? 'call'
      : kind === 'participants'
        ? 'participants'
        : kind === 'operations'
          ? 'operation'
          : 'other';
  return subId === undefined ? { callId, resource } : { callId, resource, subresourceId: subId };
}

function expectedState(data: Item): GraphCallState | undefined {
  const text = data.state ?? data.callState;
  if (text === undefined) return undefined;
  if (typeof text !== 'string') throw new Error('corpus states are strings');
  const state = LEGACY_STATE_SPELLINGS[text] ?? text;
  if (!isGraphCallState(state)) throw new Error(`corpus state ${text} is not a Graph call state`);
  return state;
}

function expectedResultInfo(value: unknown): ResultInfo | undefined {
  if (!isObject(value)) return undefined;
  const asNumber = (v: unknown) =>
    typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
  const info: { code?: number; subcode?: number; message?: string } = {};
  const code = asNumber(value.code);
  const subcode = asNumber(value.subcode ?? value.subCode);
  if (code !== undefined) info.code = code;
  if (subcode !== undefined) info.subcode = subcode;
  if (typeof value.message === 'string') info.message = value.message;
  return info;
}

function isCallType(data: unknown): boolean {
  const type = isObject(data) ? data['@odata.type'] : undefined;
  return typeof type === 'string' && type.replace(/^#/, '') === 'microsoft.graph.call';
}

// Written out here rather than imported, so the expectations below do not share the parser's table.
const CALLER_KINDS = [
  'user',
  'application',
  'applicationInstance',
  'phone',
  'guest',
  'encrypted',
  'onPremises',
];

function pickStrings(value: Item, keys: readonly string[]): Item {
  return Object.fromEntries(
    keys.filter((k) => typeof value[k] === 'string').map((k) => [k, value[k]]),
  );
}

function expectedIdentities(value: unknown): Item | undefined {
  if (!isObject(value)) return undefined;
  const set: Item = {};
  for (const kind of CALLER_KINDS) {
    const identity = value[kind];
    if (!isObject(identity)) continue;
    const picked = pickStrings(identity, ['id', 'displayName', 'tenantId']);
    if (Object.keys(picked).length > 0) set[kind] = picked;
  }
  return Object.keys(set).length > 0 ? set : undefined;
}

/** The caller as the docs show it; 2018 payloads put the language on the identity itself. */
function expectedSource(value: unknown): Item | undefined {
  if (!isObject(value)) return undefined;
  const identity = expectedIdentities(value.identity) ?? {};
  const info: Item = { identity, ...pickStrings(value, ['region', 'languageId']) };
  if (info.languageId === undefined && isObject(value.identity)) {
    const identities = Object.values(value.identity).filter(isObject);
    const language = identities.map((i) => i.language).find((l) => typeof l === 'string');
    if (language !== undefined) info.languageId = language;
  }
  return Object.keys(info).length > 1 || Object.keys(identity).length > 0 ? info : undefined;
}

function expectedTargets(value: unknown): Item[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const targets = value.flatMap((t) => {
    const set = isObject(t) ? expectedIdentities(t.identity) : undefined;
    return set === undefined ? [] : [set];
  });
  return targets.length > 0 ? targets : undefined;
}

function parse(body: unknown): ParsedNotifications {
  let result: ParsedNotifications | undefined;
  expect(() => {
    result = parseNotifications(body);
  }).not.toThrow();
  if (result === undefined) throw new Error('unreachable');
  return result;
}

function parsedOnly(name: string): CallNotification {
  const { notifications, rejected } = parse(corpusFile(name).body);
  expect(rejected).toEqual([]);
  expect(notifications).toHaveLength(1);
  const [n] = notifications;
  if (n === undefined) throw new Error('unreachable');
  return n;
}

const corpus = loadCorpus();

describe('corpus inventory', () => {
  it(`holds ${MAIN_COUNT} current and ${HISTORY_COUNT} historical examples (the README's 132/321 is stale)`, () => {
    expect(corpus.filter((f) => !f.name.startsWith('history/'))).toHaveLength(MAIN_COUNT);
    expect(corpus.filter((f) => f.name.startsWith('history/'))).toHaveLength(HISTORY_COUNT);
    expect(corpus).toHaveLength(MAIN_COUNT + HISTORY_COUNT);
  });

  it('loads every .json file in the corpus directory exactly once', () => {
    const onDisk = [
      ...readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.json')),
      ...readdirSync(`${CORPUS_DIR}history`)
        .filter((f) => f.endsWith('.json'))
        .map((f) => `history/${f}`),
    ].map((f) => f.slice(0, -'.json'.length));
    expect(corpus.map((f) => f.name).sort()).toEqual(onDisk.sort());
  });

  it('uses the repaired object as the body where the doc text was not strict JSON', () => {
    const repaired = corpus.filter((f) => 'repaired' in f);
    expect(repaired.length).toBeGreaterThan(0);
    for (const f of repaired) {
      expect(typeof f.payload).toBe('string');
      expect(f.body).toBe(f.repaired);
    }
    for (const f of corpus.filter((x) => !('repaired' in x))) expect(f.body).toBe(f.payload);
  });

  it('finds files by name, in document order, and names close matches for a typo', () => {
    expect(corpusFile('v1.0_call-delete__2.json')).toBe(corpusFile('v1.0_call-delete__2'));
    const names = corpus.map((f) => f.name);
    expect(names.indexOf('v1.0_call-transfer__2')).toBeLessThan(
      names.indexOf('v1.0_call-transfer__10'),
    );
    expect(() => corpusFile('v1.0_call-delete__99')).toThrow(/v1\.0_call-delete__1/);
  });

  it('holds exactly one notification per file', () => {
    expect(corpus.every((f) => itemsOf(f.body).length === 1)).toBe(true);
  });
});

describe.each(corpus.map((f): [string, CorpusFile] => [f.name, f]))('%s', (name, file) => {
  const items = itemsOf(file.body);
  const template = TEMPLATES.get(name);

  it('parses without a throw, every item landing in exactly one list', () => {
    const { notifications, rejected } = parse(file.body);
    expect(rejected.filter((r) => r.index === null)).toEqual([]);
    const indexes = [...notifications.map((n) => n.index), ...rejected.map((r) => r.index)];
    expect(indexes.sort((a, b) => (a ?? -1) - (b ?? -1))).toEqual(items.map((_, i) => i));
    expect(notifications.length + rejected.length).toBe(items.length);
  });

  if (template !== undefined) {
    it(`is a schema template, rejected as ${template.code}`, () => {
      const { notifications, rejected } = parse(file.body);
      expect(notifications).toEqual([]);
      expect(rejected).toHaveLength(1);
      expect(rejected[0]).toMatchObject({ index: 0, ...template, raw: items[0] });
      expect(rejected[0]?.message).toContain(template.field);
    });
  } else {
    it('parses every item with the route, change type and state the raw item shows', () => {
      const { notifications, rejected } = parse(file.body);
      expect(rejected).toEqual([]);
      for (const n of notifications) {
        const item = items[n.index];
        if (!isObject(item)) throw new Error('corpus items are objects');
        const data = item.resourceData;
        const route = expectedRoute(item);
        expect(n.raw).toBe(item);
        expect(n.changeType).toBe(String(item.changeType).toLowerCase());
        expect(n.callId).toBe(route.callId);
        expect(n.resource).toBe(route.resource);
        expect(n.subresourceId).toBe(route.subresourceId);
        // The docs never disagree: a path naming the call itself always carries a call object.
        expect(isCallType(data)).toBe(route.resource === 'call');
        if (route.resource === 'call') {
          if (data !== undefined && !isObject(data)) throw new Error('call data is an object');
          const state = data === undefined ? undefined : expectedState(data);
          expect(n.state).toBe(state);
          const rawState = data?.state ?? data?.callState;
          expect(n.stateText).toBe(rawState === state ? undefined : rawState);
          expect(n.dataType).toBe(data?.['@odata.type']);
          expect(n.etag).toBe(data?.['@odata.etag']);
          expect(n.resultInfo).toEqual(expectedResultInfo(data?.resultInfo));
          expect(n.terminationReason).toBe(data?.terminationReason);
          expect(n.direction).toBe(data?.direction);
          expect(n.source).toEqual(expectedSource(data?.source));
          expect(n.targets).toEqual(expectedTargets(data?.targets));
          expect(n.myParticipantId).toBe(data?.myParticipantId);
        } else {
          expect(n.state).toBeUndefined();
          expect(n.stateText).toBeUndefined();
          for (const key of ['direction', 'source', 'targets', 'myParticipantId']) {
            expect(key in n).toBe(false);
          }
          const first = Array.isArray(data) ? data[0] : data;
          expect(n.dataType).toBe(isObject(first) ? first['@odata.type'] : undefined);
          expect(n.resultInfo).toEqual(
            isObject(data) ? expectedResultInfo(data.resultInfo) : undefined,
          );
        }
      }
    });
  }

  if (typeof file.payload === 'string') {
    const text = file.payload;
    it('rejects the doc’s non-strict JSON text cleanly as invalidBody', () => {
      const { notifications, rejected } = parse(text);
      expect(notifications).toEqual([]);
      expect(rejected).toHaveLength(1);
      expect(rejected[0]).toMatchObject({ index: null, code: 'invalidBody', raw: text });
      expect(rejected[0]?.message).toMatch(/not valid JSON/);
    });
  }
});

describe('corpus totals', () => {
  it('rejects only the five schema templates, and parses everything else', () => {
    const rejectedFiles = corpus
      .filter((f) => parse(f.body).rejected.length > 0)
      .map((f) => f.name);
    expect(rejectedFiles.sort()).toEqual([...TEMPLATES.keys()].sort());
    const parsed = corpus.reduce((sum, f) => sum + parse(f.body).notifications.length, 0);
    expect(parsed).toBe(MAIN_COUNT + HISTORY_COUNT - TEMPLATES.size);
  });

  it('routes every kind of resource the docs show', () => {
    const kinds = new Map<string, number>();
    for (const f of corpus) {
      for (const n of parse(f.body).notifications) {
        kinds.set(n.resource, (kinds.get(n.resource) ?? 0) + 1);
      }
    }
    expect(kinds.get('call')).toBeGreaterThan(150);
    expect(kinds.get('participants')).toBeGreaterThan(30);
    expect(kinds.get('operation')).toBeGreaterThan(50);
    expect(kinds.get('other')).toBe(5);
  });

  it('reads every state the docs show, legacy spellings included', () => {
    const seen = new Set<string>();
    for (const f of corpus) {
      for (const n of parse(f.body).notifications) if (n.state !== undefined) seen.add(n.state);
    }
    expect([...seen].sort()).toEqual(
      [
        'incoming',
        'ringing',
        'redirecting',
        'establishing',
        'established',
        'transferring',
        'transferAccepted',
        'terminating',
        'terminated',
      ].sort(),
    );
  });
});

describe('who is on the call', () => {
  const calls = corpus.flatMap((f) =>
    parse(f.body)
      .notifications.filter((n) => n.resource === 'call')
      .map((n) => ({ name: f.name, n, data: n.raw.resourceData as Item | undefined })),
  );
  const sent = (key: string) => calls.filter(({ data }) => isObject(data) && key in data);

  // If the lift silently stops, these counts (of items that carry the field, and of items whose
  // field was lifted) part ways.
  it.each([
    ['direction', 58],
    ['source', 48],
    ['targets', 48],
    ['myParticipantId', 20],
  ] as const)('lifts %s from every one of the %i call notifications that send it', (key, count) => {
    expect(sent(key)).toHaveLength(count);
    expect(calls.filter(({ n }) => n[key] !== undefined)).toHaveLength(count);
    for (const { name, n } of sent(key)) expect(n[key], name).toBeDefined();
  });

  it('reads 48 incoming and 10 outgoing calls, current and 2018 payloads alike', () => {
    const directions = calls.map(({ n }) => n.direction).filter((d) => d !== undefined);
    expect(directions.filter((d) => d === 'incoming')).toHaveLength(48);
    expect(directions.filter((d) => d === 'outgoing')).toHaveLength(10);
    const withParties = calls.filter(
      ({ n }) =>
        n.direction !== undefined || n.source !== undefined || n.myParticipantId !== undefined,
    );
    expect(withParties.filter(({ name }) => !name.startsWith('history/'))).toHaveLength(22);
    expect(withParties.filter(({ name }) => name.startsWith('history/'))).toHaveLength(36);
  });

  it('names every caller by a user, and every callee by an application or its instance', () => {
    const sources = calls.flatMap(({ n }) => (n.source === undefined ? [] : [n.source]));
    expect(sources.filter((s) => s.identity.user?.id !== undefined)).toHaveLength(48);
    expect(sources.filter((s) => s.languageId !== undefined)).toHaveLength(28);
    const targets = calls.flatMap(({ n }) => n.targets ?? []);
    expect(targets.filter((t) => t.application !== undefined)).toHaveLength(40);
    expect(targets.filter((t) => t.applicationInstance !== undefined)).toHaveLength(8);
  });

  it('reads the caller of an incoming call (v1.0_call-answer__1)', () => {
    expect(parsedOnly('v1.0_call-answer__1')).toMatchObject({
      state: 'incoming',
      direction: 'incoming',
      source: {
        identity: {
          user: { displayName: 'Test User', id: '8A34A46B-3D17-4ADC-8DCE-DC4E7D572698' },
        },
        region: 'westus',
        languageId: 'en-US',
      },
      targets: [
        { application: { displayName: 'Test BOT', id: '8A34A46B-3D17-4ADC-8DCE-DC4E7D572698' } },
      ],
    });
  });

  it('reads tenant ids and myParticipantId, but not answeredBy, from a redirected call (v1.0_call-redirect__6)', () => {
    const n = parsedOnly('v1.0_call-redirect__6');
    expect(n).toMatchObject({
      changeType: 'deleted',
      direction: 'incoming',
      source: {
        identity: { user: { tenantId: '632899f8-2ea1-4604-8413-27bd2892079f' } },
        region: 'amer',
      },
      targets: [
        {
          applicationInstance: {
            displayName: 'PstnAppInstance',
            id: '7629bdce-046c-4903-86b4-a8f718277e1a',
            tenantId: '632899f8-2ea1-4604-8413-27bd2892079f',
          },
        },
      ],
      myParticipantId: 'c339cede-4bd6-4f20-ab9f-3a13e65f6d00',
    });
    expect(JSON.stringify(n.source)).not.toContain('encrypted');
  });

  it('reads an outgoing call the bot placed (v1.0_application-post-calls__2)', () => {
    const n = parsedOnly('v1.0_application-post-calls__2');
    expect(n).toMatchObject({ state: 'established', direction: 'outgoing' });
    expect('source' in n).toBe(false);
  });

  it('reads the 2018 shape, with the language on the identity (history/beta_call-answer__11)', () => {
    expect(parsedOnly('history/beta_call-answer__11')).toMatchObject({
      resourcePath: '/app/calls/57DAB8B1894C409AB240BD8BEAE78896',
      state: 'incoming',
      direction: 'incoming',
      source: { identity: { user: { displayName: 'Test User' } }, languageId: 'en-US' },
      targets: [{ application: { displayName: 'Test BOT' } }],
    });
  });
});

describe('documented facts', () => {
  it('hang-up ends with deleted + terminated and resultInfo 200/5001 sent as strings (v1.0_call-delete__2)', () => {
    expect(parsedOnly('v1.0_call-delete__2')).toMatchObject({
      changeType: 'deleted',
      resource: 'call',
      callId: '57dab8b1-894c-409a-b240-bd8beae78896',
      state: 'terminated',
      resultInfo: { code: 200, subcode: 5001, message: 'The conversation has ended.' },
    });
  });

  it('reject ends the call with a deleted notification that has no state (v1.0_call-reject__2)', () => {
    const n = parsedOnly('v1.0_call-reject__2');
    expect(n).toMatchObject({ changeType: 'deleted', resource: 'call' });
    expect('state' in n).toBe(false);
  });

  it('reads a resourceUrl without its leading slash (v1.0_participant-stopholdmusic__1)', () => {
    expect(parsedOnly('v1.0_participant-stopholdmusic__1')).toMatchObject({
      resource: 'operation',
      callId: 'e141b67c-90fd-455d-858b-b48a40b9cc8d',
      subresourceId: '0fe0623f-d628-42ed-b4bd-8ac290072cc5',
      resourcePath:
        'communications/calls/e141b67c-90fd-455d-858b-b48a40b9cc8d/operations/0fe0623f-d628-42ed-b4bd-8ac290072cc5',
      dataType: '#microsoft.graph.stopHoldMusicOperation',
    });
  });

  it('reads the 2018 callState "transfer-accepted" (history/beta_call-transfer__9)', () => {
    expect(parsedOnly('history/beta_call-transfer__9')).toMatchObject({
      resource: 'call',
      callId: '57DAB8B1894C409AB240BD8BEAE78896',
      state: 'transferAccepted',
      stateText: 'transfer-accepted',
      etag: 'W/"5445"',
    });
  });

  it('reads subCode as the subcode of a failed transfer (v1.0_call-transfer__4)', () => {
    expect(parsedOnly('v1.0_call-transfer__4')).toMatchObject({
      changeType: 'updated',
      state: 'established',
      resultInfo: { code: 500, subcode: 7000 },
    });
  });

  it('sends terminated in an updated notification, then a deleted without state (history/beta_call-delete__6..8)', () => {
    expect(parsedOnly('history/beta_call-delete__6')).toMatchObject({
      changeType: 'updated',
      state: 'terminating',
    });
    expect(parsedOnly('history/beta_call-delete__7')).toMatchObject({
      changeType: 'updated',
      state: 'terminated',
      terminationReason: 'AppInitiated',
    });
    const last = parsedOnly('history/beta_call-delete__8');
    expect(last.changeType).toBe('deleted');
    expect('state' in last).toBe(false);
  });

  it('prefers resourceUrl when resource names the deprecated /app path (v1.0_call-answer__9)', () => {
    expect(parsedOnly('v1.0_call-answer__9')).toMatchObject({
      resourcePath: '/communications/calls/e71f0300-9c1f-4d99-b5f4-2722e877d497',
      state: 'incoming',
    });
  });

  it('takes the call id from the path, not from resourceData.id (v1.0_call-redirect__4 differs by a typo)', () => {
    const n = parsedOnly('v1.0_call-redirect__4');
    expect(n.callId).toBe('491f0b00-ffff-4bc9-a43e-b226498ec22a');
    expect((n.raw.resourceData as Item).id).toBe('481f0b00-ffff-4ca1-8c67-a5f1e31e8e82');
  });

  it('drops a non-numeric operation subCode ("transferring") but keeps the code (history/beta_call-transfer__1)', () => {
    expect(parsedOnly('history/beta_call-transfer__1')).toMatchObject({
      resource: 'operation',
      resultInfo: { code: 200 },
    });
    expect(parsedOnly('history/beta_call-transfer__1').resultInfo).not.toHaveProperty('subcode');
  });

  it('routes the roster the docs post to …/operations/participants as an operation (v1.0_participant-invite__4)', () => {
    expect(parsedOnly('v1.0_participant-invite__4')).toMatchObject({
      resource: 'operation',
      subresourceId: 'participants',
      dataType: '#microsoft.graph.participant',
    });
  });

  it('reads content-sharing sessions as other (v1.0_application-post-calls__3, v1.0_call-answer__7)', () => {
    expect(parsedOnly('v1.0_application-post-calls__3')).toMatchObject({
      resource: 'other',
      dataType: '#microsoft.graph.contentSharingSession',
    });
    const noData = parsedOnly('v1.0_call-answer__7');
    expect(noData).toMatchObject({
      resource: 'other',
      subresourceId: '2765eb15-01f8-47c6-b12b-c32111a4a86f',
    });
    expect('dataType' in noData).toBe(false);
  });

  it('reads the only ringing example (history/beta_application-post-calls__11)', () => {
    expect(parsedOnly('history/beta_application-post-calls__11').state).toBe('ringing');
  });

  it('reads an envelope typed without "#" (19 files)', () => {
    const untyped = corpus.filter((f) => {
      const body = f.body;
      return isObject(body) && body['@odata.type'] === 'microsoft.graph.commsNotifications';
    });
    expect(untyped).toHaveLength(19);
    for (const f of untyped) expect(parse(f.body).notifications).toHaveLength(1);
  });

  it('parses the history files the README calls templates but that hold real-looking examples', () => {
    for (const name of [
      'history/beta_commsnotification__2',
      'history/beta_commsnotification__3',
      'history/beta_notification__1',
      'history/beta_notification__2',
    ]) {
      expect(parsedOnly(name).callId).toBe('1D6DE2D4-CD51-4309-8DAA-70768651088E');
    }
  });

  it('accepts the bare single-notification examples of the resource docs (history/beta_commsnotification__4..7)', () => {
    expect(parsedOnly('history/beta_commsnotification__4')).toMatchObject({
      index: 0,
      changeType: 'created',
      state: 'incoming',
    });
    expect(parsedOnly('history/beta_commsnotification__5').resource).toBe('participants');
    expect(parsedOnly('history/beta_commsnotification__6').state).toBe('establishing');
    expect(parsedOnly('history/beta_commsnotification__7')).toMatchObject({
      changeType: 'deleted',
      state: 'terminated',
      resultInfo: { code: 0 },
    });
  });
});
