/**
 * Builders for webhook bodies exactly shaped like the ones Microsoft Graph posts to a calling
 * bot: `commsNotification` items about a call or its sub-resources, and the
 * `commsNotifications` envelope that carries them. Options reproduce the older shapes the
 * documentation's history shows, so a bot can be tested against every generation.
 *
 * @example
 * ```ts
 * import { notify } from 'graph-call-machine/testing';
 *
 * await registry.ingest(
 *   notify.batch(
 *     notify.updated(callId, 'terminating', { etag: 7 }),
 *     notify.deleted(callId, {
 *       state: 'terminated',
 *       resultInfo: { code: 200, subcode: 5001, message: 'The conversation has ended.' },
 *     }),
 *   ),
 * );
 * ```
 * @module
 */
import type { GraphCallState } from '../graph/callState.js';
import type { ChangeType } from '../graph/notification.js';
import type { DtmfTone as GraphDtmfTone } from '../graph/operationRequests.js';

/** A `resourceData` object: Graph always names its type. */
export interface GraphResourceData {
  readonly '@odata.type': string;
  readonly [key: string]: unknown;
}

/** One `#microsoft.graph.commsNotification` item, as Graph posts it. */
export interface CommsNotification {
  /** Absent only in the 2018 shape ({@link LegacyShape.untyped}). */
  readonly '@odata.type'?: '#microsoft.graph.commsNotification';
  readonly changeType: ChangeType;
  /** The current field; absent in the old shape, which only has `resource`. */
  readonly resourceUrl?: string;
  /** The pre-2019 field (`/app/calls/{id}`). */
  readonly resource?: string;
  /** An object for a call or an operation, an array for a participant roster. */
  readonly resourceData?: GraphResourceData | readonly GraphResourceData[];
}

/** The `#microsoft.graph.commsNotifications` envelope: the body of one webhook POST. */
export interface CommsNotifications {
  readonly '@odata.type': '#microsoft.graph.commsNotifications';
  readonly value: readonly CommsNotification[];
}

/**
 * A call state to put on the wire: one of Graph's, or any other text, to test how a bot
 * copes with a value it does not know.
 */
export type NotifyState = GraphCallState | (string & {});

/** `resultInfo` as given to a builder. A string code is sent verbatim (`"transferring"`). */
export interface NotifyResultInfo {
  readonly code?: number | string;
  readonly subcode?: number | string;
  readonly message?: string;
}

/** The older payload shapes found in the documentation's history (2018–2021). Combine freely. */
export interface LegacyShape {
  /** `callState` instead of `state` (2018). */
  readonly callStateField?: boolean;
  /** Only `resource: '/app/calls/{id}'`, no `resourceUrl` (2018–2019 beta). */
  readonly appResource?: boolean;
  /** `resultInfo` codes as strings (`"200"`), as the current delete docs show them. */
  readonly stringCodes?: boolean;
  /** `subCode` instead of `subcode`. */
  readonly subCodeKey?: boolean;
  /** Hyphenated states: `transfer-accepted` (2018). */
  readonly hyphenated?: boolean;
  /** Resource paths without their leading slash, as the hold-music docs show. */
  readonly noLeadingSlash?: boolean;
  /** Capitalised states (`Established`), a legacy format the docs mention. */
  readonly capitalized?: boolean;
  /** No `@odata.type` on the item nor on its `resultInfo` (2018). `resourceData` keeps its type. */
  readonly untyped?: boolean;
}

/** Options of the call builders {@link created}, {@link updated} and {@link deleted}. */
export interface NotifyOptions {
  /** `@odata.etag`: a number `n` becomes `W/"n"`, a string is sent verbatim. Default: none. */
  readonly etag?: number | string;
  readonly resultInfo?: NotifyResultInfo;
  /** Older payloads: `AppInitiated`, `AppTransferred`, `AppRedirected`. */
  readonly terminationReason?: string;
  /** Include `@odata.id` (the call's path). Default `true`. */
  readonly odataId?: boolean;
  /** More `resourceData` fields (`direction`, `callbackUri`, `toneInfo`, …); they override the built ones. */
  readonly data?: Readonly<Record<string, unknown>>;
  readonly legacy?: LegacyShape;
}

/** Options of {@link deleted}: the state is optional there, as a reject's notification has none. */
export interface DeletedOptions extends NotifyOptions {
  /** Default: no state, the shape of a reject (`deleted` is terminal on its own). */
  readonly state?: NotifyState;
}

/** One participant of a roster built by {@link participants}. */
export interface ParticipantSpec {
  /** The participant id. Default: a fixed GUID numbered by position. */
  readonly id?: string;
  /** Default `Participant {n}`. */
  readonly displayName?: string;
  /** The identity kind: a Teams `user` (default), an `application` (a bot), or a `phone` number. */
  readonly kind?: 'user' | 'application' | 'phone';
  /** The identity's id. Default: a fixed GUID numbered by position. */
  readonly identityId?: string;
  /** Default `false`. */
  readonly isMuted?: boolean;
  /** Default `false`. */
  readonly isInLobby?: boolean;
  /** More participant fields; they override the built ones. */
  readonly data?: Readonly<Record<string, unknown>>;
}

/** Options of {@link participants}. */
export interface ParticipantsOptions {
  /** Default `updated`, the roster change the docs show. */
  readonly changeType?: ChangeType;
  readonly legacy?: Pick<LegacyShape, 'appResource' | 'noLeadingSlash' | 'untyped'>;
}

/** `commsOperation.status`. */
export type OperationStatus = 'notStarted' | 'running' | 'completed' | 'failed';

/** Options of {@link operation}. */
export interface OperationOptions {
  /** `resourceData['@odata.type']`, e.g. `#microsoft.graph.playPromptOperation`. Default `#microsoft.graph.commsOperation`. */
  readonly type?: string;
  /** Default `deleted` for `completed`/`failed` (how Graph reports a finished operation), `updated` otherwise. */
  readonly changeType?: ChangeType;
  /**
   * Default: 200/0 "Action completed successfully." for `completed`, 500 for `failed`, none
   * otherwise. `null` leaves it out.
   */
  readonly resultInfo?: NotifyResultInfo | null;
  readonly clientContext?: string;
  /** The operation's own `@odata.etag` (the parser does not take it for the call's). */
  readonly etag?: number | string;
  readonly data?: Readonly<Record<string, unknown>>;
  readonly legacy?: Pick<
    LegacyShape,
    'appResource' | 'noLeadingSlash' | 'stringCodes' | 'subCodeKey' | 'untyped'
  >;
}

/** The DTMF tones of `toneInfo.tone` ({@link GraphDtmfTone}), or any other text. */
export type DtmfTone = GraphDtmfTone | (string & {});

/** Options of {@link tone}. */
export interface ToneOptions {
  /** `toneInfo.sequenceId`. Default 1. */
  readonly sequenceId?: number;
  /** The call state the notification repeats. Default `established`. */
  readonly state?: NotifyState;
  readonly etag?: number | string;
  /** Include `@odata.id`. Default `true`; the docs' tone example has none. */
  readonly odataId?: boolean;
  readonly legacy?: LegacyShape;
}

const NO_LEGACY: LegacyShape = {};

/**
 * A `created` notification about a call (an incoming call is announced this way).
 *
 * @example
 * ```ts
 * notify.created('c1', 'incoming', { etag: 1, data: { direction: 'incoming' } });
 * // { '@odata.type': '#microsoft.graph.commsNotification', changeType: 'created',
 * //   resourceUrl: '/communications/calls/c1',
 * //   resourceData: { '@odata.type': '#microsoft.graph.call', '@odata.id': '/communications/calls/c1',
 * //                   '@odata.etag': 'W/"1"', state: 'incoming', direction: 'incoming' } }
 * ```
 */
export function created(
  callId: string,
  state: NotifyState,
  options: NotifyOptions = {},
): CommsNotification {
  return callItem('created', callId, state, options);
}

/**
 * An `updated` notification about a call: every state change but the last.
 *
 * @example
 * ```ts
 * notify.updated('c1', 'established', { etag: 2 });
 * notify.updated('c1', 'transferAccepted', { legacy: { hyphenated: true, callStateField: true } });
 * // resourceData: { …, callState: 'transfer-accepted' }
 * ```
 */
export function updated(
  callId: string,
  state: NotifyState,
  options: NotifyOptions = {},
): CommsNotification {
  return callItem('updated', callId, state, options);
}

/**
 * A `deleted` notification about a call: the end of it. Without `state` it is a reject's bare
 * `deleted`.
 *
 * @example
 * ```ts
 * notify.deleted('c1'); // a reject: no state
 * notify.deleted('c1', {
 *   state: 'terminated',
 *   resultInfo: { code: 200, subcode: 5001, message: 'The conversation has ended.' },
 *   legacy: { stringCodes: true }, // code: '200', subcode: '5001', as the current docs show
 * });
 * ```
 */
export function deleted(callId: string, options: DeletedOptions = {}): CommsNotification {
  return callItem('deleted', callId, options.state, options);
}

/**
 * A roster notification: `…/calls/{id}/participants` with an array of participants, as Graph
 * sends for group calls and meetings. Without `list`, a user and the bot.
 *
 * @example
 * ```ts
 * notify.participants('c1', [{ displayName: 'Alice', isMuted: true }, { kind: 'application', displayName: 'Bot' }]);
 * ```
 */
export function participants(
  callId: string,
  list: readonly ParticipantSpec[] = DEFAULT_ROSTER,
  options: ParticipantsOptions = {},
): CommsNotification {
  const legacy = options.legacy ?? NO_LEGACY;
  const path = callPath(callId, legacy, '/participants');
  return item(options.changeType ?? 'updated', path, legacy, list.map(participantOf));
}

/**
 * An operation notification: `…/calls/{id}/operations/{opId}`. A finished operation
 * (`completed`, `failed`) is a `deleted` notification with its `resultInfo`, as playPrompt,
 * record and invite report themselves.
 *
 * @example
 * ```ts
 * notify.operation('c1', 'op-1', 'completed', { type: '#microsoft.graph.playPromptOperation' });
 * notify.operation('c1', 'op-2', 'failed', { resultInfo: { code: 400, subcode: 8508, message: 'Action failed, the operation was cancelled.' } });
 * ```
 */
export function operation(
  callId: string,
  operationId: string,
  status: OperationStatus,
  options: OperationOptions = {},
): CommsNotification {
  const legacy = options.legacy ?? NO_LEGACY;
  const finished = status === 'completed' || status === 'failed';
  const path = callPath(callId, legacy, `/operations/${operationId}`);
  const data: Record<string, unknown> = {
    '@odata.type': options.type ?? '#microsoft.graph.commsOperation',
    '@odata.id': path,
  };
  if (options.etag !== undefined) data['@odata.etag'] = etagOf(options.etag);
  const info = options.resultInfo === undefined ? DEFAULT_RESULT[status] : options.resultInfo;
  if (info !== null && info !== undefined) data.resultInfo = resultInfoOf(info, legacy);
  if (options.clientContext !== undefined) data.clientContext = options.clientContext;
  data.status = status;
  return item(
    options.changeType ?? (finished ? 'deleted' : 'updated'),
    path,
    legacy,
    withExtra(data, options.data),
  );
}

/**
 * A DTMF tone the caller pressed (after `subscribeToTone`): an `updated` notification on the
 * call that repeats its state and carries `toneInfo`.
 *
 * @example
 * ```ts
 * notify.tone('c1', 'tone5', { sequenceId: 3 });
 * // resourceData: { '@odata.type': '#microsoft.graph.call', …, state: 'established',
 * //   toneInfo: { '@odata.type': '#microsoft.graph.toneInfo', sequenceId: 3, tone: 'tone5' } }
 * ```
 */
export function tone(
  callId: string,
  pressed: DtmfTone,
  options: ToneOptions = {},
): CommsNotification {
  const toneInfo = {
    '@odata.type': '#microsoft.graph.toneInfo',
    sequenceId: options.sequenceId ?? 1,
    tone: pressed,
  };
  const callOptions: NotifyOptions = {
    data: { toneInfo },
    ...(options.etag !== undefined && { etag: options.etag }),
    ...(options.odataId !== undefined && { odataId: options.odataId }),
    ...(options.legacy !== undefined && { legacy: options.legacy }),
  };
  return callItem('updated', callId, options.state ?? 'established', callOptions);
}

/**
 * The webhook body: a `commsNotifications` envelope around the items, in order. Envelopes
 * among the arguments are unpacked, so batches can be combined.
 *
 * @example
 * ```ts
 * const body = notify.batch(notify.updated('c1', 'terminating'), notify.deleted('c2'));
 * await registry.ingest(body);
 * ```
 */
export function batch(
  ...items: readonly (CommsNotification | CommsNotifications)[]
): CommsNotifications {
  const value: CommsNotification[] = [];
  for (const entry of items) {
    if (isEnvelope(entry)) value.push(...entry.value);
    else value.push(entry);
  }
  return { '@odata.type': '#microsoft.graph.commsNotifications', value };
}

/**
 * The envelope around one item: what Graph posts in every documented example.
 *
 * @example
 * ```ts
 * await registry.ingest(notify.envelope(notify.updated('c1', 'established')));
 * ```
 */
export function envelope(single: CommsNotification): CommsNotifications {
  return batch(single);
}

/**
 * Every builder in one object: `notify.created`, `notify.updated`, `notify.deleted`,
 * `notify.participants`, `notify.operation`, `notify.tone`, `notify.batch`, `notify.envelope`.
 *
 * @example
 * ```ts
 * import { notify } from 'graph-call-machine/testing';
 *
 * const body = notify.batch(notify.created('c1', 'incoming'), notify.deleted('c1'));
 * ```
 */
export const notify = {
  created,
  updated,
  deleted,
  participants,
  operation,
  tone,
  batch,
  envelope,
} as const;

// Graph's examples show the bot and one user; ids are fixed so tests can assert on them.
const DEFAULT_ROSTER: readonly ParticipantSpec[] = [
  { displayName: 'Participant 1' },
  { displayName: 'Calling Bot', kind: 'application' },
];

const DEFAULT_RESULT: Readonly<Record<OperationStatus, NotifyResultInfo | undefined>> = {
  notStarted: undefined,
  running: undefined,
  completed: { code: 200, subcode: 0, message: 'Action completed successfully.' },
  failed: { code: 500, message: 'Action failed.' },
};

function callItem(
  changeType: ChangeType,
  callId: string,
  state: NotifyState | undefined,
  options: NotifyOptions,
): CommsNotification {
  const legacy = options.legacy ?? NO_LEGACY;
  const path = callPath(callId, legacy, '');
  const data: Record<string, unknown> = { '@odata.type': '#microsoft.graph.call' };
  if (options.odataId !== false) data['@odata.id'] = path;
  if (options.etag !== undefined) data['@odata.etag'] = etagOf(options.etag);
  if (state !== undefined)
    data[legacy.callStateField ? 'callState' : 'state'] = stateText(state, legacy);
  if (options.resultInfo !== undefined) data.resultInfo = resultInfoOf(options.resultInfo, legacy);
  if (options.terminationReason !== undefined) data.terminationReason = options.terminationReason;
  return item(changeType, path, legacy, withExtra(data, options.data));
}

function item(
  changeType: ChangeType,
  path: string,
  legacy: Pick<LegacyShape, 'appResource' | 'untyped'>,
  resourceData: GraphResourceData | readonly GraphResourceData[],
): CommsNotification {
  const pathField = legacy.appResource ? { resource: path } : { resourceUrl: path };
  return legacy.untyped
    ? { changeType, ...pathField, resourceData }
    : {
        '@odata.type': '#microsoft.graph.commsNotification',
        changeType,
        ...pathField,
        resourceData,
      };
}

function callPath(
  callId: string,
  legacy: Pick<LegacyShape, 'appResource' | 'noLeadingSlash'>,
  suffix: string,
): string {
  const path = `${legacy.appResource ? 'app' : 'communications'}/calls/${callId}${suffix}`;
  return legacy.noLeadingSlash ? path : `/${path}`;
}

function etagOf(etag: number | string): string {
  return typeof etag === 'number' ? `W/"${etag}"` : etag;
}

function stateText(state: NotifyState, legacy: LegacyShape): string {
  let text: string = state;
  if (legacy.hyphenated) text = text.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  if (legacy.capitalized) text = text.charAt(0).toUpperCase() + text.slice(1);
  return text;
}

function resultInfoOf(
  info: NotifyResultInfo,
  legacy: Pick<LegacyShape, 'stringCodes' | 'subCodeKey' | 'untyped'>,
): Record<string, unknown> {
  const code = (value: number | string): number | string =>
    legacy.stringCodes && typeof value === 'number' ? String(value) : value;
  const out: Record<string, unknown> = legacy.untyped
    ? {}
    : { '@odata.type': '#microsoft.graph.resultInfo' };
  if (info.code !== undefined) out.code = code(info.code);
  if (info.subcode !== undefined)
    out[legacy.subCodeKey ? 'subCode' : 'subcode'] = code(info.subcode);
  if (info.message !== undefined) out.message = info.message;
  return out;
}

function participantOf(spec: ParticipantSpec, index: number): GraphResourceData {
  const n = index + 1;
  const kind = spec.kind ?? 'user';
  const identity = {
    '@odata.type': '#microsoft.graph.identity',
    displayName: spec.displayName ?? `Participant ${n}`,
    id: spec.identityId ?? fixedGuid(0x1d, n),
  };
  const participant = {
    '@odata.type': '#microsoft.graph.participant',
    info: {
      '@odata.type': '#microsoft.graph.participantInfo',
      identity: { '@odata.type': '#microsoft.graph.identitySet', [kind]: identity },
    },
    mediaStreams: [
      {
        '@odata.type': '#microsoft.graph.mediaStream',
        mediaType: 'audio',
        sourceId: String(n),
        direction: 'sendReceive',
        serverMuted: false,
      },
    ],
    isMuted: spec.isMuted ?? false,
    isInLobby: spec.isInLobby ?? false,
    id: spec.id ?? fixedGuid(0xa0, n),
  };
  return withExtra(participant, spec.data);
}

function fixedGuid(prefix: number, n: number): string {
  return `${prefix.toString(16).padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

function withExtra(
  data: Record<string, unknown>,
  extra: Readonly<Record<string, unknown>> | undefined,
): GraphResourceData {
  return (extra === undefined ? data : { ...data, ...extra }) as GraphResourceData;
}

function isEnvelope(value: CommsNotification | CommsNotifications): value is CommsNotifications {
  return Array.isArray((value as Partial<CommsNotifications>).value);
}
