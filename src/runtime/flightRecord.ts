/**
 * The flight recorder's record: one per input a call was stepped with (a notification as
 * parsed, an intent, a Graph answer, a deadline) or started from, with what it did to the call.
 * Because the machine is pure and every input carries its time, the records of a call replay it
 * exactly (`replayRecords`, `graph-call-machine replay`).
 *
 * A record never holds a token or a header: the registry never has one in hand where it steps a
 * call. The notification's `raw` item is left out unless asked for, and identities can be
 * redacted (`redact`).
 *
 * @example
 * ```ts
 * import { createCallRegistry, type FlightRecord } from 'graph-call-machine';
 *
 * const records: FlightRecord[] = [];
 * const registry = createCallRegistry({ graph, recorder: (record) => records.push(record) });
 * ```
 * @module
 */
import type { CallPhase, GraphCallState } from '../graph/callState.js';
import { IDENTITY_KINDS } from '../graph/participantInfo.js';
import { dueAtOf } from '../machine/callQueries.js';
import { DEFAULT_CALL_OPTIONS, phaseOfContext } from '../machine/context.js';
import type { CallSnapshot } from '../machine/stepCall.js';
import type {
  CallEmitted,
  CallEvent,
  CallInput,
  CallOptions,
  CallOutcome,
  NotificationVerdict,
} from '../machine/types.js';

/** The format of {@link FlightRecord}; replay refuses others. */
export const FLIGHT_RECORD_VERSION = 1;

/** Where a call stood: Graph's state, the phase, and the chart's state (`active.established`). */
export interface FlightPosition {
  readonly state: GraphCallState;
  readonly phase: CallPhase;
  readonly value: string;
}

/** One input of one call, and what it did. JSON-safe. */
export interface FlightRecord {
  readonly v: typeof FLIGHT_RECORD_VERSION;
  readonly callId: string;
  /** When the input happened (its `at`), epoch ms. */
  readonly at: number;
  /** The call's first input (`start`, with what it was created from), or an event it was stepped with. */
  readonly input:
    | { readonly type: 'start'; readonly input: CallInput }
    | { readonly type: 'step'; readonly event: CallEvent };
  /** Where the call was before the input; absent for a start. */
  readonly from?: FlightPosition;
  readonly to: FlightPosition;
  /** How a notification was judged. */
  readonly verdict?: NotificationVerdict;
  /** The types of what the step emitted, in order: commands (`graph.deleteCall`) and news. */
  readonly emitted: readonly string[];
  /** How the call ended, on the record that ended it. */
  readonly outcome?: CallOutcome;
  /**
   * When the call's next deadline falls after the input, epoch ms: the one the machine waits on
   * (an answer window, a request's timeout, a retry after a throttle, the wait for `terminated`,
   * an operation's). Absent when it waits on none.
   */
  readonly due?: number;
  /** Whether the step changed the stored call. */
  readonly wrote: boolean;
}

/** Receives every record; it must not throw (a throw is reported as `registry.error`). */
export type FlightRecorder = (record: FlightRecord) => void;

/** How records are written. */
export interface FlightRecorderOptions {
  /** Keep each notification's item as received (`raw`), tokens and headers removed. Default false. */
  readonly includeRaw?: boolean;
  /** Replace the ids and names of people and phone numbers with `[redacted]`. Default false. */
  readonly redact?: boolean;
}

/** What a redacted identity or phone number reads as. */
export const REDACTED = '[redacted]';
const NO_RAW: Readonly<Record<string, never>> = Object.freeze({});
// Bots (application, applicationInstance) are not people: their ids stay readable.
const PERSONAL: ReadonlySet<string> = new Set(
  IDENTITY_KINDS.filter((kind) => kind !== 'application' && kind !== 'applicationInstance'),
);

/** Whether an identity of this kind (`user`, `phone`, …) is a person's, and so redacted. */
export function isPersonalIdentity(kind: string): boolean {
  return PERSONAL.has(kind);
}
const SECRET = /token|authorization|secret|password/i;

export function positionOf(snapshot: CallSnapshot): FlightPosition {
  const { context } = snapshot;
  return { state: context.state, phase: phaseOfContext(context), value: valueText(snapshot.value) };
}

function valueText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return String(value);
  const [key, inner] = Object.entries(value)[0] ?? ['', ''];
  return `${key}.${valueText(inner)}`;
}

/** A record of one step, shaped by the recorder's options. */
export function flightRecord(
  options: FlightRecorderOptions,
  callId: string,
  input: FlightRecord['input'],
  from: CallSnapshot | undefined,
  to: CallSnapshot,
  emitted: readonly CallEmitted[],
  verdict: NotificationVerdict | undefined,
  wrote: boolean,
): FlightRecord {
  const at = input.type === 'start' ? (input.input.at ?? to.context.updatedAt) : input.event.at;
  const record: { -readonly [K in keyof FlightRecord]: FlightRecord[K] } = {
    v: FLIGHT_RECORD_VERSION,
    callId,
    at,
    input: shapeInput(options, input),
    to: positionOf(to),
    emitted: emitted.map((e) => e.type),
    wrote,
  };
  if (from !== undefined) record.from = positionOf(from);
  if (verdict !== undefined) record.verdict = verdict;
  const due = dueAtOf(to);
  if (due !== undefined) record.due = due;
  if (to.status === 'done' && from?.status !== 'done' && to.context.outcome !== null) {
    record.outcome = to.context.outcome;
  }
  return options.redact === true ? (redacted(record) as FlightRecord) : record;
}

function shapeInput(
  options: FlightRecorderOptions,
  input: FlightRecord['input'],
): FlightRecord['input'] {
  if (input.type === 'start') {
    // Only the call options the machine reads: the registry's own options (its Graph client,
    // its headers) never enter a record.
    const { discoveredBy, options: given, ...rest } = input.input;
    return {
      type: 'start',
      input: {
        ...rest,
        ...(given === undefined ? {} : { options: callOptionsOf(given) }),
        ...(discoveredBy === undefined
          ? {}
          : { discoveredBy: shapeNotification(options, discoveredBy) }),
      },
    };
  }
  const { event } = input;
  if (event.type !== 'notification') return input;
  return {
    type: 'step',
    event: { ...event, notification: shapeNotification(options, event.notification) },
  };
}

function callOptionsOf(given: CallOptions): CallOptions {
  const kept: Record<string, number> = {};
  for (const key of Object.keys(DEFAULT_CALL_OPTIONS) as (keyof CallOptions)[]) {
    const value = given[key];
    if (typeof value === 'number') kept[key] = value;
  }
  return kept;
}

function shapeNotification<N extends { readonly raw: unknown }>(
  options: FlightRecorderOptions,
  notification: N,
): N {
  // One copy either way: only the raw item is replaced.
  return {
    ...notification,
    raw: options.includeRaw === true ? withoutSecrets(notification.raw) : NO_RAW,
  };
}

function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (typeof value !== 'object' || value === null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (!SECRET.test(key)) copy[key] = withoutSecrets(inner);
  }
  return copy;
}

/** A deep copy with every person's identity (`user`, `phone`, `guest`, …) reduced to `[redacted]`. */
function redacted(value: unknown, personal = false): unknown {
  if (Array.isArray(value)) return value.map((inner) => redacted(inner, personal));
  if (typeof value !== 'object' || value === null) {
    return personal && typeof value === 'string' ? REDACTED : value;
  }
  const copy: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (personal && (key === 'id' || key === 'displayName')) copy[key] = REDACTED;
    else copy[key] = redacted(inner, PERSONAL.has(key) || (personal && key !== 'tenantId'));
  }
  return copy;
}
