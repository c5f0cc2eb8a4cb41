/**
 * What the demo observes, as one flat event stream. The human timeline, the progress bar, the
 * summary and the `--json` log are all views of it, so they can never disagree.
 *
 * `t` is milliseconds since the demo started, rounded to 0.1.
 * @module
 */
import {
  type CallControlVerb,
  type CallDeadline,
  type CallOutcome,
  type CallOutcomeReason,
  type CallParticipantInfo,
  type CallPhase,
  type CallStateChange,
  type ChangeType,
  type GraphCallState,
  type GraphOperationStatus,
  OPERATION_KINDS,
  type OperationFailure,
  type OperationKind,
  type RejectionCode,
  type ResultInfo,
} from '../src/index.js';
import type { Scenario } from './args.js';

/**
 * How the registry judged a notification: the names of the {@link IngestReport} counts, which
 * the registry's events report as `call.notification` (applied, unchanged),
 * `notification.ignored` (stale, late), `notification.subresource` and `notification.rejected`.
 */
export type Bucket = 'applied' | 'unchanged' | 'stale' | 'late' | 'subresource' | 'rejected';

export const BUCKETS: readonly Bucket[] = [
  'applied',
  'unchanged',
  'stale',
  'late',
  'subresource',
  'rejected',
];

/** What told the registry a call was over: its `terminated` notification, a 404 to the DELETE, or the verification GET. */
export type ConfirmedBy = 'notification' | 'delete' | 'getCall' | 'other';

/**
 * The requests made to Graph: creating a call, the three the registry makes, call control,
 * and the operations (`playPrompt`, `subscribeToTone`, …, named as the registry's methods).
 */
export type RequestKind =
  | 'createCall'
  | 'deleteCall'
  | 'getCall'
  | 'keepAlive'
  | 'answerCall'
  | 'rejectCall'
  | 'redirectCall'
  | 'transferCall'
  | OperationKind;

export const REQUEST_KINDS: readonly RequestKind[] = [
  'createCall',
  'deleteCall',
  'getCall',
  'keepAlive',
  'answerCall',
  'rejectCall',
  'redirectCall',
  'transferCall',
  ...OPERATION_KINDS,
];

/** Whether a request kind is one of the operations. */
export function isOperationKind(kind: RequestKind): kind is OperationKind {
  return (OPERATION_KINDS as readonly string[]).includes(kind);
}

/** What the bot calls on the registry. */
export type BotAction =
  | 'track'
  | 'hangUp'
  | 'answer'
  | 'reject'
  | 'redirect'
  | 'transfer'
  | 'placeCall'
  | OperationKind;

export type DemoEvent =
  | {
      readonly type: 'start';
      readonly t: number;
      readonly scenario: Scenario;
      /** How every call of the scenario should end. */
      readonly expectedOutcome: CallOutcomeReason;
      readonly calls: number;
      readonly seed: number;
      readonly faults: boolean;
      readonly webhookUrl: string;
      readonly graphUrl: string;
      readonly confirmTimeoutMs: number;
      /** How many notifications the fake Graph puts in one webhook POST at most. */
      readonly batch: number;
      /** With `--inspect`: the page that shows the Stately inspector. */
      readonly inspectorUrl?: string;
      /** With `--console`: the live call console. */
      readonly consoleUrl?: string;
    }
  /** Something the bot does: what a real bot's code would call. */
  | {
      readonly type: 'bot';
      readonly t: number;
      /** Absent before the call exists (`placeCall`). */
      readonly callId?: string;
      readonly action: BotAction;
      readonly detail: string;
    }
  /** What the scenario asks of the fake Graph: a caller dialling the bot, how transfers end. */
  | {
      readonly type: 'fake';
      readonly t: number;
      readonly callId: string;
      readonly detail: string;
    }
  /** `call.incoming`: Graph offered the bot a call. */
  | {
      readonly type: 'incoming';
      readonly t: number;
      readonly callId: string;
      /** The caller's name as the timeline shows it: display name, else kind and id. */
      readonly caller: string;
      readonly source?: CallParticipantInfo;
    }
  /** `call.established`: the call is connected (once per call). */
  | { readonly type: 'established'; readonly t: number; readonly callId: string }
  /** `call.commandRejected`: the call could not take the bot's request in its state; nothing was sent. */
  | {
      readonly type: 'commandRejected';
      readonly t: number;
      readonly callId: string;
      readonly verb: CallControlVerb;
      readonly state: GraphCallState;
      readonly phase: CallPhase;
      readonly reason: string;
    }
  /** `call.commandFailed`: Graph refused the request for good, or it failed after every retry. */
  | {
      readonly type: 'commandFailed';
      readonly t: number;
      readonly callId: string;
      readonly verb: CallControlVerb;
      readonly status: number;
      readonly attempts: number;
      readonly error?: string;
    }
  /** `call.tone`: the caller pressed a key (once per sequence id). */
  | {
      readonly type: 'tone';
      readonly t: number;
      readonly callId: string;
      /** `tone0`…`tone9`, `star`, `pound`, … */
      readonly tone: string;
      readonly sequenceId: number;
    }
  /** `operation.completed`: Graph reported the operation done (in its answer, or by a notification). */
  | {
      readonly type: 'operationCompleted';
      readonly t: number;
      readonly callId: string;
      readonly kind: OperationKind;
      /** Graph's operation id, when it gave one. */
      readonly id?: string;
      readonly resultInfo?: ResultInfo;
      readonly completionReason?: string;
      /** From the bot's request to the end, by the registry's clock. */
      readonly durationMs: number;
    }
  /** `operation.failed`: Graph said so, its request failed, it timed out, or the call ended first. */
  | {
      readonly type: 'operationFailed';
      readonly t: number;
      readonly callId: string;
      readonly kind: OperationKind;
      readonly id?: string;
      readonly failure?: OperationFailure;
      readonly resultInfo?: ResultInfo;
      readonly completionReason?: string;
      readonly httpStatus?: number;
      readonly error?: string;
      readonly durationMs: number;
    }
  /** `operation.rejected`: the call could not take the operation in its state; nothing was sent. */
  | {
      readonly type: 'operationRejected';
      readonly t: number;
      readonly callId: string;
      readonly kind: OperationKind;
      readonly state: GraphCallState;
      readonly reason: string;
    }
  /** `call.transferFailed`: Graph brought the call back to `established`. */
  | {
      readonly type: 'transferFailed';
      readonly t: number;
      readonly callId: string;
      readonly resultInfo?: ResultInfo;
    }
  /** A request to (fake) Graph and its answer, recorded when the answer arrived. */
  | {
      readonly type: 'request';
      readonly t: number;
      readonly callId: string;
      readonly kind: RequestKind;
      readonly method: 'POST' | 'DELETE' | 'GET';
      readonly path: string;
      /** 0: no answer (network error, timeout). */
      readonly status: number;
      readonly retryAfterMs?: number;
      /** The call's state in a GET or create answer. */
      readonly state?: GraphCallState;
      readonly etag?: string;
      /** The operation's status in the `commsOperation` of an operation's answer (`running`, `completed`). */
      readonly operationStatus?: GraphOperationStatus;
      readonly error?: string;
      readonly durationMs: number;
    }
  /** A notification that reached the registry through the webhook, and how it was judged. */
  | {
      readonly type: 'notification';
      readonly t: number;
      readonly callId: string;
      readonly changeType: ChangeType;
      readonly resource: string;
      readonly state?: GraphCallState;
      readonly etag?: string;
      /** A notification on `…/operations/{id}`: the status it reports, and Graph's type of operation (`playPromptOperation`). */
      readonly operation?: { readonly status?: GraphOperationStatus; readonly type?: string };
      /** A key press the notification carries (`toneInfo.tone`). */
      readonly tone?: string;
      readonly bucket: Bucket;
      /** The same item (byte for byte) reached the webhook before. */
      readonly duplicate: boolean;
      /** Its numeric etag is older than one the webhook already received for the call. */
      readonly outOfOrder: boolean;
    }
  | {
      readonly type: 'rejected';
      readonly t: number;
      readonly code: RejectionCode;
      readonly message: string;
    }
  /**
   * One step of a call's machine that changed something: its position in the chart, the
   * call's state or phase (`call.stateChanged`), or the deadline it waits for.
   */
  | {
      readonly type: 'transition';
      readonly t: number;
      readonly callId: string;
      /** The event the machine took: `notification`, `hangUp`, `delete.failed`, `deadline.reached`, … */
      readonly on: string;
      /** Chart positions, e.g. `terminating.hangingUp`; `from` is null when the call starts. */
      readonly chart: { readonly from: string | null; readonly to: string };
      /** Set when the call's Graph state or phase changed (`call.stateChanged`). */
      readonly state?: { readonly from: CallStateChange; readonly to: CallStateChange };
      /** Set when a new deadline was recorded: what it is for and how far ahead. */
      readonly deadline?: { readonly kind: CallDeadline['kind']; readonly inMs: number };
    }
  | {
      readonly type: 'hangUpFailed';
      readonly t: number;
      readonly callId: string;
      readonly status: number;
      readonly attempts: number;
    }
  | {
      readonly type: 'terminated';
      readonly t: number;
      readonly callId: string;
      readonly outcome: CallOutcome;
      /** What told the registry the call was over. */
      readonly confirmedBy: ConfirmedBy;
      /** From `registry.hangUp()` to here, when the bot hung up. */
      readonly sinceHangUpMs?: number;
    }
  | {
      readonly type: 'registryError';
      readonly t: number;
      readonly callId?: string;
      readonly message: string;
    }
  | ({ readonly type: 'summary'; readonly t: number } & Summary);

/** The totals of a run, and whether it did what the demo promises. */
export interface Summary {
  readonly ok: boolean;
  readonly scenario: Scenario;
  readonly expectedOutcome: CallOutcomeReason;
  /** Why the run failed, one sentence per problem. */
  readonly problems: readonly string[];
  readonly calls: number;
  readonly terminated: number;
  /** Calls by `outcome.reason`. */
  readonly outcomes: Readonly<Record<string, number>>;
  /** Calls by what told the registry they were over. */
  readonly confirmedBy: Readonly<Record<string, number>>;
  readonly notifications: Readonly<Record<Bucket, number>>;
  readonly duplicates: number;
  /** Notifications older (by numeric etag) than one already received for their call. */
  readonly outOfOrder: number;
  readonly hangUps: number;
  readonly deleteRequests: number;
  /** DELETEs answered 429/5xx and sent again for the same hang-up. */
  readonly deleteRetries: number;
  readonly getRequests: number;
  /** Every request to Graph, by kind. */
  readonly requests: Readonly<Record<RequestKind, number>>;
  /** `call.transferFailed` events: transfers Graph took that did not complete. */
  readonly transferFailures: number;
  /** Operations by how they ended: `operation.completed`, `operation.failed`, `operation.rejected`. */
  readonly operations: {
    readonly completed: number;
    readonly failed: number;
    readonly rejected: number;
  };
  /** `call.tone` events: key presses the bot heard. */
  readonly tones: number;
  readonly timeToTerminatedMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly elapsedMs: number;
}

export type DemoEventType = DemoEvent['type'];

/** An event as an observer reports it: the bus stamps `t`. */
export type DemoEventInput = DemoEvent extends infer E
  ? E extends DemoEvent
    ? Omit<E, 't'>
    : never
  : never;

/** Where observers report. */
export type Emit = (event: DemoEventInput) => void;

/** Fans every event out to the views, stamped with the time since the demo started. */
export interface EventBus {
  readonly emit: Emit;
  /** Milliseconds since the start, rounded to 0.1 ms: what every event's `t` holds. */
  now(): number;
  subscribe(listener: (event: DemoEvent) => void): void;
}

export function createEventBus(origin: number = performance.now()): EventBus {
  const listeners: ((event: DemoEvent) => void)[] = [];
  const now = (): number => Math.round((performance.now() - origin) * 10) / 10;
  return {
    now,
    emit(input) {
      // The spread keeps `t` first in the JSON log, where a reader's eye looks for it.
      const event = { t: now(), ...input } as DemoEvent;
      for (const listener of listeners) listener(event);
    },
    subscribe(listener) {
      listeners.push(listener);
    },
  };
}
