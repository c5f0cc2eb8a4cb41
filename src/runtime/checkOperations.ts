/**
 * What the registry checks of an operation before it becomes part of a call's state: the
 * fields Graph requires, of the right kinds, copied as plain, bounded JSON (see
 * checkRequests.ts). Each builder takes the `clientContext` the registry chose for it.
 * @module
 */

import { callIdProblem } from '../graph/callId.js';
import type { InvitationTarget } from '../graph/callRequests.js';
import {
  DTMF_TONES,
  type DtmfTone,
  type MediaPrompt,
  type OperationRequest,
  type RecordingStatus,
  type RecordResponseOptions,
} from '../graph/operationRequests.js';
import { checkTarget, checkUri, fail, jsonCopy, objectOf } from './checkRequests.js';

const RECORDING_STATUSES: readonly RecordingStatus[] = ['recording', 'notRecording', 'failed'];
const RECORD_SECONDS = [
  'initialSilenceTimeoutInSeconds',
  'maxSilenceTimeoutInSeconds',
  'maxRecordDurationInSeconds',
] as const;
const RECORD_FLAGS = ['bargeInAllowed', 'playBeep'] as const;

/** A prompt: a URL of an audio file, or a `mediaPrompt`. */
export type PromptSpec = string | MediaPrompt;

function checkPrompts(method: string, value: unknown, required: boolean): MediaPrompt[] {
  if (value === undefined && !required) return [];
  const list = typeof value === 'string' || !Array.isArray(value) ? [value] : value;
  if (list.length === 0) fail(method, 'prompts must name at least one prompt.');
  return list.map((prompt: unknown, i) => {
    if (typeof prompt === 'string') {
      checkUri(method, prompt, `prompts[${i}]`);
      return { mediaInfo: { uri: prompt } };
    }
    const mediaInfo = objectOf(
      method,
      objectOf(method, prompt, `prompts[${i}]`).mediaInfo,
      `prompts[${i}].mediaInfo`,
    );
    checkUri(method, mediaInfo.uri, `prompts[${i}].mediaInfo.uri`);
    if (mediaInfo.resourceId !== undefined && typeof mediaInfo.resourceId !== 'string') {
      fail(method, `prompts[${i}].mediaInfo.resourceId must be a string.`);
    }
    return prompt as MediaPrompt;
  });
}

export function playPromptOperation(
  clientContext: string,
  prompts: unknown,
  loop: unknown,
): OperationRequest {
  const method = 'playPrompt';
  if (loop !== undefined && typeof loop !== 'boolean') fail(method, 'loop must be a boolean.');
  const request = {
    prompts: checkPrompts(method, prompts, true),
    ...(loop === undefined ? {} : { loop }),
    clientContext,
  };
  return { kind: 'playPrompt', request: jsonCopy(method, request) };
}

export function recordResponseOperation(
  clientContext: string,
  options: Omit<RecordResponseOptions, 'prompts'> & { prompts?: unknown },
): OperationRequest {
  const method = 'recordResponse';
  const fields = objectOf(method, options, 'options');
  for (const name of RECORD_SECONDS) {
    const value = fields[name];
    if (
      value !== undefined &&
      !(typeof value === 'number' && Number.isInteger(value) && value > 0)
    ) {
      fail(method, `${name} must be a positive whole number of seconds, got ${String(value)}.`);
    }
  }
  for (const name of RECORD_FLAGS) {
    if (fields[name] !== undefined && typeof fields[name] !== 'boolean') {
      fail(method, `${name} must be a boolean.`);
    }
  }
  const stopTones = fields.stopTones;
  if (
    stopTones !== undefined &&
    !(Array.isArray(stopTones) && stopTones.every((tone) => typeof tone === 'string'))
  ) {
    fail(method, 'stopTones must be an array of keys such as "#" or "1".');
  }
  const request: Record<string, unknown> = { clientContext };
  for (const name of [...RECORD_SECONDS, ...RECORD_FLAGS, 'stopTones'] as const) {
    if (fields[name] !== undefined) request[name] = fields[name];
  }
  if (fields.prompts !== undefined) request.prompts = checkPrompts(method, fields.prompts, false);
  return {
    kind: 'recordResponse',
    request: jsonCopy(method, request) as unknown as RecordResponseOptions & {
      clientContext: string;
    },
  };
}

export function sendDtmfTonesOperation(
  clientContext: string,
  tones: unknown,
  delayBetweenTonesMs: unknown,
): OperationRequest {
  const method = 'sendDtmfTones';
  if (!Array.isArray(tones) || tones.length === 0) {
    fail(method, 'tones must be a non-empty array such as ["tone1", "pound"].');
  }
  tones.forEach((tone: unknown, i) => {
    if (!DTMF_TONES.includes(tone as DtmfTone)) {
      fail(
        method,
        `tones[${i}] must be one of ${DTMF_TONES.join(', ')}, got ${JSON.stringify(tone)}.`,
      );
    }
  });
  if (
    delayBetweenTonesMs !== undefined &&
    !(
      typeof delayBetweenTonesMs === 'number' &&
      Number.isInteger(delayBetweenTonesMs) &&
      delayBetweenTonesMs >= 0
    )
  ) {
    fail(method, 'delayBetweenTonesMs must be a whole number of milliseconds.');
  }
  const request = {
    tones: tones as DtmfTone[],
    ...(delayBetweenTonesMs === undefined
      ? {}
      : { delayBetweenTonesMs: delayBetweenTonesMs as number }),
    clientContext,
  };
  return { kind: 'sendDtmfTones', request: jsonCopy(method, request) };
}

export function recordingStatusOperation(clientContext: string, status: unknown): OperationRequest {
  if (!RECORDING_STATUSES.includes(status as RecordingStatus)) {
    fail(
      'updateRecordingStatus',
      `status must be ${RECORDING_STATUSES.join(', ')}, got ${JSON.stringify(status)}.`,
    );
  }
  return {
    kind: 'updateRecordingStatus',
    request: { status: status as RecordingStatus, clientContext },
  };
}

export function inviteOperation(clientContext: string, participants: unknown): OperationRequest {
  const method = 'invite';
  const list = Array.isArray(participants) ? participants : [participants];
  if (list.length === 0) fail(method, 'participants must name at least one participant.');
  list.forEach((target, i) => {
    checkTarget(method, target, `participants[${i}]`);
  });
  const request = { participants: list as InvitationTarget[], clientContext };
  return { kind: 'invite', request: jsonCopy(method, request) };
}

export function removeParticipantOperation(participantId: unknown): OperationRequest {
  // The id goes into a URL path: held to the same rules as a call id.
  const problem =
    typeof participantId === 'string' ? callIdProblem(participantId) : 'it is not a string';
  if (problem !== undefined) {
    fail(
      'removeParticipant',
      `participantId ${JSON.stringify(participantId)} cannot be used: ${problem}.`,
    );
  }
  return { kind: 'removeParticipant', request: { participantId: participantId as string } };
}

/** An operation's own timeout, when given: a positive number of milliseconds. */
export function checkTimeout(method: string, timeoutMs: unknown): number | undefined {
  if (timeoutMs === undefined) return undefined;
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
    throw new RangeError(
      `registry.${method}: timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}.`,
    );
  }
  return timeoutMs;
}
