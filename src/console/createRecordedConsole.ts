/**
 * A console of recorded calls: the flight records of a file (`readFlightRecords`) shown in the
 * same page as a live console, time standing still at the last record. What
 * `graph-call-machine replay --console <file>` serves.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { createServer } from 'node:http';
 * import { createRecordedConsole } from 'graph-call-machine/console';
 * import { readFlightRecords } from 'graph-call-machine/recorder';
 *
 * const { records } = readFlightRecords(await readFile('calls.jsonl', 'utf8'));
 * createServer(createRecordedConsole(records).listener).listen(8080, '127.0.0.1');
 * ```
 * @module
 */
import type { FlightRecord } from '../runtime/flightRecord.js';
import { createConsoleModel } from './consoleModel.js';
import {
  type CallConsole,
  type CallConsoleOptions,
  resolveConsoleOptions,
} from './consoleOptions.js';
import { serveConsole } from './serveConsole.js';
import { isTime } from './wellFormedRecord.js';

/** Options of {@link createRecordedConsole}: a recording has nothing to act on. */
export type RecordedConsoleOptions = Omit<CallConsoleOptions, 'allowActions' | 'now'>;

/**
 * Creates a console of recorded calls. Records are applied in the order of their times (those
 * of one time keep their order); the calls' ages and deadlines count to the last record's time.
 * Records without a position, a time or an acceptable call id are skipped, and `onError` is told
 * how many; an odd optional field (a verdict, an outcome, a due time) is left out. The limits
 * apply as they do live: raise `maxEndedCalls` to see more than the last 1 000 ended calls of a
 * long recording.
 *
 * @throws TypeError when `records` is not iterable or an option has the wrong type; RangeError
 * when a number is out of bounds.
 * @example
 * ```ts
 * const callConsole = createRecordedConsole(records, { redact: true, maxEndedCalls: 50_000 });
 * const response = await callConsole.handler(new Request('http://127.0.0.1/calls'));
 * const { rows } = await response.json();
 * ```
 */
export function createRecordedConsole(
  records: Iterable<FlightRecord>,
  options?: RecordedConsoleOptions,
): CallConsole {
  const given: unknown = options;
  if (typeof given === 'object' && given !== null && 'allowActions' in given) {
    throw new TypeError(
      'createRecordedConsole: allowActions does not apply: a recording has no calls to act on.',
    );
  }
  const resolved = resolveConsoleOptions('createRecordedConsole', options);
  if (
    records === null ||
    typeof (records as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] !== 'function'
  ) {
    throw new TypeError(
      'createRecordedConsole: records must be an iterable of flight records (readFlightRecords(text).records).',
    );
  }
  const model = createConsoleModel(resolved);
  // A record without a time sorts first, and the model refuses it.
  const ordered = [...records]
    .map((record, index) => ({ record, index, at: timeOf(record) }))
    .sort((a, b) => a.at - b.at || a.index - b.index);
  let last = 0;
  let skipped = 0;
  for (const { record } of ordered) {
    if (model.record(record)) last = Math.max(last, record.at);
    else skipped += 1;
  }
  if (skipped > 0) {
    resolved.onError(
      new TypeError(
        `createRecordedConsole: ${skipped} record(s) without a position (to: { state, phase, value }), a time (at) or an acceptable call id (callIdProblem) were skipped.`,
      ),
    );
  }
  model.takeChanges();
  return serveConsole(
    model,
    {
      frozen: true,
      now: () => last,
      detail: (callId) => model.detail(callId),
      stop() {},
    },
    { ...resolved, allowActions: false },
  );
}

function timeOf(record: unknown): number {
  const at = (record as { at?: unknown } | null)?.at;
  return isTime(at) ? at : Number.NEGATIVE_INFINITY;
}
