import type { CallContext, CallEvent } from './types.js';

// `xstate.init` (entering the first state) has no `at`, and an event built by hand may lack
// one: the last known time stands in, so a deadline is never computed from NaN.
export function atOf(context: CallContext, event: CallEvent): number {
  const at: unknown = (event as { at?: unknown }).at;
  return typeof at === 'number' && Number.isFinite(at) ? at : context.updatedAt;
}

/** Retry-After when Graph gave one, else exponential backoff; never past maxRetryDelayMs. */
export function retryWait(context: CallContext, attempts: number, event: CallEvent): number {
  const backoff = context.options.retryBaseDelayMs * 2 ** Math.max(0, attempts - 1);
  const hinted = 'retryAfterMs' in event ? event.retryAfterMs : undefined;
  return Math.min(
    hinted !== undefined && Number.isFinite(hinted) && hinted >= 0 ? hinted : backoff,
    context.options.maxRetryDelayMs,
  );
}
