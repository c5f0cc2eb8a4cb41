/**
 * What whoever runs the machine needs to know about a snapshot, asked of the machine module
 * rather than read off state names: when the call next needs attention, whether a hang-up is
 * still waiting for Graph to take it, and how a step judged the notification it was given.
 *
 * @example
 * ```ts
 * import { dueAtOf, startCall, stepCall, verdictOfStep } from 'graph-call-machine';
 *
 * const { snapshot } = startCall({ callId: 'c1', state: 'established', at: 0 });
 * const step = stepCall(snapshot, { type: 'hangUp', at: 1_000 });
 * dueAtOf(step.snapshot);      // 31_000: the DELETE's answer is overdue then
 * verdictOfStep(step.emitted); // undefined: no notification was judged
 * ```
 * @module
 */
import type { CallControlVerb } from '../graph/callRequests.js';
import type { Participant } from '../graph/participant.js';
import { operationsDueAt, viewOfOperation } from './operations.js';
import type { CallSnapshot } from './stepCall.js';
import type { CallEmitted, CallOperation, NotificationVerdict } from './types.js';

/**
 * The time (epoch ms) at which the call must be sent `deadline.reached`, or `undefined` when
 * it waits for nothing. Every state that waits for a request's answer has one.
 *
 * @example
 * ```ts
 * const at = dueAtOf(snapshot);
 * if (at !== undefined) setTimeout(() => send({ type: 'deadline.reached', at: Date.now() }), at - Date.now());
 * ```
 */
export function dueAtOf(snapshot: CallSnapshot): number | undefined {
  if (snapshot.status !== 'active') return undefined;
  const call = snapshot.context.deadline?.at;
  const operations = operationsDueAt(snapshot.context);
  if (operations === undefined) return call;
  return call === undefined ? operations : Math.min(call, operations);
}

/**
 * An operation of the call by its key (the `clientContext` it was sent with), as the bot sees
 * it; `undefined` when the call has none by that key (never asked, or ended long ago).
 *
 * @example
 * ```ts
 * const op = operationOf(step.snapshot, key);
 * if (op?.status === 'completed') console.log(op.resultInfo);
 * ```
 */
export function operationOf(snapshot: CallSnapshot, key: string): CallOperation | undefined {
  const { context } = snapshot;
  const found = context.operations.find((op) => op.key === key);
  return found === undefined ? undefined : viewOfOperation(context.callId, found);
}

/**
 * The call's roster as its last roster notifications left it: `[]` before the first one.
 *
 * @example
 * ```ts
 * for (const p of participantsOf(snapshot)) console.log(p.id, p.identity.user?.displayName, p.isMuted);
 * ```
 */
export function participantsOf(snapshot: CallSnapshot): readonly Participant[] {
  return snapshot.context.roster?.participants ?? [];
}

/**
 * Whether a hang-up is still waiting for Graph to take the DELETE (in flight, or waiting to be
 * retried). Once it is not, the hang-up was taken (the call is terminating or over) or failed.
 *
 * @example
 * ```ts
 * if (!isHangUpPending(step.snapshot)) resolveHangUp(getCallView(step.snapshot));
 * ```
 */
export function isHangUpPending(snapshot: CallSnapshot): boolean {
  return (
    snapshot.status === 'active' &&
    (snapshot.matches({ terminating: 'hangingUp' }) ||
      snapshot.matches({ terminating: 'retryWait' }))
  );
}

/**
 * How the notification given to a step was judged, read from what the step emitted (every
 * notification step emits exactly one of `call.notification`, `notification.ignored` and
 * `notification.subresource`). `undefined` when the step was given no notification.
 *
 * @example
 * ```ts
 * const step = stepCall(snapshot, { type: 'notification', notification, at: Date.now() });
 * counts[verdictOfStep(step.emitted) ?? 'unchanged'] += 1;
 * ```
 */
export function verdictOfStep(emitted: readonly CallEmitted[]): NotificationVerdict | undefined {
  for (const event of emitted) {
    switch (event.type) {
      case 'call.notification':
      case 'notification.ignored':
        return event.verdict;
      case 'notification.subresource':
        return 'subresource';
      default:
    }
  }
  return undefined;
}

/**
 * Where the bot's `verb` (answer, reject, redirect, transfer) stands on this call: still
 * waiting for Graph (`pending`), taken by Graph (`accepted`), or `none`: never asked, failed,
 * or overtaken by the end of the call or a hang-up.
 *
 * @example
 * ```ts
 * const step = stepCall(snapshot, { type: 'answer', request, at: Date.now() });
 * if (commandStatusOf(step.snapshot, 'answer') === 'pending') await sendAnswer();
 * ```
 */
export function commandStatusOf(
  snapshot: CallSnapshot,
  verb: CallControlVerb,
): 'pending' | 'accepted' | 'none' {
  const { context } = snapshot;
  const command = context.command;
  if (command === null || command.verb !== verb) return 'none';
  if (command.status === 'accepted') return 'accepted';
  // A hang-up abandons the command; Graph ending the call does not, yet: a reject or redirect
  // ends in just that way, and its end says how it went.
  return snapshot.status === 'active' && context.hangUp === null ? 'pending' : 'none';
}
