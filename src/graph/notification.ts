/**
 * The typed shape of one Graph call change notification after parsing, and of an item that
 * could not be parsed. Produced by {@link parseNotifications}.
 *
 * @example
 * ```ts
 * import { parseNotifications, type CallNotification } from 'graph-call-machine';
 *
 * const { notifications, rejected } = parseNotifications(body);
 * for (const n of notifications) console.log(n.callId, n.changeType, n.state);
 * for (const r of rejected) console.warn(`item ${r.index}: ${r.message}`);
 * ```
 * @module
 */
import type { GraphCallState } from './callState.js';
import type { OperationReport } from './operationReport.js';
import type { RosterReport } from './participant.js';
import type { CallIdentitySet, CallParticipantInfo } from './participantInfo.js';
import type { CallResourceKind } from './resourcePath.js';

/** The three change types Graph sends. */
export type ChangeType = 'created' | 'updated' | 'deleted';

/**
 * `resultInfo` with its codes read as numbers, whichever way the payload spelled them
 * (`"200"` or `200`, `subcode` or `subCode`). A code that is not a number is left out and
 * stays visible in `raw`.
 */
export interface ResultInfo {
  readonly code?: number;
  readonly subcode?: number;
  readonly message?: string;
}

/** A DTMF key press reported on the call (`toneInfo`). */
export interface ToneInfo {
  /** Graph numbers key presses per call; a repeat of a number is the same press. */
  readonly sequenceId: number;
  /** `tone0`…`tone9`, `star`, `pound`, `a`…`d`, `flash`. */
  readonly tone: string;
}

/** Which side placed the call: `incoming` (someone called the bot) or `outgoing` (the bot called). */
export type CallDirection = 'incoming' | 'outgoing';

/** A notification item exactly as received (a JSON object). */
export type RawNotification = Readonly<Record<string, unknown>>;

/** One parsed notification about a call or one of its sub-resources. */
export interface CallNotification {
  /** Position of the item in the envelope's `value` array. */
  readonly index: number;
  readonly callId: string;
  readonly changeType: ChangeType;
  /** `call` when the notification is about the call itself: only those carry its state. */
  readonly resource: CallResourceKind;
  /** The resource path as received (`resourceUrl`, else `resource`). */
  readonly resourcePath: string;
  /** Participant, operation or session id below the call, when the path names one. */
  readonly subresourceId?: string;
  /** The call state (call resource only); `unknownFutureValue` when the text was not recognised. */
  readonly state?: GraphCallState;
  /** The state text as received, present only when it differed from `state` (`transfer-accepted`, `Established`, an unknown value). */
  readonly stateText?: string;
  /** `resourceData['@odata.etag']`, verbatim (`W/"5445"`). */
  readonly etag?: string;
  readonly resultInfo?: ResultInfo;
  /** Older payloads: `AppInitiated`, `AppTransferred`, `AppRedirected`, … */
  readonly terminationReason?: string;
  /**
   * Call resource only, when Graph sent it: `incoming` or `outgoing`. Any other value is left
   * out (and stays in `raw`).
   */
  readonly direction?: CallDirection;
  /**
   * Call resource only, when Graph sent it: the caller (`resourceData.source`), reduced to its
   * identities, region and language (see {@link readParticipantInfo}).
   */
  readonly source?: CallParticipantInfo;
  /**
   * Call resource only, when Graph sent them: the identities of the callee side
   * (`resourceData.targets[].identity`), in order, skipping entries with no known identity.
   */
  readonly targets?: readonly CallIdentitySet[];
  /** Call resource only, when Graph sent it: the bot's own participant id in the call. */
  readonly myParticipantId?: string;
  /** `resourceData['@odata.type']` of the call resource or the first sub-resource item, `#` prefix kept as received. */
  readonly dataType?: string;
  /** Call resource only: the key press this update reports (`toneInfo`), when it has a numeric `sequenceId`. */
  readonly tone?: ToneInfo;
  /** Operation resource only: the `commsOperation` it reports. */
  readonly operation?: OperationReport;
  /** Participants resource only: the roster, or the change to it, it reports. */
  readonly roster?: RosterReport;
  /** The item as received, for everything this type does not lift out. */
  readonly raw: RawNotification;
}

/**
 * Machine-readable reasons an item (or the whole body) was rejected.
 *
 * - `invalidBody`: the text is not JSON, or the bytes are not UTF-8 (`index: null`).
 * - `notAnEnvelope`: the body is not a `{ "value": [ … ] }` envelope (`index: null`).
 * - `notAnObject`: an item of `value` is not an object.
 * - `missingChangeType` / `invalidChangeType`: no `changeType`, or not created/updated/deleted.
 * - `missingResource` / `invalidResource`: no `resourceUrl`/`resource`, or not a call path.
 * - `invalidCallId`: the path names a call, but its (percent-decoded) id cannot be stored or
 *   sent back to Graph: `.` or `..`, a lone surrogate, a control character, `/`, `\`, `?`, `#`,
 *   or longer than 256 characters (see `callIdProblem`).
 * - `invalidResourceData`: `resourceData` is neither an object, an array nor absent.
 * - `invalidState`: the call's `state` is present but not text.
 * - `capacity`: never produced by {@link parseNotifications}. A registry that already holds
 *   `maxCalls` live calls uses it for a notification about a new call, which it does not apply
 *   or start tracking.
 */
export type RejectionCode =
  | 'invalidBody'
  | 'notAnEnvelope'
  | 'notAnObject'
  | 'missingChangeType'
  | 'invalidChangeType'
  | 'missingResource'
  | 'invalidResource'
  | 'invalidCallId'
  | 'invalidResourceData'
  | 'invalidState'
  | 'capacity';

/** An item (or, with `index: null`, the whole body) that could not be read, and why. */
export interface RejectedNotification {
  /** Position in `value`, or `null` when the body itself is unusable. */
  readonly index: number | null;
  readonly code: RejectionCode;
  /** The offending field path, e.g. `value[2].changeType`. */
  readonly field?: string;
  /** A sentence that says what was wrong and what was expected. */
  readonly message: string;
  /** The rejected item (or body) as received. */
  readonly raw: unknown;
}

/** The result of {@link parseNotifications}: every item lands in exactly one list. */
export interface ParsedNotifications {
  readonly notifications: CallNotification[];
  readonly rejected: RejectedNotification[];
}
