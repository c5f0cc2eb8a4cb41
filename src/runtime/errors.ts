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
import type { GraphError } from '../machine/types.js';

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

/** A save lost a compare-and-set race: another writer changed the stored call. */
export class StoreConflictError extends CallError {
  constructor(callId: string, expectedVersion: number) {
    super(
      `graph-call-machine: the stored record of call "${callId}" is no longer at version ${expectedVersion}; another registry wrote it. This registry keeps its own view; share a store only through a shared-store mode.`,
      callId,
    );
  }
}
