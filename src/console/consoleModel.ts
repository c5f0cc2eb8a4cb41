/**
 * The console's picture of the calls, built from flight records alone, so that a registry's
 * live records and a recorded file make the same picture. Pure: no timers, no I/O; the console
 * feeds it and asks it what changed.
 *
 * Bounded: ended calls beyond `maxEndedCalls` are let go oldest first, live calls beyond
 * `maxLiveCalls` least recently changed first, and each call keeps its last
 * `maxTimelineEntries` inputs; what a call keeps besides (its path, its parties, its requests,
 * its operations) is capped too, and the changes waiting for the pages never name more calls
 * than the model held. A record is checked at the door (`wellFormedRecord`): one that is not a
 * record is refused, and an odd field is left out, so that no record makes the model throw.
 *
 * @example
 * ```ts
 * const model = createConsoleModel({ maxEndedCalls: 1_000, maxLiveCalls: 10_000, maxTimelineEntries: 200, redact: true });
 * for (const record of records) model.record(record);
 * model.rows().filter((row) => row.phase === 'active');
 * ```
 * @internal
 * @module
 */
import { callIdProblem } from '../graph/callId.js';
import type { CallPhase, GraphCallState } from '../graph/callState.js';
import type { CallDirection, CallNotification } from '../graph/notification.js';
import type { CallOperation, CallOutcome, CallView } from '../machine/types.js';
import type { FlightRecord } from '../runtime/flightRecord.js';
import { REQUEST_OF_COMMAND, requestsOf } from '../runtime/recordWording.js';
import type {
  ConsoleCallDetail,
  ConsoleCallRow,
  ConsoleCounters,
  ConsoleMove,
  ConsoleParticipant,
  ConsoleTimelineEntry,
  ConsoleVerdict,
} from './consoleTypes.js';
import { consoleParticipant, identityLabel } from './identityLabel.js';
import {
  isOver,
  type OperationLog,
  resultText,
  takeOperation,
  trackOperations,
} from './operationLog.js';
import { type GraphAnswer, graphAnswerOf, timelineEntry } from './timelineEntry.js';
import { wellFormedRecord } from './wellFormedRecord.js';

/** Limits and redaction of a {@link ConsoleModel}. */
export interface ConsoleModelOptions {
  readonly maxEndedCalls: number;
  readonly maxLiveCalls: number;
  readonly maxTimelineEntries: number;
  readonly redact: boolean;
}

/** What changed since the last {@link ConsoleModel.takeChanges}. */
export interface ConsoleChanges {
  readonly rows: readonly ConsoleCallRow[];
  readonly removed: readonly string[];
  /** Whether the counters moved (they move with every record). */
  readonly counters: boolean;
}

/** The console's picture of the calls. */
export interface ConsoleModel {
  /**
   * Applies one flight record; `false` (and nothing changed) when it is no record the console
   * can place: no acceptable call id (see `callIdProblem`), no time (`at`), or no position
   * (`to`), as in a file edited by hand or written by a future version. Never throws.
   */
  record(record: FlightRecord): boolean;
  /**
   * Makes a call known from its view (a call held before the console started); no-op when
   * known, or when its id is not acceptable.
   */
  view(view: CallView): void;
  /** Takes the registry's word on an operation (it knows timeouts the records do not name). */
  operation(operation: CallOperation): void;
  /** Counts a notification rejected before it reached any call. */
  rejected(): void;
  rows(): ConsoleCallRow[];
  row(callId: string): ConsoleCallRow | undefined;
  detail(callId: string): ConsoleCallDetail | undefined;
  counters(): ConsoleCounters;
  /**
   * The changes since the last call, then forgets them. The calls let go (`removed`) are only
   * those a page may show: held at the last `takeChanges()` or `rows()`.
   */
  takeChanges(): ConsoleChanges;
  /** Calls held. */
  readonly size: number;
}

// A roster can hold thousands (a meeting): the console keeps the first ones it hears of.
const MAX_PARTICIPANTS_KEPT = 1_000;
/** Participants a call's detail lists; the count says how many there are. */
export const MAX_PARTICIPANTS_SHOWN = 200;
const MAX_MOVES_KEPT = 64;
// The chart has fewer states than this; a recording that names more is not the chart's.
const MAX_VISITED_KEPT = 64;
// A call waits on a request or two; a recording may claim any number.
const MAX_IN_FLIGHT_KEPT = 16;
const MAX_TARGETS_KEPT = 50;
// An HTTP status is three digits; anything else a record claims is counted as `other`.
const HTTP_STATUS = /^[1-5]\d\d$/;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface CallEntry {
  readonly id: string;
  /** The listing the model was at when the entry was made: a page can know it from the next one. */
  readonly born: number;
  state: GraphCallState;
  phase: CallPhase;
  value: string;
  direction: CallDirection | undefined;
  caller: string | undefined;
  targets: readonly string[];
  readonly firstAt: number;
  updatedAt: number;
  /** Requests sent and not answered yet, oldest first. */
  inFlight: string[];
  /** When the call's next deadline falls (the last record's `due`), while it has one. */
  dueAt: number | undefined;
  /** Requests sent so far, by request. */
  sent: Map<string, number>;
  outcome: CallOutcome | undefined;
  endedAt: number | undefined;
  visited: string[];
  moves: ConsoleMove[];
  timeline: ConsoleTimelineEntry[];
  timelineDropped: number;
  participants: Map<string, ConsoleParticipant>;
  operations: OperationLog;
  tones: number;
  /** The row as last built; dropped on every change. */
  row: ConsoleCallRow | undefined;
}

export function createConsoleModel(options: ConsoleModelOptions): ConsoleModel {
  const live = new Map<string, CallEntry>(); // least recently changed first
  const ended = new Map<string, CallEntry>(); // ended first first
  const dirty = new Set<string>();
  const removed = new Set<string>();
  let countersMoved = false;
  const byPhase: Record<CallPhase, number> = { setup: 0, active: 0, terminating: 0, terminated: 0 };
  const outcomes: Mutable<ConsoleCounters['outcomes']> = {};
  const verdicts: Record<ConsoleVerdict, number> = {
    apply: 0,
    unchanged: 0,
    stale: 0,
    late: 0,
    subresource: 0,
    rejected: 0,
  };
  const requests: Record<string, number> = {};
  let callsSeen = 0;
  let callsDropped = 0;
  // Counts the listings taken (`takeChanges`, `rows`): a call made since the last one was shown
  // to no page, so letting it go needs no word.
  let generation = 0;

  function find(callId: string): CallEntry | undefined {
    return live.get(callId) ?? ended.get(callId);
  }

  function changed(entry: CallEntry): void {
    // A call let go in the same breath (maxEndedCalls: 0) stays let go.
    if (find(entry.id) !== entry) return;
    entry.row = undefined;
    dirty.add(entry.id);
    removed.delete(entry.id);
  }

  function admit(entry: CallEntry): void {
    callsSeen += 1;
    byPhase[entry.phase] += 1;
    countersMoved = true;
    if (entry.phase === 'terminated') {
      ended.set(entry.id, entry);
      trimEnded();
    } else {
      live.set(entry.id, entry);
      if (live.size > options.maxLiveCalls) {
        const [oldest] = live.values();
        if (oldest !== undefined) drop(oldest, live);
      }
    }
    changed(entry);
  }

  function drop(entry: CallEntry, from: Map<string, CallEntry>): void {
    from.delete(entry.id);
    byPhase[entry.phase] -= 1;
    callsDropped += 1;
    dirty.delete(entry.id);
    if (entry.born < generation) removed.add(entry.id);
  }

  function trimEnded(): void {
    while (ended.size > options.maxEndedCalls) {
      const [oldest] = ended.values();
      if (oldest === undefined) return;
      drop(oldest, ended);
    }
  }

  function newEntry(
    callId: string,
    at: number,
    state: GraphCallState,
    phase: CallPhase,
  ): CallEntry {
    return {
      id: callId,
      born: generation,
      state,
      phase,
      value: '',
      direction: undefined,
      caller: undefined,
      targets: [],
      firstAt: at,
      updatedAt: at,
      inFlight: [],
      dueAt: undefined,
      sent: new Map(),
      outcome: undefined,
      endedAt: undefined,
      visited: [],
      moves: [],
      timeline: [],
      timelineDropped: 0,
      participants: new Map(),
      operations: new Map(),
      tones: 0,
      row: undefined,
    };
  }

  /** Moves the entry to where it now belongs: the end of the live order, or the ended calls. */
  function place(entry: CallEntry, phaseBefore: CallPhase): void {
    if (phaseBefore !== entry.phase) {
      byPhase[phaseBefore] -= 1;
      byPhase[entry.phase] += 1;
    }
    if (!live.has(entry.id)) return;
    live.delete(entry.id);
    if (entry.phase === 'terminated') {
      ended.set(entry.id, entry);
      trimEnded();
    } else {
      live.set(entry.id, entry);
    }
  }

  function moveTo(entry: CallEntry, value: string, at: number): void {
    if (value === entry.value) return;
    if (entry.value !== '') {
      entry.moves.push({ from: entry.value, to: value, at });
      if (entry.moves.length > MAX_MOVES_KEPT) entry.moves.shift();
    }
    entry.value = value;
    if (entry.visited.length < MAX_VISITED_KEPT && !entry.visited.includes(value)) {
      entry.visited.push(value);
    }
  }

  function learnParties(entry: CallEntry, notification: CallNotification | undefined): void {
    if (notification === undefined) return;
    entry.direction ??= directionOf(notification.direction);
    if (entry.caller === undefined && notification.source !== undefined) {
      entry.caller = identityLabel(notification.source.identity, options.redact);
    }
    if (entry.targets.length === 0 && notification.targets !== undefined) {
      entry.targets = notification.targets
        .slice(0, MAX_TARGETS_KEPT)
        .map((t) => identityLabel(t, options.redact));
    }
  }

  function countInput(record: FlightRecord): void {
    if (record.verdict !== undefined) verdicts[record.verdict] += 1;
    if (record.input.type !== 'step') return;
    const answer = graphAnswerOf(record.input.event);
    if (answer === undefined) return;
    const key = statusKey(answer);
    requests[key] = (requests[key] ?? 0) + 1;
  }

  function trackRequests(entry: CallEntry, record: FlightRecord): void {
    if (record.input.type === 'step') {
      const answered = graphAnswerOf(record.input.event)?.request;
      if (answered !== undefined) {
        const index = entry.inFlight.indexOf(answered);
        if (index >= 0) entry.inFlight.splice(index, 1);
      }
    }
    for (const request of requestsOf(record.emitted)) {
      // Operations are followed one by one in `operations`.
      if (request === REQUEST_OF_COMMAND['graph.operation']) continue;
      entry.inFlight.push(request);
      if (entry.inFlight.length > MAX_IN_FLIGHT_KEPT) entry.inFlight.shift();
      entry.sent.set(request, (entry.sent.get(request) ?? 0) + 1);
    }
    if (record.to.phase === 'terminated') entry.inFlight = [];
  }

  function trackRoster(entry: CallEntry, notification: CallNotification): void {
    const roster = notification.roster;
    if (notification.resource !== 'participants' || roster === undefined) return;
    if (roster.kind === 'whole') entry.participants.clear();
    for (const { participant, removed: left } of roster.entries) {
      if (left || roster.kind === 'removed') {
        entry.participants.delete(participant.id);
      } else if (
        entry.participants.has(participant.id) ||
        entry.participants.size < MAX_PARTICIPANTS_KEPT
      ) {
        entry.participants.set(participant.id, consoleParticipant(participant, options.redact));
      }
    }
  }

  function keepTimeline(entry: CallEntry, record: FlightRecord): void {
    entry.timeline.push(timelineEntry(record));
    if (entry.timeline.length > options.maxTimelineEntries) {
      entry.timeline.shift();
      entry.timelineDropped += 1;
    }
  }

  /** What the record's input says beyond the position: parties, roster, requests, operations. */
  function learnFrom(entry: CallEntry, record: FlightRecord): void {
    if (record.input.type === 'start') {
      const { input } = record.input;
      entry.direction ??= directionOf(input.direction);
      learnParties(entry, input.discoveredBy);
    } else if (record.input.event.type === 'notification') {
      const { notification } = record.input.event;
      learnParties(entry, notification);
      trackRoster(entry, notification);
      if (notification.tone !== undefined && record.emitted.includes('call.tone')) entry.tones += 1;
    }
    trackRequests(entry, record);
    trackOperations(entry.operations, record);
  }

  function record(given: FlightRecord): boolean {
    const record = wellFormedRecord(given);
    if (record === undefined) return false;
    countersMoved = true;
    countInput(record);
    let entry = find(record.callId);
    const { to } = record;
    const fresh = entry === undefined;
    if (entry === undefined) {
      entry = newEntry(record.callId, record.at, to.state, to.phase);
      admit(entry);
    }
    const phaseBefore = entry.phase;
    entry.state = to.state;
    entry.phase = to.phase;
    entry.updatedAt = Math.max(entry.updatedAt, record.at);
    entry.dueAt = to.phase === 'terminated' ? undefined : record.due;
    moveTo(entry, to.value, record.at);
    try {
      learnFrom(entry, record);
    } catch {
      // A hand-edited record may lack what its input's type promises: its position still counts.
    }
    keepTimeline(entry, record);
    if (record.outcome !== undefined && entry.outcome === undefined) {
      entry.outcome = record.outcome;
      entry.endedAt = record.outcome.at;
      outcomes[record.outcome.reason] = (outcomes[record.outcome.reason] ?? 0) + 1;
    }
    if (!fresh) place(entry, phaseBefore);
    changed(entry);
    return true;
  }

  function view(view: CallView): void {
    if (callIdProblem(view.callId) !== undefined || find(view.callId) !== undefined) return;
    const entry = newEntry(view.callId, view.updatedAt, view.state, view.phase);
    entry.direction = directionOf(view.direction);
    if (view.source !== undefined)
      entry.caller = identityLabel(view.source.identity, options.redact);
    if (view.outcome !== undefined) {
      entry.outcome = view.outcome;
      entry.endedAt = view.outcome.at;
    }
    admit(entry);
  }

  function operation(op: CallOperation): void {
    const entry = find(op.callId);
    if (entry === undefined) return;
    takeOperation(entry.operations, op);
    changed(entry);
  }

  function rowOf(entry: CallEntry): ConsoleCallRow {
    if (entry.row !== undefined) return entry.row;
    const row: Mutable<ConsoleCallRow> = {
      id: entry.id,
      state: entry.state,
      phase: entry.phase,
      value: entry.value,
      firstAt: entry.firstAt,
      updatedAt: entry.updatedAt,
    };
    if (entry.direction !== undefined) row.direction = entry.direction;
    if (entry.dueAt !== undefined) row.dueAt = entry.dueAt;
    const pending = entry.inFlight.map((request) => {
      const sent = entry.sent.get(request) ?? 1;
      return sent > 1 ? `${request} #${sent}` : request;
    });
    if (pending.length > 0) row.pending = pending.join(', ');
    let running = 0;
    for (const op of entry.operations.values()) if (!isOver(op)) running += 1;
    if (running > 0) row.operations = running;
    if (entry.outcome !== undefined) {
      row.outcome = entry.outcome.reason;
      const result = resultText(entry.outcome.resultInfo, entry.outcome.terminationReason);
      if (result !== undefined) row.result = result;
    }
    if (entry.endedAt !== undefined) row.endedAt = entry.endedAt;
    entry.row = row;
    return row;
  }

  function counters(): ConsoleCounters {
    return {
      callsByPhase: { ...byPhase },
      callsSeen,
      callsDropped,
      outcomes: { ...outcomes },
      notificationsByVerdict: { ...verdicts },
      requestsByStatus: { ...requests },
    };
  }

  return {
    record,
    view,
    operation,
    rejected() {
      verdicts.rejected += 1;
      countersMoved = true;
    },
    rows() {
      generation += 1;
      const rows: ConsoleCallRow[] = [];
      for (const entry of live.values()) rows.push(rowOf(entry));
      for (const entry of ended.values()) rows.push(rowOf(entry));
      return rows;
    },
    row(callId) {
      const entry = find(callId);
      return entry === undefined ? undefined : rowOf(entry);
    },
    detail(callId) {
      const entry = find(callId);
      if (entry === undefined) return undefined;
      const detail: Mutable<ConsoleCallDetail> = {
        call: rowOf(entry),
        targets: entry.targets,
        visited: [...entry.visited],
        moves: [...entry.moves],
        timeline: [...entry.timeline],
        timelineDropped: entry.timelineDropped,
        participants: [...entry.participants.values()].slice(0, MAX_PARTICIPANTS_SHOWN),
        participantCount: entry.participants.size,
        operations: [...entry.operations.values()].map((op) => ({ ...op })),
        tones: entry.tones,
      };
      if (entry.caller !== undefined) detail.caller = entry.caller;
      return detail;
    },
    counters,
    takeChanges() {
      const rows: ConsoleCallRow[] = [];
      for (const id of dirty) {
        const entry = find(id);
        if (entry !== undefined) rows.push(rowOf(entry));
      }
      const changes = { rows, removed: [...removed], counters: countersMoved };
      generation += 1;
      dirty.clear();
      removed.clear();
      countersMoved = false;
      return changes;
    },
    get size() {
      return live.size + ended.size;
    },
  };
}

/** `204`, `429`, `ok` (a success the record does not number), `no answer`, or `other`. */
function statusKey(answer: GraphAnswer): string {
  const { status } = answer;
  if (status === undefined) return answer.ok ? 'ok' : 'other';
  if (status === 0) return 'no answer';
  const text = String(status);
  return HTTP_STATUS.test(text) ? text : 'other';
}

function directionOf(value: unknown): CallDirection | undefined {
  return value === 'incoming' || value === 'outgoing' ? value : undefined;
}
