/**
 * Reads one flight record as a line of a call's timeline: what the input was (a notification
 * and its verdict, an intent, a Graph answer and its status, a deadline), where the chart
 * moved, what the step asked of Graph, and the news it emitted.
 * @internal
 * @module
 */
import type { CallEvent } from '../machine/types.js';
import type { FlightRecord } from '../runtime/flightRecord.js';
import {
  describeNotification,
  describeStart,
  newsOf,
  requestsOf,
} from '../runtime/recordWording.js';
import type { ConsoleTimelineEntry, TimelineKind } from './consoleTypes.js';

/** A Graph answer an input carries: its status, whether it was a success, the request it answers. */
export interface GraphAnswer {
  /** The HTTP status; `undefined` for a success the event does not number (`delete.succeeded`). */
  readonly status: number | undefined;
  readonly ok: boolean;
  /** The request answered (`DELETE`, `GET`, `POST answer`); `undefined` for an operation or a keepAlive. */
  readonly request: string | undefined;
}

/** The Graph answer an event is, or `undefined` when it is no answer (a notification, an intent). */
export function graphAnswerOf(event: CallEvent): GraphAnswer | undefined {
  switch (event.type) {
    case 'getCall.result':
      return { status: event.status, ok: event.status === 200, request: 'GET' };
    case 'keepAlive.result':
      return {
        status: event.status,
        ok: event.status >= 200 && event.status < 300,
        request: undefined,
      };
    case 'operation.responded':
      return { status: event.status, ok: true, request: undefined };
    case 'operation.requestFailed':
      return { status: event.status, ok: false, request: undefined };
    case 'delete.succeeded':
      return { status: undefined, ok: true, request: 'DELETE' };
    case 'delete.failed':
      return { status: event.status, ok: false, request: 'DELETE' };
    case 'answer.succeeded':
    case 'reject.succeeded':
    case 'redirect.succeeded':
    case 'transfer.succeeded':
      return { status: undefined, ok: true, request: `POST ${event.type.split('.')[0]}` };
    case 'answer.failed':
    case 'reject.failed':
    case 'redirect.failed':
    case 'transfer.failed':
      return { status: event.status, ok: false, request: `POST ${event.type.split('.')[0]}` };
    default:
      return undefined;
  }
}

/** The timeline entry of one record. */
export function timelineEntry(record: FlightRecord): ConsoleTimelineEntry {
  const { kind, text, status, ok } = describeInput(record.input);
  const entry: { -readonly [K in keyof ConsoleTimelineEntry]: ConsoleTimelineEntry[K] } = {
    at: record.at,
    kind,
    text,
    requests: requestsOf(record.emitted),
    news: newsOf(record.emitted),
  };
  if (record.verdict !== undefined) entry.verdict = record.verdict;
  if (status !== undefined) entry.status = status;
  if (ok !== undefined) entry.ok = ok;
  if (record.from === undefined || record.from.value !== record.to.value) {
    entry.moved = record.to.value;
  }
  if (record.from === undefined || record.from.state !== record.to.state) {
    entry.state = record.to.state;
  }
  if (record.outcome !== undefined) entry.outcome = record.outcome.reason;
  return entry;
}

interface Described {
  readonly kind: TimelineKind;
  readonly text: string;
  readonly status?: number;
  readonly ok?: boolean;
}

function describeInput(input: FlightRecord['input']): Described {
  // A record from a file may lack what its type promises: shown as unreadable, never thrown.
  try {
    if (input.type === 'start') return { kind: 'start', text: describeStart(input.input) };
    return describeEvent(input.event);
  } catch {
    return { kind: 'intent', text: 'unreadable input' };
  }
}

function describeEvent(event: CallEvent): Described {
  if (event.type === 'notification') {
    return { kind: 'notification', text: describeNotification(event.notification) };
  }
  if (event.type === 'deadline.reached') return { kind: 'deadline', text: 'deadline reached' };
  const answer = graphAnswerOf(event);
  if (answer !== undefined) {
    // The status has its own column; a GET's answer also says the state Graph reported.
    const state = event.type === 'getCall.result' ? event.state : undefined;
    const text = state === undefined ? event.type : `${event.type} ${state}`;
    return answer.status === undefined
      ? { kind: 'response', text, ok: answer.ok }
      : { kind: 'response', text, ok: answer.ok, status: answer.status };
  }
  switch (event.type) {
    case 'reject':
      return { kind: 'intent', text: ['reject', event.request.reason].filter(Boolean).join(' ') };
    case 'redirect': {
      const n = event.request.targets.length;
      return { kind: 'intent', text: `redirect to ${n} ${n === 1 ? 'target' : 'targets'}` };
    }
    case 'operation':
      return { kind: 'intent', text: event.operation.kind };
    default:
      return { kind: 'intent', text: event.type };
  }
}
