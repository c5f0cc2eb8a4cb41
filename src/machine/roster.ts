/**
 * Who is in a call, kept from roster notifications by a pure reducer over `context.roster`.
 *
 * Graph sends the whole roster on every change by default (anyone not in it has left), numbered
 * changes with the beta delta roster, and departures as `deleted`. Each participant carries
 * `rosterSequenceNumber`, the roster version it last changed in: a change older than what is
 * known of that participant is stale, and a participant who left stays out unless a newer
 * version brings them back. So repeats never change anything, and numbered changes converge in
 * any order. A whole roster has no version of its own: who is missing from it leaves in
 * arrival order.
 * @module
 */
import type { CallNotification } from '../graph/notification.js';
import type { Participant, RosterEntry } from '../graph/participant.js';
import type { CallContext, CallEmitted, RosterState } from './types.js';

/** Departures remembered per call, so that a stale copy of a roster cannot bring them back. */
export const KEPT_DEPARTURES = 512;
/**
 * Participants kept per call: above Teams' interactive meeting size, so a real roster always
 * fits, while a runaway one cannot grow a call's stored state without bound.
 */
export const MAX_PARTICIPANTS = 10_000;

const EMPTY: RosterState = { participants: [], left: [] };

/** The fields compared to tell what changed about a participant. */
const FIELDS = [
  'identity',
  'endpointType',
  'region',
  'languageId',
  'isMuted',
  'isInLobby',
  'mediaStreams',
] as const satisfies readonly (keyof Participant)[];

export interface RosterStep {
  readonly context: CallContext;
  readonly emitted: readonly CallEmitted[];
}

/** Applies a roster notification; the context is returned as it was when nothing changed. */
export function trackRoster(context: CallContext, n: CallNotification, at: number): RosterStep {
  const report = n.roster;
  if (report === undefined) return { context, emitted: [] };
  const before = context.roster ?? EMPTY;
  const current = new Map(before.participants.map((p) => [p.id, p]));
  const left = new Map(before.left.map((l) => [l.id, l]));
  const emitted: CallEmitted[] = [];
  const { callId } = context;

  // `absent`: missing from a whole roster, which has no version of its own; its departure is
  // taken in arrival order, and remembered at the newest version the roster shows (without one,
  // not at all), so a stale copy of an earlier roster cannot bring the participant back.
  const leave = (id: string, sequence: number | undefined, absent = false): void => {
    const known = current.get(id);
    // A departure older than the participant's last change belongs to an earlier stay.
    if (
      !absent &&
      known?.sequence !== undefined &&
      sequence !== undefined &&
      sequence < known.sequence
    ) {
      return;
    }
    const version = absent ? sequence : (sequence ?? known?.sequence);
    const gone = left.get(id);
    if (!(absent && version === undefined)) {
      if (gone === undefined || (version !== undefined && (gone.sequence ?? -1) < version)) {
        left.delete(id);
        left.set(id, { id, sequence: version ?? null });
      }
    }
    if (known === undefined) return;
    current.delete(id);
    emitted.push({ type: 'participant.left', callId, participant: known, at });
  };

  const enter = ({ participant }: RosterEntry): void => {
    const { id, sequence } = participant;
    const gone = left.get(id);
    if (gone !== undefined) {
      // Back only with a newer version than the one they left at.
      if (sequence === undefined || gone.sequence === null || sequence <= gone.sequence) return;
      left.delete(id);
    }
    const known = current.get(id);
    if (known === undefined) {
      if (current.size >= MAX_PARTICIPANTS) return;
      current.set(id, participant);
      emitted.push({ type: 'participant.joined', callId, participant, at });
      return;
    }
    // Graph numbers every change: the same version is the same participant, and older is stale.
    if (known.sequence !== undefined && sequence !== undefined && sequence <= known.sequence) {
      return;
    }
    const changed = FIELDS.filter((field) => !same(known[field], participant[field]));
    if (changed.length === 0) {
      if (known.sequence !== sequence && sequence !== undefined) current.set(id, participant);
      return;
    }
    current.set(id, participant);
    emitted.push({
      type: 'participant.updated',
      callId,
      participant,
      previous: known,
      changed,
      at,
    });
  };

  if (report.kind === 'whole') {
    const listed = new Set<string>();
    let newest: number | undefined;
    for (const entry of report.entries) {
      const { id, sequence } = entry.participant;
      listed.add(id);
      if (sequence !== undefined && (newest === undefined || sequence > newest)) newest = sequence;
      if (entry.removed) leave(id, sequence);
      else enter(entry);
    }
    for (const id of [...current.keys()]) if (!listed.has(id)) leave(id, newest, true);
  } else {
    for (const entry of report.entries) {
      if (report.kind === 'removed' || entry.removed) {
        leave(entry.participant.id, entry.participant.sequence ?? report.sequence);
      } else {
        enter(entry);
      }
    }
  }

  const departures = [...left.values()];
  const roster: RosterState = {
    participants: [...current.values()],
    left: departures.length > KEPT_DEPARTURES ? departures.slice(-KEPT_DEPARTURES) : departures,
  };
  if (emitted.length === 0 && context.roster !== null && sameRoster(before, roster)) {
    return { context, emitted };
  }
  return { context: { ...context, roster }, emitted };
}

function sameRoster(a: RosterState, b: RosterState): boolean {
  if (a.participants.length !== b.participants.length || a.left.length !== b.left.length) {
    return false;
  }
  for (let i = 0; i < a.participants.length; i++) {
    const x = a.participants[i];
    const y = b.participants[i];
    if (x?.id !== y?.id || x?.sequence !== y?.sequence) return false;
  }
  for (let i = 0; i < a.left.length; i++) {
    if (a.left[i]?.id !== b.left[i]?.id || a.left[i]?.sequence !== b.left[i]?.sequence) {
      return false;
    }
  }
  return true;
}

/** Structural equality of JSON-shaped values (the fields of a participant). */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const key of ka) {
    if (!same((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) {
      return false;
    }
  }
  return true;
}
