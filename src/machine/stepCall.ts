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
import { createActor, type SnapshotFrom } from 'xstate';
import { callMachine } from './callMachine.js';
import type { CallEmitted, CallEvent, CallInput } from './types.js';

/** A snapshot of {@link callMachine}. */
export type CallSnapshot = SnapshotFrom<typeof callMachine>;

/** The result of one step: the next snapshot and everything emitted on the way, in order. */
export interface CallStep {
  readonly snapshot: CallSnapshot;
  readonly emitted: CallEmitted[];
}

type CallMachine = typeof callMachine;
type Scope = Parameters<CallMachine['transition']>[2];
type Executed = Parameters<Scope['actionExecutor']>[0];

function emittedOf(actions: readonly { type: string; params: unknown }[]): CallEmitted[] {
  const emitted: CallEmitted[] = [];
  for (const action of actions) {
    if (action.type !== 'xstate.emit') continue;
    const event = (action.params as { event?: CallEmitted } | undefined)?.event;
    if (event !== undefined) emitted.push(event);
  }
  return emitted;
}

// xstate's `transition()` and `initialTransition()` build a throwaway actor on every call,
// whose context factory then runs without input: most of the cost of a step. One inert scope
// per machine, reused, collects the actions instead; steps are synchronous, so the actions of
// one step never mix with another's.
const scopes = new WeakMap<CallMachine, { scope: Scope; collected: Executed[] }>();

function inertScope(machine: CallMachine): { scope: Scope; collected: Executed[] } {
  const known = scopes.get(machine);
  if (known !== undefined) return known;
  const self = createActor(machine, { input: { callId: 'graph-call-machine:inert-scope' } });
  const collected: Executed[] = [];
  const scope: Scope = {
    self,
    id: '',
    sessionId: '',
    system: self.system,
    logger: () => {},
    defer: () => {},
    emit: () => {},
    stopChild: () => {},
    actionExecutor: (action) => {
      collected.push(action);
    },
  };
  const made = { scope, collected };
  scopes.set(machine, made);
  return made;
}

/**
 * Creates a call's first snapshot, without an actor. `machine` may be a
 * `callMachine.provide(...)` variant.
 *
 * @example
 * ```ts
 * const { snapshot } = startCall({ callId: 'c1', state: 'incoming' });
 * snapshot.value; // { setup: 'incoming' }
 * ```
 */
export function startCall(input: CallInput, machine: CallMachine = callMachine): CallStep {
  const { scope, collected } = inertScope(machine);
  collected.length = 0;
  const snapshot = machine.getInitialSnapshot(scope, input);
  return { snapshot, emitted: emittedOf(collected.splice(0)) };
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
export function stepCall(
  snapshot: CallSnapshot,
  event: CallEvent,
  machine: CallMachine = callMachine,
): CallStep {
  if (snapshot.status !== 'active') return { snapshot, emitted: [] };
  const { scope, collected } = inertScope(machine);
  collected.length = 0;
  const next = machine.transition(snapshot, event, scope);
  return { snapshot: next, emitted: emittedOf(collected.splice(0)) };
}
