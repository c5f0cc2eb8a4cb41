/**
 * The little lifecycle of each operation on a call (requested → running → completed | failed |
 * callEnded), as a pure reducer over `context.operations`. The chart calls it from a handful of
 * named root transitions, so operations are persisted, replayed and inspected with the call
 * without adding a state per operation to the chart.
 *
 * Why a reducer and not a child statechart: a child actor is not part of a pure step (xstate
 * would spawn it, and `createTestModel` refuses invoked children), and each operation's life is
 * three states with no nesting; a record per operation in context keeps the call one snapshot.
 * @module
 */

import type { CallNotification } from '../graph/notification.js';
import { isFinalStatus, type OperationReport, operationIdKey } from '../graph/operationReport.js';
import { OPERATION_KINDS, type OperationKind } from '../graph/operationRequests.js';
import { phaseOfContext } from './context.js';
import { atOf, retryWait } from './timing.js';
import type {
  CallContext,
  CallEmitted,
  CallEvent,
  CallOperation,
  OperationFailure,
  OperationProgress,
} from './types.js';

/** Operations of one call that may be under way at once; more are refused. */
export const MAX_PENDING_OPERATIONS = 32;
/** Operations kept after they ended, newest last, for repeats and readers on other instances. */
export const KEPT_FINISHED_OPERATIONS = 16;

/**
 * Operations Graph completes within the request: a 2xx without a `commsOperation` body means
 * done. The others (a prompt, a recording, tones, an invitation) end with a notification.
 */
const DONE_WITH_RESPONSE: ReadonlySet<OperationKind> = new Set<OperationKind>([
  'cancelMediaProcessing',
  'subscribeToTone',
  'mute',
  'unmute',
  'updateRecordingStatus',
  'removeParticipant',
]);

/** What a reducer step gives back: the next context (the same one when nothing changed) and its news. */
export interface OperationStep {
  readonly context: CallContext;
  readonly emitted: readonly CallEmitted[];
}

type Intent = Extract<CallEvent, { type: 'operation' }>;

export function isPending(operation: OperationProgress): boolean {
  return operation.status === 'requested' || operation.status === 'running';
}

/**
 * Whether an operation intent lacks its key or request. The registry never sends one; an event
 * built by hand (JSON, a test generator) that does is ignored rather than half-applied.
 */
export function isMalformedOperation(event: CallEvent): boolean {
  if (event.type !== 'operation') return false;
  const { key, operation } = event as { key?: unknown; operation?: unknown };
  return (
    typeof key !== 'string' ||
    typeof operation !== 'object' ||
    operation === null ||
    !OPERATION_KINDS.includes((operation as { kind?: unknown }).kind as OperationKind) ||
    typeof (operation as { request?: unknown }).request !== 'object'
  );
}

/** Whether the intent repeats an operation the call has (same key): it sends nothing again. */
export function repeatsOperation(context: CallContext, event: CallEvent): boolean {
  return event.type === 'operation' && context.operations.some((op) => op.key === event.key);
}

/** Why the call cannot take this operation now, or `undefined` when it can. */
export function operationRefusal(context: CallContext): string | undefined {
  const phase = phaseOfContext(context);
  if (phase !== 'active') {
    return phase === 'setup'
      ? `the call is not connected yet (it is ${context.state}); operations need an established call`
      : `the call is ${phase === 'terminating' ? 'being hung up' : 'over'}`;
  }
  if (context.operations.filter(isPending).length >= MAX_PENDING_OPERATIONS) {
    return `the call already has ${MAX_PENDING_OPERATIONS} operations under way`;
  }
  return undefined;
}

export function rejectOperation(context: CallContext, event: CallEvent): CallEmitted {
  const intent = event as Intent;
  return {
    type: 'operation.rejected',
    callId: context.callId,
    key: intent.key,
    kind: intent.operation.kind,
    state: context.state,
    phase: phaseOfContext(context),
    reason: operationRefusal(context) ?? 'the call cannot take it now',
    at: atOf(context, event),
  };
}

export function startOperation(context: CallContext, event: CallEvent): OperationStep {
  const intent = event as Intent;
  const at = atOf(context, event);
  const timeoutMs =
    typeof intent.timeoutMs === 'number' &&
    Number.isFinite(intent.timeoutMs) &&
    intent.timeoutMs > 0
      ? intent.timeoutMs
      : context.options.operationTimeoutMs;
  const operation: OperationProgress = {
    key: intent.key,
    kind: intent.operation.kind,
    operation: intent.operation,
    status: 'requested',
    id: null,
    requestedAt: at,
    updatedAt: at,
    attempts: 1,
    waiting: 'response',
    dueAt: at + context.options.requestTimeoutMs,
    timeoutMs,
    resultInfo: null,
    completionReason: null,
    recordingLocation: null,
    failure: null,
    httpStatus: null,
    error: null,
  };
  return {
    context: { ...context, operations: [...context.operations, operation] },
    emitted: [request(context, operation, at)],
  };
}

/** Whether the event is the answer to a request this call is waiting on. */
export function awaitsOperationResponse(context: CallContext, event: CallEvent): boolean {
  if (event.type !== 'operation.responded' && event.type !== 'operation.requestFailed') {
    return false;
  }
  return context.operations.some((op) => op.key === event.key && op.status === 'requested');
}

export function recordResponse(context: CallContext, event: CallEvent): OperationStep {
  if (event.type !== 'operation.responded') return unchanged(context);
  const at = atOf(context, event);
  return change(context, event.key, at, (op) => {
    if (op.status !== 'requested') return undefined;
    const report = event.report;
    if (report !== undefined && isFinalStatus(report.status)) return concluded(op, report, at);
    if (report === undefined && DONE_WITH_RESPONSE.has(op.kind)) {
      return finished(op, 'completed', at);
    }
    return running(op, report, at);
  });
}

export function recordRequestFailure(context: CallContext, event: CallEvent): OperationStep {
  if (event.type !== 'operation.requestFailed') return unchanged(context);
  const at = atOf(context, event);
  return change(context, event.key, at, (op) =>
    op.status === 'requested' ? afterFailedRequest(context, op, event, at) : undefined,
  );
}

/** Retried after a throttle, a 5xx or no answer, while attempts remain; failed otherwise. */
function afterFailedRequest(
  context: CallContext,
  op: OperationProgress,
  event: Extract<CallEvent, { type: 'operation.requestFailed' }>,
  at: number,
): OperationProgress {
  const retryable = event.status === 0 || event.status === 429 || event.status >= 500;
  if (retryable && op.attempts < context.options.maxCommandAttempts) {
    return {
      ...op,
      updatedAt: at,
      waiting: 'retry',
      dueAt: at + retryWait(context, op.attempts, event),
    };
  }
  return {
    ...finished(op, 'failed', at, 'request'),
    httpStatus: event.status,
    error: event.error ?? null,
  };
}

/** The earliest time an operation needs the call to be looked at, if any. */
export function operationsDueAt(context: CallContext): number | undefined {
  let due: number | undefined;
  for (const op of context.operations) {
    if (op.dueAt !== null && (due === undefined || op.dueAt < due)) due = op.dueAt;
  }
  return due;
}

export function hasDueOperation(context: CallContext, event: CallEvent): boolean {
  if (event.type !== 'deadline.reached') return false;
  const due = operationsDueAt(context);
  return due !== undefined && due <= event.at;
}

/** Sends again what waited for a retry, counts an unanswered request as failed, times out the rest. */
export function runDueOperations(context: CallContext, event: CallEvent): OperationStep {
  const at = atOf(context, event);
  const emitted: CallEmitted[] = [];
  let changed = false;
  const operations = context.operations.map((op) => {
    if (op.dueAt === null || op.dueAt > at) return op;
    changed = true;
    return dueOperation(context, op, at, emitted);
  });
  if (!changed) return unchanged(context);
  return settle(context, operations, emitted, at);
}

function dueOperation(
  context: CallContext,
  op: OperationProgress,
  at: number,
  emitted: CallEmitted[],
): OperationProgress {
  switch (op.waiting) {
    case 'retry': {
      const again: OperationProgress = {
        ...op,
        attempts: op.attempts + 1,
        updatedAt: at,
        waiting: 'response',
        dueAt: at + context.options.requestTimeoutMs,
      };
      emitted.push(request(context, again, at));
      return again;
    }
    case 'response':
      // No answer in time: a transient failure, retried (or given up) by the same rules.
      return afterFailedRequest(context, op, overdue(context, op, at), at);
    case 'completion':
      return finished(op, 'failed', at, 'timedOut');
    case null:
      return { ...op, dueAt: null };
  }
}

/** A notification on `…/operations/{id}`: the operation it names moves on, if it is ours. */
export function trackOperation(
  context: CallContext,
  n: CallNotification,
  at: number,
): OperationStep {
  // The path names the operation even when its body does not.
  const id = n.operation?.id ?? n.subresourceId;
  const report: OperationReport | undefined =
    id === undefined ? n.operation : { ...n.operation, id };
  const key = matchOperation(context, n, report);
  if (key === undefined) return unchanged(context);
  return change(context, key, at, (op) => {
    if (!isPending(op)) return undefined;
    if (report !== undefined && isFinalStatus(report.status)) return concluded(op, report, at);
    if (n.changeType === 'deleted') {
      // The operation is gone and said nothing of how: its resultInfo decides.
      const code = report?.resultInfo?.code ?? n.resultInfo?.code;
      const status = code !== undefined && code >= 400 ? 'failed' : 'completed';
      return concluded(op, { ...report, status }, at);
    }
    return op.status === 'requested' || op.id === null ? running(op, report, at) : undefined;
  });
}

/** Every operation still under way ends with the call. */
export function endOperations(context: CallContext, at: number): OperationStep {
  if (!context.operations.some(isPending)) return unchanged(context);
  const operations = context.operations.map((op) =>
    isPending(op) ? finished(op, 'callEnded', at, 'callEnded') : op,
  );
  return settle(context, operations, [], at);
}

/** The bot's view of an operation. */
export function viewOfOperation(callId: string, op: OperationProgress): CallOperation {
  const view: { -readonly [K in keyof CallOperation]: CallOperation[K] } = {
    callId,
    key: op.key,
    kind: op.kind,
    status: op.status,
    requestedAt: op.requestedAt,
    updatedAt: op.updatedAt,
  };
  if (op.id !== null) view.id = op.id;
  if (op.resultInfo !== null) view.resultInfo = op.resultInfo;
  if (op.completionReason !== null) view.completionReason = op.completionReason;
  if (op.recordingLocation !== null) view.recordingLocation = op.recordingLocation;
  if (op.failure !== null) view.failure = op.failure;
  if (op.httpStatus !== null) view.httpStatus = op.httpStatus;
  if (op.error !== null) view.error = op.error;
  return view;
}

function matchOperation(
  context: CallContext,
  n: CallNotification,
  report: OperationReport | undefined,
): string | undefined {
  const ids = [n.subresourceId, report?.id]
    .filter((id): id is string => id !== undefined)
    .map(operationIdKey);
  for (const op of context.operations) {
    if (report?.clientContext !== undefined && op.key === report.clientContext) return op.key;
    if (op.id !== null && ids.includes(operationIdKey(op.id))) return op.key;
  }
  return undefined;
}

function overdue(
  context: CallContext,
  op: OperationProgress,
  at: number,
): Extract<CallEvent, { type: 'operation.requestFailed' }> {
  const message = `no answer within ${context.options.requestTimeoutMs} ms`;
  return {
    type: 'operation.requestFailed',
    key: op.key,
    status: 0,
    error: { code: 'Timeout', message },
    at,
  };
}

function request(context: CallContext, op: OperationProgress, at: number): CallEmitted {
  return {
    type: 'graph.operation',
    callId: context.callId,
    key: op.key,
    // Only an operation still to be sent is asked for, and it keeps its request until taken.
    operation: op.operation as NonNullable<OperationProgress['operation']>,
    attempt: op.attempts,
    at,
  };
}

function running(
  op: OperationProgress,
  report: OperationReport | undefined,
  at: number,
): OperationProgress {
  return {
    ...op,
    status: 'running',
    operation: null,
    id: report?.id ?? op.id,
    updatedAt: at,
    waiting: 'completion',
    dueAt: op.status === 'running' && op.dueAt !== null ? op.dueAt : at + op.timeoutMs,
  };
}

function concluded(op: OperationProgress, report: OperationReport, at: number): OperationProgress {
  const status = report.status === 'failed' ? 'failed' : 'completed';
  return {
    ...finished(op, status, at, status === 'failed' ? 'graph' : null),
    id: report.id ?? op.id,
    resultInfo: report.resultInfo ?? null,
    completionReason: report.completionReason ?? null,
    recordingLocation: report.recordingLocation ?? null,
  };
}

function finished(
  op: OperationProgress,
  status: 'completed' | 'failed' | 'callEnded',
  at: number,
  failure: OperationFailure | null = null,
): OperationProgress {
  return { ...op, status, operation: null, updatedAt: at, waiting: null, dueAt: null, failure };
}

function unchanged(context: CallContext): OperationStep {
  return { context, emitted: [] };
}

/** Applies `next` to the operation with `key`; `undefined` from it means no change. */
function change(
  context: CallContext,
  key: string,
  at: number,
  next: (op: OperationProgress) => OperationProgress | undefined,
): OperationStep {
  const index = context.operations.findIndex((op) => op.key === key);
  const op = context.operations[index];
  if (op === undefined) return unchanged(context);
  const changed = next(op);
  if (changed === undefined) return unchanged(context);
  const operations = context.operations.slice();
  operations[index] = changed;
  return settle(context, operations, [], at);
}

/** Announces the operations that became final, and forgets the oldest finished ones. */
function settle(
  context: CallContext,
  operations: readonly OperationProgress[],
  emitted: CallEmitted[],
  at: number,
): OperationStep {
  const before = new Map(context.operations.map((op) => [op.key, op]));
  for (const op of operations) {
    const was = before.get(op.key);
    if (was === undefined || !isPending(was) || isPending(op)) continue;
    emitted.push({
      type: op.status === 'completed' ? 'operation.completed' : 'operation.failed',
      callId: context.callId,
      operation: viewOfOperation(context.callId, op),
      at,
    });
  }
  let finishedCount = operations.filter((op) => !isPending(op)).length;
  const kept =
    finishedCount <= KEPT_FINISHED_OPERATIONS
      ? operations
      : operations.filter((op) => {
          if (isPending(op) || finishedCount <= KEPT_FINISHED_OPERATIONS) return true;
          finishedCount -= 1;
          return false;
        });
  return { context: { ...context, operations: kept }, emitted };
}
