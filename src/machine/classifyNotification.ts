/**
 * The reconciliation rules of the call machine, as one pure function. The machine's guards
 * call it, so the rules live here and nowhere else.
 *
 * @example
 * ```ts
 * import { classifyNotification } from 'graph-call-machine';
 *
 * const view = { state: 'established', phase: 'active' } as const;
 * classifyNotification(view, establishingNotification); // 'stale'
 * classifyNotification(view, terminatingNotification);  // 'apply'
 * ```
 * @module
 */
import { comparePhases, phaseOf, setupRank } from '../graph/callState.js';
import { compareEtags } from '../graph/etag.js';
import type { CallNotification } from '../graph/notification.js';
import type { CallView, NotificationVerdict } from './types.js';

/** The part of a {@link CallView} the rules look at. */
export type ReconcileView = Pick<CallView, 'state' | 'phase'> & { readonly etag?: string | null };

/**
 * Judges a notification against what is known of the call. The rules, in order:
 *
 * 0. Not about the call resource (participants, operations, …) → `subresource`.
 * 1. The call is already terminated → `late`.
 * 2. `deleted`, or state `terminated` → `apply` (terminal wins, whatever the etag).
 * 3. No state, or a state this library does not know → `unchanged` (nothing to move to).
 * 4. Its phase is behind the call's phase → `stale`.
 * 5. Same state as now → `unchanged`, or `stale` when both etags are numeric and it is older.
 * 6. A later phase → `apply`, even if states were skipped.
 * 7. Same phase, other state: numeric etags that differ decide (newer applies, older is
 *    stale); otherwise setup follows its sub-order (incoming < ringing = redirecting <
 *    establishing) and active applies in arrival order.
 *
 * @example
 * ```ts
 * classifyNotification(
 *   { state: 'transferring', phase: 'active', etag: 'W/"7"' },
 *   { ...n, state: 'established', etag: 'W/"6"' },
 * ); // 'stale': same phase, older etag
 * ```
 */
export function classifyNotification(
  view: ReconcileView,
  n: CallNotification,
): NotificationVerdict {
  if (n.resource !== 'call') return 'subresource';
  if (view.phase === 'terminated') return 'late';
  if (n.changeType === 'deleted' || n.state === 'terminated') return 'apply';
  const state = n.state;
  // Graph's evolvable-enum sentinel: a state added after this library was written. It says
  // nothing we can order, so it cannot move the call; the bot still gets it with its text.
  const phase = state === undefined ? undefined : phaseOf(state);
  if (state === undefined || phase === undefined) return 'unchanged';
  const byPhase = comparePhases(phase, view.phase);
  if (byPhase < 0) return 'stale';
  const byEtag = compareEtags(n.etag, view.etag ?? undefined);
  if (state === view.state) return byEtag === -1 ? 'stale' : 'unchanged';
  if (byPhase > 0) return 'apply';
  if (byEtag === 1) return 'apply';
  if (byEtag === -1) return 'stale';
  if (phase === 'setup') {
    const rank = setupRank(state) ?? 0;
    const current = setupRank(view.state) ?? 0;
    return rank < current ? 'stale' : 'apply';
  }
  return 'apply';
}
