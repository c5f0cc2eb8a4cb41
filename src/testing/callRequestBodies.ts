/**
 * What the fake Graph accepts as the body of each call-control request, checked as the Graph
 * reference documents the parameters (call-answer, call-reject, call-redirect, call-transfer,
 * application-post-calls). A body that fails answers `400 Bad Request`; the message names the
 * field (and the item index), what came, and what Graph takes.
 *
 * The shapes are typed from `@microsoft/microsoft-graph-types`. It is a development dependency
 * and has no runtime part, so these types stay inside the fake: none of them appears in the
 * public declarations of `graph-call-machine/testing`.
 * @module
 */

import type * as Graph from '@microsoft/microsoft-graph-types';
import { IDENTITY_KINDS as LIFTED_IDENTITY_KINDS } from '../graph/participantInfo.js';
import { isRecord } from './fakeGraphHttp.js';

/** A body that passed, typed; or why it did not. */
export type Checked<T> =
  | { readonly ok: true; readonly body: T }
  | { readonly ok: false; readonly message: string };

type MediaConfigType =
  | '#microsoft.graph.serviceHostedMediaConfig'
  | '#microsoft.graph.appHostedMediaConfig';

/** `mediaConfig`: Graph's abstract `MediaConfig` names its concrete type in `@odata.type`. */
export type MediaConfigBody = (Graph.ServiceHostedMediaConfig | Graph.AppHostedMediaConfig) & {
  readonly '@odata.type': MediaConfigType;
};

/** An invitationParticipantInfo whose identity set names at least one identity. */
export type InvitationBody = Graph.InvitationParticipantInfo & {
  readonly identity: Graph.CommunicationsIdentitySet;
  readonly endpointType?: Graph.EndpointType;
};

/** `POST …/calls/{id}/answer`. */
export interface AnswerBody {
  readonly callbackUri: string;
  readonly mediaConfig: MediaConfigBody;
  readonly acceptedModalities?: Graph.Modality[];
  readonly participantCapacity?: number;
  readonly callOptions?: Graph.IncomingCallOptions;
}

/** `POST …/calls/{id}/reject`: every parameter is optional. */
export interface RejectBody {
  readonly reason?: Graph.RejectReason;
  readonly callbackUri?: string;
}

/** `POST …/calls/{id}/redirect`. */
export interface RedirectBody {
  readonly targets: InvitationBody[];
  /** Seconds, 15 to 90. */
  readonly timeout?: number;
  readonly callbackUri?: string;
}

/** `POST …/calls/{id}/transfer`. */
export interface TransferBody {
  readonly transferTarget: InvitationBody;
  /** The participant to transfer, in a group call. */
  readonly transferee?: Graph.ParticipantInfo;
}

/** `POST /communications/calls`: a peer-to-peer call has `targets`, a meeting `meetingInfo`. */
export type PlaceCallBody = Omit<
  Graph.Call,
  'callbackUri' | 'requestedModalities' | 'mediaConfig' | 'targets'
> & {
  readonly callbackUri: string;
  readonly requestedModalities: Graph.Modality[];
  readonly mediaConfig: MediaConfigBody;
  readonly targets?: InvitationBody[];
};

// What a bot may accept when answering; `data` is only requested when placing a call.
const ANSWER_MODALITIES = [
  'audio',
  'video',
  'videoBasedScreenSharing',
] as const satisfies readonly Graph.Modality[];
const CALL_MODALITIES = [...ANSWER_MODALITIES, 'data'] as const satisfies readonly Graph.Modality[];
const REJECT_REASONS = [
  'none',
  'busy',
  'forbidden',
] as const satisfies readonly Graph.RejectReason[];
const ENDPOINT_TYPES = [
  'default',
  'voicemail',
  'skypeForBusiness',
  'skypeForBusinessVoipPhone',
] as const satisfies readonly Graph.EndpointType[];
const MEDIA_CONFIG_TYPES: readonly MediaConfigType[] = [
  '#microsoft.graph.serviceHostedMediaConfig',
  '#microsoft.graph.appHostedMediaConfig',
];
// The identity kinds a communicationsIdentitySet may carry in a request: those the library
// reads from notifications, and two it leaves in `raw`.
const IDENTITY_KINDS = [
  ...LIFTED_IDENTITY_KINDS,
  'azureCommunicationServicesUser',
  'device',
] as const satisfies readonly (keyof Graph.CommunicationsIdentitySet)[];
/** Graph's limits on a redirect's `timeout`, in seconds. */
const REDIRECT_TIMEOUT = { min: 15, max: 90 } as const;

/** Thrown inside a check, caught at its edge: the first problem found is the answer. */
class Refusal {
  constructor(readonly message: string) {}
}

/** Refuses the body being checked: the message says what was wrong with which field. */
export function refuse(message: string): never {
  throw new Refusal(message);
}

/** Reads an object body with `read`; its first refusal is the answer, prefixed with `what`. */
export function check<T>(
  body: unknown,
  what: string,
  read: (body: Record<string, unknown>) => T,
): Checked<T> {
  if (!isRecord(body)) {
    return {
      ok: false,
      message: `The body of ${what} must be a JSON object, got ${kindOf(body)}.`,
    };
  }
  try {
    return { ok: true, body: read(body) };
  } catch (reason) {
    if (reason instanceof Refusal) return { ok: false, message: `${what}: ${reason.message}` };
    throw reason;
  }
}

/** Answer: `callbackUri` (https) and `mediaConfig` are required. */
export function checkAnswer(body: unknown): Checked<AnswerBody> {
  return check(body, 'answer', (b) => {
    const callbackUri = httpsUri(b.callbackUri, 'callbackUri', true);
    const mediaConfig = mediaConfigOf(b.mediaConfig);
    const out: { -readonly [K in keyof AnswerBody]: AnswerBody[K] } = { callbackUri, mediaConfig };
    if (b.acceptedModalities !== undefined) {
      out.acceptedModalities = modalities(
        b.acceptedModalities,
        'acceptedModalities',
        ANSWER_MODALITIES,
      );
    }
    if (b.participantCapacity !== undefined && b.participantCapacity !== null) {
      if (!Number.isInteger(b.participantCapacity) || (b.participantCapacity as number) < 1) {
        refuse(
          `participantCapacity must be a whole number of participants, got ${show(b.participantCapacity)}.`,
        );
      }
      out.participantCapacity = b.participantCapacity as number;
    }
    if (b.callOptions !== undefined && b.callOptions !== null) {
      out.callOptions = objectOf(b.callOptions, 'callOptions') as Graph.IncomingCallOptions;
    }
    return out;
  });
}

/** Reject: `reason`, when given, is `none`, `busy` or `forbidden`. */
export function checkReject(body: unknown): Checked<RejectBody> {
  return check(body, 'reject', (b) => {
    const out: { -readonly [K in keyof RejectBody]: RejectBody[K] } = {};
    if (b.reason !== undefined && b.reason !== null) {
      if (!(REJECT_REASONS as readonly unknown[]).includes(b.reason)) {
        refuse(`reason must be one of ${list(REJECT_REASONS)}, got ${show(b.reason)}.`);
      }
      out.reason = b.reason as Graph.RejectReason;
    }
    const callbackUri = httpsUri(b.callbackUri, 'callbackUri', false);
    if (callbackUri !== undefined) out.callbackUri = callbackUri;
    return out;
  });
}

/** Redirect: a non-empty `targets` array; `timeout` in seconds, 15 to 90. */
export function checkRedirect(body: unknown): Checked<RedirectBody> {
  return check(body, 'redirect', (b) => {
    if (!Array.isArray(b.targets) || b.targets.length === 0) {
      refuse(
        `targets must be a non-empty array of invitationParticipantInfo (each with an identity), got ${show(b.targets)}.`,
      );
    }
    const targets = b.targets.map((target, i) => invitationOf(target, `targets[${i}]`));
    const out: { -readonly [K in keyof RedirectBody]: RedirectBody[K] } = { targets };
    if (b.timeout !== undefined && b.timeout !== null) {
      const t = b.timeout;
      if (
        typeof t !== 'number' ||
        !Number.isInteger(t) ||
        t < REDIRECT_TIMEOUT.min ||
        t > REDIRECT_TIMEOUT.max
      ) {
        refuse(
          `timeout must be a whole number of seconds from ${REDIRECT_TIMEOUT.min} to ${REDIRECT_TIMEOUT.max}, got ${show(t)}.`,
        );
      }
      out.timeout = t;
    }
    const callbackUri = httpsUri(b.callbackUri, 'callbackUri', false);
    if (callbackUri !== undefined) out.callbackUri = callbackUri;
    return out;
  });
}

/** Transfer: a `transferTarget` with an identity; `transferee` for group calls. */
export function checkTransfer(body: unknown): Checked<TransferBody> {
  return check(body, 'transfer', (b) => {
    if (b.transferTarget === undefined || b.transferTarget === null) {
      refuse(
        'transferTarget is required: an invitationParticipantInfo with an endpointType and an identity.',
      );
    }
    const out: { -readonly [K in keyof TransferBody]: TransferBody[K] } = {
      transferTarget: invitationOf(b.transferTarget, 'transferTarget'),
    };
    if (b.transferee !== undefined && b.transferee !== null) {
      const transferee = objectOf(b.transferee, 'transferee');
      if (transferee.identity !== undefined)
        identitySetOf(transferee.identity, 'transferee.identity');
      out.transferee = transferee as Graph.ParticipantInfo;
    }
    return out;
  });
}

/** Place a call: `callbackUri`, `requestedModalities`, `mediaConfig`, and `targets` (or a meeting). */
export function checkPlaceCall(body: unknown): Checked<PlaceCallBody> {
  return check(body, 'create call', (b) => {
    const callbackUri = httpsUri(b.callbackUri, 'callbackUri', true);
    if (b.requestedModalities === undefined || b.requestedModalities === null) {
      refuse(`requestedModalities is required: an array of ${list(CALL_MODALITIES)}.`);
    }
    const requestedModalities = modalities(
      b.requestedModalities,
      'requestedModalities',
      CALL_MODALITIES,
    );
    const mediaConfig = mediaConfigOf(b.mediaConfig);
    if (b.source !== undefined && b.source !== null) {
      identitySetOf(objectOf(b.source, 'source').identity, 'source.identity');
    }
    const meeting = b.meetingInfo !== undefined && b.meetingInfo !== null;
    let targets: InvitationBody[] | undefined;
    if (b.targets !== undefined && b.targets !== null) {
      if (!Array.isArray(b.targets) || b.targets.length === 0) {
        refuse(
          `targets must be a non-empty array of invitationParticipantInfo, got ${show(b.targets)}.`,
        );
      }
      targets = b.targets.map((target, i) => invitationOf(target, `targets[${i}]`));
    } else if (!meeting) {
      refuse('targets is required to call someone (or meetingInfo to join a meeting).');
    }
    const { targets: _targets, ...rest } = b as Graph.Call;
    return {
      ...rest,
      callbackUri,
      requestedModalities,
      mediaConfig,
      ...(targets !== undefined && { targets }),
    };
  });
}

function httpsUri(value: unknown, field: string, required: true): string;
function httpsUri(value: unknown, field: string, required: false): string | undefined;
function httpsUri(value: unknown, field: string, required: boolean): string | undefined {
  if (value === undefined || value === null) {
    if (required)
      refuse(`${field} is required: the https URL Graph posts the call's notifications to.`);
    return undefined;
  }
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  // Graph takes https only; the fake also takes http to a loopback host, where a bot under
  // test (and the demo) listens without a certificate.
  if (url?.protocol !== 'https:' && !(url?.protocol === 'http:' && isLoopback(url.hostname))) {
    refuse(`${field} must be an absolute https URL, got ${show(value)}.`);
  }
  return value as string;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

function mediaConfigOf(value: unknown): MediaConfigBody {
  if (value === undefined || value === null) {
    refuse(`mediaConfig is required: an object with @odata.type ${list(MEDIA_CONFIG_TYPES)}.`);
  }
  const config = objectOf(value, 'mediaConfig');
  const type = config['@odata.type'];
  if (!(MEDIA_CONFIG_TYPES as readonly unknown[]).includes(type)) {
    refuse(`mediaConfig['@odata.type'] must be ${list(MEDIA_CONFIG_TYPES)}, got ${show(type)}.`);
  }
  if (type === '#microsoft.graph.appHostedMediaConfig') {
    if (typeof config.blob !== 'string' || config.blob === '') {
      refuse(
        'mediaConfig.blob is required with appHostedMediaConfig: the media session blob of the media platform.',
      );
    }
  } else if (config.preFetchMedia !== undefined && config.preFetchMedia !== null) {
    if (!Array.isArray(config.preFetchMedia)) {
      refuse(
        `mediaConfig.preFetchMedia must be an array of mediaInfo, got ${show(config.preFetchMedia)}.`,
      );
    }
    config.preFetchMedia.forEach((media, i) => {
      const info = objectOf(media, `mediaConfig.preFetchMedia[${i}]`);
      if (typeof info.uri !== 'string')
        refuse(`mediaConfig.preFetchMedia[${i}].uri must be a string.`);
    });
  }
  return config as unknown as MediaConfigBody;
}

function modalities<M extends Graph.Modality>(
  value: unknown,
  field: string,
  allowed: readonly M[],
): M[] {
  if (!Array.isArray(value) || value.length === 0) {
    refuse(`${field} must be a non-empty array of ${list(allowed)}, got ${show(value)}.`);
  }
  value.forEach((modality, i) => {
    if (!(allowed as readonly unknown[]).includes(modality)) {
      refuse(`${field}[${i}] must be one of ${list(allowed)}, got ${show(modality)}.`);
    }
  });
  return value as M[];
}

export function invitationOf(value: unknown, field: string): InvitationBody {
  const info = objectOf(value, field);
  if (info.identity === undefined || info.identity === null) {
    refuse(
      `${field}.identity is required: an identitySet such as { user: { id } } or { phone: { id: '+1…' } }.`,
    );
  }
  identitySetOf(info.identity, `${field}.identity`);
  if (info.endpointType !== undefined && info.endpointType !== null) {
    if (!(ENDPOINT_TYPES as readonly unknown[]).includes(info.endpointType)) {
      refuse(
        `${field}.endpointType must be one of ${list(ENDPOINT_TYPES)}, got ${show(info.endpointType)}.`,
      );
    }
  }
  return info as unknown as InvitationBody;
}

function identitySetOf(value: unknown, field: string): Graph.CommunicationsIdentitySet {
  const set = objectOf(value, field);
  const kinds = IDENTITY_KINDS.filter((kind) => set[kind] !== undefined && set[kind] !== null);
  if (kinds.length === 0) {
    refuse(`${field} names no identity: give one of ${list(IDENTITY_KINDS)}, each with an id.`);
  }
  for (const kind of kinds) {
    const identity = objectOf(set[kind], `${field}.${kind}`);
    if (typeof identity.id !== 'string' || identity.id === '') {
      refuse(`${field}.${kind}.id must be a non-empty string, got ${show(identity.id)}.`);
    }
  }
  return set as Graph.CommunicationsIdentitySet;
}

export function objectOf(value: unknown, field: string): Record<string, unknown> {
  if (!isRecord(value)) refuse(`${field} must be an object, got ${kindOf(value)}.`);
  return value;
}

export function list(values: readonly string[]): string {
  return values.map((v) => `'${v}'`).join(', ');
}

export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${show(value)}`;
}
