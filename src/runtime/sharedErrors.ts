/**
 * The errors of the shared registry: a call other instances kept changing faster than this
 * one could commit, and a webhook POST whose notifications could not all be applied.
 *
 * @example
 * ```ts
 * import { IngestIncompleteError } from 'graph-call-machine';
 *
 * try {
 *   await registry.ingest(body);
 * } catch (e) {
 *   // The webhook handler answers 500, so the notifications can be delivered again.
 *   if (e instanceof IngestIncompleteError) log.warn(e.failures.length, 'not applied', e.report);
 * }
 * ```
 * @module
 */
import { CallError } from './errors.js';
import type { IngestReport } from './types.js';

/** Commits of a call kept losing the compare-and-set to other instances, up to the attempt limit. */
export class SharedStoreConflictError extends CallError {
  readonly attempts: number;
  constructor(callId: string, attempts: number) {
    super(
      `graph-call-machine: call "${callId}" was changed by other instances during each of ${attempts} attempts to commit an event; the event was not applied. Raise maxCommitAttempts if calls legitimately see this much concurrent traffic.`,
      callId,
    );
    this.attempts = attempts;
  }
}

/** One notification a shared registry could not apply. */
export interface IngestFailure {
  readonly callId: string;
  /** Position of the notification among the parsed ones of the POST. */
  readonly index: number;
  readonly error: Error;
}

/**
 * Some notifications of a POST could not be applied because the shared store failed (or
 * conflicts never ended). Those that could were applied and are counted in `report`; the
 * webhook answers 500 so that they can be delivered again, which the reconciliation rules make
 * harmless for the applied ones.
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
