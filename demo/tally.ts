/**
 * Counts a run from its events and checks the promises the demo makes: every call ends as its
 * scenario expects, no call-control request or operation fails or is refused, and every hang-up sends
 * exactly one DELETE that Graph accepts (more requests only when Graph answered 429 or 5xx and
 * the machine retried).
 * @module
 */
import type { CallOutcomeReason } from '../src/index.js';
import type { Scenario } from './args.js';
import {
  BUCKETS,
  type Bucket,
  type DemoEvent,
  REQUEST_KINDS,
  type RequestKind,
  type Summary,
} from './events.js';

interface PerCall {
  hungUp: boolean;
  established: boolean;
  deletes: number;
  retryableDeleteFailures: number;
  acceptedDeletes: number;
  terminated: boolean;
  reason?: CallOutcomeReason;
}

export interface TallyOptions {
  readonly scenario?: Scenario;
  /** How every call should end. Default `hungUp`. */
  readonly expectedOutcome?: CallOutcomeReason;
}

// The statuses the machine retries a DELETE on (see docs/lifecycle.md, "The hang-up").
const RETRYABLE = new Set([0, 408, 429, 500, 502, 503, 504]);

export interface Tally {
  add(event: DemoEvent): void;
  readonly placed: number;
  /** Calls that reached the active phase. */
  readonly established: number;
  readonly terminated: number;
  summarize(elapsedMs: number, extraProblems?: readonly string[]): Summary;
}

export function createTally(options: TallyOptions = {}): Tally {
  const scenario = options.scenario ?? 'hangup';
  const expectedOutcome = options.expectedOutcome ?? 'hungUp';
  const requests = Object.fromEntries(REQUEST_KINDS.map((k) => [k, 0])) as Record<
    RequestKind,
    number
  >;
  let transferFailures = 0;
  const operations = { completed: 0, failed: 0, rejected: 0 };
  let tones = 0;
  const calls = new Map<string, PerCall>();
  const notifications = Object.fromEntries(BUCKETS.map((b) => [b, 0])) as Record<Bucket, number>;
  const outcomes: Record<string, number> = {};
  const confirmedBy: Record<string, number> = {};
  const endTimes: number[] = [];
  const problems: string[] = [];
  let duplicates = 0;
  let outOfOrder = 0;
  let getRequests = 0;
  let placed = 0;
  let established = 0;
  let terminated = 0;

  const callOf = (callId: string): PerCall => {
    let call = calls.get(callId);
    if (call === undefined) {
      call = {
        hungUp: false,
        established: false,
        deletes: 0,
        retryableDeleteFailures: 0,
        acceptedDeletes: 0,
        terminated: false,
      };
      calls.set(callId, call);
    }
    return call;
  };

  return {
    get placed() {
      return placed;
    },
    get established() {
      return established;
    },
    get terminated() {
      return terminated;
    },
    add(event) {
      switch (event.type) {
        case 'request': {
          requests[event.kind]++;
          const call = callOf(event.callId);
          if (event.kind === 'createCall' && event.status === 201) placed++;
          if (event.kind === 'getCall') getRequests++;
          if (event.kind === 'deleteCall') {
            call.deletes++;
            if (event.status >= 200 && event.status < 300) call.acceptedDeletes++;
            else if (RETRYABLE.has(event.status)) call.retryableDeleteFailures++;
          }
          return;
        }
        case 'transition': {
          const call = callOf(event.callId);
          if (!call.established && event.chart.to.startsWith('active.')) {
            call.established = true;
            established++;
          }
          return;
        }
        case 'bot':
          if (event.action === 'hangUp' && event.callId !== undefined) {
            callOf(event.callId).hungUp = true;
          }
          return;
        case 'transferFailed':
          transferFailures++;
          return;
        case 'tone':
          tones++;
          return;
        case 'operationCompleted':
          operations.completed++;
          return;
        case 'operationFailed': {
          operations.failed++;
          const why = [
            event.failure,
            event.httpStatus === undefined ? undefined : `status ${event.httpStatus}`,
            event.resultInfo === undefined
              ? undefined
              : `${event.resultInfo.code}/${event.resultInfo.subcode ?? '-'}`,
            event.completionReason,
            event.error,
          ].filter((part) => part !== undefined);
          problems.push(
            `call ${event.callId}: ${event.kind} failed${why.length === 0 ? '' : ` (${why.join(', ')})`}`,
          );
          return;
        }
        case 'operationRejected':
          operations.rejected++;
          problems.push(
            `call ${event.callId}: ${event.kind} was refused in state ${event.state}, nothing was sent: ${event.reason}`,
          );
          return;
        case 'commandRejected':
          problems.push(
            `call ${event.callId}: ${event.verb} was refused in state ${event.state}, nothing was sent: ${event.reason}`,
          );
          return;
        case 'commandFailed':
          problems.push(
            `call ${event.callId}: ${event.verb} failed with status ${event.status} after ${event.attempts} request(s)${event.error === undefined ? '' : `: ${event.error}`}`,
          );
          return;
        case 'notification':
          notifications[event.bucket]++;
          if (event.duplicate) duplicates++;
          if (event.outOfOrder) outOfOrder++;
          return;
        case 'rejected':
          notifications.rejected++;
          return;
        case 'terminated': {
          const call = callOf(event.callId);
          if (call.terminated) return;
          call.terminated = true;
          call.reason = event.outcome.reason;
          terminated++;
          outcomes[event.outcome.reason] = (outcomes[event.outcome.reason] ?? 0) + 1;
          confirmedBy[event.confirmedBy] = (confirmedBy[event.confirmedBy] ?? 0) + 1;
          if (event.sinceHangUpMs !== undefined) endTimes.push(event.sinceHangUpMs);
          return;
        }
        case 'hangUpFailed':
          problems.push(
            `call ${event.callId}: the hang-up failed with status ${event.status} after ${event.attempts} DELETE request(s)`,
          );
          return;
        case 'registryError':
          problems.push(
            `registry error${event.callId === undefined ? '' : ` for call ${event.callId}`}: ${event.message}`,
          );
          return;
        default:
          return;
      }
    },
    summarize(elapsedMs, extraProblems = []) {
      const all = [...problems, ...extraProblems];
      let hangUps = 0;
      let deleteRequests = 0;
      let deleteRetries = 0;
      for (const [callId, call] of calls) {
        deleteRequests += call.deletes;
        deleteRetries += call.retryableDeleteFailures;
        if (call.hungUp) hangUps++;
        if (!call.terminated) all.push(`call ${callId} did not end`);
        else if (call.reason !== expectedOutcome) {
          all.push(
            `call ${callId} ended as ${call.reason}; the ${scenario} scenario expects ${expectedOutcome}`,
          );
        }
        // One hang-up, one accepted DELETE; the only other DELETEs are retries of failures
        // the machine is allowed to retry.
        if (
          call.hungUp &&
          (call.acceptedDeletes > 1 || call.deletes > 1 + call.retryableDeleteFailures)
        ) {
          all.push(
            `call ${callId}: ${call.deletes} DELETE requests (${call.acceptedDeletes} accepted) for one hang-up, only ${call.retryableDeleteFailures} of them answered with a status worth retrying`,
          );
        }
      }
      const sorted = [...endTimes].sort((a, b) => a - b);
      return {
        ok: all.length === 0,
        scenario,
        expectedOutcome,
        problems: all,
        calls: calls.size,
        terminated,
        outcomes,
        confirmedBy,
        notifications,
        duplicates,
        outOfOrder,
        hangUps,
        deleteRequests,
        deleteRetries,
        getRequests,
        requests: { ...requests },
        transferFailures,
        operations: { ...operations },
        tones,
        timeToTerminatedMs: {
          p50: percentile(sorted, 0.5),
          p99: percentile(sorted, 0.99),
          max: sorted.at(-1) ?? 0,
        },
        elapsedMs: Math.round(elapsedMs),
      };
    },
  };
}

/** Nearest-rank percentile of sorted values; 0 for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1] ?? 0;
}
