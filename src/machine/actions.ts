import { compareEtags } from '../graph/etag.js';
import type { CallNotification } from '../graph/notification.js';
import { verdictOf } from './guards.js';
import { outcomeOf, reasonForDiscovery, reasonForTermination } from './outcome.js';
import type { CallContext, CallEmitted, CallEvent, CallInput, CallOutcomeReason } from './types.js';

/**
 * What one named action does, as data: the next context and what to emit. The machine turns
 * a step into `assign` + `emit`, and announces `call.stateChanged` whenever the step moved the
 * call's state or phase, so no action has to remember to.
 */
export interface Step {
  readonly context: CallContext;
  readonly emitted?: readonly CallEmitted[];
}

type Reducer = (context: CallContext, event: CallEvent) => Step;

// `xstate.init` (entering the first state) has no `at`, and an event built by hand may lack
// one: the last known time stands in, so a deadline is never computed from NaN.
function atOf(context: CallContext, event: CallEvent): number {
  const at: unknown = (event as { at?: unknown }).at;
  return typeof at === 'number' && Number.isFinite(at) ? at : context.updatedAt;
}

function notificationOf(event: CallEvent) {
  if (event.type !== 'notification') {
    throw new Error(`graph-call-machine: a notification action ran for a "${event.type}" event`);
  }
  return event.notification;
}

const unchanged = (context: CallContext): Step => ({ context });

// The first event of an actor, `xstate.init`, carries the input.
function discoveredBy(event: CallEvent): CallNotification | undefined {
  const input = (event as { input?: CallInput }).input;
  return input?.discoveredBy;
}

export const reducers = {
  handOnSubresource: (context, event) => ({
    context,
    emitted: [
      {
        type: 'notification.subresource',
        callId: context.callId,
        notification: notificationOf(event),
        at: atOf(context, event),
      },
    ],
  }),

  announceDiscovery: (context, event) => {
    const n = discoveredBy(event);
    return n === undefined
      ? unchanged(context)
      : {
          context,
          emitted: [
            {
              type: 'call.notification',
              callId: context.callId,
              notification: n,
              verdict: 'apply',
              at: context.updatedAt,
            },
          ],
        };
  },

  concludeAdopted: (context, event) => {
    const n = discoveredBy(event);
    return {
      context:
        n === undefined
          ? conclude(context, 'gone', context.updatedAt)
          : conclude(context, reasonForDiscovery(context, n), context.updatedAt, n.etag, n),
    };
  },

  handOnUnchanged: (context, event) => {
    const n = notificationOf(event);
    // Remember an etag the call did not have yet, or a newer one: later notifications of the
    // same phase are ordered against it.
    const learn =
      n.etag !== undefined && (context.etag === null || compareEtags(n.etag, context.etag) === 1);
    return {
      context: learn && n.etag !== undefined ? { ...context, etag: n.etag } : context,
      emitted: [
        {
          type: 'call.notification',
          callId: context.callId,
          notification: n,
          verdict: 'unchanged',
          at: atOf(context, event),
        },
      ],
    };
  },

  reportIgnored: (context, event) => {
    const verdict = verdictOf(context, event);
    return {
      context,
      emitted: [
        {
          type: 'notification.ignored',
          callId: context.callId,
          notification: notificationOf(event),
          verdict: verdict === 'late' ? 'late' : 'stale',
          at: atOf(context, event),
        },
      ],
    };
  },

  applyNotification: (context, event) => {
    const n = notificationOf(event);
    const at = atOf(context, event);
    return {
      context: {
        ...context,
        state: n.state ?? context.state,
        etag: n.etag ?? context.etag,
        updatedAt: at,
      },
      emitted: [
        {
          type: 'call.notification',
          callId: context.callId,
          notification: n,
          verdict: 'apply',
          at,
        },
      ],
    };
  },

  concludeByNotification: (context, event) => {
    const n = notificationOf(event);
    const at = atOf(context, event);
    return {
      context: conclude(context, reasonForTermination(context, n), at, n.etag, n),
      emitted: [
        {
          type: 'call.notification',
          callId: context.callId,
          notification: n,
          verdict: 'apply',
          at,
        },
      ],
    };
  },

  beginHangUp: (context, event) => {
    const at = atOf(context, event);
    return { context: { ...context, hangUp: { requestedAt: at, attempts: 0 }, updatedAt: at } };
  },

  requestDelete: (context, event) => {
    const attempt = (context.hangUp?.attempts ?? 0) + 1;
    const requestedAt = context.hangUp?.requestedAt ?? atOf(context, event);
    return {
      context: { ...context, hangUp: { requestedAt, attempts: attempt } },
      emitted: [
        { type: 'graph.deleteCall', callId: context.callId, attempt, at: atOf(context, event) },
      ],
    };
  },

  armConfirmDeadline: (context, event) => ({
    context: {
      ...context,
      deadline: { kind: 'confirm', at: atOf(context, event) + context.options.confirmTimeoutMs },
      updatedAt: atOf(context, event),
    },
  }),

  armRetryDeadline: (context, event) => {
    const attempts = context.hangUp?.attempts ?? 1;
    const backoff = context.options.retryBaseDelayMs * 2 ** Math.max(0, attempts - 1);
    const hinted = event.type === 'delete.failed' ? event.retryAfterMs : undefined;
    const wait = Math.min(
      hinted !== undefined && Number.isFinite(hinted) && hinted >= 0 ? hinted : backoff,
      context.options.maxRetryDelayMs,
    );
    const at = atOf(context, event);
    return { context: { ...context, deadline: { kind: 'retry', at: at + wait }, updatedAt: at } };
  },

  clearDeadline: (context) => ({ context: { ...context, deadline: null } }),

  abandonHangUp: (context, event) => {
    const at = atOf(context, event);
    const attempts = context.hangUp?.attempts ?? 0;
    const failed: CallEmitted =
      event.type === 'delete.failed'
        ? event.error === undefined
          ? {
              type: 'call.hangUpFailed',
              callId: context.callId,
              status: event.status,
              attempts,
              at,
            }
          : {
              type: 'call.hangUpFailed',
              callId: context.callId,
              status: event.status,
              error: event.error,
              attempts,
              at,
            }
        : { type: 'call.hangUpFailed', callId: context.callId, status: 0, attempts, at };
    return {
      context: { ...context, hangUp: null, deadline: null, updatedAt: at },
      emitted: [failed],
    };
  },

  requestGetCall: (context, event) => {
    const attempt = context.verifications + 1;
    return {
      context: { ...context, verifications: attempt },
      emitted: [
        { type: 'graph.getCall', callId: context.callId, attempt, at: atOf(context, event) },
      ],
    };
  },

  concludeGone: (context, event) => ({
    context: conclude(context, 'gone', atOf(context, event)),
  }),

  concludeVerified: (context, event) => ({
    context: conclude(context, context.hangUp === null ? 'remote' : 'hungUp', atOf(context, event)),
  }),

  concludeUnconfirmed: (context, event) => ({
    context: conclude(context, 'unconfirmed', atOf(context, event)),
  }),

  announceTermination: (context) =>
    context.outcome === null
      ? unchanged(context)
      : {
          context,
          emitted: [{ type: 'call.terminated', callId: context.callId, outcome: context.outcome }],
        },
} satisfies Record<string, Reducer>;

function conclude(
  context: CallContext,
  reason: CallOutcomeReason,
  at: number,
  etag?: string,
  notification?: Parameters<typeof outcomeOf>[3],
): CallContext {
  return {
    ...context,
    state: 'terminated',
    etag: etag ?? context.etag,
    deadline: null,
    updatedAt: at,
    outcome: outcomeOf(context, reason, at, notification),
  };
}

/** The names of the machine's actions. */
export type CallActionName = keyof typeof reducers;
