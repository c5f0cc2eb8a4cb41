/**
 * Rebuilds calls from their flight records through a call machine (the current one, or a
 * `callMachine.provide(...)` variant) and says, input by input, where the replay differs from
 * what was recorded: the way to explain a production call after the fact, and to see what an
 * upgrade of the library would change on real traffic. Pure: no I/O, no clock.
 *
 * @example
 * ```ts
 * import { replayRecords } from 'graph-call-machine';
 *
 * for (const call of replayRecords(records)) {
 *   console.log(call.callId, call.outcome?.reason ?? call.position?.state, call.differences.length);
 * }
 * ```
 * @module
 */
import { callMachine } from '../machine/callMachine.js';
import { verdictOfStep } from '../machine/callQueries.js';
import { type CallSnapshot, startCall, stepCall } from '../machine/stepCall.js';
import type { CallOutcome } from '../machine/types.js';
import {
  FLIGHT_RECORD_VERSION,
  type FlightPosition,
  type FlightRecord,
  positionOf,
} from './flightRecord.js';

/** One place where the replay decided otherwise than the recording. */
export interface ReplayDifference {
  /** Position of the record among the call's records. */
  readonly index: number;
  readonly at: number;
  readonly field: 'state' | 'phase' | 'value' | 'verdict' | 'outcome' | 'emitted';
  readonly recorded: unknown;
  readonly replayed: unknown;
}

/** A call rebuilt from its records. */
export interface ReplayedCall {
  readonly callId: string;
  /** Its records, in the order replayed. */
  readonly records: readonly FlightRecord[];
  /** Where the replay left the call; `undefined` when it could not start. */
  readonly position?: FlightPosition;
  readonly outcome?: CallOutcome;
  readonly firstAt: number;
  readonly lastAt: number;
  readonly differences: readonly ReplayDifference[];
  /** Why the call could not be replayed (no start record, a record of another version). */
  readonly problem?: string;
}

/** Options of {@link replayRecords}. */
export interface ReplayOptions {
  /** The machine to replay with. Default `callMachine`. */
  readonly machine?: typeof callMachine;
}

/**
 * Replays every call of `records` (any order of calls; each call's records ordered by time,
 * ties kept in the order given), and compares each step with what was recorded.
 */
export function replayRecords(
  records: Iterable<FlightRecord>,
  options: ReplayOptions = {},
): ReplayedCall[] {
  const machine = options.machine ?? callMachine;
  const byCall = new Map<string, FlightRecord[]>();
  for (const record of records) {
    const list = byCall.get(record.callId);
    if (list === undefined) byCall.set(record.callId, [record]);
    else list.push(record);
  }
  return Array.from(byCall, ([callId, list]) =>
    replaySafely(
      callId,
      list
        .map((record, i) => ({ record, i }))
        .sort((a, b) => a.record.at - b.record.at || a.i - b.i)
        .map((e) => e.record),
      machine,
    ),
  );
}

/** A record the machine cannot take (a hand-edited file) stops that call's replay, not the others'. */
function replaySafely(
  callId: string,
  records: readonly FlightRecord[],
  machine: typeof callMachine,
): ReplayedCall {
  try {
    return replayCall(callId, records, machine);
  } catch (error) {
    return {
      callId,
      records,
      firstAt: records[0]?.at ?? 0,
      lastAt: records.at(-1)?.at ?? 0,
      differences: [],
      problem: `the machine could not replay its records: ${(error as Error).message}`,
    };
  }
}

function replayCall(
  callId: string,
  records: readonly FlightRecord[],
  machine: typeof callMachine,
): ReplayedCall {
  const firstAt = records[0]?.at ?? 0;
  const lastAt = records.at(-1)?.at ?? firstAt;
  const base = { callId, records, firstAt, lastAt };
  const foreign = records.find((r) => r.v !== FLIGHT_RECORD_VERSION);
  if (foreign !== undefined) {
    return {
      ...base,
      differences: [],
      problem: `a record has format ${String(foreign.v)}; this version replays ${FLIGHT_RECORD_VERSION}`,
    };
  }
  const startAt = records.findIndex((r) => r.input.type === 'start');
  const start = records[startAt];
  if (start === undefined || start.input.type !== 'start') {
    return {
      ...base,
      differences: [],
      problem: 'its start was not recorded (recorded from the middle of the call)',
    };
  }
  const differences: ReplayDifference[] = [];
  const started = startCall(start.input.input, machine);
  let snapshot: CallSnapshot = started.snapshot;
  compare(
    differences,
    startAt,
    start,
    undefined,
    snapshot,
    started.emitted.map((e) => e.type),
    verdictOfStep(started.emitted),
  );
  for (let index = startAt + 1; index < records.length; index++) {
    const record = records[index] as FlightRecord;
    if (record.input.type !== 'step') continue;
    const before = snapshot;
    const step = stepCall(snapshot, record.input.event, machine);
    snapshot = step.snapshot;
    compare(
      differences,
      index,
      record,
      before,
      snapshot,
      step.emitted.map((e) => e.type),
      verdictOfStep(step.emitted),
    );
  }
  const outcome = snapshot.context.outcome;
  return {
    ...base,
    position: positionOf(snapshot),
    ...(outcome === null ? {} : { outcome }),
    differences,
  };
}

function compare(
  differences: ReplayDifference[],
  index: number,
  record: FlightRecord,
  before: CallSnapshot | undefined,
  after: CallSnapshot,
  emitted: readonly string[],
  verdict: string | undefined,
): void {
  const at = record.at;
  const to = positionOf(after);
  for (const field of ['state', 'phase', 'value'] as const) {
    if (record.to[field] !== to[field]) {
      differences.push({ index, at, field, recorded: record.to[field], replayed: to[field] });
    }
  }
  if (record.verdict !== verdict) {
    differences.push({ index, at, field: 'verdict', recorded: record.verdict, replayed: verdict });
  }
  const ended =
    after.status === 'done' && before?.status !== 'done'
      ? after.context.outcome?.reason
      : undefined;
  if (record.outcome?.reason !== ended) {
    differences.push({
      index,
      at,
      field: 'outcome',
      recorded: record.outcome?.reason,
      replayed: ended,
    });
  }
  if (record.emitted.join(' ') !== emitted.join(' ')) {
    differences.push({ index, at, field: 'emitted', recorded: record.emitted, replayed: emitted });
  }
}
