import type { CallControlVerb } from '../graph/callRequests.js';
import { phaseOf } from '../graph/callState.js';
import { compareEtags } from '../graph/etag.js';
import { classifyNotification } from './classifyNotification.js';
import { phaseOfContext } from './context.js';
import {
  awaitsOperationResponse,
  hasDueOperation,
  isMalformedOperation,
  operationRefusal,
  repeatsOperation,
} from './operations.js';
import type {
  CallContext,
  CallEvent,
  CommandProgress,
  KnownStateParams,
  NotificationVerdict,
} from './types.js';

interface GuardArgs {
  readonly context: CallContext;
  readonly event: CallEvent;
}

// The chart tries several notification guards in a row for one event; each asks for the same
// verdict. Contexts and notifications are immutable, so a one-entry memo keyed on both is exact.
let memoContext: CallContext | undefined;
let memoEvent: CallEvent | undefined;
let memoVerdict: NotificationVerdict | undefined;

export function verdictOf(context: CallContext, event: CallEvent): NotificationVerdict | undefined {
  // Events arrive from outside the type system too (JSON, model-based test generators): a
  // notification event without a notification judges as nothing and matches no guard.
  if (event.type !== 'notification' || typeof event.notification !== 'object') return undefined;
  if (event.notification === null) return undefined;
  if (context === memoContext && event === memoEvent) return memoVerdict;
  const verdict = classifyNotification(
    { state: context.state, phase: phaseOfContext(context), etag: context.etag },
    event.notification,
  );
  memoContext = context;
  memoEvent = event;
  memoVerdict = verdict;
  return verdict;
}

function isDue(context: CallContext, event: CallEvent): boolean {
  return (
    event.type === 'deadline.reached' &&
    context.deadline !== null &&
    event.at >= context.deadline.at
  );
}

/** The verb an intent or a command result is about (`answer`, `answer.succeeded`, …). */
export function verbOf(event: CallEvent): CallControlVerb | undefined {
  const verb = event.type.split('.')[0];
  return verb === 'answer' || verb === 'reject' || verb === 'redirect' || verb === 'transfer'
    ? verb
    : undefined;
}

function inFlight(command: CommandProgress | null): boolean {
  return command !== null && command.status !== 'accepted';
}

// A result counts only for the request it answers: the same verb, still waiting. A result that
// comes late (the command failed for good, or was superseded) changes nothing.
function answers(context: CallContext, event: CallEvent): boolean {
  return inFlight(context.command) && context.command?.verb === verbOf(event);
}

function failedWith(event: CallEvent): number | undefined {
  return event.type.endsWith('.failed') && 'status' in event ? event.status : undefined;
}

function saysEnded(event: CallEvent): boolean {
  return event.type === 'getCall.result' && (event.status === 404 || event.state === 'terminated');
}

const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([0, 408, 429, 500, 502, 503, 504]);

/** Whether a failed Graph request is worth repeating: throttling, server errors, network errors (status 0). */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

export const guards = {
  isSubresource: ({ context, event }: GuardArgs) => verdictOf(context, event) === 'subresource',
  isStale: ({ context, event }: GuardArgs) => verdictOf(context, event) === 'stale',
  isUnchanged: ({ context, event }: GuardArgs) => verdictOf(context, event) === 'unchanged',
  appliesAs: ({ context, event }: GuardArgs, params: KnownStateParams) => {
    if (event.type !== 'notification' || verdictOf(context, event) !== 'apply') return false;
    const n = event.notification;
    const terminal = n.changeType === 'deleted' || n.state === 'terminated';
    return params.state === 'terminated' ? terminal : !terminal && n.state === params.state;
  },
  startsIn: ({ context }: GuardArgs, params: KnownStateParams) => context.state === params.state,
  isGone: ({ event }: GuardArgs) =>
    (event.type === 'delete.failed' || event.type === 'keepAlive.result') && event.status === 404,
  canRetryDelete: ({ context, event }: GuardArgs) =>
    event.type === 'delete.failed' &&
    isRetryableStatus(event.status) &&
    (context.hangUp?.attempts ?? 0) < context.options.maxDeleteAttempts,
  wasActive: ({ context }: GuardArgs) => phaseOf(context.state) === 'active',
  // Timers are armed by the runtime from context; one that fires for an older deadline (it
  // was re-armed, or restored from a snapshot) arrives early and must not move the call.
  deadlineDue: ({ context, event }: GuardArgs) => isDue(context, event),
  setupTimedOut: ({ context, event }: GuardArgs) =>
    context.deadline?.kind === 'setup' && isDue(context, event),
  requestTimedOut: ({ context, event }: GuardArgs) =>
    context.deadline?.kind === 'request' && isDue(context, event),
  awaitsSetupCheck: ({ context }: GuardArgs) => context.deadline?.kind === 'request',
  isConfirmedEnded: ({ event }: GuardArgs) => saysEnded(event),
  setupCheckFoundGone: ({ context, event }: GuardArgs) =>
    context.deadline?.kind === 'request' && saysEnded(event),
  canVerifyAgain: ({ context }: GuardArgs) =>
    context.verifications < context.options.maxVerifications,

  // ── call control ──────────────────────────────────────────────────────────────────────
  /** The same intent again, while the first is in flight or after Graph took it: one request. */
  isMalformedOperation: ({ event }: GuardArgs) => isMalformedOperation(event),
  repeatsOperation: ({ context, event }: GuardArgs) => repeatsOperation(context, event),
  canRunOperation: ({ context }: GuardArgs) => operationRefusal(context) === undefined,
  awaitsOperationResponse: ({ context, event }: GuardArgs) =>
    awaitsOperationResponse(context, event),
  hasDueOperation: ({ context, event }: GuardArgs) => hasDueOperation(context, event),
  repeatsCommand: ({ context, event }: GuardArgs) => context.command?.verb === verbOf(event),
  /** Graph lets a bot answer, reject or redirect a call only while it is offered to it. */
  isOffered: ({ context }: GuardArgs) =>
    context.state === 'incoming' && context.command === null && context.hangUp === null,
  /** A connected call, with no other command in flight, can be transferred. */
  canTransfer: ({ context }: GuardArgs) =>
    (context.state === 'established' || context.state === 'hold') &&
    !inFlight(context.command) &&
    context.hangUp === null,
  awaitsCommandResult: ({ context, event }: GuardArgs) => answers(context, event),
  commandFoundGone: ({ context, event }: GuardArgs) =>
    answers(context, event) && failedWith(event) === 404,
  canRetryCommand: ({ context, event }: GuardArgs) => {
    const status = failedWith(event);
    return (
      answers(context, event) &&
      status !== undefined &&
      isRetryableStatus(status) &&
      (context.command?.attempts ?? 0) < context.options.maxCommandAttempts
    );
  },
  commandRetryDue: ({ context, event }: GuardArgs) =>
    context.deadline?.kind === 'retry' &&
    context.command?.status === 'retrying' &&
    isDue(context, event),
  commandTimedOut: ({ context, event }: GuardArgs) =>
    context.deadline?.kind === 'command' && isDue(context, event),
  /** The answer window passed with nothing done, and Graph no longer has the call. */
  windowPassedUnanswered: ({ context, event }: GuardArgs) =>
    context.deadline?.kind === 'request' &&
    context.state === 'incoming' &&
    context.command === null &&
    saysEnded(event),
  setupCheckFoundEstablished: ({ context, event }: GuardArgs) =>
    context.deadline?.kind === 'request' &&
    event.type === 'getCall.result' &&
    event.state === 'established',
  /** Graph brought a call that was being transferred back to established: the transfer failed. */
  transferFellBack: ({ context, event }: GuardArgs) =>
    (context.state === 'transferring' || context.state === 'transferAccepted') &&
    verdictOf(context, event) === 'apply' &&
    event.type === 'notification' &&
    event.notification.changeType !== 'deleted' &&
    event.notification.state === 'established',
  /** The transfer's failure reported on an established call that never showed transferring. */
  // When etags tell, only a newer notification: a duplicate of an earlier transfer's failure
  // must not fail this one.
  transferFailedInPlace: ({ context, event }: GuardArgs) =>
    context.command?.verb === 'transfer' &&
    verdictOf(context, event) === 'unchanged' &&
    event.type === 'notification' &&
    event.notification.state === 'established' &&
    (event.notification.resultInfo?.code ?? 0) >= 400 &&
    (event.notification.etag === undefined ||
      context.etag === null ||
      compareEtags(event.notification.etag, context.etag) === 1),
};
