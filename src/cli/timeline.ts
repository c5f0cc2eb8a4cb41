/**
 * How `graph-call-machine replay` shows a replayed call: a title line, then one line per record
 * (time since the call's first record, what the input was, how a notification was judged,
 * where the chart moved, what was sent to Graph), then how the call ended; and, for `--check`,
 * where the replay decided otherwise than the recording.
 * @module
 */
import type { CallEvent, CallOutcome, NotificationVerdict } from '../machine/types.js';
import type { FlightRecord } from '../runtime/flightRecord.js';
import {
  describeNotification,
  describeStart,
  newsOf,
  requestsOf,
} from '../runtime/recordWording.js';
import type { ReplayDifference, ReplayedCall } from '../runtime/replayRecords.js';
import { padEnd, padStart, type Style } from './style.js';

const TIME_WIDTH = 10;
const KIND_WIDTH = 9;
const DETAIL_WIDTH = 42;
const VERDICT_WIDTH = 11;

const VERDICT_WORD: Readonly<Record<NotificationVerdict, string>> = {
  apply: 'applied',
  unchanged: 'unchanged',
  stale: 'stale',
  late: 'late',
  subresource: 'subresource',
};

/** A long id cut to its first 8 characters (`8f1c3a2b…`), still a valid `--call` prefix. */
export function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 8)}…` : id;
}

/** A duration for people: `340 ms`, `2.5 s`, `4 min 10 s`, `2 h 5 min`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(ms < 10_000 ? 2 : 1))} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** An epoch-ms time as ISO 8601, or the number itself when it is no date. */
export function isoTime(at: number): string {
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? String(at) : date.toISOString();
}

/** How a call ended: `hungUp (200/5001 The conversation has ended.)`. */
function describeOutcome(outcome: CallOutcome): string {
  const info = outcome.resultInfo;
  const details: string[] = [];
  if (info !== undefined) {
    const codes = [info.code, info.subcode].filter((c) => c !== undefined).join('/');
    details.push([codes, info.message].filter((p) => p !== undefined && p !== '').join(' '));
  }
  if (outcome.terminationReason !== undefined) details.push(outcome.terminationReason);
  const shown = details.filter((d) => d !== '');
  return shown.length === 0 ? outcome.reason : `${outcome.reason} (${shown.join(', ')})`;
}

/** Who placed the call, when the start record says. */
function directionOf(call: ReplayedCall): string | undefined {
  const start = call.records.find((r) => r.input.type === 'start');
  if (start?.input.type !== 'start') return undefined;
  return start.input.input.direction ?? start.input.input.discoveredBy?.direction;
}

/** The title line of a call: id, first time, duration, records, direction, outcome or position. */
function formatTitle(call: ReplayedCall, style: Style): string {
  const count = call.records.length;
  const where =
    call.problem !== undefined
      ? style.red('cannot be replayed')
      : call.outcome !== undefined
        ? style.green(call.outcome.reason)
        : style.yellow(`still ${call.position?.value ?? 'unknown'}`);
  const details = [
    isoTime(call.firstAt),
    formatMs(call.lastAt - call.firstAt),
    `${count} ${count === 1 ? 'record' : 'records'}`,
    directionOf(call),
  ].filter((d) => d !== undefined);
  return `${style.bold(call.callId)}  ${style.dim(details.join(', '))}  ${where}`;
}

/** The timeline of a call: its title, a line per record, and how it ended. */
export function formatTimeline(call: ReplayedCall, style: Style): string[] {
  const differing = new Map<number, ReplayDifference[]>();
  for (const difference of call.differences) {
    const list = differing.get(difference.index);
    if (list === undefined) differing.set(difference.index, [difference]);
    else list.push(difference);
  }
  const lines = [formatTitle(call, style)];
  call.records.forEach((record, index) => {
    lines.push(formatRecord(call, record, style, differing.get(index)));
  });
  const gutter = ' '.repeat(TIME_WIDTH + 2);
  if (call.problem !== undefined) {
    lines.push(`${gutter}${style.red(`cannot replay: ${call.problem}`)}`);
  } else if (call.outcome !== undefined) {
    const at = padStart(`+${formatMs(call.outcome.at - call.firstAt)}`, TIME_WIDTH);
    lines.push(`${style.dim(at)}  ${style.bold(`ended ${describeOutcome(call.outcome)}`)}`);
  } else if (call.position !== undefined) {
    const { value, state } = call.position;
    lines.push(`${gutter}${style.yellow(`not ended: still ${value} (Graph state ${state})`)}`);
  }
  return lines;
}

function formatRecord(
  call: ReplayedCall,
  record: FlightRecord,
  style: Style,
  differences: readonly ReplayDifference[] | undefined,
): string {
  const time = style.dim(padStart(`+${formatMs(record.at - call.firstAt)}`, TIME_WIDTH));
  const { kind, detail } = describeReadably(record.input);
  const verdict = record.verdict === undefined ? '' : paintVerdict(record.verdict, style);
  const rest = [
    movedTo(record, style),
    requestsOf(record.emitted)
      .map((request) => style.bold(request))
      .join(' '),
    newsOf(record.emitted)
      .map((type) => style.dim(type))
      .join(' '),
    differences === undefined
      ? ''
      : style.yellow(
          `≠ replay: ${differences.map((d) => `${d.field} ${formatValue(d.replayed)}`).join(', ')}`,
        ),
  ].filter((part) => part !== '');
  const head = `${time}  ${padEnd(kind, KIND_WIDTH)} ${padEnd(detail, DETAIL_WIDTH)}`;
  return `${head} ${padEnd(verdict, VERDICT_WIDTH)} ${rest.join('  ')}`.trimEnd();
}

function paintVerdict(verdict: NotificationVerdict, style: Style): string {
  const word = VERDICT_WORD[verdict] ?? String(verdict);
  switch (verdict) {
    case 'apply':
      return style.green(word);
    case 'stale':
      return style.yellow(word);
    case 'late':
      return style.magenta(word);
    case 'subresource':
      return style.cyan(word);
    default:
      return style.dim(word);
  }
}

/** `→ terminating.hangingUp` when the record moved the chart or Graph's state; nothing otherwise. */
function movedTo(record: FlightRecord, style: Style): string {
  const { from, to } = record;
  const valueMoved = from === undefined || from.value !== to.value;
  const stateMoved = from === undefined || from.state !== to.state;
  if (!valueMoved && !stateMoved) return '';
  // `setup.incoming` already says the state; `terminating.confirming` does not.
  const stateNote = stateMoved && to.value.split('.').at(-1) !== to.state ? ` (${to.state})` : '';
  return style.cyan(`→ ${to.value}${stateNote}`);
}

// A record edited by hand, or from a future version, may lack what its type promises: it is
// shown as it is rather than stopping the whole timeline.
function describeReadably(input: FlightRecord['input']): { kind: string; detail: string } {
  try {
    return describeInput(input);
  } catch {
    return { kind: 'unreadable', detail: JSON.stringify(input).slice(0, DETAIL_WIDTH) };
  }
}

/** The kind of input (start, notified, intent, response, deadline) and what exactly it was. */
function describeInput(input: FlightRecord['input']): { kind: string; detail: string } {
  if (input.type === 'start') return { kind: 'start', detail: describeStart(input.input) };
  return describeEvent(input.event);
}

function describeEvent(event: CallEvent): { kind: string; detail: string } {
  switch (event.type) {
    case 'notification':
      return { kind: 'notified', detail: describeNotification(event.notification) };
    case 'hangUp':
    case 'answer':
    case 'transfer':
      return { kind: 'intent', detail: event.type };
    case 'reject':
      return {
        kind: 'intent',
        detail: event.request.reason === undefined ? 'reject' : `reject ${event.request.reason}`,
      };
    case 'redirect': {
      const n = event.request.targets.length;
      return { kind: 'intent', detail: `redirect to ${n} ${n === 1 ? 'target' : 'targets'}` };
    }
    case 'operation':
      return { kind: 'intent', detail: `${event.operation.kind} ${shortId(event.key)}` };
    case 'deadline.reached':
      return { kind: 'deadline', detail: 'reached' };
    case 'getCall.result':
      return {
        kind: 'response',
        detail: [event.type, statusText(event.status), event.state]
          .filter((p) => p !== undefined)
          .join(' '),
      };
    case 'keepAlive.result':
      return { kind: 'response', detail: `${event.type} ${statusText(event.status)}` };
    case 'operation.responded':
      return {
        kind: 'response',
        detail: [event.type, statusText(event.status), shortId(event.key), event.report?.status]
          .filter((p) => p !== undefined)
          .join(' '),
      };
    case 'operation.requestFailed':
      return { kind: 'response', detail: `${failure(event)} ${shortId(event.key)}` };
    default:
      // delete.succeeded, answer.succeeded, …; delete.failed, answer.failed, …
      return { kind: 'response', detail: 'status' in event ? failure(event) : event.type };
  }
}

function failure(event: {
  readonly type: string;
  readonly status: number;
  readonly retryAfterMs?: number;
  readonly error?: { readonly code?: string };
}): string {
  const retry = event.retryAfterMs === undefined ? '' : ` retry after ${event.retryAfterMs} ms`;
  const code = event.error?.code === undefined ? '' : ` (${event.error.code})`;
  return `${event.type} ${statusText(event.status)}${retry}${code}`;
}

function statusText(status: number): string {
  return status === 0 ? '0 (no answer)' : String(status);
}

/** A field's value in a difference: `(none)` for nothing, a list as its items. */
function formatValue(value: unknown): string {
  if (value === undefined || value === null) return '(none)';
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.join(' ');
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * For `--check`: where a call's replay differs from its recording, record by record, each field
 * as `recorded → replayed`; or why it cannot be replayed. Empty when it replays as recorded.
 */
export function formatCheck(call: ReplayedCall, style: Style): string[] {
  if (call.problem !== undefined) {
    return [formatTitle(call, style), `  ${style.red(`cannot replay: ${call.problem}`)}`];
  }
  if (call.differences.length === 0) return [];
  const lines = [formatTitle(call, style)];
  let index = -1;
  for (const difference of call.differences) {
    if (difference.index !== index) {
      index = difference.index;
      const record = call.records[index];
      const what = record === undefined ? undefined : describeReadably(record.input);
      const offset = `+${formatMs(difference.at - call.firstAt)}`;
      lines.push(
        `  record ${index + 1} of ${call.records.length}, ${isoTime(difference.at)} (${offset}): ${what === undefined ? '' : `${what.kind} ${what.detail}`}`,
      );
    }
    lines.push(
      `    ${difference.field} ${formatValue(difference.recorded)} ${style.yellow('→')} ${formatValue(difference.replayed)}`,
    );
  }
  return lines;
}
