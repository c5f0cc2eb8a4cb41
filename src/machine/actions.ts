import type { CallControlVerb } from '../graph/callRequests.js';
import { phaseOf } from '../graph/callState.js';
import { compareEtags } from '../graph/etag.js';
import type { CallNotification } from '../graph/notification.js';
import { phaseOfContext, withParties } from './context.js';
import { verbOf, verdictOf } from './guards.js';
import { outcomeOf, reasonForDiscovery, reasonForTermination, reasonWhenGone } from './outcome.js';
import { atOf, retryWait } from './timing.js';
import type {
  CallContext,
  CallEmitted,
  CallEvent,
  CallInput,
  CallOutcomeReason,
  CommandProgress,
} from './types.js';

// The machine's named actions come in two kinds, kept apart so each is one cheap xstate
// built-in: updates (pure context → context, run by `assign`) and announcements (pure
// context → one emitted event, run by `emit`). `call.stateChanged` is not among them: the step
// function derives it from the views before and after a step (see stepCall.ts).

type Update = (context: CallContext, event: CallEvent) => CallContext;
type Announcement = (context: CallContext, event: CallEvent) => CallEmitted;

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
    const at = atOf(context, event);
    // The setup deadline (and the GET it led to) only watches a call that is still in setup.
    const leftSetup =
      phaseOf(state) !== 'setup' &&
      (context.deadline?.kind === 'setup' || context.deadline?.kind === 'request');
    const moved = withParties(
      {
        ...context,
        state,
        etag: n.etag ?? context.etag,
        deadline: leftSetup ? null : context.deadline,
        updatedAt: at,
      },
      n,
    );
    return settleByProgress(moved, at);
  },

  // Graph repeats the caller and direction on later notifications; an unchanged one may be the
  // first to carry them (a call adopted with `track`).
  learnParties: (context, event) => withParties(context, notificationOf(event)),

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

  // A command still in flight is abandoned: its answer will not be waited for, and one that
  // failed to hang up must leave the call free to be answered or transferred again.
  beginHangUp: (context, event) => {
    const at = atOf(context, event);
    const command = context.command?.status === 'accepted' ? context.command : null;
    return { ...context, hangUp: { requestedAt: at, attempts: 0 }, command, updatedAt: at };
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
  // A failed command gives the answer window back as it was: from the offer, not from the failure.
  armSetupDeadline: (context, event) => {
    if (context.deadline !== null) return context;
    const at = atOf(context, event);
    const givenBack =
      event.type.endsWith('.failed') && context.state === 'incoming' && context.command === null;
    const from = givenBack ? Math.min(context.offeredAt ?? at, at) : at;
    return { ...context, deadline: { kind: 'setup', at: from + setupWait(context) } };
  },

  armRetryDeadline: (context, event) => {
    const at = atOf(context, event);
    const wait = retryWait(context, context.hangUp?.attempts ?? 1, event);
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

  concludeGone: (context, event) =>
    conclude(context, reasonWhenGone(context), atOf(context, event)),

  concludeMissed: (context, event) => conclude(context, 'missed', atOf(context, event)),

  // A GET found the call established while its notification has not come: it is connected.
  adoptCheckedState: (context, event) => {
    const at = atOf(context, event);
    return settleByProgress(
      { ...context, state: 'established', deadline: null, updatedAt: at },
      at,
    );
  },

  beginCommand: (context, event) => {
    const at = atOf(context, event);
    return { ...context, command: commandOf(event, at), updatedAt: at };
  },

  countCommandAttempt: (context) =>
    context.command === null
      ? context
      : {
          ...context,
          command: {
            ...context.command,
            attempts: context.command.attempts + 1,
            status: 'sending',
          },
        },

  armCommandDeadline: (context, event) => ({
    ...context,
    deadline: { kind: 'command', at: atOf(context, event) + context.options.requestTimeoutMs },
  }),

  armCommandRetry: (context, event) => {
    if (context.command === null) return context;
    const at = atOf(context, event);
    const wait = retryWait(context, context.command.attempts, event);
    return {
      ...context,
      command: { ...context.command, status: 'retrying' },
      deadline: { kind: 'retry', at: at + wait },
      updatedAt: at,
    };
  },

  acceptCommand: (context, event) =>
    context.command === null
      ? context
      : {
          ...context,
          command: { ...context.command, status: 'accepted' },
          deadline: null,
          updatedAt: atOf(context, event),
        },

  dropCommand: (context, event) => ({
    ...context,
    command: null,
    // The deadline was the command's; the state's own (the answer window) is armed again.
    deadline:
      context.deadline?.kind === 'command' || context.deadline?.kind === 'retry'
        ? null
        : context.deadline,
    updatedAt: atOf(context, event),
  }),

  noteOffered: (context, event) =>
    context.offeredAt === null ? { ...context, offeredAt: atOf(context, event) } : context,

  noteEstablished: (context, event) =>
    context.establishedAt === null ? { ...context, establishedAt: atOf(context, event) } : context,

  // Answered or not (short of 404), the keepAlive was sent: the next is due a period later.
  noteKeepAlive: (context, event) => ({ ...context, keepAliveAt: atOf(context, event) }),

  concludeVerified: (context, event) =>
    conclude(context, context.hangUp === null ? 'remote' : 'hungUp', atOf(context, event)),

  concludeUnconfirmed: (context, event) => conclude(context, 'unconfirmed', atOf(context, event)),
} satisfies Record<string, Update>;

/**
 * What Graph's news means for a command still waiting for its 202. An answered call is
 * establishing or established, a transferred one is transferring: the command was taken, and is
 * never sent again. A reject or redirect of a call that got connected anyway (answered
 * elsewhere) can no longer apply: it is dropped. Either way its request deadline goes.
 */
function settleByProgress(context: CallContext, at: number): CallContext {
  const command = context.command;
  if (command === null || command.status === 'accepted') return context;
  const { state } = context;
  const connected = state === 'establishing' || phaseOf(state) === 'active';
  const taken =
    (command.verb === 'answer' && connected) ||
    (command.verb === 'transfer' && (state === 'transferring' || state === 'transferAccepted'));
  const overtaken = (command.verb === 'reject' || command.verb === 'redirect') && connected;
  if (!taken && !overtaken) return context;
  const commandDeadline =
    context.deadline?.kind === 'command' || context.deadline?.kind === 'retry';
  const deadline = commandDeadline ? null : context.deadline;
  if (overtaken) return { ...context, command: null, deadline };
  const accepted = { ...context, command: { ...command, status: 'accepted' as const } };
  return phaseOf(state) === 'setup'
    ? { ...accepted, deadline: { kind: 'setup', at: at + context.options.answerTimeoutMs } }
    : { ...accepted, deadline };
}

/**
 * How long a call in setup may go before Graph is asked about it: what it waits for decides.
 * An offered call has Graph's answer window; an accepted answer waits for `established`; an
 * accepted reject or redirect waits for the end like a hang-up does.
 */
function setupWait(context: CallContext): number {
  const { options, command } = context;
  if (command?.status === 'accepted') {
    return command.verb === 'answer' ? options.answerTimeoutMs : options.confirmTimeoutMs;
  }
  return context.state === 'incoming' && command === null
    ? options.answerWindowMs
    : options.setupTimeoutMs;
}

function commandOf(event: CallEvent, at: number): CommandProgress {
  const base = { requestedAt: at, attempts: 0, status: 'sending' } as const;
  switch (event.type) {
    case 'answer':
      return { ...base, verb: 'answer', request: event.request };
    case 'reject':
      return { ...base, verb: 'reject', request: event.request };
    case 'redirect':
      return { ...base, verb: 'redirect', request: event.request };
    case 'transfer':
      return { ...base, verb: 'transfer', request: event.request };
    default:
      throw new Error(`graph-call-machine: a command began from a "${event.type}" event`);
  }
}

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

  requestCommand: (context, event) => {
    const command = context.command;
    if (command === null) throw new Error('graph-call-machine: requestCommand without a command');
    const base = {
      callId: context.callId,
      attempt: command.attempts + 1,
      at: atOf(context, event),
    };
    switch (command.verb) {
      case 'answer':
        return { type: 'graph.answerCall', request: command.request, ...base };
      case 'reject':
        return { type: 'graph.rejectCall', request: command.request, ...base };
      case 'redirect':
        return { type: 'graph.redirectCall', request: command.request, ...base };
      case 'transfer':
        return { type: 'graph.transferCall', request: command.request, ...base };
    }
  },

  rejectCommand: (context, event) => {
    const verb = verbOf(event) ?? 'answer';
    return {
      type: 'call.commandRejected',
      callId: context.callId,
      verb,
      state: context.state,
      phase: phaseOfContext(context),
      reason: whyRefused(context, verb),
      at: atOf(context, event),
    };
  },

  reportCommandFailed: (context, event) => {
    const base = {
      type: 'call.commandFailed' as const,
      callId: context.callId,
      verb: context.command?.verb ?? verbOf(event) ?? 'answer',
      attempts: context.command?.attempts ?? 0,
      at: atOf(context, event),
    };
    if (!('status' in event)) return { ...base, status: 0 };
    return 'error' in event && event.error !== undefined
      ? { ...base, status: event.status, error: event.error }
      : { ...base, status: event.status };
  },

  reportTransferFailed: (context, event) => {
    const notification = notificationOf(event);
    const base = {
      type: 'call.transferFailed' as const,
      callId: context.callId,
      notification,
      at: atOf(context, event),
    };
    return notification.resultInfo === undefined
      ? base
      : { ...base, resultInfo: notification.resultInfo };
  },

  announceTermination: (context) => ({
    type: 'call.terminated',
    callId: context.callId,
    // Entered only through a conclude update, which always sets the outcome.
    outcome: context.outcome ?? outcomeOf(context, 'gone', context.updatedAt),
  }),
} satisfies Record<string, Announcement>;

/** `call.incoming`, the first time the call is offered; `undefined` after that. */
export function incomingAnnouncement(
  context: CallContext,
  event: CallEvent,
): CallEmitted | undefined {
  if (context.offeredAt !== null) return undefined;
  const n = event.type === 'notification' ? event.notification : discoveredBy(event);
  const found: { -readonly [K in keyof Extract<CallEmitted, { type: 'call.incoming' }>]: unknown } =
    { type: 'call.incoming', callId: context.callId, at: atOf(context, event) };
  if (context.direction !== null) found.direction = context.direction;
  if (context.source !== null) found.source = context.source;
  if (context.targets !== null) found.targets = context.targets;
  if (n !== undefined) found.notification = n;
  return found as CallEmitted;
}

/** `call.established`, the first time the call is connected; `undefined` after that. */
export function establishedAnnouncement(
  context: CallContext,
  event: CallEvent,
): CallEmitted | undefined {
  return context.establishedAt !== null
    ? undefined
    : { type: 'call.established', callId: context.callId, at: atOf(context, event) };
}

/** Why an intent cannot be taken now, for `call.commandRejected`. */
function whyRefused(context: CallContext, verb: CallControlVerb): string {
  if (context.outcome !== null) return `the call has ended (${context.outcome.reason})`;
  if (context.hangUp !== null) return 'the call is being hung up';
  const command = context.command;
  if (command !== null && command.status !== 'accepted') {
    return `${command.verb === 'answer' ? 'an' : 'a'} ${command.verb} is in flight; wait for its result`;
  }
  if (command !== null && command.verb !== 'transfer') {
    return `the call was already ${PAST[command.verb]} by this bot`;
  }
  if (verb === 'transfer') {
    return `Graph transfers only an established (or held) call; this one is ${context.state}`;
  }
  return `Graph lets a bot ${verb} a call only while it is incoming; this one is ${context.state}`;
}

const PAST: Record<CallControlVerb, string> = {
  answer: 'answered',
  reject: 'rejected',
  redirect: 'redirected',
  transfer: 'transferred',
};

/** The failed result a request with no answer within requestTimeoutMs counts as (raised). */
export const overdue = {
  command: (context: CallContext, event: CallEvent): CallEvent => {
    const verb = context.command?.verb ?? 'answer';
    return {
      type: `${verb}.failed`,
      status: 0,
      error: {
        code: 'RequestTimeout',
        message: `no answer to the ${verb} request within ${context.options.requestTimeoutMs} ms`,
      },
      at: atOf(context, event),
    };
  },
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
