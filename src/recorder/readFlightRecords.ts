/**
 * Reads flight records from JSON Lines text, as `createFileRecorder` writes them: one record per
 * line. A line that is not a record is reported with its place and skipped; the others are kept.
 * Never throws.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { replayRecords } from 'graph-call-machine';
 * import { readFlightRecords } from 'graph-call-machine/recorder';
 *
 * const { records, problems } = readFlightRecords(await readFile('calls.jsonl', 'utf8'));
 * const calls = replayRecords(records);
 * ```
 * @module
 */
import { callIdProblem } from '../graph/callId.js';
import { FLIGHT_RECORD_VERSION, type FlightRecord } from '../runtime/flightRecord.js';

/** A line that could not be read as a record. */
export interface RecordProblem {
  /** 1-based line number. */
  readonly line: number;
  readonly message: string;
}

export interface ReadRecords {
  readonly records: FlightRecord[];
  readonly problems: RecordProblem[];
}

export function readFlightRecords(text: string): ReadRecords {
  const records: FlightRecord[] = [];
  const problems: RecordProblem[] = [];
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      problems.push({ line: i + 1, message: `not JSON: ${(error as Error).message}` });
      continue;
    }
    const problem = recordProblem(value);
    if (problem === undefined) records.push(value as FlightRecord);
    else problems.push({ line: i + 1, message: problem });
  }
  return { records, problems };
}

function recordProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'not a record (an object)';
  }
  const { v, callId, at, input, to, emitted, due } = value as Record<string, unknown>;
  if (v !== FLIGHT_RECORD_VERSION)
    return `format ${JSON.stringify(v)}; this version reads ${FLIGHT_RECORD_VERSION}`;
  if (typeof callId !== 'string' || callId === '') return 'no callId';
  const idProblem = callIdProblem(callId);
  if (idProblem !== undefined) return `a callId no call can have (${idProblem})`;
  if (typeof at !== 'number' || !Number.isFinite(at)) return 'no time (at)';
  const kind = (input as { type?: unknown } | null)?.type;
  if (kind !== 'start' && kind !== 'step') return 'no input (start or step)';
  if (kind === 'start') {
    const started = (input as { input?: unknown }).input;
    if (typeof started !== 'object' || started === null) return 'a start without its input';
    if ((started as { callId?: unknown }).callId !== callId) return 'a start of another call';
  } else {
    const event = (input as { event?: unknown }).event;
    if (typeof event !== 'object' || event === null) return 'a step without its event';
    const { type, at: eventAt } = event as { type?: unknown; at?: unknown };
    if (typeof type !== 'string') return 'a step whose event has no type';
    if (typeof eventAt !== 'number' || !Number.isFinite(eventAt))
      return 'a step whose event has no time';
  }
  if (typeof to !== 'object' || to === null) return 'no position (to)';
  if (!Array.isArray(emitted)) return 'no emitted list';
  if (due !== undefined && (typeof due !== 'number' || !Number.isFinite(due))) {
    return 'a due time (due) that is not a time';
  }
  return undefined;
}
