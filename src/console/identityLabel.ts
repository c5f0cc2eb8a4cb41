/**
 * How the console names a party of a call: `user: Alice`, `phone: +14255550100`. Redacted, a
 * person's name and id become `[redacted]` by the flight recorder's own rule (bots stay readable).
 * @internal
 * @module
 */
import type { Participant } from '../graph/participant.js';
import { type CallIdentitySet, IDENTITY_KINDS } from '../graph/participantInfo.js';
import { isPersonalIdentity, REDACTED } from '../runtime/flightRecord.js';
import type { ConsoleParticipant } from './consoleTypes.js';

/** The label of an identity set: its first known kind, named by display name, else id. */
export function identityLabel(identity: CallIdentitySet, redact: boolean): string {
  for (const kind of IDENTITY_KINDS) {
    const found = identity[kind];
    if (found === undefined) continue;
    if (redact && isPersonalIdentity(kind)) return `${kind}: ${REDACTED}`;
    return `${kind}: ${found.displayName ?? found.id ?? '(no name)'}`;
  }
  return '(unknown)';
}

/** A participant as the console shows it. */
export function consoleParticipant(participant: Participant, redact: boolean): ConsoleParticipant {
  const shown: { -readonly [K in keyof ConsoleParticipant]: ConsoleParticipant[K] } = {
    id: participant.id,
    who: identityLabel(participant.identity, redact),
    media: participant.mediaStreams.map((stream) => stream.mediaType),
  };
  if (participant.isMuted !== undefined) shown.muted = participant.isMuted;
  if (participant.isInLobby !== undefined) shown.inLobby = participant.isInLobby;
  return shown;
}
