/**
 * The machine as two plain functions, for code that keeps no actor: a stateless webhook
 * function loads a persisted snapshot, steps it with one event, performs what was emitted and
 * saves the next snapshot.
 *
 * @example
 * ```ts
 * import { startCall, stepCall } from 'graph-call-machine';
 *
 * let { snapshot } = startCall({ callId: 'c1', state: 'established' });
 * const step = stepCall(snapshot, { type: 'hangUp', at: Date.now() });
 * for (const e of step.emitted) if (e.type === 'graph.deleteCall') await deleteCall(e.callId);
 * snapshot = step.snapshot; // persist with JSON.stringify(callMachine.getPersistedSnapshot(snapshot))
 * ```
 * @module
 */
import { initialTransition, type SnapshotFrom, transition } from 'xstate';
import { callMachine } from './callMachine.js';
import type { CallEmitted, CallEvent, CallInput } from './types.js';

/** A snapshot of {@link callMachine}. */
export type CallSnapshot = SnapshotFrom<typeof callMachine>;

/** The result of one step: the next snapshot and everything emitted on the way, in order. */
export interface CallStep {
  readonly snapshot: CallSnapshot;
  readonly emitted: CallEmitted[];
}

function emittedOf(actions: readonly { type: string; params: unknown }[]): CallEmitted[] {
  const emitted: CallEmitted[] = [];
  for (const action of actions) {
    if (action.type !== 'xstate.emit') continue;
    const event = (action.params as { event?: CallEmitted } | undefined)?.event;
    if (event !== undefined) emitted.push(event);
  }
  return emitted;
}

/**
 * Creates a call's first snapshot, without an actor.
 *
 * @example
 * ```ts
 * const { snapshot } = startCall({ callId: 'c1', state: 'incoming' });
 * snapshot.value; // { setup: 'incoming' }
 * ```
 */
export function startCall(input: CallInput): CallStep {
  const [snapshot, actions] = initialTransition(callMachine, input);
  return { snapshot, emitted: emittedOf(actions) };
}

/**
 * Applies one event to a snapshot, without an actor. A terminated call is final: it returns
 * the same snapshot and emits nothing (judge late notifications with `classifyNotification`).
 *
 * @example
 * ```ts
 * const { snapshot, emitted } = stepCall(previous, { type: 'delete.succeeded', at: Date.now() });
 * ```
 */
export function stepCall(snapshot: CallSnapshot, event: CallEvent): CallStep {
  if (snapshot.status !== 'active') return { snapshot, emitted: [] };
  const [next, actions] = transition(callMachine, snapshot, event);
  return { snapshot: next, emitted: emittedOf(actions) };
}
