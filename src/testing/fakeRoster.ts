/**
 * The roster of a fake call: who is in it, muted or in the lobby, with Graph's
 * `rosterSequenceNumber`. The bot is in it from the start; the caller (or the callees) join
 * when the call is established, others when invited or when a test makes them join.
 *
 * Every roster notification is the whole roster, `updated`, on `…/calls/{id}/participants`,
 * as Graph sends it by default (participant-invite, call-mute): anyone missing from it has
 * left. Each participant carries the roster version in which it last changed.
 * @module
 */
import { checkParticipant, DEFAULT_BOT, participantJson } from './callParties.js';
import { type Answer, errorAnswer } from './fakeGraphHttp.js';
import type {
  CallModality,
  FakeMediaStream,
  FakeParticipant,
  FakeParticipantSpec,
  ParticipantChanges,
  ParticipantInfoSpec,
} from './fakeGraphTypes.js';
import {
  type CommsNotification,
  type GraphResourceData,
  type LegacyShape,
  participants,
} from './notify.js';

/** What a roster needs to know of its call. */
export interface RosterCall {
  readonly id: string;
  readonly direction: 'incoming' | 'outgoing';
  readonly source: ParticipantInfoSpec;
  readonly targets: readonly ParticipantInfoSpec[];
  readonly myParticipantId: string;
  readonly requestedModalities: readonly CallModality[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const STREAM_LABELS: Readonly<Partial<Record<CallModality, string>>> = {
  audio: 'main-audio',
  video: 'main-video',
};

export class Roster {
  private readonly members: Mutable<FakeParticipant>[] = [];
  private sequence = 0;
  private sources = 0;
  private partiesJoined = false;

  get callId(): string {
    return this.call.id;
  }

  /** The bot's participant id: the call's `myParticipantId`. */
  get botId(): string {
    return this.call.myParticipantId;
  }

  /** Starts with the bot, under the call's `myParticipantId`. */
  constructor(
    private readonly call: RosterCall,
    private readonly newParticipantId: () => string,
  ) {
    const bot = call.direction === 'incoming' ? (call.targets[0] ?? DEFAULT_BOT) : call.source;
    this.add(bot, { id: call.myParticipantId });
  }

  /** The caller of an incoming call, or the callees of an outgoing one, join, once; `false` when they already had. */
  joinParties(): boolean {
    if (this.partiesJoined) return false;
    this.partiesJoined = true;
    const parties = this.call.direction === 'incoming' ? [this.call.source] : this.call.targets;
    for (const party of parties) this.add(party, {});
    return true;
  }

  /** Adds a participant (a fresh id unless given) and returns it. */
  add(
    info: ParticipantInfoSpec,
    spec: Pick<FakeParticipantSpec, 'id' | 'isMuted' | 'isInLobby' | 'modalities'>,
  ): FakeParticipant {
    const { participantId, ...rest } = info;
    const id = spec.id ?? participantId ?? this.newParticipantId();
    const modalities = spec.modalities ?? this.call.requestedModalities;
    const participant: Mutable<FakeParticipant> = {
      id,
      info: rest,
      mediaStreams: modalities
        .filter((modality) => modality !== 'data')
        .map((mediaType) => this.stream(mediaType)),
      isMuted: spec.isMuted ?? false,
      isInLobby: spec.isInLobby ?? false,
      rosterSequenceNumber: this.next(),
    };
    this.members.push(participant);
    return { ...participant };
  }

  /** Someone joins, as a test scripts it; throws for a spec without an identity, or an id already taken. */
  join(spec: FakeParticipantSpec): string {
    const { id, isMuted, isInLobby, modalities, ...info } = spec;
    const wanted = id ?? info.participantId;
    if (wanted !== undefined && this.find(wanted) !== undefined) {
      throw new Error(
        `fake Graph: join(${this.call.id}): the participant ${wanted} is already in the call; leave id out to get a fresh one.`,
      );
    }
    return this.add(checkParticipant(info, 'participant'), {
      ...(id !== undefined && { id }),
      ...(isMuted !== undefined && { isMuted }),
      ...(isInLobby !== undefined && { isInLobby }),
      ...(modalities !== undefined && { modalities }),
    }).id;
  }

  /** Someone leaves, as a test scripts it; throws for the bot, or someone not in the roster. */
  leave(participantId: string): void {
    if (participantId === this.call.myParticipantId) {
      throw new Error(
        `fake Graph: leave(${this.call.id}, ${participantId}): that is the bot itself; end the call with remoteHangUp() or setState() instead.`,
      );
    }
    if (!this.remove(participantId)) throw this.missing('leave', participantId);
  }

  /** Someone changes, as a test scripts it; throws for someone not in the roster. */
  change(participantId: string, changes: ParticipantChanges): void {
    if (!this.update(participantId, changes))
      throw this.missing('updateParticipant', participantId);
  }

  /** Removes a participant; `false` when it is not in the roster. */
  remove(participantId: string): boolean {
    const at = this.members.findIndex((p) => p.id === participantId);
    if (at === -1) return false;
    this.members.splice(at, 1);
    this.next();
    return true;
  }

  /** Changes a participant; `false` when it is not in the roster. */
  update(participantId: string, changes: ParticipantChanges): boolean {
    const participant = this.members.find((p) => p.id === participantId);
    if (participant === undefined) return false;
    if (changes.isMuted !== undefined) participant.isMuted = changes.isMuted;
    if (changes.isInLobby !== undefined) participant.isInLobby = changes.isInLobby;
    participant.rosterSequenceNumber = this.next();
    return true;
  }

  find(participantId: string): FakeParticipant | undefined {
    const participant = this.members.find((p) => p.id === participantId);
    return participant === undefined ? undefined : { ...participant };
  }

  /** A copy of the roster, in joining order. */
  list(): FakeParticipant[] {
    return this.members.map((p) => ({ ...p }));
  }

  /** The whole roster as Graph's `participant` objects (what `GET …/participants` lists). */
  json(): readonly GraphResourceData[] {
    const data = this.notification().resourceData;
    return Array.isArray(data) ? data : [];
  }

  /** The whole roster, `updated`, on `…/calls/{id}/participants`. */
  notification(legacy?: LegacyShape): CommsNotification {
    return participants(
      this.call.id,
      this.members.map((p) => ({
        id: p.id,
        isMuted: p.isMuted,
        isInLobby: p.isInLobby,
        data: {
          info: participantJson(p.info, 'participantInfo'),
          mediaStreams: p.mediaStreams.map(streamJson),
          rosterSequenceNumber: p.rosterSequenceNumber,
        },
      })),
      legacy === undefined ? {} : { legacy },
    );
  }

  /** The ids in the roster, for messages. */
  ids(): string {
    return this.members.map((p) => p.id).join(', ');
  }

  private missing(method: string, participantId: string): Error {
    return new Error(
      `fake Graph: ${method}(${this.call.id}, ${participantId}): no such participant; the call has ${this.ids()}.`,
    );
  }

  private next(): number {
    this.sequence += 1;
    return this.sequence;
  }

  private stream(mediaType: CallModality): FakeMediaStream {
    this.sources += 1;
    const label = STREAM_LABELS[mediaType];
    return {
      mediaType,
      ...(label !== undefined && { label }),
      sourceId: String(this.sources),
      direction: 'sendReceive',
      serverMuted: false,
    };
  }
}

function streamJson(stream: FakeMediaStream): Record<string, unknown> {
  return { '@odata.type': '#microsoft.graph.mediaStream', ...stream };
}

/** `GET …/participants` (the roster, as Graph lists it) or `GET …/participants/{id}`. */
export function participantsAnswer(
  roster: Roster,
  participantId: string | undefined,
  url: string,
): Answer {
  // `…/calls/{id}/participants` → `…/$metadata#communications/calls('{id}')/participants`
  const context = url.replace(
    /\/communications\/calls\/([^/]+)\/participants$/,
    "/$metadata#communications/calls('$1')/participants",
  );
  const all = roster.json();
  if (participantId === undefined)
    return { status: 200, body: { '@odata.context': context, value: all } };
  const one = all.find((p) => p.id === participantId);
  return one === undefined
    ? notInCall(roster, participantId)
    : { status: 200, body: { '@odata.context': `${context}/$entity`, ...one } };
}

/**
 * `DELETE …/participants/{id}`: 204 once removed (the caller then notifies the roster), 404 for
 * someone not in the roster, 400 for the bot itself, which leaves by hanging up.
 */
export function removalAnswer(roster: Roster, participantId: string): Answer {
  if (participantId === roster.botId) {
    return errorAnswer(
      400,
      `The participant ${participantId} is the bot itself; to leave the call, DELETE the call (/communications/calls/${roster.callId}).`,
      undefined,
      'InvalidRequest',
    );
  }
  return roster.remove(participantId) ? { status: 204 } : notInCall(roster, participantId);
}

function notInCall(roster: Roster, participantId: string): Answer {
  return errorAnswer(
    404,
    `The participant ${participantId} is not in the call ${roster.callId}. Its participants: ${roster.ids()}.`,
  );
}
