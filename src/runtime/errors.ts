/**
 * The errors the registry rejects with or reports, each naming the call and what to do.
 *
 * @example
 * ```ts
 * import { HangUpFailedError } from 'graph-call-machine';
 *
 * try {
 *   await registry.hangUp(callId);
 * } catch (e) {
 *   if (e instanceof HangUpFailedError && e.status === 403) console.error('check the app permissions', e.graphError);
 * }
 * ```
 * @module
 */
import type { CallControlVerb } from '../graph/callRequests.js';
import type { CallPhase, GraphCallState } from '../graph/callState.js';
import type { ResultInfo } from '../graph/notification.js';
import type { OperationKind } from '../graph/operationRequests.js';
import type { CallOperation, GraphError, OperationFailure } from '../machine/types.js';
import type { IngestReport } from './types.js';

/** Base class: every error of this library carries the call it concerns, when there is one. */
export class CallError extends Error {
  readonly callId: string | undefined;
  constructor(message: string, callId?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.callId = callId;
  }
}

/** `hangUp`/`waitFor` on a call the registry does not know. */
export class UnknownCallError extends CallError {
  constructor(callId: string) {
    super(
      `graph-call-machine: no call "${callId}" is tracked. Call registry.track("${callId}") for a call the bot created, or let its first notification arrive through registry.ingest().`,
      callId,
    );
  }
}

/** Graph refused the DELETE for good (not 404, or retries exhausted); the call is back where it was. */
export class HangUpFailedError extends CallError {
  /** HTTP status of the last DELETE, 0 for a network error or timeout. */
  readonly status: number;
  /** DELETE requests sent for this hang-up. */
  readonly attempts: number;
  readonly graphError: GraphError | undefined;
  constructor(callId: string, status: number, attempts: number, graphError?: GraphError) {
    const detail = graphError?.message === undefined ? '' : `: ${graphError.message}`;
    const hint =
      status === 403 || status === 401
        ? ' Check the token getToken() returns and the calling permissions granted to the app.'
        : '';
    super(
      `graph-call-machine: hanging up call "${callId}" failed with status ${status} after ${attempts} DELETE attempt(s)${detail}.${hint} The call keeps its previous state; hangUp() may be called again.`,
      callId,
    );
    this.status = status;
    this.attempts = attempts;
    this.graphError = graphError;
  }
}

/**
 * An answer, reject, redirect or transfer the call cannot take in its state: nothing was sent.
 * `reason` says why (answered already, not incoming any more, being hung up, …).
 */
export class CommandRejectedError extends CallError {
  readonly verb: CallControlVerb;
  /** The call's state and phase when the intent was judged. */
  readonly state: GraphCallState;
  readonly phase: CallPhase;
  readonly reason: string;
  constructor(
    callId: string,
    verb: CallControlVerb,
    state: GraphCallState,
    phase: CallPhase,
    reason: string,
  ) {
    super(
      `graph-call-machine: cannot ${verb} call "${callId}" (${state}, ${phase}): ${reason}. Nothing was sent to Graph.`,
      callId,
    );
    this.verb = verb;
    this.state = state;
    this.phase = phase;
    this.reason = reason;
  }
}

/** An operation the call cannot take in its state (not connected, ending, too many under way): nothing was sent. */
export class OperationRejectedError extends CallError {
  readonly kind: OperationKind;
  /** The call's state and phase when the operation was judged. */
  readonly state: GraphCallState;
  readonly phase: CallPhase;
  readonly reason: string;
  constructor(
    callId: string,
    kind: OperationKind,
    state: GraphCallState,
    phase: CallPhase,
    reason: string,
  ) {
    super(
      `graph-call-machine: cannot ${kind} on call "${callId}" (${state}, ${phase}): ${reason}. Nothing was sent to Graph.`,
      callId,
    );
    this.kind = kind;
    this.state = state;
    this.phase = phase;
    this.reason = reason;
  }
}

/**
 * An operation did not complete: Graph reported it failed (`reason: 'graph'`, with its
 * `resultInfo`), refused or never answered its request (`request`, with the HTTP `status` and
 * Graph's error), ran past its timeout (`timedOut`), or the call ended first (`callEnded`).
 */
export class OperationFailedError extends CallError {
  readonly kind: OperationKind;
  readonly reason: OperationFailure;
  /** The operation as it ended. */
  readonly operation: CallOperation;
  /** Graph's resultInfo, when it gave one. */
  readonly resultInfo: ResultInfo | undefined;
  /** The HTTP status of a failed request (0: no answer), when the request failed. */
  readonly status: number | undefined;
  readonly graphError: GraphError | undefined;
  constructor(operation: CallOperation) {
    const reason = operation.failure ?? 'graph';
    super(
      `graph-call-machine: ${operation.kind} on call "${operation.callId}" ${OPERATION_FAILURES[reason](operation)}.`,
      operation.callId,
    );
    this.kind = operation.kind;
    this.reason = reason;
    this.operation = operation;
    this.resultInfo = operation.resultInfo;
    this.status = operation.httpStatus;
    this.graphError = operation.error;
  }
}

const OPERATION_FAILURES: Record<OperationFailure, (op: CallOperation) => string> = {
  graph: (op) =>
    `failed in Graph${op.resultInfo === undefined ? '' : ` (${op.resultInfo.code ?? '?'}/${op.resultInfo.subcode ?? '?'}${op.resultInfo.message === undefined ? '' : `: ${op.resultInfo.message}`})`}`,
  request: (op) =>
    `was not taken by Graph: status ${op.httpStatus ?? 0}${op.error?.message === undefined ? '' : `: ${op.error.message}`}`,
  timedOut: () => 'ran past its timeout without Graph reporting its end',
  callEnded: () => 'ended with the call before Graph reported its end',
};

/**
 * Graph did not take a call-control request: refused it (4xx other than 404), failed after
 * every retry, or the call ended or was hung up before Graph answered. For `placeCall`,
 * `callId` is undefined and `verb` is `placeCall`.
 */
export class CommandFailedError extends CallError {
  readonly verb: CallControlVerb | 'placeCall';
  /** HTTP status of the last request, 0 for a network error, a timeout, or no answer at all. */
  readonly status: number;
  /** Requests sent. */
  readonly attempts: number;
  readonly graphError: GraphError | undefined;
  constructor(
    callId: string | undefined,
    verb: CallControlVerb | 'placeCall',
    status: number,
    attempts: number,
    graphError?: GraphError,
  ) {
    const detail = graphError?.message === undefined ? '' : `: ${graphError.message}`;
    const hint =
      status === 403 || status === 401
        ? ' Check the token getToken() returns and the calling permissions granted to the app.'
        : '';
    const which = callId === undefined ? 'placing a call' : `${verb} on call "${callId}"`;
    super(
      `graph-call-machine: ${which} failed with status ${status} after ${attempts} request(s)${detail}.${hint}`,
      callId,
    );
    this.verb = verb;
    this.status = status;
    this.attempts = attempts;
    this.graphError = graphError;
  }
}

/** `waitFor` did not see its condition within `timeoutMs`. */
export class WaitTimeoutError extends CallError {
  constructor(callId: string, timeoutMs: number, state: string | undefined) {
    super(
      `graph-call-machine: call "${callId}" did not reach the awaited condition within ${timeoutMs} ms (it is ${state ?? 'not known to the registry'}).`,
      callId,
    );
  }
}

/** The registry was closed while a promise of it was pending, or used after `close()`. */
export class RegistryClosedError extends CallError {
  constructor(callId?: string) {
    super('graph-call-machine: the call registry is closed.', callId);
  }
}

/** Why a stored record could not be restored. */
export type RestoreFailure = 'unknownSchemaVersion' | 'corruptRecord' | 'unknownState';

/** A stored call that could not be restored; reported as `registry.error`, and skipped. */
export class RestoreError extends CallError {
  readonly reason: RestoreFailure;
  constructor(callId: string, reason: RestoreFailure, detail: string, options?: ErrorOptions) {
    super(
      `graph-call-machine: stored call "${callId}" was not restored (${reason}): ${detail}`,
      callId,
      options,
    );
    this.reason = reason;
  }
}

/** An event could not be committed: other writers kept changing the call, up to the attempt limit. */
export class StoreConflictError extends CallError {
  readonly attempts: number;
  constructor(callId: string, attempts: number) {
    super(
      `graph-call-machine: call "${callId}" was changed by other registries during each of ${attempts} attempts to commit an event; the event was not applied. Raise maxCommitAttempts if calls legitimately see this much concurrent traffic.`,
      callId,
    );
    this.attempts = attempts;
  }
}

/** A call id the registry will not store or send to Graph (see `callIdProblem`). */
export class InvalidCallIdError extends CallError {
  constructor(callId: string, problem: string) {
    super(
      `graph-call-machine: ${JSON.stringify(callId)} is not a usable call id: ${problem}.`,
      callId,
    );
  }
}

/** The registry holds `maxCalls` live calls: a new one is refused, known calls are unaffected. */
export class CapacityError extends CallError {
  readonly maxCalls: number;
  constructor(callId: string, maxCalls: number) {
    super(
      `graph-call-machine: call "${callId}" was not tracked: the registry already holds ${maxCalls} live calls (maxCalls). Calls that end free their place; raise maxCalls if this is legitimate load.`,
      callId,
    );
    this.maxCalls = maxCalls;
  }
}

/** The call's record disappeared from the store (deleted, or expired) while a promise waited on it. */
export class CallVanishedError extends CallError {
  constructor(callId: string) {
    super(
      `graph-call-machine: the stored record of call "${callId}" disappeared (deleted or expired) while this promise waited on it; the call's end cannot be known any more.`,
      callId,
    );
  }
}

/** One notification of a POST that could not be applied. */
export interface IngestFailure {
  readonly callId: string;
  /** Position of the notification among the parsed ones of the POST. */
  readonly index: number;
  readonly error: Error;
}

/**
 * Some notifications of a POST could not be applied because the store failed (or conflicts
 * never ended). Those that could were applied and are counted in `report`; the webhook answers
 * 500 so that Graph delivers them again, which the reconciliation rules make harmless for the
 * applied ones.
 */
export class IngestIncompleteError extends Error {
  /** What was applied, as `ingest` would have resolved it. */
  readonly report: IngestReport;
  readonly failures: readonly IngestFailure[];
  constructor(report: IngestReport, failures: readonly IngestFailure[]) {
    const first = failures[0];
    super(
      `graph-call-machine: ${failures.length} notification(s) of this POST were not applied${first === undefined ? '' : ` (first: call "${first.callId}": ${first.error.message})`}; the others were. Answer the webhook with an error so Graph can deliver them again.`,
      first === undefined ? undefined : { cause: first.error },
    );
    this.name = 'IngestIncompleteError';
    this.report = report;
    this.failures = failures;
  }
}
