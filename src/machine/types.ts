/**
 * The types the call machine speaks: its input, the events it accepts, the events it emits
 * (commands for the runtime and news for the bot), its context, and the outcome it ends with.
 *
 * @example
 * ```ts
 * import type { CallEvent, CallEmitted } from 'graph-call-machine';
 *
 * const hangUp: CallEvent = { type: 'hangUp', at: Date.now() };
 * function onCommand(e: CallEmitted) {
 *   if (e.type === 'graph.deleteCall') console.log(`DELETE /communications/calls/${e.callId}`);
 * }
 * ```
 * @module
 */
import type {
  AnswerRequest,
  CallControlRequests,
  CallControlVerb,
  RedirectRequest,
  RejectRequest,
  TransferRequest,
} from '../graph/callRequests.js';
import type { CallPhase, GraphCallState, KnownCallState } from '../graph/callState.js';
import type { GraphError } from '../graph/graphResponse.js';
import type { CallDirection, CallNotification, ResultInfo } from '../graph/notification.js';
import type { OperationReport } from '../graph/operationReport.js';
import type { OperationKind, OperationRequest } from '../graph/operationRequests.js';
import type { Participant } from '../graph/participant.js';
import type { CallIdentitySet, CallParticipantInfo } from '../graph/participantInfo.js';

export type { GraphError };

/** Tunables of one call's lifecycle. All durations in milliseconds. */
export interface CallOptions {
  /** How long to wait for the `terminated` notification after Graph accepted the DELETE (or reported `terminating`) before asking Graph with a GET. Default 30 000. */
  readonly confirmTimeoutMs?: number;
  /** DELETE requests sent for one hang-up, the first included, before giving up. Default 5. */
  readonly maxDeleteAttempts?: number;
  /** GETs made while waiting for termination before the call is given up as `unconfirmed`. Default 3. */
  readonly maxVerifications?: number;
  /** First backoff when a retryable failure has no `Retry-After`; doubles on every attempt. Default 1 000. */
  readonly retryBaseDelayMs?: number;
  /** Upper bound of the backoff (and of any `Retry-After`). Default 60 000. */
  readonly maxRetryDelayMs?: number;
  /**
   * How long a DELETE or GET the machine asked for may stay unanswered; past it the request
   * counts as a transient failure (status 0) and is retried like a 503. Default 30 000.
   */
  readonly requestTimeoutMs?: number;
  /**
   * How long a call may stay in setup (incoming, ringing, redirecting, establishing) before the
   * machine asks Graph with a GET whether it still exists; 404 ends it as `gone`. Default 120 000.
   */
  readonly setupTimeoutMs?: number;
  /**
   * How long Graph lets a bot answer, reject or redirect an incoming call (15 s; 5 s for
   * policy-based recording). An incoming call the bot has not acted on by then is checked with
   * a GET, and ends as `missed` when Graph no longer has it. Default 15 000.
   */
  readonly answerWindowMs?: number;
  /**
   * After Graph accepted an answer, how long `established` may take before a GET decides
   * where the call is. Default 30 000.
   */
  readonly answerTimeoutMs?: number;
  /** Requests sent for one answer, reject, redirect or transfer (or one operation), the first included, before giving up. Default 5. */
  readonly maxCommandAttempts?: number;
  /**
   * How long an operation Graph took (a prompt playing, a recording, an invitation) may run
   * without its completion notification before it ends as failed with reason `timedOut`.
   * Each operation may set its own. Default 300 000 (5 min).
   */
  readonly operationTimeoutMs?: number;
}

/** {@link CallOptions} with every default filled in, as kept in context. */
export type ResolvedCallOptions = { readonly [K in keyof CallOptions]-?: number };

/** What a call machine is created with. */
export interface CallInput {
  readonly callId: string;
  /** The state the call is in now. Default `establishing`, the state a freshly created call reports. */
  readonly state?: KnownCallState;
  /** The etag last seen for the call, if any. */
  readonly etag?: string;
  /** When the call was adopted (epoch ms); deadlines of a call adopted in `terminating` count from here. Default 0. */
  readonly at?: number;
  /**
   * The notification the call was first seen in, when it was discovered from the webhook: the
   * call starts in the state it reports (a terminal one ends it at once, keeping its
   * resultInfo), and it is handed on as `call.notification` with verdict `apply`.
   */
  readonly discoveredBy?: CallNotification;
  /** Who placed the call, when known from elsewhere (a call the bot placed is `outgoing`). */
  readonly direction?: CallDirection;
  /** The bot's own participant id, when known from elsewhere (the body of a placed call). */
  readonly myParticipantId?: string;
  readonly options?: CallOptions;
}

/**
 * Every event the machine accepts. Time enters only through `at` (epoch ms), so the machine
 * never reads a clock and replays exactly.
 */
export type CallEvent =
  /** The bot wants the call ended. */
  | { readonly type: 'hangUp'; readonly at: number }
  /** A parsed change notification about this call (or one of its sub-resources). */
  | { readonly type: 'notification'; readonly notification: CallNotification; readonly at: number }
  /** Graph answered the DELETE with 204/200. */
  | { readonly type: 'delete.succeeded'; readonly at: number }
  /** The DELETE failed: HTTP status, or 0 for a network error or timeout. */
  | {
      readonly type: 'delete.failed';
      readonly status: number;
      readonly retryAfterMs?: number;
      readonly error?: GraphError;
      readonly at: number;
    }
  /** The answer to a verification GET: 404, or 200 with the call's state, or a failure status (0 = network). */
  | {
      readonly type: 'getCall.result';
      readonly status: number;
      readonly state?: GraphCallState;
      readonly at: number;
    }
  /** The answer to a keepAlive: 404 means Graph no longer has the call. */
  | { readonly type: 'keepAlive.result'; readonly status: number; readonly at: number }
  /** The runtime's timer for `context.deadline` fired. */
  | { readonly type: 'deadline.reached'; readonly at: number }
  /** The bot wants to answer the incoming call. */
  | { readonly type: 'answer'; readonly request: AnswerRequest; readonly at: number }
  /** The bot turns the incoming call down. */
  | { readonly type: 'reject'; readonly request: RejectRequest; readonly at: number }
  /** The bot sends the incoming call elsewhere. */
  | { readonly type: 'redirect'; readonly request: RedirectRequest; readonly at: number }
  /** The bot transfers the connected call. */
  | { readonly type: 'transfer'; readonly request: TransferRequest; readonly at: number }
  /** The bot asks for an operation on the call; `key` is its `clientContext`, unique in the call. */
  | {
      readonly type: 'operation';
      readonly key: string;
      readonly operation: OperationRequest;
      /** Overrides `operationTimeoutMs` for this operation. */
      readonly timeoutMs?: number;
      readonly at: number;
    }
  /** Graph took the operation's request (2xx), with the `commsOperation` it returned, if any. */
  | {
      readonly type: 'operation.responded';
      readonly key: string;
      readonly status: number;
      readonly report?: OperationReport;
      readonly at: number;
    }
  /** The operation's request failed: HTTP status, or 0 for a network error or timeout. */
  | {
      readonly type: 'operation.requestFailed';
      readonly key: string;
      readonly status: number;
      readonly retryAfterMs?: number;
      readonly error?: GraphError;
      readonly at: number;
    }
  /** Graph accepted the command's request (202). */
  | { readonly type: CommandSucceededType; readonly at: number }
  /** The command's request failed: HTTP status, or 0 for a network error or timeout. */
  | {
      readonly type: CommandFailedType;
      readonly status: number;
      readonly retryAfterMs?: number;
      readonly error?: GraphError;
      readonly at: number;
    };

/** `answer.succeeded`, `reject.succeeded`, … */
export type CommandSucceededType = `${CallControlVerb}.succeeded`;
/** `answer.failed`, `reject.failed`, … */
export type CommandFailedType = `${CallControlVerb}.failed`;

/** Why a call ended, from this bot's point of view. */
export type CallOutcomeReason =
  /** This bot (or, in old payloads, the app: `AppInitiated`) ended the call. */
  | 'hungUp'
  /** The other side or Graph ended it. */
  | 'remote'
  /** The bot rejected the incoming call (or, for a call not rejected here: `deleted` with no state while still `incoming`). */
  | 'rejected'
  /** The bot redirected the incoming call and it ended (or `redirecting`, or `AppRedirected`). */
  | 'redirected'
  /** The call was transferred away (after the bot's transfer: `transferAccepted`, subcode 7015, or `AppTransferred`). */
  | 'transferred'
  /** Nobody answered, rejected or redirected the incoming call within the answer window, and Graph dropped it. */
  | 'missed'
  /** Graph answered 404: the call was already over when this bot asked. */
  | 'gone'
  /** Graph accepted the hang-up but never confirmed it within `maxVerifications` GETs; the call is given up locally. */
  | 'unconfirmed';

/** How a call ended. Present in context and as the machine's output once `terminated`. */
export interface CallOutcome {
  readonly callId: string;
  readonly reason: CallOutcomeReason;
  readonly resultInfo?: ResultInfo;
  readonly terminationReason?: string;
  /** When the end became known (the `at` of the deciding event). */
  readonly at: number;
}

/** The one deadline a call may be waiting for; the runtime arms a timer for `at`. */
export interface CallDeadline {
  /**
   * `retry`: re-send the DELETE; `confirm`: give up waiting for `terminated` and ask Graph;
   * `request`: the DELETE or GET in flight is overdue (a transient failure); `setup`: the call
   * has been in setup too long, ask Graph whether it still exists.
   */
  readonly kind: 'retry' | 'confirm' | 'request' | 'setup' | 'command';
  readonly at: number;
}

/**
 * The bot's call-control request on this call: in flight (`sending`), waiting to be sent again
 * after a throttle or transient failure (`retrying`), or taken by Graph (`accepted`). Kept after
 * acceptance, because it is what makes the outcome certain (a redirect ends as `redirected`).
 */
export type CommandProgress = {
  readonly [V in CallControlVerb]: {
    readonly verb: V;
    readonly request: CallControlRequests[V];
    readonly requestedAt: number;
    /** Requests sent so far. */
    readonly attempts: number;
    readonly status: 'sending' | 'retrying' | 'accepted';
  };
}[CallControlVerb];

/** Progress of the current hang-up. */
export interface HangUpProgress {
  readonly requestedAt: number;
  /** DELETE requests sent for this hang-up so far. */
  readonly attempts: number;
}

/** The machine's context. JSON-safe: absent values are `null`, so snapshots round-trip exactly. */
export interface CallContext {
  readonly callId: string;
  /** The last state Graph reported (or the call was adopted in). */
  readonly state: GraphCallState;
  readonly etag: string | null;
  readonly options: ResolvedCallOptions;
  /** `at` of the last event that changed the call. */
  readonly updatedAt: number;
  /** Set from `hangUp` until the call ends or the hang-up fails. */
  readonly hangUp: HangUpProgress | null;
  readonly deadline: CallDeadline | null;
  /** Verification GETs sent so far. */
  readonly verifications: number;
  readonly outcome: CallOutcome | null;
  /** The bot's answer, reject, redirect or transfer on this call, from the intent on. */
  readonly command: CommandProgress | null;
  /** Who placed the call, as Graph said. */
  readonly direction: CallDirection | null;
  /** The caller, as Graph said. */
  readonly source: CallParticipantInfo | null;
  /** The callee side, as Graph said. */
  readonly targets: readonly CallIdentitySet[] | null;
  /** The bot's own participant id in the call. */
  readonly myParticipantId: string | null;
  /** When `call.incoming` was announced (once per call). */
  readonly offeredAt: number | null;
  /** When `call.established` was announced (once per call). */
  readonly establishedAt: number | null;
  /** The operations not yet final, then the last few that ended (see {@link OperationProgress}). */
  readonly operations: readonly OperationProgress[];
  /** Who is in the call, from roster notifications; `null` until the first one. */
  readonly roster: RosterState | null;
  /** Key presses heard, to hand each sequence id on once; `null` until the first. */
  readonly tones: ToneLog | null;
  /**
   * When the last keepAlive was answered (other than 404) while the call was active: the next
   * one is due a period later, whatever else the call waits for.
   */
  readonly keepAliveAt: number | null;
}

/** Where an operation stands: requested of Graph, running there, or over. */
export type OperationStatus = 'requested' | 'running' | 'completed' | 'failed' | 'callEnded';

/**
 * Why an operation failed: Graph reported it `failed` (`graph`), refused or never answered its
 * request (`request`), it ran past its timeout (`timedOut`), or the call ended first (`callEnded`).
 */
export type OperationFailure = 'graph' | 'request' | 'timedOut' | 'callEnded';

/** One operation in the call's context. JSON-safe: absent values are `null`. */
export interface OperationProgress {
  /** The `clientContext` sent with it: how its notifications are matched. */
  readonly key: string;
  readonly kind: OperationKind;
  /** The request, kept while it may have to be sent again; `null` once Graph took it. */
  readonly operation: OperationRequest | null;
  readonly status: OperationStatus;
  /** Graph's operation id, once known. */
  readonly id: string | null;
  readonly requestedAt: number;
  readonly updatedAt: number;
  /** Requests sent so far. */
  readonly attempts: number;
  /** What `dueAt` waits for: the request's answer, the time to send it again, or the end. */
  readonly waiting: 'response' | 'retry' | 'completion' | null;
  readonly dueAt: number | null;
  /** How long it may run once Graph took it. */
  readonly timeoutMs: number;
  readonly resultInfo: ResultInfo | null;
  readonly completionReason: string | null;
  readonly recordingLocation: string | null;
  readonly failure: OperationFailure | null;
  /** The HTTP status of a failed request. */
  readonly httpStatus: number | null;
  readonly error: GraphError | null;
}

/**
 * An operation as the bot sees it: what `registry.playPrompt(…)` and its siblings resolve with,
 * and what `operation.completed` / `operation.failed` carry.
 */
export interface CallOperation {
  readonly callId: string;
  /** The `clientContext` sent with the request. */
  readonly key: string;
  readonly kind: OperationKind;
  readonly status: OperationStatus;
  /** Graph's operation id, when Graph gave one. */
  readonly id?: string;
  readonly resultInfo?: ResultInfo;
  /** `completedSuccessfully`, `operationCanceled`, `maxRecordDurationReached`, … */
  readonly completionReason?: string;
  /** Where Graph put a recording (`recordResponse`). */
  readonly recordingLocation?: string;
  readonly failure?: OperationFailure;
  /** The HTTP status, when the request failed. */
  readonly httpStatus?: number;
  readonly error?: GraphError;
  readonly requestedAt: number;
  readonly updatedAt: number;
}

/** The roster kept in context: who is in, and who left (so that a stale copy cannot bring them back). */
export interface RosterState {
  readonly participants: readonly Participant[];
  /** The most recent departures, newest last, with the sequence number they left at. */
  readonly left: readonly { readonly id: string; readonly sequence: number | null }[];
}

/** The key presses heard on a call. */
export interface ToneLog {
  /** The most recent sequence ids heard, ascending. */
  readonly recent: readonly number[];
  /** Repeats dropped. */
  readonly duplicates: number;
}

/**
 * What the bot (and the registry) can see of a call: derived from context, never stored apart.
 */
export interface CallView {
  readonly callId: string;
  readonly state: GraphCallState;
  readonly phase: CallPhase;
  readonly etag?: string;
  readonly outcome?: CallOutcome;
  readonly updatedAt: number;
  /** Who placed the call, when Graph said. */
  readonly direction?: CallDirection;
  /** The caller, when Graph said. */
  readonly source?: CallParticipantInfo;
  /** The bot's own participant id, when Graph said. */
  readonly myParticipantId?: string;
  /** The bot's answer, reject, redirect or transfer, and how far it got. */
  readonly command?: { readonly verb: CallControlVerb; readonly status: CommandProgress['status'] };
  /** When the call was first established. */
  readonly establishedAt?: number;
  /** Operations requested and not yet over. */
  readonly pendingOperations?: number;
  /** Participants in the roster, once Graph sent one. */
  readonly participantCount?: number;
  /** Key presses dropped as repeats of a sequence id already handed on. */
  readonly duplicateTones?: number;
}

/**
 * How a notification was judged (see {@link classifyNotification}): it moves the call
 * (`apply`), repeats what is known (`unchanged`), is behind (`stale`), comes after the end
 * (`late`), or concerns a sub-resource (`subresource`) and so never moves the call.
 */
export type NotificationVerdict = 'apply' | 'unchanged' | 'stale' | 'late' | 'subresource';

/** A view change, as announced in `call.stateChanged`. */
export interface CallStateChange {
  readonly state: GraphCallState;
  readonly phase: CallPhase;
}

/**
 * Everything the machine emits. `graph.*` are commands for the runtime to perform; the rest is
 * news for the bot.
 */
export type CallEmitted =
  | {
      readonly type: 'graph.deleteCall';
      readonly callId: string;
      readonly attempt: number;
      readonly at: number;
    }
  | {
      readonly type: 'graph.getCall';
      readonly callId: string;
      readonly attempt: number;
      readonly at: number;
    }
  | {
      readonly type: 'call.stateChanged';
      readonly callId: string;
      readonly from: CallStateChange;
      readonly to: CallStateChange;
      readonly etag?: string;
      readonly at: number;
    }
  | { readonly type: 'call.terminated'; readonly callId: string; readonly outcome: CallOutcome }
  | CommandEmitted
  /** Graph offered the call to the bot: once per call, the first time it is seen `incoming`. */
  | {
      readonly type: 'call.incoming';
      readonly callId: string;
      readonly direction?: CallDirection;
      readonly source?: CallParticipantInfo;
      readonly targets?: readonly CallIdentitySet[];
      /** The notification that offered it; `notification.raw.resourceData` is Graph's call resource. */
      readonly notification?: CallNotification;
      readonly at: number;
    }
  /** The call is connected: once per call, the first time it is seen `established`. */
  | { readonly type: 'call.established'; readonly callId: string; readonly at: number }
  /** An intent the call cannot take in its state: nothing was sent. */
  | {
      readonly type: 'call.commandRejected';
      readonly callId: string;
      readonly verb: CallControlVerb;
      /** The call's state, and whether a hang-up or another command was under way. */
      readonly state: GraphCallState;
      readonly phase: CallPhase;
      /** Why, in a sentence. */
      readonly reason: string;
      readonly at: number;
    }
  /** Graph refused the command for good, or it failed after every retry. */
  | {
      readonly type: 'call.commandFailed';
      readonly callId: string;
      readonly verb: CallControlVerb;
      readonly status: number;
      readonly error?: GraphError;
      readonly attempts: number;
      readonly at: number;
    }
  /** A transfer failed: Graph brought the call back to `established`; it stays connected. */
  | {
      readonly type: 'call.transferFailed';
      readonly callId: string;
      readonly resultInfo?: ResultInfo;
      readonly notification: CallNotification;
      readonly at: number;
    }
  | {
      readonly type: 'call.hangUpFailed';
      readonly callId: string;
      readonly status: number;
      readonly error?: GraphError;
      readonly attempts: number;
      readonly at: number;
    }
  /** The bot asked for an operation: the runtime sends its request. */
  | {
      readonly type: 'graph.operation';
      readonly callId: string;
      readonly key: string;
      readonly operation: OperationRequest;
      readonly attempt: number;
      readonly at: number;
    }
  /** An operation the call cannot take now: nothing was sent. */
  | {
      readonly type: 'operation.rejected';
      readonly callId: string;
      readonly key: string;
      readonly kind: OperationKind;
      readonly state: GraphCallState;
      readonly phase: CallPhase;
      /** Why, in a sentence. */
      readonly reason: string;
      readonly at: number;
    }
  /** An operation completed. */
  | {
      readonly type: 'operation.completed';
      readonly callId: string;
      readonly operation: CallOperation;
      readonly at: number;
    }
  /** An operation failed: Graph said so, its request failed, it timed out, or the call ended. */
  | {
      readonly type: 'operation.failed';
      readonly callId: string;
      readonly operation: CallOperation;
      readonly at: number;
    }
  /** A key press, once per sequence id. */
  | {
      readonly type: 'call.tone';
      readonly callId: string;
      /** `tone0`…`tone9`, `star`, `pound`, `a`…`d`, `flash`. */
      readonly tone: string;
      readonly sequenceId: number;
      readonly at: number;
    }
  /** Someone entered the roster. */
  | {
      readonly type: 'participant.joined';
      readonly callId: string;
      readonly participant: Participant;
      readonly at: number;
    }
  /** Someone left the roster. */
  | {
      readonly type: 'participant.left';
      readonly callId: string;
      readonly participant: Participant;
      readonly at: number;
    }
  /** A participant changed: `changed` names the fields (`isMuted`, `isInLobby`, `mediaStreams`, …). */
  | {
      readonly type: 'participant.updated';
      readonly callId: string;
      readonly participant: Participant;
      readonly previous: Participant;
      readonly changed: readonly (keyof Participant)[];
      readonly at: number;
    }
  /** A notification that was applied or changed nothing: handed on so the bot sees tone and media updates. */
  | {
      readonly type: 'call.notification';
      readonly callId: string;
      readonly notification: CallNotification;
      readonly verdict: Extract<NotificationVerdict, 'apply' | 'unchanged'>;
      readonly at: number;
    }
  /** A notification about a participant list, an operation or a session of the call: it never moves the call. */
  | {
      readonly type: 'notification.subresource';
      readonly callId: string;
      readonly notification: CallNotification;
      readonly at: number;
    }
  /** A notification that did not move the call because it was behind (`stale`) or after the end (`late`). */
  | {
      readonly type: 'notification.ignored';
      readonly callId: string;
      readonly notification: CallNotification;
      readonly verdict: Extract<NotificationVerdict, 'stale' | 'late'>;
      readonly at: number;
    };

/** The commands of the call-control verbs, for the runtime to send. */
export type CommandEmitted = {
  readonly [V in CallControlVerb]: {
    readonly type: `graph.${V}Call`;
    readonly callId: string;
    readonly request: CallControlRequests[V];
    readonly attempt: number;
    readonly at: number;
  };
}[CallControlVerb];

/** Parameters of the guards that name a Graph state (`appliesAs`, `startsIn`). */
export interface KnownStateParams {
  readonly state: KnownCallState;
}
