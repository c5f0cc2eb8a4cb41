/**
 * The participants of a call as roster notifications on `…/participants` describe them, reduced
 * to small, typed, JSON-safe objects. Never throws.
 *
 * A roster comes three ways: the whole list (`updated` with an array), a change (`created` with
 * an array, `…/participants/{id}`, or beta's `deltaParticipants` with a `sequenceNumber`), or
 * departures (`deleted`, or a participant with a `removedState`).
 *
 * @example
 * ```ts
 * import { readRoster } from 'graph-call-machine';
 *
 * const roster = readRoster('updated', [{ id: 'p1', info: { identity: { user: { id: 'u1', displayName: 'Bob' } } }, isMuted: true }]);
 * roster?.kind;                    // 'whole'
 * roster?.participants[0]?.isMuted; // true
 * ```
 * @module
 */
import { copyStrings, isJsonObject, type JsonObject, own } from './jsonObject.js';
import type { ChangeType } from './notification.js';
import { type CallIdentitySet, readIdentitySet } from './participantInfo.js';

/** One media stream of a participant. */
export interface ParticipantMediaStream {
  /** `audio`, `video`, `videoBasedScreenSharing`, `data`. */
  readonly mediaType: string;
  /** `sendReceive`, `sendOnly`, `receiveOnly`, `inactive`. */
  readonly direction?: string;
  readonly sourceId?: string;
  readonly label?: string;
  /** Muted by the server (by a presenter, or the bot's `mute`). */
  readonly serverMuted?: boolean;
}

/** A participant of a call, as the last roster notification about it said. */
export interface Participant {
  /** Graph's participant id. */
  readonly id: string;
  /** Who it is: a user, an application, a phone number, … (`info.identity`). */
  readonly identity: CallIdentitySet;
  readonly endpointType?: string;
  readonly region?: string;
  readonly languageId?: string;
  /** Muted, by the client or the server. */
  readonly isMuted?: boolean;
  /** Waiting in the meeting's lobby. */
  readonly isInLobby?: boolean;
  readonly mediaStreams: readonly ParticipantMediaStream[];
  /** Graph's `rosterSequenceNumber`: the roster version in which this participant last changed. */
  readonly sequence?: number;
}

/** A participant read from a roster, and whether that roster says it left (`removedState`). */
export interface RosterEntry {
  readonly participant: Participant;
  readonly removed: boolean;
}

/** What one roster notification says. */
export interface RosterReport {
  /**
   * `whole`: the complete list (anyone not in it has left); `delta`: these joined or changed
   * (or left, when `removed`); `removed`: these left.
   */
  readonly kind: 'whole' | 'delta' | 'removed';
  readonly entries: readonly RosterEntry[];
  /** `deltaParticipants.sequenceNumber`, when Graph numbered the change. */
  readonly sequence?: number;
  /** Entries that could not be read (no participant id), left out. */
  readonly skipped: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Reads the `resourceData` of a notification on `…/participants` (or `…/participants/{id}`).
 * `undefined` when it holds no roster at all (missing, or neither an array nor an object).
 */
export function readRoster(
  changeType: ChangeType,
  data: unknown,
  participantId?: string,
): RosterReport | undefined {
  let items: readonly unknown[];
  let sequence: number | undefined;
  let delta = changeType === 'created' || participantId !== undefined;
  if (Array.isArray(data)) {
    items = data;
  } else if (isJsonObject(data)) {
    const listed = own(data, 'participants');
    if (Array.isArray(listed)) {
      // deltaParticipants: numbered changes since the last roster.
      items = listed;
      delta = true;
      const number = own(data, 'sequenceNumber');
      if (typeof number === 'number' && Number.isFinite(number)) sequence = number;
    } else {
      items = [data];
      delta = true;
    }
  } else if (changeType === 'deleted' && participantId !== undefined) {
    items = [{ id: participantId }];
  } else {
    return undefined;
  }
  const entries: RosterEntry[] = [];
  let skipped = 0;
  for (const item of items) {
    const entry = readEntry(item, participantId);
    if (entry === undefined) skipped += 1;
    else entries.push(entry);
  }
  const kind = changeType === 'deleted' ? 'removed' : delta ? 'delta' : 'whole';
  const report: Mutable<RosterReport> = { kind, entries, skipped };
  if (sequence !== undefined) report.sequence = sequence;
  return report;
}

function readEntry(item: unknown, participantId: string | undefined): RosterEntry | undefined {
  if (!isJsonObject(item)) return undefined;
  let id = own(item, 'id');
  if ((typeof id !== 'string' || id === '') && participantId !== undefined) id = participantId;
  if (typeof id !== 'string' || id === '') return undefined;
  const participant: Mutable<Participant> = { id, identity: {}, mediaStreams: [] };
  const info = own(item, 'info');
  if (isJsonObject(info)) readInfo(info, participant);
  const isMuted = own(item, 'isMuted');
  if (typeof isMuted === 'boolean') participant.isMuted = isMuted;
  const isInLobby = own(item, 'isInLobby');
  if (typeof isInLobby === 'boolean') participant.isInLobby = isInLobby;
  const streams = own(item, 'mediaStreams');
  if (Array.isArray(streams)) participant.mediaStreams = readStreams(streams);
  const sequence = own(item, 'rosterSequenceNumber');
  if (typeof sequence === 'number' && Number.isFinite(sequence)) participant.sequence = sequence;
  const removedState = own(item, 'removedState');
  return { participant, removed: isJsonObject(removedState) };
}

function readInfo(info: JsonObject, participant: Mutable<Participant>): void {
  const identity = readIdentitySet(own(info, 'identity'));
  if (identity !== undefined) participant.identity = identity;
  copyStrings(info, participant, ['endpointType', 'region', 'languageId']);
}

function readStreams(streams: readonly unknown[]): ParticipantMediaStream[] {
  const read: ParticipantMediaStream[] = [];
  for (const stream of streams) {
    if (!isJsonObject(stream)) continue;
    const mediaType = own(stream, 'mediaType');
    if (typeof mediaType !== 'string') continue;
    const entry: Mutable<ParticipantMediaStream> = { mediaType };
    copyStrings(stream, entry, ['direction', 'sourceId', 'label']);
    const serverMuted = own(stream, 'serverMuted');
    if (typeof serverMuted === 'boolean') entry.serverMuted = serverMuted;
    read.push(entry);
  }
  return read;
}
