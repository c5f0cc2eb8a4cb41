/**
 * What the console knows about calls, in the JSON shapes its page reads: a row per call for the
 * list, the detail of one call (timeline, path through the chart, participants, operations),
 * and the counters. Everything here is plain data, already redacted when the console redacts:
 * no token, no header, no notification as received (`raw`).
 *
 * @example
 * ```ts
 * import type { ConsoleCallRow } from 'graph-call-machine/console';
 *
 * const response = await fetch('http://127.0.0.1:8080/calls');
 * const { rows } = (await response.json()) as { rows: ConsoleCallRow[] };
 * console.log(rows.filter((row) => row.phase === 'active').length, 'calls connected');
 * ```
 * @module
 */
import type { CallPhase, GraphCallState } from '../graph/callState.js';
import type { CallDirection } from '../graph/notification.js';
import type { OperationKind } from '../graph/operationRequests.js';
import type {
  CallOutcomeReason,
  NotificationVerdict,
  OperationFailure,
  OperationStatus,
} from '../machine/types.js';

/** One call in the list. */
export interface ConsoleCallRow {
  readonly id: string;
  /** The state Graph last reported. */
  readonly state: GraphCallState;
  readonly phase: CallPhase;
  /**
   * Where the chart is (`active.established`, `terminating.confirming`); `''` for a call the
   * console only knows from its view (adopted before the console started, no step since).
   */
  readonly value: string;
  readonly direction?: CallDirection;
  /** When the console first heard of the call (its first record), epoch ms. */
  readonly firstAt: number;
  /** When the call last changed, epoch ms. */
  readonly updatedAt: number;
  /** The Graph request the call waits on (`DELETE`, `POST answer #2`), when one is in flight. */
  readonly pending?: string;
  /**
   * When the call's next deadline falls, epoch ms: the one the machine waits on (an answer
   * window, a request's timeout, a retry after a throttle, the wait for `terminated`, an
   * operation's), as its last flight record said (`due`). Absent when it waits on none, and once
   * it ended. The page counts down to it: `DELETE #2 · 28 s`, `1 operation · 4 min`,
   * `deadline in 4.2 s`, `overdue 1.2 s`.
   */
  readonly dueAt?: number;
  /** Operations requested and not over yet. */
  readonly operations?: number;
  readonly outcome?: CallOutcomeReason;
  /** Graph's result of the end: `200/5001 The conversation has ended.`, `AppTransferred`. */
  readonly result?: string;
  /** When the end became known, epoch ms. */
  readonly endedAt?: number;
}

/** What kind of input a timeline entry is. */
export type TimelineKind = 'start' | 'notification' | 'intent' | 'response' | 'deadline';

/** One input of a call (one flight record), as the detail's timeline shows it. */
export interface ConsoleTimelineEntry {
  readonly at: number;
  readonly kind: TimelineKind;
  /** What the input was: `updated established W/"3"`, `hangUp`, `delete.failed 429`. */
  readonly text: string;
  /** How a notification was judged. */
  readonly verdict?: NotificationVerdict;
  /** The HTTP status of a Graph answer: 0 when none came; absent for a 2xx the record does not number. */
  readonly status?: number;
  /** Whether a Graph answer was a success. */
  readonly ok?: boolean;
  /** Where the chart moved: `active.established`. */
  readonly moved?: string;
  /** Graph's state after the input, when it changed. */
  readonly state?: GraphCallState;
  /** The requests the step asked for: `DELETE`, `GET`, `POST transfer`. */
  readonly requests: readonly string[];
  /** Other news the step emitted (`call.transferFailed`, `operation.completed`, …). */
  readonly news: readonly string[];
  /** The end, on the entry that ended the call. */
  readonly outcome?: CallOutcomeReason;
}

/** A move of the chart, from one state to another. */
export interface ConsoleMove {
  readonly from: string;
  readonly to: string;
  readonly at: number;
}

/** A participant of a call, as the roster said; identities redacted when the console redacts. */
export interface ConsoleParticipant {
  readonly id: string;
  /** `user: Alice`, `phone: +14255550100`, `application: Test BOT`, or `user: [redacted]`. */
  readonly who: string;
  readonly muted?: boolean;
  readonly inLobby?: boolean;
  /** `audio`, `video`, … */
  readonly media: readonly string[];
}

/** An operation of a call (a prompt, a recording, an invitation, …). */
export interface ConsoleOperation {
  /** The `clientContext` it was sent with. */
  readonly key: string;
  readonly kind: OperationKind;
  /** Graph's operation id, once Graph gave one. */
  readonly id?: string;
  readonly status: OperationStatus;
  readonly failure?: OperationFailure;
  readonly requestedAt: number;
  readonly updatedAt: number;
  /** Graph's result: `200/0`, `500/9999 …`, or the completion reason. */
  readonly result?: string;
  /** The HTTP status of its request's last answer. */
  readonly httpStatus?: number;
}

/** Everything the console shows about one call. */
export interface ConsoleCallDetail {
  readonly call: ConsoleCallRow;
  /** Who called, when Graph said. */
  readonly caller?: string;
  /** Who was called, when Graph said. */
  readonly targets: readonly string[];
  /** The chart states the call has been in, in the order first reached. */
  readonly visited: readonly string[];
  /** The chart's moves, oldest first (the last ones when there were many). */
  readonly moves: readonly ConsoleMove[];
  /** One entry per input, oldest first (the last ones when there were many). */
  readonly timeline: readonly ConsoleTimelineEntry[];
  /** Entries older than those kept. */
  readonly timelineDropped: number;
  readonly participants: readonly ConsoleParticipant[];
  /** How many participants there are (the list may hold only the first ones). */
  readonly participantCount: number;
  readonly operations: readonly ConsoleOperation[];
  /** Key presses handed on. */
  readonly tones: number;
}

/** How a notification ended: a verdict of the machine, or `rejected` before it reached a call. */
export type ConsoleVerdict = NotificationVerdict | 'rejected';

/** The console's counts. Calls by phase count the calls held now; the others count since it started. */
export interface ConsoleCounters {
  readonly callsByPhase: Readonly<Record<CallPhase, number>>;
  /** Every call heard of. */
  readonly callsSeen: number;
  /** Calls let go to stay within the console's limits (the oldest ended ones first). */
  readonly callsDropped: number;
  readonly outcomes: Readonly<Partial<Record<CallOutcomeReason, number>>>;
  readonly notificationsByVerdict: Readonly<Record<ConsoleVerdict, number>>;
  /**
   * Graph's answers by status: `204`, `404`, `429`, `ok` (a success the record does not number),
   * `no answer`, and `other` for a status no HTTP status (only a recording edited by hand has one).
   */
  readonly requestsByStatus: Readonly<Record<string, number>>;
}

/** The whole list, as the page gets it first. */
export interface ConsoleSnapshot {
  /** The console's time (epoch ms), against which ages count. */
  readonly now: number;
  /** Whether time stands still: a recorded console shows the recording's last moment. */
  readonly frozen: boolean;
  readonly rows: readonly ConsoleCallRow[];
  readonly counters: ConsoleCounters;
}

/** What changed since the last update. */
export interface ConsoleUpdate {
  readonly now: number;
  /** Rows added or changed. */
  readonly rows: readonly ConsoleCallRow[];
  /** Ids of calls let go. */
  readonly removed: readonly string[];
  readonly counters: ConsoleCounters;
}
