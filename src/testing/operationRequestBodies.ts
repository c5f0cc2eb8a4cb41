/**
 * What the fake Graph accepts as the body of each media and participant operation of a call,
 * checked as the Graph reference documents the parameters (call-playprompt, call-record,
 * call-cancelmediaprocessing, call-subscribetotone, call-senddtmftones, call-mute,
 * call-unmute, call-updaterecordingstatus, participant-invite). A body that fails answers
 * `400 Bad Request`, and the message names the field, as for call control
 * (`callRequestBodies.ts`, whose checking helpers these share).
 *
 * Every operation takes an optional `clientContext`: a string of at most 256 characters.
 * @module
 */

import type * as Graph from '@microsoft/microsoft-graph-types';
import { DTMF_TONES, type RecordResponseOptions } from '../graph/operationRequests.js';
import {
  type Checked,
  check,
  type InvitationBody,
  invitationOf,
  list,
  objectOf,
  refuse,
  show,
} from './callRequestBodies.js';

/** Graph's limit on `clientContext`, in characters. */
const MAX_CLIENT_CONTEXT = 256;
/** recordResponse's timeouts and duration, in seconds (call-record). */
const RECORD_SECONDS = { min: 1, max: 120 } as const;
/** recordResponse plays at most one prompt before it records. */
const MAX_RECORD_PROMPTS = 1;
// The library's list, which test/graph/graphTypes.test.ts holds equal to Graph's `Tone`.
const TONES = DTMF_TONES;
const RECORDING_STATUSES = [
  'recording',
  'notRecording',
  'failed',
] as const satisfies readonly Graph.RecordingStatus[];

/** A status `updateRecordingStatus` reports. */
export type RecordingStatusBody = (typeof RECORDING_STATUSES)[number];

/** A `mediaPrompt` with the file Graph plays. */
export interface MediaPromptBody {
  readonly mediaInfo: { readonly uri: string; readonly resourceId?: string };
}

/** What every operation takes. */
export interface OperationBody {
  readonly clientContext?: string;
}

/** `POST …/calls/{id}/playPrompt`. */
export interface PlayPromptBody extends OperationBody {
  readonly prompts: readonly MediaPromptBody[];
  readonly loop?: boolean;
}

/** `POST …/calls/{id}/recordResponse`. */
export interface RecordResponseBody extends OperationBody, Omit<RecordResponseOptions, 'prompts'> {
  readonly prompts?: readonly MediaPromptBody[];
}

/** `POST …/calls/{id}/sendDtmfTones`. */
export interface SendDtmfTonesBody extends OperationBody {
  readonly tones: readonly Graph.Tone[];
  readonly delayBetweenTonesMs?: number;
}

/** `POST …/calls/{id}/updateRecordingStatus`. */
export interface UpdateRecordingStatusBody extends OperationBody {
  readonly status: RecordingStatusBody;
}

/** `POST …/calls/{id}/participants/invite`. */
export interface InviteBody extends OperationBody {
  readonly participants: readonly InvitationBody[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** cancelMediaProcessing, subscribeToTone, mute and unmute: `clientContext` is all they take. */
export function checkClientContextOnly(what: string, body: unknown): Checked<OperationBody> {
  return check(body, what, (b) => withClientContext(b, {}));
}

/** playPrompt: a non-empty `prompts` array, each a `mediaPrompt` with `mediaInfo.uri`. */
export function checkPlayPrompt(body: unknown): Checked<PlayPromptBody> {
  return check(body, 'playPrompt', (b) => {
    if (!Array.isArray(b.prompts) || b.prompts.length === 0) {
      refuse(
        `prompts must be a non-empty array of mediaPrompt, such as [{ mediaInfo: { uri: 'https://…/welcome.wav' } }], got ${show(b.prompts)}.`,
      );
    }
    const out: Mutable<PlayPromptBody> = { prompts: promptsOf(b.prompts) };
    const loop = booleanOf(b.loop, 'loop');
    if (loop !== undefined) out.loop = loop;
    return withClientContext(b, out);
  });
}

/** recordResponse: every parameter is optional; at most one prompt; times from 1 to 120 s. */
export function checkRecordResponse(body: unknown): Checked<RecordResponseBody> {
  return check(body, 'recordResponse', (b) => {
    const out: Mutable<RecordResponseBody> = {};
    if (b.prompts !== undefined && b.prompts !== null) {
      if (!Array.isArray(b.prompts) || b.prompts.length > MAX_RECORD_PROMPTS) {
        refuse(
          `prompts must be an array of at most ${MAX_RECORD_PROMPTS} mediaPrompt, got ${show(b.prompts)}.`,
        );
      }
      out.prompts = promptsOf(b.prompts);
    }
    for (const field of ['bargeInAllowed', 'playBeep'] as const) {
      const flag = booleanOf(b[field], field);
      if (flag !== undefined) out[field] = flag;
    }
    for (const field of [
      'initialSilenceTimeoutInSeconds',
      'maxSilenceTimeoutInSeconds',
      'maxRecordDurationInSeconds',
    ] as const) {
      const seconds = b[field];
      if (seconds === undefined || seconds === null) continue;
      if (!isWhole(seconds, RECORD_SECONDS.min, RECORD_SECONDS.max)) {
        refuse(
          `${field} must be a whole number of seconds from ${RECORD_SECONDS.min} to ${RECORD_SECONDS.max}, got ${show(seconds)}.`,
        );
      }
      out[field] = seconds;
    }
    if (b.stopTones !== undefined && b.stopTones !== null) {
      const tones = b.stopTones;
      if (!Array.isArray(tones) || tones.some((t) => typeof t !== 'string' || t === '')) {
        refuse(
          `stopTones must be an array of keys such as ['#', '*', '1'], got ${show(b.stopTones)}.`,
        );
      }
      out.stopTones = tones as string[];
    }
    return withClientContext(b, out);
  });
}

/** sendDtmfTones: a non-empty `tones` array of Graph's tones; a delay in whole ms. */
export function checkSendDtmfTones(body: unknown): Checked<SendDtmfTonesBody> {
  return check(body, 'sendDtmfTones', (b) => {
    if (!Array.isArray(b.tones) || b.tones.length === 0) {
      refuse(`tones must be a non-empty array of ${list(TONES)}, got ${show(b.tones)}.`);
    }
    b.tones.forEach((tone, i) => {
      if (!(TONES as readonly unknown[]).includes(tone)) {
        refuse(`tones[${i}] must be one of ${list(TONES)}, got ${show(tone)}.`);
      }
    });
    const out: Mutable<SendDtmfTonesBody> = { tones: b.tones as Graph.Tone[] };
    const delay = b.delayBetweenTonesMs;
    if (delay !== undefined && delay !== null) {
      if (!isWhole(delay, 0, 2 ** 31 - 1)) {
        refuse(`delayBetweenTonesMs must be a whole number of ms >= 0, got ${show(delay)}.`);
      }
      out.delayBetweenTonesMs = delay;
    }
    return withClientContext(b, out);
  });
}

/** updateRecordingStatus: `status` is `recording`, `notRecording` or `failed`. */
export function checkUpdateRecordingStatus(body: unknown): Checked<UpdateRecordingStatusBody> {
  return check(body, 'updateRecordingStatus', (b) => {
    if (!(RECORDING_STATUSES as readonly unknown[]).includes(b.status)) {
      refuse(`status is required: one of ${list(RECORDING_STATUSES)}, got ${show(b.status)}.`);
    }
    const out: UpdateRecordingStatusBody = { status: b.status as RecordingStatusBody };
    return withClientContext(b, out);
  });
}

/** invite: a non-empty `participants` array of invitationParticipantInfo, each with an identity. */
export function checkInvite(body: unknown): Checked<InviteBody> {
  return check(body, 'invite', (b) => {
    if (!Array.isArray(b.participants) || b.participants.length === 0) {
      refuse(
        `participants must be a non-empty array of invitationParticipantInfo (each with an identity), got ${show(b.participants)}.`,
      );
    }
    const participants = b.participants.map((p, i) => invitationOf(p, `participants[${i}]`));
    const out: InviteBody = { participants };
    return withClientContext(b, out);
  });
}

function withClientContext<T extends OperationBody>(b: Record<string, unknown>, out: T): T {
  const context = b.clientContext;
  if (context === undefined || context === null) return out;
  if (typeof context !== 'string' || context.length > MAX_CLIENT_CONTEXT) {
    refuse(
      `clientContext must be a string of at most ${MAX_CLIENT_CONTEXT} characters, got ${typeof context === 'string' ? `${context.length} characters` : show(context)}.`,
    );
  }
  return { ...out, clientContext: context };
}

function promptsOf(prompts: readonly unknown[]): MediaPromptBody[] {
  return prompts.map((prompt, i) => {
    const info = objectOf(prompt, `prompts[${i}]`).mediaInfo;
    if (info === undefined || info === null) {
      refuse(`prompts[${i}].mediaInfo is required: { uri } of the audio file to play.`);
    }
    const mediaInfo = objectOf(info, `prompts[${i}].mediaInfo`);
    if (typeof mediaInfo.uri !== 'string' || mediaInfo.uri === '') {
      refuse(
        `prompts[${i}].mediaInfo.uri must be a non-empty string: the URL of the audio file, got ${show(mediaInfo.uri)}.`,
      );
    }
    const resourceId = mediaInfo.resourceId;
    if (resourceId !== undefined && resourceId !== null && typeof resourceId !== 'string') {
      refuse(`prompts[${i}].mediaInfo.resourceId must be a string, got ${show(resourceId)}.`);
    }
    return prompt as MediaPromptBody;
  });
}

function booleanOf(value: unknown, field: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') refuse(`${field} must be true or false, got ${show(value)}.`);
  return value;
}

function isWhole(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}
