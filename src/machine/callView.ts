/**
 * The bot's view of a call, derived from a machine snapshot (or its context).
 *
 * @example
 * ```ts
 * import { createActor } from 'xstate';
 * import { callMachine, getCallView } from 'graph-call-machine';
 *
 * const call = createActor(callMachine, { input: { callId: 'c1' } }).start();
 * getCallView(call.getSnapshot()); // { callId: 'c1', state: 'establishing', phase: 'setup', updatedAt: 0 }
 * ```
 * @module
 */
import { viewOfContext } from './context.js';
import type { CallContext, CallView } from './types.js';

/**
 * Reads the {@link CallView} of a snapshot (live or persisted) or of a context. The phase
 * counts a hang-up in progress as `terminating` even while Graph still reports the earlier
 * state.
 *
 * @example
 * ```ts
 * const view = getCallView(snapshot);
 * if (view.phase === 'terminated') console.log(view.outcome?.reason);
 * ```
 */
export function getCallView(source: { readonly context: CallContext } | CallContext): CallView {
  return viewOfContext('context' in source ? source.context : source);
}
