import {
  type CallPhase,
  type GraphCallState,
  isKnownCallState,
  phaseOf,
} from '../graph/callState.js';
import type { CallNotification } from '../graph/notification.js';
import type { CallContext, CallInput, CallView, ResolvedCallOptions } from './types.js';

function pendingOperationCount(context: CallContext): number {
  let count = 0;
  for (const operation of context.operations) {
    if (operation.status === 'requested' || operation.status === 'running') count += 1;
  }
  return count;
}

export const DEFAULT_CALL_OPTIONS: ResolvedCallOptions = Object.freeze({
  confirmTimeoutMs: 30_000,
  maxDeleteAttempts: 5,
  maxVerifications: 3,
  retryBaseDelayMs: 1_000,
  maxRetryDelayMs: 60_000,
  requestTimeoutMs: 30_000,
  setupTimeoutMs: 120_000,
  answerWindowMs: 15_000,
  answerTimeoutMs: 30_000,
  maxCommandAttempts: 5,
  operationTimeoutMs: 300_000,
});

/** What a call knows beyond its state: empty at start, and for snapshots written before 0.3. */
export const EMPTY_CALL_DETAILS = Object.freeze({
  command: null,
  direction: null,
  source: null,
  targets: null,
  myParticipantId: null,
  offeredAt: null,
  establishedAt: null,
  operations: [],
  roster: null,
  tones: null,
  keepAliveAt: null,
} as const satisfies Partial<CallContext>);

export function createCallContext(input: CallInput): CallContext {
  let options = DEFAULT_CALL_OPTIONS;
  for (const key of Object.keys(DEFAULT_CALL_OPTIONS) as (keyof ResolvedCallOptions)[]) {
    const value = input.options?.[key];
    // A bad option must not turn deadlines into NaN: keep the default instead. Calls with the
    // defaults share one options object, which is most of them.
    if (
      typeof value === 'number' &&
      Number.isFinite(value) &&
      value >= 0 &&
      value !== options[key]
    ) {
      options = { ...options, [key]: value };
    }
  }
  const found = input.discoveredBy;
  const context: CallContext = {
    ...EMPTY_CALL_DETAILS,
    direction:
      input.direction === 'incoming' || input.direction === 'outgoing' ? input.direction : null,
    myParticipantId: typeof input.myParticipantId === 'string' ? input.myParticipantId : null,
    callId: input.callId,
    state: found === undefined ? adoptedState(input.state) : discoveredState(found),
    etag: found?.etag ?? input.etag ?? null,
    options,
    updatedAt: input.at ?? 0,
    hangUp: null,
    deadline: null,
    verifications: 0,
    outcome: null,
  };
  return found === undefined ? context : withParties(context, found);
}

/**
 * Remembers who is on the call from a notification about it: Graph repeats the caller and
 * direction on most call notifications, and an absent field never erases what was known.
 */
export function withParties(context: CallContext, n: CallNotification): CallContext {
  if (n.resource !== 'call') return context;
  const direction = n.direction ?? context.direction;
  const source = n.source ?? context.source;
  const targets = n.targets ?? context.targets;
  const myParticipantId = n.myParticipantId ?? context.myParticipantId;
  if (
    direction === context.direction &&
    source === context.source &&
    targets === context.targets &&
    myParticipantId === context.myParticipantId
  ) {
    return context;
  }
  return { ...context, direction, source, targets, myParticipantId };
}

// Input from outside the type system (JSON, JavaScript callers) must not put a state the chart
// does not know into context: it would be persisted and refused at the next restore.
function adoptedState(state: unknown): GraphCallState {
  return isKnownCallState(state) ? state : 'establishing';
}

function discoveredState(n: CallNotification): GraphCallState {
  if (n.resource !== 'call') return 'establishing';
  if (n.changeType === 'deleted' || n.state === 'terminated') return 'terminated';
  // A call first seen without a state we can place (none, or one newer than this library)
  // is live, and establishing is the earliest state a bot can act on.
  return n.state === undefined || n.state === 'unknownFutureValue' ? 'establishing' : n.state;
}

/**
 * The phase as the bot sees it. A hang-up in progress counts as terminating even while Graph
 * still reports the earlier state, because from then on only the end can move the call.
 */
export function phaseOfContext(context: CallContext): CallPhase {
  if (context.outcome !== null) return 'terminated';
  if (context.hangUp !== null) return 'terminating';
  return phaseOf(context.state) ?? 'setup';
}

export function viewOfContext(context: CallContext): CallView {
  const view: {
    -readonly [K in keyof CallView]: CallView[K];
  } = {
    callId: context.callId,
    state: context.state,
    phase: phaseOfContext(context),
    updatedAt: context.updatedAt,
  };
  if (context.etag !== null) view.etag = context.etag;
  if (context.outcome !== null) view.outcome = context.outcome;
  if (context.direction !== null) view.direction = context.direction;
  if (context.source !== null) view.source = context.source;
  if (context.myParticipantId !== null) view.myParticipantId = context.myParticipantId;
  if (context.command !== null) {
    view.command = { verb: context.command.verb, status: context.command.status };
  }
  if (context.establishedAt !== null) view.establishedAt = context.establishedAt;
  const pending = pendingOperationCount(context);
  if (pending > 0) view.pendingOperations = pending;
  if (context.roster !== null) view.participantCount = context.roster.participants.length;
  if (context.tones !== null && context.tones.duplicates > 0) {
    view.duplicateTones = context.tones.duplicates;
  }
  return view;
}
