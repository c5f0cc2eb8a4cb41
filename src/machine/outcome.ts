import type { CallControlVerb } from '../graph/callRequests.js';
import type { CallNotification } from '../graph/notification.js';
import type { CallContext, CallOutcome, CallOutcomeReason } from './types.js';

const TRANSFER_COMPLETED_SUBCODE = 7015;

// Keyed by the type, so that a reason added to CallOutcomeReason must be added here.
const REASONS: Readonly<Record<CallOutcomeReason, true>> = {
  hungUp: true,
  remote: true,
  rejected: true,
  redirected: true,
  transferred: true,
  missed: true,
  gone: true,
  unconfirmed: true,
};

/** Every reason a call can end with, for the filters of the console and of `replay`. */
export const CALL_OUTCOME_REASONS = Object.keys(REASONS) as readonly CallOutcomeReason[];

/**
 * Why a terminal notification ended the call. Graph does not say it directly, so this reads
 * the evidence the docs show: our own hang-up, old `terminationReason` values, the 7015
 * "GracefulTransferCompleted" subcode, and the state the call was in.
 */
export function reasonForTermination(
  context: CallContext,
  notification: CallNotification,
): CallOutcomeReason {
  if (context.hangUp !== null) return 'hungUp';
  // The bot's own reject or redirect makes the end certain, even when its 202 is still on the
  // way: Graph ends an offered call that way only because it was asked to.
  if (context.command?.verb === 'reject') return 'rejected';
  if (context.command?.verb === 'redirect') return 'redirected';
  const legacy = notification.terminationReason?.toLowerCase();
  if (
    legacy === 'apptransferred' ||
    notification.resultInfo?.subcode === TRANSFER_COMPLETED_SUBCODE ||
    context.state === 'transferAccepted'
  ) {
    return 'transferred';
  }
  if (legacy === 'appredirected' || context.state === 'redirecting') return 'redirected';
  if (legacy === 'appinitiated') return 'hungUp';
  // A reject ends an incoming call with a bare `deleted`: no state, no resultInfo.
  if (
    notification.changeType === 'deleted' &&
    notification.state === undefined &&
    context.state === 'incoming'
  ) {
    return 'rejected';
  }
  return 'remote';
}

/** The end each command leads to when it works; an answer leads to no end. */
export const INTENDED_END = {
  answer: undefined,
  reject: 'rejected',
  redirect: 'redirected',
  transfer: 'transferred',
} as const satisfies Record<CallControlVerb, CallOutcomeReason | undefined>;

/**
 * Why a call Graph no longer has (404) ended: what the bot asked for and Graph accepted, when
 * that explains it; else simply `gone`.
 */
export function reasonWhenGone(context: CallContext): CallOutcomeReason {
  const command = context.command;
  if (command?.status !== 'accepted') return 'gone';
  return INTENDED_END[command.verb] ?? 'gone';
}

export function outcomeOf(
  context: CallContext,
  reason: CallOutcomeReason,
  at: number,
  notification?: CallNotification,
): CallOutcome {
  const outcome: { -readonly [K in keyof CallOutcome]: CallOutcome[K] } = {
    callId: context.callId,
    reason,
    at,
  };
  if (notification?.resultInfo !== undefined) outcome.resultInfo = notification.resultInfo;
  if (notification?.terminationReason !== undefined) {
    outcome.terminationReason = notification.terminationReason;
  }
  return outcome;
}

/**
 * Why a call first seen in a terminal notification ended. A bare `deleted` (no state, no
 * result) is what a reject sends; every other bare `deleted` in Graph's docs follows a
 * `terminated` and is late by then. So for a call never seen alive, whose `incoming` was lost
 * or overtaken, it reads as a reject.
 */
export function reasonForDiscovery(
  context: CallContext,
  notification: CallNotification,
): CallOutcomeReason {
  const bare =
    notification.changeType === 'deleted' &&
    notification.state === undefined &&
    notification.resultInfo === undefined &&
    notification.terminationReason === undefined;
  return bare ? 'rejected' : reasonForTermination(context, notification);
}
