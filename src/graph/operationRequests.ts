/**
 * The bodies of the media and participant operations a bot asks of a call: prompts, recording,
 * DTMF, mute, recording status, invitations and removals. JSON-safe, so an operation in flight
 * is kept in the call's persisted state and can be sent again by whichever instance retries it.
 *
 * The registry adds `clientContext` itself: it is how an operation's notifications are matched
 * to the request, even when they overtake its response. test/graph/graphTypes.test.ts checks
 * at compile time that each body fits Graph's own request type.
 *
 * @example
 * ```ts
 * import type { MediaPrompt, RecordResponseOptions } from 'graph-call-machine';
 *
 * const welcome: MediaPrompt = { mediaInfo: { uri: 'https://bot.example.com/audio/welcome.wav' } };
 * const record: RecordResponseOptions = { prompts: [welcome], maxRecordDurationInSeconds: 10, stopTones: ['#'] };
 * ```
 * @module
 */
import type { InvitationTarget, MediaInfo } from './callRequests.js';

/** The operations a registry performs on a call. */
export const OPERATION_KINDS = [
  'playPrompt',
  'recordResponse',
  'cancelMediaProcessing',
  'subscribeToTone',
  'sendDtmfTones',
  'mute',
  'unmute',
  'updateRecordingStatus',
  'invite',
  'removeParticipant',
] as const;

/** One of {@link OPERATION_KINDS}. */
export type OperationKind = (typeof OPERATION_KINDS)[number];

/** A prompt Graph plays: an audio file it fetches (`mediaPrompt`). */
export interface MediaPrompt {
  readonly mediaInfo: MediaInfo;
}

/** A DTMF key: `tone0`…`tone9`, `star`, `pound`, `a`…`d`, `flash`. */
export type DtmfTone =
  | 'tone0'
  | 'tone1'
  | 'tone2'
  | 'tone3'
  | 'tone4'
  | 'tone5'
  | 'tone6'
  | 'tone7'
  | 'tone8'
  | 'tone9'
  | 'star'
  | 'pound'
  | 'a'
  | 'b'
  | 'c'
  | 'd'
  | 'flash';

/** Every {@link DtmfTone}, in keypad order. */
export const DTMF_TONES: readonly DtmfTone[] = [
  'tone1',
  'tone2',
  'tone3',
  'tone4',
  'tone5',
  'tone6',
  'tone7',
  'tone8',
  'tone9',
  'star',
  'tone0',
  'pound',
  'a',
  'b',
  'c',
  'd',
  'flash',
];

/** What `recordResponse` takes besides its `clientContext`. */
export interface RecordResponseOptions {
  readonly prompts?: readonly MediaPrompt[];
  readonly bargeInAllowed?: boolean;
  readonly initialSilenceTimeoutInSeconds?: number;
  readonly maxSilenceTimeoutInSeconds?: number;
  readonly maxRecordDurationInSeconds?: number;
  readonly playBeep?: boolean;
  /** Keys that stop the recording. */
  readonly stopTones?: readonly string[];
}

/** The recording status a compliance bot reports (`updateRecordingStatus`). */
export type RecordingStatus = 'recording' | 'notRecording' | 'failed';

/** The body of each operation, `clientContext` included (the registry sets it). */
export interface OperationRequests {
  readonly playPrompt: {
    readonly prompts: readonly MediaPrompt[];
    readonly loop?: boolean;
    readonly clientContext: string;
  };
  readonly recordResponse: RecordResponseOptions & { readonly clientContext: string };
  readonly cancelMediaProcessing: { readonly clientContext: string };
  readonly subscribeToTone: { readonly clientContext: string };
  readonly sendDtmfTones: {
    readonly tones: readonly DtmfTone[];
    readonly delayBetweenTonesMs?: number;
    readonly clientContext: string;
  };
  readonly mute: { readonly clientContext: string };
  readonly unmute: { readonly clientContext: string };
  readonly updateRecordingStatus: {
    readonly status: RecordingStatus;
    readonly clientContext: string;
  };
  readonly invite: {
    readonly participants: readonly InvitationTarget[];
    readonly clientContext: string;
  };
  /** `DELETE …/participants/{participantId}`: no body; the id names the participant. */
  readonly removeParticipant: { readonly participantId: string };
}

/** An operation's kind with its body, as the machine keeps it and the Graph client sends it. */
export type OperationRequest = {
  readonly [K in OperationKind]: { readonly kind: K; readonly request: OperationRequests[K] };
}[OperationKind];
