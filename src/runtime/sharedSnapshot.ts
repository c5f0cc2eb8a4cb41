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
import type { callMachine } from '../machine/callMachine.js';
import { type CallSnapshot, type CallStep, startCall, stepCall } from '../machine/stepCall.js';
import type { CallEvent, CallInput } from '../machine/types.js';
import { checkRecord } from './callRecords.js';
import { RestoreError } from './errors.js';
import type { CallRecord } from './types.js';

type CallMachine = typeof callMachine;

export function startSnapshot(machine: CallMachine, input: CallInput): CallStep {
  return startCall(input, machine);
}

export function stepSnapshot(
  machine: CallMachine,
  snapshot: CallSnapshot,
  event: CallEvent,
): CallStep {
  return stepCall(snapshot, event, machine);
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
  checkRecord(callId, record);
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
