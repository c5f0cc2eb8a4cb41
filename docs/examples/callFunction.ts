// callFunction.ts: calls handled without a long-lived process, as a serverless function does:
// load the saved snapshot, apply one event, save the next snapshot, return the Graph requests
// to make. The registry does the same in memory; this is the code a model-based test checks.
import {
  type CallEmitted,
  type CallEvent,
  type CallInput,
  type CallSnapshot,
  type CallView,
  callMachine,
  getCallView,
  persistCallSnapshot,
  startCall,
  stepCall,
} from 'graph-call-machine';
import { createActor } from 'xstate';

/** Where snapshots wait between invocations: a table, a blob, a key-value store. */
export interface SnapshotTable {
  get(callId: string): Promise<string | undefined>;
  set(callId: string, json: string): Promise<void>;
}

export interface Handled {
  readonly view: CallView;
  /** `graph.deleteCall` / `graph.getCall`: the requests to make, whose results are new events. */
  readonly commands: readonly CallEmitted[];
}

export async function openCall(table: SnapshotTable, input: CallInput): Promise<Handled> {
  return save(table, input.callId, startCall(input));
}

export async function handleCallEvent(
  table: SnapshotTable,
  callId: string,
  event: CallEvent,
): Promise<Handled> {
  const saved = await table.get(callId);
  if (saved === undefined) throw new Error(`no call ${callId}: open it first`);
  return save(table, callId, stepCall(restore(callId, saved), event));
}

async function save(
  table: SnapshotTable,
  callId: string,
  step: { readonly snapshot: CallSnapshot; readonly emitted: readonly CallEmitted[] },
): Promise<Handled> {
  await table.set(callId, JSON.stringify(persistCallSnapshot(step.snapshot)));
  return {
    view: getCallView(step.snapshot),
    commands: step.emitted.filter(
      (e) => e.type === 'graph.deleteCall' || e.type === 'graph.getCall',
    ),
  };
}

function restore(callId: string, json: string): CallSnapshot {
  // An actor that is never started only turns the saved data back into a snapshot.
  return createActor(callMachine, { snapshot: JSON.parse(json), input: { callId } }).getSnapshot();
}
