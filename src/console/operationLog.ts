/**
 * A call's operations as the console follows them from flight records: requested, answered by
 * Graph (running or done), reported done by a notification on `…/operations/{id}`, or ended with
 * the call; and the registry's word when it has one (a timeout the records do not name).
 * @internal
 * @module
 */
import type { ResultInfo } from '../graph/notification.js';
import type { OperationReport } from '../graph/operationReport.js';
import type { CallOperation } from '../machine/types.js';
import type { FlightRecord } from '../runtime/flightRecord.js';
import type { ConsoleOperation } from './consoleTypes.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A call's operations by key (`clientContext`), oldest first. */
export type OperationLog = Map<string, Mutable<ConsoleOperation>>;

// The operations kept per call: the last ones that ended go first.
const MAX_OPERATIONS_KEPT = 32;

/** What one record says of the call's operations. */
export function trackOperations(operations: OperationLog, record: FlightRecord): void {
  if (record.input.type !== 'step') return;
  const { event } = record.input;
  const at = record.at;
  switch (event.type) {
    case 'operation': {
      if (operations.has(event.key)) break;
      operations.set(event.key, {
        key: event.key,
        kind: event.operation.kind,
        status: 'requested',
        requestedAt: at,
        updatedAt: at,
      });
      trimOperations(operations);
      break;
    }
    case 'operation.responded': {
      const op = operations.get(event.key);
      if (op === undefined) break;
      op.httpStatus = event.status;
      op.updatedAt = at;
      reportOn(op, event.report, 'running');
      break;
    }
    case 'operation.requestFailed': {
      const op = operations.get(event.key);
      if (op === undefined) break;
      op.httpStatus = event.status;
      op.updatedAt = at;
      if (record.emitted.includes('operation.failed')) {
        op.status = 'failed';
        op.failure = 'request';
      }
      break;
    }
    case 'notification': {
      const report = event.notification.operation;
      if (event.notification.resource !== 'operation' || report === undefined) break;
      const op = operationReported(operations, report, event.notification.subresourceId);
      if (op === undefined || isOver(op)) break;
      op.updatedAt = at;
      reportOn(op, report, op.status);
      break;
    }
    default:
      break;
  }
  if (record.to.phase === 'terminated') {
    for (const op of operations.values()) {
      if (isOver(op)) continue;
      op.status = 'callEnded';
      op.failure = 'callEnded';
      op.updatedAt = at;
    }
  }
}

/** Takes the registry's word on an operation. */
export function takeOperation(operations: OperationLog, op: CallOperation): void {
  const kept: Mutable<ConsoleOperation> = operations.get(op.key) ?? {
    key: op.key,
    kind: op.kind,
    status: op.status,
    requestedAt: op.requestedAt,
    updatedAt: op.updatedAt,
  };
  kept.status = op.status;
  kept.updatedAt = op.updatedAt;
  if (op.failure !== undefined) kept.failure = op.failure;
  if (op.httpStatus !== undefined) kept.httpStatus = op.httpStatus;
  const result = resultText(op.resultInfo, op.completionReason);
  if (result !== undefined) kept.result = result;
  operations.set(op.key, kept);
  trimOperations(operations);
}

export function isOver(op: ConsoleOperation): boolean {
  return op.status === 'completed' || op.status === 'failed' || op.status === 'callEnded';
}

function trimOperations(operations: OperationLog): void {
  if (operations.size <= MAX_OPERATIONS_KEPT) return;
  for (const op of operations.values()) {
    if (operations.size <= MAX_OPERATIONS_KEPT) return;
    if (isOver(op)) operations.delete(op.key);
  }
  // The machine runs at most as many at once; only a recording edited by hand claims more.
  for (const op of operations.values()) {
    if (operations.size <= MAX_OPERATIONS_KEPT) return;
    operations.delete(op.key);
  }
}

function operationReported(
  operations: OperationLog,
  report: OperationReport,
  operationId: string | undefined,
): Mutable<ConsoleOperation> | undefined {
  if (report.clientContext !== undefined) {
    const byKey = operations.get(report.clientContext);
    if (byKey !== undefined) return byKey;
  }
  const id = report.id ?? operationId;
  if (id === undefined) return undefined;
  for (const op of operations.values()) {
    if (op.id === id) return op;
  }
  return undefined;
}

function reportOn(
  op: Mutable<ConsoleOperation>,
  report: OperationReport | undefined,
  otherwise: ConsoleOperation['status'],
): void {
  if (report?.id !== undefined) op.id = report.id;
  if (report?.status === 'completed') op.status = 'completed';
  else if (report?.status === 'failed') {
    op.status = 'failed';
    op.failure = 'graph';
  } else op.status = otherwise;
  const result = resultText(report?.resultInfo, report?.completionReason);
  if (result !== undefined) op.result = result;
}

/** `200/5001 The conversation has ended.`, or the other reason given, or nothing. */
export function resultText(
  info: ResultInfo | undefined,
  otherwise: string | undefined,
): string | undefined {
  if (typeof info === 'object' && info !== null) {
    const codes = [info.code, info.subcode].filter((c) => c !== undefined).join('/');
    const text = [codes, info.message].filter((p) => p !== undefined && p !== '').join(' ');
    if (text !== '') return otherwise === undefined ? text : `${text} (${otherwise})`;
  }
  return otherwise;
}
