/**
 * The contracts of the imperative shell: the Graph client the registry calls, the call
 * registry a bot embeds, and the report of one webhook POST.
 *
 * @example
 * ```ts
 * import { createCallRegistry, type CallRegistry } from 'graph-call-machine';
 *
 * const registry: CallRegistry = createCallRegistry({ graph: { getToken } });
 * registry.on('call.terminated', ({ outcome }) => console.log(outcome.callId, outcome.reason));
 * ```
 * @module
 */
import type {
  AnswerRequest,
  InvitationTarget,
  PlaceCallRequest,
  RedirectRequest,
  RejectReason,
  RejectRequest,
  TransferRequest,
} from '../graph/callRequests.js';
import type { GraphCallState, KnownCallState } from '../graph/callState.js';
import type { PlacedCallBody } from '../graph/graphResponse.js';
import type { RejectedNotification } from '../graph/notification.js';
import type { OperationReport } from '../graph/operationReport.js';
import type {
  DtmfTone,
  OperationRequest,
  RecordingStatus,
  RecordResponseOptions,
} from '../graph/operationRequests.js';
import type { Participant } from '../graph/participant.js';
import type { CallParticipantInfo } from '../graph/participantInfo.js';
import type { CallEmitted, CallOperation, CallView, GraphError } from '../machine/types.js';
import type { PromptSpec } from './checkOperations.js';
import type { FlightRecorder, FlightRecorderOptions } from './flightRecord.js';

/**
 * What one Graph request came to. Never an exception: network errors and timeouts are
 * `ok: false` with `status: 0`.
 */
export type GraphResult =
  | { readonly ok: true; readonly status: number }
  | {
      readonly ok: false;
      /** The HTTP status, or 0 when no response arrived (network error, timeout, no token). */
      readonly status: number;
      /** From `Retry-After` (seconds, fractional allowed, or an HTTP date), in milliseconds. */
      readonly retryAfterMs?: number;
      /** Graph's JSON error body, or a description of the network failure. */
      readonly error?: GraphError;
    };

/** The answer to `GET /communications/calls/{id}`: the call's state when it still exists. */
export type GetCallResult = GraphResult & { readonly state?: GraphCallState };

/** The call Graph created for `POST /communications/calls`, read from the 201 body. */
export type PlacedCall = PlacedCallBody;

/** The answer to `POST /communications/calls`: 201 with the call Graph created. */
export type PlaceCallResult =
  | { readonly ok: true; readonly status: number; readonly call: PlacedCall }
  | Extract<GraphResult, { ok: false }>;

/**
 * The Graph requests the runtime makes. Swap in your own to add logging or a proxy: spreading
 * `createGraphClient(options)` and wrapping the methods you care about is the easy way.
 */
export interface GraphClient {
  /** `DELETE …/calls/{id}`: 204 = taken, 404 = already gone. */
  deleteCall(callId: string): Promise<GraphResult>;
  /** `GET …/calls/{id}`: 200 with the call, 404 = gone. */
  getCall(callId: string): Promise<GetCallResult>;
  /** `POST …/calls/{id}/keepAlive`: 200 = kept, 404 = gone. */
  keepAlive(callId: string): Promise<GraphResult>;
  /** `POST …/calls/{id}/answer`: 202 = accepted. */
  answerCall(callId: string, request: AnswerRequest): Promise<GraphResult>;
  /** `POST …/calls/{id}/reject`: 202 = accepted. */
  rejectCall(callId: string, request: RejectRequest): Promise<GraphResult>;
  /** `POST …/calls/{id}/redirect`: 202 = accepted. */
  redirectCall(callId: string, request: RedirectRequest): Promise<GraphResult>;
  /** `POST …/calls/{id}/transfer`: 202 = accepted. */
  transferCall(callId: string, request: TransferRequest): Promise<GraphResult>;
  /** `POST /communications/calls`: 201 with the new call. A 201 without a readable call id is a failure (status 201, code `InvalidResponse`). */
  placeCall(request: PlaceCallRequest): Promise<PlaceCallResult>;
  /**
   * An operation on the call: `POST …/calls/{id}/playPrompt` (recordResponse,
   * cancelMediaProcessing, subscribeToTone, sendDtmfTones, mute, unmute,
   * updateRecordingStatus), `POST …/calls/{id}/participants/invite`, or
   * `DELETE …/calls/{id}/participants/{participantId}`. 2xx = taken, with Graph's
   * `commsOperation` when the body holds one.
   */
  runOperation(callId: string, operation: OperationRequest): Promise<OperationResult>;
}

/** The answer to an operation's request: 2xx with the `commsOperation` Graph returned, if any. */
export type OperationResult =
  | { readonly ok: true; readonly status: number; readonly operation?: OperationReport }
  | Extract<GraphResult, { ok: false }>;

/** How every notification of one webhook POST was judged: each lands in exactly one count. */
export interface IngestReport {
  /** Moved the call (or ended it). */
  readonly applied: number;
  /** Repeated what was known (tones, media updates); handed on to listeners. */
  readonly unchanged: number;
  /** Behind the call's state (out of order); reported as `notification.ignored`. */
  readonly stale: number;
  /** About a call that had already ended. */
  readonly late: number;
  /** About a participant list, an operation or a session of a call. */
  readonly subresource: number;
  /** Could not be read; see `rejections`. */
  readonly rejected: number;
  /** Calls this POST made known for the first time (also counted in the buckets above). */
  readonly unknownCalls: number;
  /** What was rejected and why, item by item. */
  readonly rejections: readonly RejectedNotification[];
}

/** What the bot can listen to with `registry.on(type, listener)`. */
export type RegistryEvent =
  | Exclude<CallEmitted, { type: `graph.${string}` }>
  | {
      readonly type: 'notification.rejected';
      readonly rejection: RejectedNotification;
    }
  | {
      /** Something the registry could not do: a record it could not restore or save, a listener that threw. */
      readonly type: 'registry.error';
      readonly callId?: string;
      readonly error: Error;
    };

/** The type names of {@link RegistryEvent}. */
export type RegistryEventType = RegistryEvent['type'];

/** A predicate over a call's view, for `waitFor`. */
export type CallPredicate = (view: CallView) => boolean;

/** The call registry: every call the bot knows, each driven by the one call machine. */
export interface CallRegistry {
  /**
   * Resolves once the start-up walk over the store is done (calls stored by an older version
   * get the due time their snapshot calls for). Every method waits for it.
   */
  readonly ready: Promise<void>;
  /**
   * Parses a webhook body and applies every notification in it to its call, each call's
   * notifications in order. Rejects with `IngestIncompleteError` only when the store failed
   * for some of them (the webhook then answers 500, so Graph delivers them again).
   */
  ingest(body: unknown): Promise<IngestReport>;
  /**
   * Adopts a call the bot created or learned of elsewhere, and resolves with its view: the
   * stored one when the call is already known (to this or another registry over the store).
   * Rejects with `InvalidCallIdError` for an id Graph could not have issued, and
   * `CapacityError` when `maxCalls` live calls are held.
   */
  track(callId: string, options?: { state?: KnownCallState; etag?: string }): Promise<CallView>;
  /** Hangs up: resolves once Graph took the DELETE, or the call is known gone; rejects when the hang-up failed. */
  hangUp(callId: string): Promise<CallView>;
  /**
   * Answers an incoming call: resolves once Graph accepted the answer (202); `call.established`
   * follows. Rejects with `CommandRejectedError` (nothing sent) when the call is not incoming,
   * and `CommandFailedError` when Graph refused or never took it (429/5xx are retried after
   * Retry-After first). Calling it again while the first is under way sends nothing more and
   * settles with it.
   */
  answer(callId: string, request: AnswerRequest): Promise<CallView>;
  /** Rejects an incoming call (`none`, `busy` or `forbidden`); settles like `answer`. The call ends as `rejected`. */
  reject(
    callId: string,
    reason?: RejectReason,
    options?: { callbackUri?: string },
  ): Promise<CallView>;
  /** Redirects an incoming call to one target, or several rung at once; settles like `answer`. The call ends as `redirected`. */
  redirect(
    callId: string,
    targets: InvitationTarget | readonly InvitationTarget[],
    options?: { timeout?: number; callbackUri?: string },
  ): Promise<CallView>;
  /**
   * Transfers an established call; settles like `answer` once Graph accepted the request. The
   * call then ends as `transferred`, or stays active with a `call.transferFailed` event.
   */
  transfer(
    callId: string,
    target: InvitationTarget,
    options?: { transferee?: CallParticipantInfo },
  ): Promise<CallView>;
  /**
   * Places a call (`POST /communications/calls`) and tracks it: resolves with its view once
   * Graph created it (201). Notifications that arrived before the 201 are kept, not
   * duplicated. Only a throttled request (429, or 503 with Retry-After) is sent again: any other
   * failure may have created the call, and rejects with `CommandFailedError`.
   */
  placeCall(request: PlaceCallRequest): Promise<CallView>;
  /**
   * Plays one or more prompts (audio file URLs, or `mediaPrompt`s) to the call. Like every
   * operation below, it resolves with the completed {@link CallOperation} once Graph reports
   * the end (in the response, or by a notification on `…/operations/{id}`), and rejects with
   * `OperationFailedError` when Graph reports it failed, its request failed, it ran past
   * `timeoutMs` (default `operationTimeoutMs`), or the call ended first (`callEnded`); with
   * `OperationRejectedError` when the call is not connected; with a `TypeError` naming the
   * field for a request that cannot be sent, and a `RangeError` for a `timeoutMs` that is not a
   * positive number. No promise outlives its call.
   */
  playPrompt(
    callId: string,
    prompts: PromptSpec | readonly PromptSpec[],
    options?: { loop?: boolean; timeoutMs?: number },
  ): Promise<CallOperation>;
  /** Plays the prompts, then records what the caller says; `recordingLocation` says where Graph put it. */
  recordResponse(
    callId: string,
    options?: Omit<RecordResponseOptions, 'prompts'> & {
      prompts?: PromptSpec | readonly PromptSpec[];
      timeoutMs?: number;
    },
  ): Promise<CallOperation>;
  /** Stops every prompt and recording under way (those end as failed, `operationCanceled`). */
  cancelMediaProcessing(callId: string): Promise<CallOperation>;
  /** Asks Graph for the caller's key presses: each arrives once as `call.tone`. */
  subscribeToTone(callId: string): Promise<CallOperation>;
  /** Sends DTMF keys into the call. */
  sendDtmfTones(
    callId: string,
    tones: readonly DtmfTone[],
    options?: { delayBetweenTonesMs?: number; timeoutMs?: number },
  ): Promise<CallOperation>;
  /** Mutes the bot itself. */
  mute(callId: string): Promise<CallOperation>;
  /** Unmutes the bot itself. */
  unmute(callId: string): Promise<CallOperation>;
  /** Reports the bot's recording status (compliance recording). */
  updateRecordingStatus(callId: string, status: RecordingStatus): Promise<CallOperation>;
  /** Invites participants into the call; they appear in `participants()` once they join. */
  invite(
    callId: string,
    participants: InvitationTarget | readonly InvitationTarget[],
    options?: { timeoutMs?: number },
  ): Promise<CallOperation>;
  /** Removes a participant from the call (`DELETE …/participants/{id}`). */
  removeParticipant(callId: string, participantId: string): Promise<CallOperation>;
  /** Who is in the call, as this registry last saw it: `[]` before the first roster notification. */
  participants(callId: string): readonly Participant[];
  /** The call's view as this registry last saw it (`read` asks the store). */
  get(callId: string): CallView | undefined;
  /**
   * The calls this registry holds in memory: live ones, and ended ones until `retainMs` passes.
   * On a shared store, calls only other instances have stepped are not listed (`read` finds them).
   *
   * @example
   * ```ts
   * const ringing = registry.calls().filter((call) => call.state === 'incoming');
   * ```
   */
  calls(): readonly CallView[];
  /**
   * Adds a flight-record sink beside the `recorder` option: told every input of every call from
   * now on, with its own options (`redact`, `includeRaw`). Returns a function that removes it.
   * A sink that throws is reported as `registry.error` and stays.
   *
   * @example
   * ```ts
   * const stop = registry.addRecorder({ record: (record) => feed.push(record), redact: true });
   * // later
   * stop();
   * ```
   */
  addRecorder(
    recorder: FlightRecorder | ({ readonly record: FlightRecorder } & FlightRecorderOptions),
  ): () => void;
  /** The call's view as stored now, which other registries over the same store may have moved. */
  read(callId: string): Promise<CallView | undefined>;
  waitFor(
    callId: string,
    until: CallPredicate | 'terminated',
    options?: { timeoutMs?: number },
  ): Promise<CallView>;
  on<T extends RegistryEventType>(
    type: T,
    listener: (event: Extract<RegistryEvent, { type: T }>) => void,
  ): () => void;
  /** Resolves once nothing this registry started (store operations, Graph requests) is pending. */
  idle(): Promise<void>;
  /**
   * Rejects every pending promise with `RegistryClosedError`, lets store work under way finish,
   * and stops. Answers to requests still in flight are not committed: their deadlines hand the
   * calls to whichever registry runs them next.
   */
  close(): Promise<void>;
}
