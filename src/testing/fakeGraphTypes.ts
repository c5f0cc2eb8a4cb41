/**
 * The public types of the fake Graph: its options, its faults, and what it records. See
 * {@link createFakeGraph}.
 *
 * @example
 * ```ts
 * import { createFakeGraph, type FakeGraphFaults } from 'graph-call-machine/testing';
 *
 * const faults: FakeGraphFaults = { seed: 7, duplicate: 0.1, reorderWindow: 2, dropTerminated: 0.05 };
 * const fake = createFakeGraph({ faults });
 * fake.connect(registry);
 * ```
 * @module
 */
import type { GraphCallState } from '../graph/callState.js';
import type { ChangeType } from '../graph/notification.js';
import type { Clock } from '../runtime/clock.js';
import type { ManualClock } from './createManualClock.js';
import type { RecordedDelivery } from './deliveryQueue.js';
import type {
  CommsNotification,
  CommsNotifications,
  DtmfTone,
  LegacyShape,
  NotifyResultInfo,
  OperationStatus,
} from './notify.js';

export type { RecordedDelivery } from './deliveryQueue.js';

/** Where the fake posts its notifications. */
export type FakeGraphDeliver = ((body: CommsNotifications) => unknown) | string | URL;

/**
 * What {@link FakeGraph.connect} delivers to: anything with an `ingest(body)` method, such as a
 * call registry. What `ingest` resolves to is kept in `deliveries[i].result`.
 */
export interface NotificationTarget {
  ingest(body: CommsNotifications): unknown;
}

/** The HTTP methods a `fail` fault can be limited to. */
export type FakeGraphMethod = 'DELETE' | 'GET' | 'POST';

/**
 * Faults, all optional and all off by default. Delivery faults (duplicate, reorder, drop,
 * delay, batch) act on notifications; request faults (throttle, fail) on requests to the fake.
 */
export interface FakeGraphFaults {
  /** Seeds every random draw (and the call ids), so a run can be replayed. Default 1. */
  readonly seed?: number;
  /** Probability that a notification is posted twice. */
  readonly duplicate?: number;
  /**
   * Notifications produced together (e.g. `terminating` and `terminated` after a DELETE) may
   * swap places with those fewer than this many positions away. 0 or 1: in order.
   */
  readonly reorderWindow?: number;
  /** Probability that a notification that does not end the call is never posted. */
  readonly dropNonTerminal?: number;
  /**
   * Drop the notification that ends the call (`deleted`, or state `terminated`): `true`
   * always, a number as a probability. Graph still answers `GET` with 404 for that call, so
   * the bot's deadline-then-verify path gets exercised.
   */
  readonly dropTerminated?: boolean | number;
  /** Latency of every post, in ms: fixed, or drawn from `[min, max]`. Posts stay in order. */
  readonly delayMs?: number | readonly [number, number];
  /** Answer the next `next` requests with 429 and `Retry-After: retryAfter` (seconds, fractions allowed). */
  readonly throttle?: { readonly next: number; readonly retryAfter: number };
  /**
   * Answer requests with `status` and a Graph error body: the next `next` of them (default:
   * all), only those of `method` when given, with `Retry-After` when `retryAfter` is given.
   */
  readonly fail?: {
    readonly status: number;
    readonly next?: number;
    readonly method?: FakeGraphMethod;
    readonly retryAfter?: number;
  };
  /** Put up to this many notifications in one POST (Graph's envelope is a batch). Default 1. */
  readonly batch?: number;
  /**
   * How operations that report later (playPrompt, recordResponse, sendDtmfTones, invite) end
   * when {@link FakeGraph.scriptOperations} scripted nothing for them: each a probability,
   * drawn once per operation from the seed; together at most 1. The rest complete.
   */
  readonly operations?: {
    /** Ends `failed` (500/9999). */
    readonly fail?: number;
    /** Stays `running`: no notification until the bot cancels it. */
    readonly neverComplete?: number;
    /** Reports its completion only after the call has ended. */
    readonly completeAfterEnd?: number;
  };
}

/** Options of {@link createFakeGraph}. */
export interface FakeGraphOptions {
  /**
   * Where notifications go: a function (e.g. `(body) => registry.ingest(body)`; what it
   * resolves to is kept in `deliveries[i].result`), or a webhook URL that gets a JSON `POST`.
   * Without it, notifications wait, in order, for {@link FakeGraph.connect}: none is lost, and
   * none is recorded in `deliveries` before it is posted.
   */
  readonly deliver?: FakeGraphDeliver;
  /** `Authorization` header of webhook posts, e.g. `Bearer <jwt>`, or a function that makes one per post. */
  readonly authorization?: string | (() => string | Promise<string>);
  readonly faults?: FakeGraphFaults;
  /** Which version `baseUrl` (and `listen().url`) names. Both are served either way. Default `v1.0`. */
  readonly apiVersion?: 'v1.0' | 'beta';
  /** Put `@odata.etag` (`W/"n"`, increasing per call) on call notifications. Default `true`. */
  readonly etags?: boolean;
  /** Emit notifications in an older shape (`/app/calls` resource, `callState`, …). */
  readonly legacy?: LegacyShape;
  /**
   * Post the whole roster (`updated` on `…/participants`) right after a call's first
   * `established`, as Graph does when a bot joins a group call or a meeting, so a bot knows
   * who is there before anything changes. Default `false`: the roster is kept (see
   * {@link FakeGraph.participants}) but notified only when it changes, and a two-party call's
   * notifications are the sequence the docs show.
   */
  readonly rosterOnEstablished?: boolean;
  /** Accept a bearer token or not (401 when not). Default: any non-empty token. */
  readonly authorize?: (token: string) => boolean;
  /**
   * Time and timers for deliveries (and the `at` of what is recorded). Default: the global
   * `setTimeout` and `Date.now`, read at call time. With a {@link ManualClock}, notifications
   * are posted when the clock is advanced (`await clock.advance(0)`), so `settle()` alone would
   * wait for ever: advance the clock first.
   */
  readonly clock?: Clock;
}

/** A call as the fake keeps it. The object is live: it changes as the call does. */
export interface FakeCall {
  readonly id: string;
  readonly direction: 'incoming' | 'outgoing';
  readonly state: GraphCallState;
  /** Every state the call went through, in order. */
  readonly states: readonly GraphCallState[];
  /** The number in the call's last etag `W/"n"`; it grows by one with each change. */
  readonly etag: number;
  /** Over: requests about it get 404. */
  readonly ended: boolean;
  /** The `resultInfo` of the call's last change, when it had one. */
  readonly resultInfo?: NotifyResultInfo;
  /** The last `callbackUri` given: by the call's creation, an answer, a reject or a redirect. */
  readonly callbackUri?: string;
  /** Who called: the caller of an incoming call, the bot for an outgoing one. */
  readonly source: ParticipantInfoSpec;
  /** Who was called: the bot for an incoming call, the callees of an outgoing one (none when it joined a meeting). */
  readonly targets: readonly ParticipantInfoSpec[];
  /** The bot's own participant id in the call, as Graph reports it. */
  readonly myParticipantId: string;
  readonly requestedModalities: readonly CallModality[];
  /** Every operation the bot asked for on the call, in order. */
  readonly operations: readonly FakeOperation[];
  /** The bot asked for tones (`subscribeToTone`): {@link FakeGraph.pressTone} may send them. */
  readonly toneSubscribed: boolean;
  /** The last status the bot reported with `updateRecordingStatus`. */
  readonly recordingStatus?: FakeRecordingStatus;
}

/** One request the fake answered. */
export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  /** The URL's path, e.g. `/v1.0/communications/calls/{id}`. */
  readonly path: string;
  readonly callId?: string;
  /**
   * What follows the call id, as requested: `keepAlive`, `answer`, `playPrompt`, …,
   * `participants/invite`, or `participants` (for `…/participants/{participantId}`).
   */
  readonly action?: string;
  /** The participant of `…/participants/{participantId}`. */
  readonly participantId?: string;
  /** The id of the operation the request started (the `id` of the `commsOperation` answered). */
  readonly operationId?: string;
  readonly status: number;
  /** Epoch ms, by the fake's clock. */
  readonly at: number;
  /** Whether an `Authorization: Bearer …` header was present. */
  readonly authorization: boolean;
  readonly clientRequestId?: string;
  /** Set when a request fault, not the call, decided the answer. */
  readonly fault?: 'throttle' | 'fail';
  /** The request's JSON body, parsed; absent when it had none, or none that parses. */
  readonly body?: unknown;
}

/** A modality of a call, as Graph names it. */
export type CallModality = 'audio' | 'video' | 'videoBasedScreenSharing' | 'data';

/** One identity of an identity set: Graph's `identity`. */
export interface IdentitySpec {
  /** A user's or application's object id, or a phone number in E.164 (`+14255550100`). */
  readonly id: string;
  readonly displayName?: string;
  /** The identity's tenant, for users of another tenant. */
  readonly tenantId?: string;
}

/**
 * Graph's `identitySet` as calls carry it (`communicationsIdentitySet`): a Teams `user`, a
 * `phone` number, an `application` (a bot) or its `applicationInstance`, a `guest`.
 */
export interface IdentitySetSpec {
  readonly user?: IdentitySpec;
  readonly phone?: IdentitySpec;
  readonly application?: IdentitySpec;
  readonly applicationInstance?: IdentitySpec;
  readonly guest?: IdentitySpec;
}

/** Graph's `participantInfo`: one end of a call, as `source` and `targets` carry it. */
export interface ParticipantInfoSpec {
  readonly identity: IdentitySetSpec;
  /** e.g. `amer`, `westus`. */
  readonly region?: string;
  /** e.g. `en-US`. */
  readonly languageId?: string;
  readonly countryCode?: string;
  readonly endpointType?:
    | 'default'
    | 'voicemail'
    | 'skypeForBusiness'
    | 'skypeForBusinessVoipPhone';
  readonly participantId?: string;
}

/**
 * How the fake ends a transfer it accepted. Every transfer first notifies `transferring`, then
 * `transferAccepted` (graph-corpus sequences.md §6); then:
 *
 * - `'completed'`: `deleted` with state `terminated` and resultInfo 0/7015
 *   `GracefulTransferCompleted`; for a consultative transfer (the request's `transferTarget`
 *   has `replacesCallId`), `terminationReason: 'AppTransferred'` instead, as the docs show it.
 * - `'failed'`: `updated` with state `established` and resultInfo 500/7000 (500/7700 for a
 *   consultative transfer), under the `subCode` key the docs use; the call lives on.
 * - an object: the same, with `consultative` or `resultInfo` chosen by the test.
 *
 * @example
 * ```ts
 * const callId = fake.placeCall({ transfer: 'failed' });  // every transfer of this call fails
 * fake.scriptTransfers(callId, 'completed');                // except the next one
 * fake.scriptTransfers(callId, { result: 'failed', resultInfo: { code: 500, subcode: 7700 } });
 * ```
 */
export type TransferOutcome = 'completed' | 'failed' | TransferOutcomeSpec;

/** The object form of {@link TransferOutcome}. */
export interface TransferOutcomeSpec {
  readonly result: 'completed' | 'failed';
  /** Report it as the consultative examples do. Default: whether `transferTarget.replacesCallId` was sent. */
  readonly consultative?: boolean;
  /** Report this resultInfo instead of the documented one. */
  readonly resultInfo?: NotifyResultInfo;
}

/**
 * The operations the fake answers on a call: `POST …/calls/{id}/{kind}`, and
 * `POST …/calls/{id}/participants/invite` for `invite`.
 */
export type FakeOperationKind =
  | 'playPrompt'
  | 'recordResponse'
  | 'cancelMediaProcessing'
  | 'subscribeToTone'
  | 'sendDtmfTones'
  | 'mute'
  | 'unmute'
  | 'updateRecordingStatus'
  | 'invite';

/** A status `updateRecordingStatus` reports. */
export type FakeRecordingStatus = 'recording' | 'notRecording' | 'failed';

/**
 * How the fake ends an operation that Graph answers `running` and reports later (playPrompt,
 * recordResponse, sendDtmfTones, invite). The others (cancelMediaProcessing, subscribeToTone,
 * mute, unmute, updateRecordingStatus) are `completed` in their answer and take no outcome.
 *
 * - `'completes'` (default): a `deleted` notification on `…/operations/{id}` with status
 *   `completed`, as the docs show it (playPrompt 200/0; recordResponse 200/8515 with a
 *   `recordingLocation`; sendDtmfTones `completedSuccessfully`; invite, then the roster with
 *   the invited participants).
 * - `'fails'`: the same with status `failed` and resultInfo 500/9999; an invite adds no one.
 * - `'neverCompletes'`: no notification, ever (a `cancelMediaProcessing` still cancels a
 *   prompt or a recording, as it would a running one).
 * - `'completesAfterEnd'`: no notification while the call lives; its completion comes after
 *   the call's `terminated`.
 * - an object: `completes` or `fails`, `afterMs` later by the fake's clock (a prompt that
 *   plays for a while, which a `cancelMediaProcessing` can still cancel), with the
 *   `resultInfo` or `completionReason` chosen by the test.
 *
 * When the call ends, Graph sends nothing more about its running operations, except those
 * scripted `'completesAfterEnd'`.
 *
 * @example
 * ```ts
 * fake.scriptOperations(callId, 'neverCompletes', 'fails');   // the next two operations
 * fake.scriptOperations(callId, { result: 'completes', afterMs: 5_000 }); // then a 5 s prompt
 * ```
 */
export type OperationOutcome =
  | 'completes'
  | 'fails'
  | 'neverCompletes'
  | 'completesAfterEnd'
  | OperationOutcomeSpec;

/** The object form of {@link OperationOutcome}. */
export interface OperationOutcomeSpec {
  readonly result: 'completes' | 'fails';
  /** Report it this many ms after the request, by the fake's clock. Default 0: right after the answer. */
  readonly afterMs?: number;
  /** Report this resultInfo instead of the documented one. */
  readonly resultInfo?: NotifyResultInfo;
  /** Report this `completionReason` instead of the documented one. */
  readonly completionReason?: string;
}

/** An operation the bot asked for, as the fake keeps it. The object is live. */
export interface FakeOperation {
  /** The `commsOperation` id of the answer. */
  readonly id: string;
  readonly kind: FakeOperationKind;
  readonly clientContext?: string;
  /** `running` until the fake reports how it ended (or for ever, once the call ended without a report). */
  readonly status: OperationStatus;
  /** How it was set to end; absent for the operations completed in their answer. */
  readonly outcome?: OperationOutcome;
}

/** One media stream of a participant, as the roster carries it. */
export interface FakeMediaStream {
  readonly mediaType: CallModality;
  readonly label?: string;
  readonly sourceId: string;
  readonly direction: 'sendReceive' | 'sendOnly' | 'receiveOnly' | 'inactive';
  readonly serverMuted: boolean;
}

/** A participant of a fake call's roster. A copy: it does not change with the roster. */
export interface FakeParticipant {
  /** Graph's participant id; the bot's is the call's `myParticipantId`. */
  readonly id: string;
  /** `info`: the identity, and region, language, endpoint type when known. */
  readonly info: ParticipantInfoSpec;
  /** One stream per modality of the call (`data` has none). */
  readonly mediaStreams: readonly FakeMediaStream[];
  readonly isMuted: boolean;
  readonly isInLobby: boolean;
  /** The roster version in which this participant last changed. */
  readonly rosterSequenceNumber: number;
}

/**
 * Someone who joins a fake call ({@link FakeGraph.join}): who it is, as a
 * `participantInfo`, and how it joins.
 *
 * @example
 * ```ts
 * fake.join(callId, { identity: { user: { id: 'b7d1…', displayName: 'Bob' } }, isMuted: true });
 * ```
 */
export interface FakeParticipantSpec extends ParticipantInfoSpec {
  /** The participant id. Default: a GUID drawn from the seed. */
  readonly id?: string;
  /** Default `false`. */
  readonly isMuted?: boolean;
  /** Default `false`. */
  readonly isInLobby?: boolean;
  /** Its media streams. Default: the call's modalities. */
  readonly modalities?: readonly CallModality[];
}

/** What {@link FakeGraph.updateParticipant} changes. */
export interface ParticipantChanges {
  readonly isMuted?: boolean;
  /** `false` admits a participant from the lobby. */
  readonly isInLobby?: boolean;
}

/** Options of {@link FakeGraph.placeCall}. */
export interface PlaceCallOptions {
  /** Default: a GUID drawn from the seed. */
  readonly callId?: string;
  readonly callbackUri?: string;
  /** `false` leaves the call `establishing` (move it on with `setState`). Default `true`. */
  readonly establish?: boolean;
  /** The bot placing the call. Default: an application `Test BOT`. */
  readonly source?: ParticipantInfoSpec;
  /** Who is called. Default: one user `Test User`. */
  readonly targets?: readonly ParticipantInfoSpec[];
  /** How every transfer of this call ends, unless {@link FakeGraph.scriptTransfers} says otherwise. Default `'completed'`. */
  readonly transfer?: TransferOutcome;
}

/** Options of {@link FakeGraph.incomingCall}. */
export interface IncomingCallOptions {
  readonly callId?: string;
  /** Put in the `created` notification, as the redirect docs show it. Default: none. */
  readonly callbackUri?: string;
  /**
   * The caller: a Teams user, a phone number, another bot. Default: a user `Test User`, as the
   * answer docs show.
   *
   * @example
   * ```ts
   * fake.incomingCall({ source: { identity: { phone: { id: '+14255550100' } }, region: 'amer' } });
   * ```
   */
  readonly source?: ParticipantInfoSpec;
  /** Who is called: the bot. Default: an application `Test BOT`. */
  readonly targets?: readonly ParticipantInfoSpec[];
  /** What the caller asks for. Default `['audio']`. */
  readonly requestedModalities?: readonly CallModality[];
  /** The bot's participant id in the call. Default: a fixed GUID numbered by call. */
  readonly myParticipantId?: string;
  /** How every transfer of this call ends, unless {@link FakeGraph.scriptTransfers} says otherwise. Default `'completed'`. */
  readonly transfer?: TransferOutcome;
}

/** Options of {@link FakeGraph.setState}. */
export interface SetStateOptions {
  /** Default: `deleted` for `terminated`, `updated` otherwise. */
  readonly changeType?: ChangeType;
  readonly resultInfo?: NotifyResultInfo;
  readonly terminationReason?: string;
  /** More `resourceData` fields. */
  readonly data?: Readonly<Record<string, unknown>>;
}

/** The fake served over HTTP by {@link FakeGraph.listen}. */
export interface FakeGraphServer {
  /** The Graph base URL to give a client: `http://127.0.0.1:{port}/v1.0`. */
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The fake Graph. See {@link createFakeGraph}. */
export interface FakeGraph {
  /** A `fetch` that Graph answers in process: pass it with `baseUrl` to `createGraphClient` or `createCallRegistry`. */
  readonly fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  /** The same, as a WHATWG handler. */
  readonly handle: (request: Request) => Promise<Response>;
  /** `https://fake-graph.invalid/v1.0`: a host that cannot resolve, so nothing leaks to the network. */
  readonly baseUrl: string;
  readonly calls: ReadonlyMap<string, FakeCall>;
  /** Every request answered, in order. */
  readonly requests: RecordedRequest[];
  /** Every post made and every notification dropped, in order. */
  readonly deliveries: RecordedDelivery[];
  /** An outgoing call (as `POST /communications/calls` makes one): notifies `establishing`, then `established`. */
  placeCall(options?: PlaceCallOptions): string;
  /**
   * A call to the bot: notifies `created` with state `incoming`, `direction: 'incoming'`, the
   * caller (`source`), the callee (`targets`), `requestedModalities` and `myParticipantId`.
   */
  incomingCall(options?: IncomingCallOptions): string;
  /** Answers an incoming call: `establishing`, then `established`. */
  answer(callId: string): void;
  /** Rejects an incoming call: one `deleted` with no state, as Graph sends. */
  reject(callId: string): void;
  /** Redirects an incoming call: `deleted` with state `terminated`. */
  redirect(callId: string): void;
  /**
   * Transfers an established call: `transferring`, `transferAccepted`, then as `outcome` says
   * (default: the call's next scripted outcome, see {@link TransferOutcome}); `fail: true` is
   * `outcome: 'failed'`.
   */
  transfer(
    callId: string,
    options?: { readonly fail?: boolean; readonly outcome?: TransferOutcome },
  ): void;
  /**
   * Decides how the next transfers of a call end, one outcome per transfer (a `POST …/transfer`
   * or `transfer()`), in order; after them, the call's own `transfer` option applies again.
   * Throws for a call the fake does not know, or an outcome that is not a {@link TransferOutcome}.
   *
   * @example
   * ```ts
   * const callId = fake.placeCall();
   * fake.scriptTransfers(callId, 'failed', 'completed');
   * // The bot's next POST …/transfer: transferring, transferAccepted, established with 500/7000.
   * // The one after it: transferring, transferAccepted, deleted terminated with 0/7015.
   * ```
   */
  scriptTransfers(callId: string, ...outcomes: readonly TransferOutcome[]): void;
  /**
   * Decides how the next operations of a call that report later end (playPrompt,
   * recordResponse, sendDtmfTones, invite: a `POST` each), one outcome per operation, in
   * order; after them, operations complete (or as `faults.operations` draws). Throws for a
   * call the fake does not know, or an outcome that is not an {@link OperationOutcome}.
   *
   * @example
   * ```ts
   * const callId = fake.placeCall();
   * fake.scriptOperations(callId, 'fails', 'completesAfterEnd');
   * // The bot's next playPrompt: 200 running, then `deleted` …/operations/{id} with status failed.
   * // The one after it: 200 running, and its completion only after the call's `terminated`.
   * ```
   */
  scriptOperations(callId: string, ...outcomes: readonly OperationOutcome[]): void;
  /**
   * The roster of a call (a copy): the bot from the start, the caller or callees once the call
   * is established, then whoever was invited or joined, less whoever left. Throws for a call
   * the fake does not know.
   *
   * @example
   * ```ts
   * fake.participants(callId).map((p) => [p.id, p.isMuted]);
   * // [[myParticipantId, false], ['…', false]]
   * ```
   */
  participants(callId: string): readonly FakeParticipant[];
  /**
   * Someone joins a live call: notifies the whole roster (`updated` on `…/participants`), and
   * returns the new participant's id. Throws for a call that is unknown or over, or an id
   * already in the roster.
   *
   * @example
   * ```ts
   * const bob = fake.join(callId, { identity: { user: { id: 'b7d1…', displayName: 'Bob' } } });
   * fake.updateParticipant(callId, bob, { isMuted: true });
   * fake.leave(callId, bob);
   * ```
   */
  join(callId: string, participant: FakeParticipantSpec): string;
  /**
   * A participant leaves a live call: notifies the whole roster without it. Throws for a call
   * that is unknown or over, a participant not in the roster, or the bot itself (use
   * `remoteHangUp` or `setState` to end the call instead).
   */
  leave(callId: string, participantId: string): void;
  /** A participant mutes, unmutes, or leaves the lobby: notifies the whole roster. Throws as `leave` does. */
  updateParticipant(callId: string, participantId: string, changes: ParticipantChanges): void;
  /**
   * The caller presses a key: an `updated` notification on the call that repeats its state and
   * carries `toneInfo { sequenceId, tone }`, the sequence numbered from 1 per call. Returns
   * the sequence id sent. Throws for a call that is not established (or on hold), or whose bot
   * has not subscribed to tones (`POST …/subscribeToTone`): Graph would send it nothing.
   *
   * @example
   * ```ts
   * // after the bot's POST …/subscribeToTone
   * fake.pressTone(callId, 'tone1'); // 1
   * fake.pressTone(callId, 'pound'); // 2
   * ```
   */
  pressTone(callId: string, tone: DtmfTone): number;
  /** The other side hangs up: `terminating`, then `deleted` `terminated` (200/18503 unless given). */
  remoteHangUp(callId: string, options?: { readonly resultInfo?: NotifyResultInfo }): void;
  /** Moves a live call to any state and notifies it: for lifecycles the scripted ones do not cover. */
  setState(callId: string, state: GraphCallState, options?: SetStateOptions): void;
  /** Posts hand-built notifications (e.g. from `notify`) through the same faults. */
  push(...items: readonly CommsNotification[]): void;
  /**
   * Delivers notifications to `target.ingest(body)` from now on, starting with any that waited
   * for a connection; returns the function that disconnects it (notifications then wait again).
   * Only for a fake created without `deliver` (a `TypeError` otherwise); one target at a time
   * (connecting a second before disconnecting the first throws).
   *
   * @example
   * ```ts
   * const fake = createFakeGraph();
   * const registry = createCallRegistry({ graph: { getToken, fetch: fake.fetch, baseUrl: fake.baseUrl } });
   * const disconnect = fake.connect(registry);
   * const callId = fake.incomingCall();        // `created incoming` reaches registry.ingest
   * disconnect();                              // later notifications wait for the next connect()
   * ```
   */
  connect(target: NotificationTarget): () => void;
  /** Answers the next `n` requests with 429 and `Retry-After` in seconds (fractions allowed). Replaces an armed throttle. */
  throttleNext(n: number, retryAfterSeconds: number): void;
  /** Answers the next `n` requests (of `method`, when given) with `status`. Replaces an armed failure. */
  failNext(
    n: number,
    status: number,
    options?: { readonly method?: FakeGraphMethod; readonly retryAfter?: number },
  ): void;
  /** Serves the fake over HTTP on 127.0.0.1 (port 0: any free one). */
  listen(port?: number): Promise<FakeGraphServer>;
  /** Resolves once every notification produced so far (and any produced meanwhile) has been posted or dropped. */
  settle(): Promise<void>;
  /** Discards pending deliveries, waits for one in flight, closes servers; later requests fail like a refused connection. */
  close(): Promise<void>;
}
