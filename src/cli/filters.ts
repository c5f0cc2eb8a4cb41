/**
 * Which replayed calls `graph-call-machine replay` shows: `--call` (an id or a prefix), `--outcome`
 * (how it ended, or `none`), `--since` (a time, or a duration back from the newest record).
 * @module
 */
import { CALL_OUTCOME_REASONS } from '../machine/outcome.js';
import type { ReplayedCall } from '../runtime/replayRecords.js';

/** A command line that cannot be run as given; its message says why and what is expected. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** What `--outcome` takes: every reason a call can end with, and `none` for a call not ended. */
export const OUTCOME_FILTERS: readonly string[] = [...CALL_OUTCOME_REASONS, 'none'];

/** The shortest prefix `--call` matches by; a shorter value must be a whole id. */
export const MIN_CALL_PREFIX = 4;

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|min|h|d)$/;
const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** The filters as given on the command line. */
export interface CallFilters {
  readonly calls: readonly string[];
  readonly outcomes: readonly string[];
  readonly since?: string;
}

/**
 * `--since` as epoch ms: an ISO date-time, epoch ms, or a duration (`90s`, `15m`, `2h`, `1d`)
 * back from `newestAt`, the time of the newest record read.
 */
export function parseSince(text: string, newestAt: number): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const duration = DURATION.exec(trimmed);
  if (duration !== null) {
    const [, amount = '0', unit = 'ms'] = duration;
    return newestAt - Number(amount) * (UNIT_MS[unit] ?? 1);
  }
  const at = /^\d{4}-\d{2}-\d{2}/.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  if (Number.isNaN(at)) {
    throw new UsageError(
      `--since takes an ISO date-time (2026-05-01T12:00:00Z), epoch ms, or a duration back from the newest record (90s, 15m, 2h, 1d); got "${text}"`,
    );
  }
  return at;
}

/** Refuses filter values that could never match; `calls` are the replayed calls. */
export function checkFilters(filters: CallFilters, calls: readonly ReplayedCall[]): void {
  for (const outcome of filters.outcomes) {
    if (!OUTCOME_FILTERS.includes(outcome)) {
      throw new UsageError(
        `--outcome takes one of ${OUTCOME_FILTERS.join(', ')}; got "${outcome}"`,
      );
    }
  }
  for (const wanted of filters.calls.map(callIdOf)) {
    if (wanted.length < MIN_CALL_PREFIX && !calls.some((call) => call.callId === wanted)) {
      throw new UsageError(
        `--call "${wanted}" is no call id, and a prefix needs at least ${MIN_CALL_PREFIX} characters`,
      );
    }
  }
}

/** The calls the filters keep, in the order given. Several values of one filter: any of them. */
export function selectCalls(
  calls: readonly ReplayedCall[],
  filters: CallFilters,
  newestAt: number,
): ReplayedCall[] {
  const wanted = filters.calls.map(callIdOf);
  const since = filters.since === undefined ? undefined : parseSince(filters.since, newestAt);
  return calls.filter(
    (call) =>
      (wanted.length === 0 || wanted.some((id) => matchesCall(call.callId, id))) &&
      (filters.outcomes.length === 0 ||
        filters.outcomes.includes(call.outcome?.reason ?? 'none')) &&
      (since === undefined || call.lastAt >= since),
  );
}

function matchesCall(callId: string, wanted: string): boolean {
  return callId === wanted || (wanted.length >= MIN_CALL_PREFIX && callId.startsWith(wanted));
}

// An id copied from the output may carry the ellipsis of a shortened one (`8f1c3a2b…`).
function callIdOf(value: string): string {
  return value.trim().replace(/(?:…|\.\.\.)$/, '');
}
