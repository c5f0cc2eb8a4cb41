import { phaseOf } from '../graph/callState.js';
import { classifyNotification } from './classifyNotification.js';
import { phaseOfContext } from './context.js';
import type { CallContext, CallEvent, KnownStateParams, NotificationVerdict } from './types.js';

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
};
