import { type CallPhase, phaseOf } from '../graph/callState.js';
import type { CallContext, CallInput, CallView, ResolvedCallOptions } from './types.js';

export const DEFAULT_CALL_OPTIONS: ResolvedCallOptions = {
  confirmTimeoutMs: 30_000,
  maxDeleteAttempts: 5,
  maxVerifications: 3,
  retryBaseDelayMs: 1_000,
  maxRetryDelayMs: 60_000,
};

export function createCallContext(input: CallInput): CallContext {
  const options = { ...DEFAULT_CALL_OPTIONS };
  for (const key of Object.keys(DEFAULT_CALL_OPTIONS) as (keyof ResolvedCallOptions)[]) {
    const value = input.options?.[key];
    // A bad option must not turn deadlines into NaN: keep the default instead.
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) options[key] = value;
  }
  return {
    callId: input.callId,
    state: input.state ?? 'establishing',
    etag: input.etag ?? null,
    options,
    updatedAt: input.at ?? 0,
    hangUp: null,
    deadline: null,
    verifications: 0,
    outcome: null,
  };
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
  return view;
}
