/**
 * The console's check of a flight record at its door. A live registry's records are well formed,
 * but a recording can come from a file edited by hand, a future version or an attacker, and one
 * bad record must neither throw nor stop the others. A record without what the console cannot do
 * without (an acceptable call id, a time, a position) is refused; an optional field that is not
 * what it should be (a `from`, a verdict, an outcome, a due time) is left out, and an input it
 * cannot read reads as `unreadable input`, so that what reads the record further can trust its
 * shape.
 * @internal
 * @module
 */
import { callIdProblem } from '../graph/callId.js';
import { CALL_PHASES, isGraphCallState } from '../graph/callState.js';
import { CALL_OUTCOME_REASONS } from '../machine/outcome.js';
import type { CallEvent, CallOutcome, NotificationVerdict } from '../machine/types.js';
import {
  FLIGHT_RECORD_VERSION,
  type FlightPosition,
  type FlightRecord,
} from '../runtime/flightRecord.js';

// The chart's state names are short (`terminating.confirming`); a longer one is not the chart's.
const MAX_VALUE_LENGTH = 128;
// What a step's event type reads as when the input is no input the console can read.
const UNREADABLE = 'unreadable input';

const PHASES: ReadonlySet<string> = new Set(CALL_PHASES);
const REASONS: ReadonlySet<string> = new Set(CALL_OUTCOME_REASONS);
// A record: a verdict added to the type must be added here.
const VERDICTS: Readonly<Record<NotificationVerdict, true>> = {
  apply: true,
  unchanged: true,
  stale: true,
  late: true,
  subresource: true,
};

/**
 * The record with its odd optional fields left out, or `undefined` when it lacks an acceptable
 * call id, a time or a position.
 */
export function wellFormedRecord(value: unknown): FlightRecord | undefined {
  if (!isObject(value)) return undefined;
  const { callId, at, to } = value;
  if (typeof callId !== 'string' || callIdProblem(callId) !== undefined) return undefined;
  if (!isTime(at) || !isPosition(to)) return undefined;
  const record: { -readonly [K in keyof FlightRecord]: FlightRecord[K] } = {
    v: FLIGHT_RECORD_VERSION,
    callId,
    at,
    input: inputOf(value.input, at),
    to,
    emitted: Array.isArray(value.emitted)
      ? value.emitted.filter((type): type is string => typeof type === 'string')
      : [],
    wrote: value.wrote === true,
  };
  if (isPosition(value.from)) record.from = value.from;
  if (typeof value.verdict === 'string' && Object.hasOwn(VERDICTS, value.verdict)) {
    record.verdict = value.verdict as NotificationVerdict;
  }
  if (isOutcome(value.outcome)) record.outcome = value.outcome;
  if (isTime(value.due)) record.due = value.due;
  return record;
}

/** Whether a value is epoch ms a `Date` can hold. */
export function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= 8.64e15;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isPosition(value: unknown): value is FlightPosition {
  if (!isObject(value)) return false;
  const { state, phase, value: chart } = value;
  return (
    isGraphCallState(state) &&
    typeof phase === 'string' &&
    PHASES.has(phase) &&
    typeof chart === 'string' &&
    chart.length <= MAX_VALUE_LENGTH
  );
}

function isOutcome(value: unknown): value is CallOutcome {
  if (!isObject(value)) return false;
  const { reason, at, resultInfo, terminationReason } = value;
  return (
    typeof reason === 'string' &&
    REASONS.has(reason) &&
    isTime(at) &&
    (resultInfo === undefined || isObject(resultInfo)) &&
    (terminationReason === undefined || typeof terminationReason === 'string')
  );
}

function inputOf(input: unknown, at: number): FlightRecord['input'] {
  if (isObject(input)) {
    if (input.type === 'start' && isObject(input.input)) return input as FlightRecord['input'];
    if (input.type === 'step' && isObject(input.event) && typeof input.event.type === 'string') {
      return input as FlightRecord['input'];
    }
  }
  // Read as an intent named for what it is: the timeline says so, and nothing else reads it.
  return { type: 'step', event: { type: UNREADABLE, at } as unknown as CallEvent };
}
