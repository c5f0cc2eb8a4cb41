/**
 * The machine without an actor, for the shared registry: start a call, restore a stored
 * snapshot, step it with one event, and tell whether the step moved it.
 *
 * Restoring goes through `machine.restoreSnapshot`, which revives the history states a failed
 * hang-up returns to (`resolveState({ value, context })` would drop them) and costs about a
 * third of creating an actor from the snapshot. The call machine has no child actors, so the
 * actor scope it would pass to them is never read.
 * @module
 */
import { createActor } from 'xstate';
import { isGraphCallState } from '../graph/callState.js';
import type { callMachine } from '../machine/callMachine.js';
import type { CallSnapshot, CallStep } from '../machine/stepCall.js';
import type { CallEmitted, CallEvent, CallInput } from '../machine/types.js';
import { CALL_RECORD_SCHEMA_VERSION } from './createCallRegistry.js';
import { RestoreError } from './errors.js';
import type { CallRecord } from './types.js';

type CallMachine = typeof callMachine;

function emittedOf(actions: readonly { type: string; params: unknown }[]): CallEmitted[] {
  const emitted: CallEmitted[] = [];
  for (const action of actions) {
    if (action.type !== 'xstate.emit') continue;
    const event = (action.params as { event?: CallEmitted } | undefined)?.event;
    if (event !== undefined) emitted.push(event);
  }
  return emitted;
}

type Scope = Parameters<CallMachine['transition']>[2];
type Executed = Parameters<Scope['actionExecutor']>[0];

// xstate's `transition()` and `initialTransition()` build a throwaway actor on every call, and
// that actor evaluates the machine's context factory without input (which throws, and is
// caught): most of the cost of a step. One inert scope per machine, reused, does the same job:
// steps are synchronous, so the collected actions of one never mix with another's.
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

export function startSnapshot(machine: CallMachine, input: CallInput): CallStep {
  const { scope, collected } = inertScope(machine);
  collected.length = 0;
  const snapshot = machine.getInitialSnapshot(scope, input);
  return { snapshot, emitted: emittedOf(collected.splice(0)) };
}

export function stepSnapshot(
  machine: CallMachine,
  snapshot: CallSnapshot,
  event: CallEvent,
): CallStep {
  if (snapshot.status !== 'active') return { snapshot, emitted: [] };
  const { scope, collected } = inertScope(machine);
  collected.length = 0;
  const next = machine.transition(snapshot, event, scope);
  return { snapshot: next, emitted: emittedOf(collected.splice(0)) };
}

/** Whether a step changed what is stored: a step that only handed news on writes nothing. */
export function hasMoved(before: CallSnapshot, after: CallSnapshot): boolean {
  if (before === after) return false;
  return (
    before.context !== after.context ||
    before.status !== after.status ||
    JSON.stringify(before.value) !== JSON.stringify(after.value)
  );
}

export function restoreRecord(
  machine: CallMachine,
  callId: string,
  record: CallRecord,
): CallSnapshot {
  if (record.schemaVersion !== CALL_RECORD_SCHEMA_VERSION) {
    throw new RestoreError(
      callId,
      'unknownSchemaVersion',
      `the record has schema version ${String(record.schemaVersion)}; this version of graph-call-machine reads ${CALL_RECORD_SCHEMA_VERSION}. Upgrade the library, or delete the record.`,
    );
  }
  const problem = describeSnapshotProblem(callId, record.snapshot);
  if (problem !== undefined) throw new RestoreError(callId, 'corruptRecord', problem);
  const persisted = record.snapshot as Parameters<CallMachine['restoreSnapshot']>[0] & {
    children?: Record<string, unknown>;
  };
  let snapshot: CallSnapshot;
  try {
    snapshot =
      persisted.children === undefined || Object.keys(persisted.children).length === 0
        ? machine.restoreSnapshot(persisted, NO_CHILDREN_SCOPE)
        : createActor(machine, { snapshot: persisted, input: { callId } }).getSnapshot();
  } catch (error) {
    throw new RestoreError(
      callId,
      'unknownState',
      `the call machine cannot resume from ${JSON.stringify((persisted as { value?: unknown }).value)}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  if (snapshot.status === 'error') {
    throw new RestoreError(
      callId,
      'unknownState',
      `the call machine cannot resume from ${JSON.stringify(snapshot.value)}`,
      { cause: snapshot.error },
    );
  }
  return snapshot;
}

// restoreSnapshot reads the scope only to parent the child actors it revives; a call has none.
const NO_CHILDREN_SCOPE = {} as Parameters<CallMachine['restoreSnapshot']>[1];

function describeSnapshotProblem(callId: string, snapshot: unknown): string | undefined {
  if (typeof snapshot !== 'object' || snapshot === null) return 'the snapshot is not an object';
  const { value, context, status } = snapshot as Record<string, unknown>;
  if (value === undefined) return 'the snapshot has no state value';
  if (typeof context !== 'object' || context === null) return 'the snapshot has no context';
  const { callId: storedId, state } = context as Record<string, unknown>;
  if (!isGraphCallState(state)) return `the snapshot's call state is ${JSON.stringify(state)}`;
  if (storedId !== callId) {
    return `the snapshot is of call ${JSON.stringify(storedId)}, stored under "${callId}"`;
  }
  if (status !== 'active' && status !== 'done') {
    return `the snapshot status is ${JSON.stringify(status)}`;
  }
  return undefined;
}
