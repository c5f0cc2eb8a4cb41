import { isGraphCallState } from '../graph/callState.js';
import type { CallRecord } from './callStore.js';
import { RestoreError } from './errors.js';

/** The format of `CallRecord.snapshot` this version writes and reads. */
export const CALL_RECORD_SCHEMA_VERSION = 1;

/**
 * Refuses a stored record this version cannot resume: another schema version, or a snapshot
 * that is not a call's (whether the chart knows its state is for the machine to say).
 */
export function checkRecord(callId: string, record: CallRecord): void {
  if (record.schemaVersion !== CALL_RECORD_SCHEMA_VERSION) {
    throw new RestoreError(
      callId,
      'unknownSchemaVersion',
      `the record has schema version ${String(record.schemaVersion)}; this version of graph-call-machine reads ${CALL_RECORD_SCHEMA_VERSION}. Upgrade the library, or delete the record.`,
    );
  }
  const problem = snapshotProblem(callId, record.snapshot);
  if (problem !== undefined) throw new RestoreError(callId, 'corruptRecord', problem);
}

function snapshotProblem(callId: string, snapshot: unknown): string | undefined {
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
