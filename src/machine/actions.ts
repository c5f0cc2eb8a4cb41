import { phaseOf } from '../graph/callState.js';
import { compareEtags } from '../graph/etag.js';
import type { CallNotification } from '../graph/notification.js';
import { verdictOf } from './guards.js';
import { outcomeOf, reasonForDiscovery, reasonForTermination } from './outcome.js';
import type { CallContext, CallEmitted, CallEvent, CallInput, CallOutcomeReason } from './types.js';

// The machine's named actions come in two kinds, kept apart so each is one cheap xstate
// built-in: updates (pure context → context, run by `assign`) and announcements (pure
// context → one emitted event, run by `emit`). `call.stateChanged` is not among them: the step
// function derives it from the views before and after a step (see stepCall.ts).

type Update = (context: CallContext, event: CallEvent) => CallContext;
type Announcement = (context: CallContext, event: CallEvent) => CallEmitted;

// `xstate.init` (entering the first state) has no `at`, and an event built by hand may lack
// one: the last known time stands in, so a deadline is never computed from NaN.
function atOf(context: CallContext, event: CallEvent): number {
  const at: unknown = (event as { at?: unknown }).at;
  return typeof at === 'number' && Number.isFinite(at) ? at : context.updatedAt;
}

function notificationOf(event: CallEvent): CallNotification {
  if (event.type !== 'notification') {
    throw new Error(`graph-call-machine: a notification action ran for a "${event.type}" event`);
  }
  return event.notification;
}

/** The notification a call was discovered by: `xstate.init` carries the input. */
export function discoveredBy(event: CallEvent): CallNotification | undefined {
  const input = (event as { input?: CallInput }).input;
  return input?.discoveredBy;
}

function conclude(
  context: CallContext,
  reason: CallOutcomeReason,
  at: number,
  notification?: CallNotification,
): CallContext {
  return {
    ...context,
    state: 'terminated',
    etag: notification?.etag ?? context.etag,
    deadline: null,
    updatedAt: at,
    outcome: outcomeOf(context, reason, at, notification),
  };
}

export const updates = {
  applyNotification: (context, event) => {
    const n = notificationOf(event);
    const state = n.state ?? context.state;
    // The setup deadline (and the GET it led to) only watches a call that is still in setup.
    const leftSetup =
      phaseOf(state) !== 'setup' &&
      (context.deadline?.kind === 'setup' || context.deadline?.kind === 'request');
    return {
      ...context,
      state,
      etag: n.etag ?? context.etag,
      deadline: leftSetup ? null : context.deadline,
      updatedAt: atOf(context, event),
    };
  },

  // Remember an etag the call did not have yet, or a newer one: later notifications of the
  // same phase are ordered against it.
  learnEtag: (context, event) => {
    const etag = notificationOf(event).etag;
    const learn =
      etag !== undefined && (context.etag === null || compareEtags(etag, context.etag) === 1);
    return learn && etag !== undefined ? { ...context, etag } : context;
  },

  concludeByNotification: (context, event) => {
    const n = notificationOf(event);
    return conclude(context, reasonForTermination(context, n), atOf(context, event), n);
  },

  concludeAdopted: (context, event) => {
    const n = discoveredBy(event);
    return n === undefined
      ? conclude(context, 'gone', context.updatedAt)
      : conclude(context, reasonForDiscovery(context, n), context.updatedAt, n);
  },

  beginHangUp: (context, event) => {
    const at = atOf(context, event);
    return { ...context, hangUp: { requestedAt: at, attempts: 0 }, updatedAt: at };
  },

  countDeleteAttempt: (context, event) => ({
    ...context,
    hangUp: {
      requestedAt: context.hangUp?.requestedAt ?? atOf(context, event),
      attempts: (context.hangUp?.attempts ?? 0) + 1,
    },
  }),

  armConfirmDeadline: (context, event) => {
    const at = atOf(context, event);
    return {
      ...context,
      deadline: { kind: 'confirm', at: at + context.options.confirmTimeoutMs },
      updatedAt: at,
    };
  },

  armRequestDeadline: (context, event) => {
    const at = atOf(context, event);
    return {
      ...context,
      deadline: { kind: 'request', at: at + context.options.requestTimeoutMs },
    };
  },

  // Kept when already armed: a setup notification re-enters setup, and must not push back the
  // moment a call that never gets out of setup is checked.
  armSetupDeadline: (context, event) =>
    context.deadline !== null
      ? context
      : {
          ...context,
          deadline: { kind: 'setup', at: atOf(context, event) + context.options.setupTimeoutMs },
        },

  armRetryDeadline: (context, event) => {
    const attempts = context.hangUp?.attempts ?? 1;
    const backoff = context.options.retryBaseDelayMs * 2 ** Math.max(0, attempts - 1);
    const hinted = event.type === 'delete.failed' ? event.retryAfterMs : undefined;
    const wait = Math.min(
      hinted !== undefined && Number.isFinite(hinted) && hinted >= 0 ? hinted : backoff,
      context.options.maxRetryDelayMs,
    );
    const at = atOf(context, event);
    return { ...context, deadline: { kind: 'retry', at: at + wait }, updatedAt: at };
  },

  clearDeadline: (context) => ({ ...context, deadline: null }),

  abandonHangUp: (context, event) => ({
    ...context,
    hangUp: null,
    deadline: null,
    updatedAt: atOf(context, event),
  }),

  countVerification: (context) => ({ ...context, verifications: context.verifications + 1 }),

  concludeGone: (context, event) => conclude(context, 'gone', atOf(context, event)),

  concludeVerified: (context, event) =>
    conclude(context, context.hangUp === null ? 'remote' : 'hungUp', atOf(context, event)),

  concludeUnconfirmed: (context, event) => conclude(context, 'unconfirmed', atOf(context, event)),
} satisfies Record<string, Update>;

/** The names of the machine's context updates. */
export type UpdateName = keyof typeof updates;

export const announcements = {
  handOnSubresource: (context, event) => ({
    type: 'notification.subresource',
    callId: context.callId,
    notification: notificationOf(event),
    at: atOf(context, event),
  }),

  handOnUnchanged: (context, event) => ({
    type: 'call.notification',
    callId: context.callId,
    notification: notificationOf(event),
    verdict: 'unchanged',
    at: atOf(context, event),
  }),

  handOnApplied: (context, event) => ({
    type: 'call.notification',
    callId: context.callId,
    notification: notificationOf(event),
    verdict: 'apply',
    at: atOf(context, event),
  }),

  reportIgnored: (context, event) => ({
    type: 'notification.ignored',
    callId: context.callId,
    notification: notificationOf(event),
    verdict: verdictOf(context, event) === 'late' ? 'late' : 'stale',
    at: atOf(context, event),
  }),

  requestDelete: (context, event) => ({
    type: 'graph.deleteCall',
    callId: context.callId,
    attempt: (context.hangUp?.attempts ?? 0) + 1,
    at: atOf(context, event),
  }),

  requestGetCall: (context, event) => ({
    type: 'graph.getCall',
    callId: context.callId,
    attempt: context.verifications + 1,
    at: atOf(context, event),
  }),

  reportHangUpFailed: (context, event) => {
    const base = {
      type: 'call.hangUpFailed' as const,
      callId: context.callId,
      attempts: context.hangUp?.attempts ?? 0,
      at: atOf(context, event),
    };
    if (event.type !== 'delete.failed') return { ...base, status: 0 };
    return event.error === undefined
      ? { ...base, status: event.status }
      : { ...base, status: event.status, error: event.error };
  },

  announceTermination: (context) => ({
    type: 'call.terminated',
    callId: context.callId,
    // Entered only through a conclude update, which always sets the outcome.
    outcome: context.outcome ?? outcomeOf(context, 'gone', context.updatedAt),
  }),
} satisfies Record<string, Announcement>;

/** The failed result a request with no answer within requestTimeoutMs counts as (raised). */
export const overdue = {
  delete: (context: CallContext, event: CallEvent): CallEvent => ({
    type: 'delete.failed',
    status: 0,
    error: {
      code: 'RequestTimeout',
      message: `no answer to the DELETE within ${context.options.requestTimeoutMs} ms`,
    },
    at: atOf(context, event),
  }),
  getCall: (context: CallContext, event: CallEvent): CallEvent => ({
    type: 'getCall.result',
    status: 0,
    at: atOf(context, event),
  }),
};

/** The `call.notification` for the notification a call was discovered by, if any. */
export function discoveryAnnouncement(
  context: CallContext,
  event: CallEvent,
): CallEmitted | undefined {
  const n = discoveredBy(event);
  return n === undefined
    ? undefined
    : {
        type: 'call.notification',
        callId: context.callId,
        notification: n,
        verdict: 'apply',
        at: context.updatedAt,
      };
}
