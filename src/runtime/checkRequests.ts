/**
 * What the registry checks of a call-control request before it becomes part of a call's state:
 * the fields Graph requires, of the right kinds, and a plain JSON copy of reasonable size. A
 * request kept in the call's persisted context must survive a store round trip and must not
 * change when the caller later mutates its own object. Graph validates the rest (and answers 400).
 * @module
 */
import type {
  AnswerRequest,
  InvitationTarget,
  PlaceCallRequest,
  RedirectRequest,
  RejectReason,
  RejectRequest,
  TransferRequest,
} from '../graph/callRequests.js';

/** A request larger than this is refused: Graph's own bodies are a few kilobytes. */
const MAX_REQUEST_BYTES = 64 * 1024;
const REJECT_REASONS: readonly RejectReason[] = ['none', 'busy', 'forbidden'];
const MEDIA_CONFIG_TYPES = [
  '#microsoft.graph.serviceHostedMediaConfig',
  '#microsoft.graph.appHostedMediaConfig',
];

type Fields = Record<string, unknown>;

export function fail(method: string, message: string): never {
  throw new TypeError(`registry.${method}: ${message}`);
}

export function objectOf(method: string, value: unknown, what: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(method, `${what} must be an object, got ${value === null ? 'null' : typeof value}.`);
  }
  return value as Fields;
}

/** A detached JSON copy, or a TypeError naming why the request cannot be kept or sent. */
export function jsonCopy<T>(method: string, request: T): T {
  let text: string | undefined;
  try {
    text = JSON.stringify(request);
  } catch (error) {
    fail(method, `the request cannot be sent as JSON: ${(error as Error).message}.`);
  }
  if (text === undefined) fail(method, 'the request cannot be sent as JSON.');
  if (text.length > MAX_REQUEST_BYTES) {
    fail(
      method,
      `the request is ${text.length} characters of JSON; at most ${MAX_REQUEST_BYTES} are accepted.`,
    );
  }
  return JSON.parse(text) as T;
}

export function checkUri(method: string, value: unknown, what: string): void {
  // http is let through for a bot (or a fake Graph) on loopback; Graph itself answers 400.
  if (typeof value !== 'string' || !URL.canParse(value) || !/^https?:/i.test(value)) {
    fail(
      method,
      `${what} must be an absolute http(s) URL (Graph requires https), got ${JSON.stringify(value)}.`,
    );
  }
}

function checkMediaConfig(method: string, value: unknown): void {
  const config = objectOf(method, value, 'mediaConfig');
  if (!MEDIA_CONFIG_TYPES.includes(config['@odata.type'] as string)) {
    fail(
      method,
      `mediaConfig['@odata.type'] must be ${MEDIA_CONFIG_TYPES.join(' or ')}, got ${JSON.stringify(config['@odata.type'])}.`,
    );
  }
}

export function checkTarget(method: string, value: unknown, what: string): void {
  const target = objectOf(method, value, what);
  const identity = objectOf(method, target.identity, `${what}.identity`);
  if (Object.keys(identity).filter((k) => k !== '@odata.type').length === 0) {
    fail(method, `${what}.identity names nobody: give a user, application, phone, … identity.`);
  }
}

export function checkAnswer(request: AnswerRequest): AnswerRequest {
  const fields = objectOf('answer', request, 'the request');
  checkUri('answer', fields.callbackUri, 'callbackUri');
  checkMediaConfig('answer', fields.mediaConfig);
  return jsonCopy('answer', request);
}

export function checkReject(reason: unknown, callbackUri: unknown): RejectRequest {
  if (!REJECT_REASONS.includes(reason as RejectReason)) {
    fail(
      'reject',
      `reason must be one of ${REJECT_REASONS.join(', ')}, got ${JSON.stringify(reason)}.`,
    );
  }
  if (callbackUri !== undefined) checkUri('reject', callbackUri, 'callbackUri');
  const request: RejectRequest =
    callbackUri === undefined
      ? { reason: reason as RejectReason }
      : { reason: reason as RejectReason, callbackUri: callbackUri as string };
  return jsonCopy('reject', request);
}

export function checkRedirect(
  targets: InvitationTarget | readonly InvitationTarget[],
  options: { timeout?: unknown; callbackUri?: unknown },
): RedirectRequest {
  const list: readonly unknown[] = Array.isArray(targets) ? targets : [targets];
  if (list.length === 0) fail('redirect', 'give at least one target.');
  for (const [i, target] of list.entries()) checkTarget('redirect', target, `targets[${i}]`);
  const { timeout, callbackUri } = options;
  if (timeout !== undefined && !(typeof timeout === 'number' && timeout >= 15 && timeout <= 90)) {
    fail('redirect', `timeout is in seconds, 15 to 90; got ${JSON.stringify(timeout)}.`);
  }
  if (callbackUri !== undefined) checkUri('redirect', callbackUri, 'callbackUri');
  return jsonCopy('redirect', {
    targets: list as InvitationTarget[],
    ...(timeout === undefined ? {} : { timeout: timeout as number }),
    ...(callbackUri === undefined ? {} : { callbackUri: callbackUri as string }),
  });
}

export function checkTransfer(target: InvitationTarget, transferee: unknown): TransferRequest {
  checkTarget('transfer', target, 'the transfer target');
  if (transferee !== undefined) objectOf('transfer', transferee, 'transferee');
  return jsonCopy(
    'transfer',
    transferee === undefined
      ? { transferTarget: target }
      : {
          transferTarget: target,
          transferee: transferee as TransferRequest['transferee'] & object,
        },
  );
}

export function checkPlaceCall(request: PlaceCallRequest): PlaceCallRequest {
  const fields = objectOf('placeCall', request, 'the request');
  checkUri('placeCall', fields.callbackUri, 'callbackUri');
  checkMediaConfig('placeCall', fields.mediaConfig);
  const modalities = fields.requestedModalities;
  if (!Array.isArray(modalities) || modalities.length === 0) {
    fail('placeCall', 'requestedModalities must name at least one modality, e.g. ["audio"].');
  }
  const targets = fields.targets;
  if (targets !== undefined) {
    if (!Array.isArray(targets)) fail('placeCall', 'targets must be an array.');
    for (const [i, target] of targets.entries()) checkTarget('placeCall', target, `targets[${i}]`);
  }
  if (targets === undefined && fields.meetingInfo === undefined && fields.chatInfo === undefined) {
    fail(
      'placeCall',
      'say whom to call: targets (a peer-to-peer call) or meetingInfo (a meeting).',
    );
  }
  return jsonCopy('placeCall', request);
}
