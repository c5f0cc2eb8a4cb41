/**
 * Reads a webhook body into typed call notifications, one item at a time: the valid items are
 * parsed, the others rejected with a reason, and nothing is dropped or thrown.
 *
 * Accepted bodies: the `commsNotifications` envelope `{ "value": [ … ] }` (as an object, JSON
 * text, or UTF-8 bytes), and a bare single `commsNotification`, which the Graph resource docs show
 * as examples. Every generation of the payload is read: `resourceUrl` or the old `resource`,
 * `state` or the old `callState`, `transfer-accepted`, `resultInfo` codes as numbers or strings,
 * `subcode` or `subCode`.
 *
 * @example
 * ```ts
 * import { parseNotifications } from 'graph-call-machine';
 *
 * const { notifications, rejected } = parseNotifications(await request.text());
 * for (const n of notifications) {
 *   if (n.resource === 'call') console.log(n.callId, n.changeType, n.state);
 * }
 * for (const r of rejected) console.warn(r.code, r.field, r.message);
 * ```
 * @module
 */
import { normalizeCallState } from './callState.js';
import { isJsonObject as isObject, type JsonObject, own } from './jsonObject.js';
import type {
  CallNotification,
  ChangeType,
  ParsedNotifications,
  RejectedNotification,
  RejectionCode,
  ToneInfo,
} from './notification.js';
import { readOperationReport } from './operationReport.js';
import { readRoster } from './participant.js';
import { type CallIdentitySet, readIdentitySet, readParticipantInfo } from './participantInfo.js';
import { parseResourcePath } from './resourcePath.js';
import { readResultInfo } from './resultInfo.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const EXPECTED_ENVELOPE = 'expected a commsNotifications envelope { "value": [ … ] }';
const EXPECTED_CHANGE_TYPE = 'expected created, updated or deleted';
const EXPECTED_RESOURCE =
  'expected a call resource path such as /communications/calls/{id} in resourceUrl (or resource in older payloads)';
const MAX_SHOWN = 80;

// One decoder for every call: `decode` without `stream` keeps no state between calls.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a Graph calling webhook body. Never throws for any string, byte sequence or JSON-shaped
 * value (objects with throwing getters or hostile proxies are outside that promise).
 *
 * - `body` may be the parsed JSON, the JSON text, or its UTF-8 bytes (`Uint8Array`, `Buffer`,
 *   `ArrayBuffer`). Text that is not JSON, or bytes that are not UTF-8, give one rejection with
 *   `index: null` and code `invalidBody`; a value that is not an envelope gives `notAnEnvelope`.
 * - Every item of `value` lands in exactly one list. Items about the call itself
 *   (`resource: 'call'`) carry its `state`; participants, operations and other sub-resources carry
 *   the call id, so they can be routed to the call, but no state.
 * - A call id is checked after percent-decoding: one that could not be stored or put back in a
 *   Graph URL (a lone surrogate such as `\ud800`, `..`, a control character, `/`, more than 256
 *   characters; see `callIdProblem`) rejects its item with code `invalidCallId`, and only it.
 * - Items about the call itself also carry, when Graph sent them, `direction`, the caller
 *   (`source`), the callee side (`targets`) and `myParticipantId`. A value of the wrong type is
 *   left out for that field alone: it never rejects the item.
 * - JSON `null` counts as absent for `resourceData`, `state` and the other optional fields.
 * - Only own properties are read, so `__proto__` keys or inherited values never parse as fields.
 *
 * @example
 * ```ts
 * const { notifications, rejected } = parseNotifications({
 *   '@odata.type': '#microsoft.graph.commsNotifications',
 *   value: [
 *     {
 *       changeType: 'deleted',
 *       resourceUrl: '/communications/calls/57dab8b1-894c-409a-b240-bd8beae78896',
 *       resourceData: {
 *         '@odata.type': '#microsoft.graph.call',
 *         state: 'terminated',
 *         resultInfo: { code: '200', subcode: '5001', message: 'The conversation has ended.' },
 *       },
 *     },
 *     { changeType: 'moved', resourceUrl: '/communications/calls/abc' },
 *   ],
 * });
 * notifications[0]; // { index: 0, callId: '57dab8b1-…', changeType: 'deleted', resource: 'call',
 *                   //   state: 'terminated', resultInfo: { code: 200, subcode: 5001, message: … }, … }
 * rejected[0];      // { index: 1, code: 'invalidChangeType', field: 'value[1].changeType',
 *                   //   message: 'value[1].changeType is "moved": expected created, updated or deleted', … }
 * ```
 */
export function parseNotifications(body: unknown): ParsedNotifications {
  const notifications: CallNotification[] = [];
  const rejected: RejectedNotification[] = [];
  const opened = openEnvelope(body);
  if ('rejection' in opened) rejected.push(opened.rejection);
  else readItems(opened, 0, opened.items.length, notifications, rejected);
  return { notifications, rejected };
}

/**
 * An envelope opened, its items not read yet: `parseNotifications` in two halves, for a reader
 * that reads a large envelope a slice at a time (the registry, between turns of the event loop).
 * @internal
 */
export type OpenedEnvelope =
  | { readonly items: readonly unknown[]; readonly bare: boolean }
  | { readonly rejection: RejectedNotification };

/** Opens a webhook body: its items, or why it is not an envelope. @internal */
export function openEnvelope(body: unknown): OpenedEnvelope {
  const decoded = decodeBody(body);
  if (decoded.rejection !== undefined) return { rejection: decoded.rejection };
  const envelope = decoded.value;
  if (!isObject(envelope)) {
    return {
      rejection: bodyRejection(
        'notAnEnvelope',
        `the body is ${describe(envelope)}: ${EXPECTED_ENVELOPE}`,
        body,
      ),
    };
  }
  const value = own(envelope, 'value');
  if (value === undefined) {
    // The resource docs show a single commsNotification as the example body. Graph itself
    // posts the envelope, but accepting the bare shape as a batch of one costs nothing and keeps
    // bots written against those examples (and their tests) working.
    if (looksLikeNotification(envelope)) return { items: [envelope], bare: true };
    return {
      rejection: bodyRejection(
        'notAnEnvelope',
        `the body is an object without "value" (keys: ${keyList(envelope)}): ${EXPECTED_ENVELOPE}`,
        body,
      ),
    };
  }
  if (!Array.isArray(value)) {
    return {
      rejection: bodyRejection(
        'notAnEnvelope',
        `"value" is ${describe(value)}: ${EXPECTED_ENVELOPE}`,
        body,
        'value',
      ),
    };
  }
  // The envelope's @odata.type is not checked: an unexpected type name must not cost the
  // valid items inside it; items that are not about calls are rejected one by one instead.
  return { items: value, bare: false };
}

/** Reads the items `from` (included) to `to` (excluded) of an opened envelope. @internal */
export function readItems(
  opened: { readonly items: readonly unknown[]; readonly bare: boolean },
  from: number,
  to: number,
  notifications: CallNotification[],
  rejected: RejectedNotification[],
): void {
  for (let i = from; i < to; i++)
    readItem(opened.items[i], i, opened.bare, notifications, rejected);
}

type Decoded = { value: unknown; rejection?: undefined } | { rejection: RejectedNotification };

function decodeBody(body: unknown): Decoded {
  let text: string;
  if (typeof body === 'string') {
    text = body;
  } else if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) {
    try {
      text = utf8.decode(
        ArrayBuffer.isView(body)
          ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
          : body,
      );
    } catch (error) {
      return {
        rejection: bodyRejection(
          'invalidBody',
          `the body is not valid UTF-8: ${errorMessage(error)}`,
          body,
        ),
      };
    }
  } else {
    return { value: body };
  }
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return {
      rejection: bodyRejection(
        'invalidBody',
        `the body is not valid JSON (${errorMessage(error)}): ${EXPECTED_ENVELOPE}`,
        body,
      ),
    };
  }
}

function readItem(
  item: unknown,
  index: number,
  bare: boolean,
  notifications: CallNotification[],
  rejected: RejectedNotification[],
): void {
  if (!isObject(item)) {
    const field = `value[${index}]`;
    rejected.push(
      itemRejection(
        index,
        'notAnObject',
        field,
        `${field} is ${describe(item)}: expected a notification object`,
        item,
      ),
    );
    return;
  }

  const rawChangeType = own(item, 'changeType');
  if (rawChangeType === undefined || rawChangeType === null) {
    const field = fieldPath(bare, index, 'changeType');
    rejected.push(
      itemRejection(
        index,
        'missingChangeType',
        field,
        `${field} is missing: ${EXPECTED_CHANGE_TYPE}`,
        item,
      ),
    );
    return;
  }
  const changeType = typeof rawChangeType === 'string' ? toChangeType(rawChangeType) : undefined;
  if (changeType === undefined) {
    const field = fieldPath(bare, index, 'changeType');
    rejected.push(
      itemRejection(
        index,
        'invalidChangeType',
        field,
        `${field} is ${describe(rawChangeType)}: ${EXPECTED_CHANGE_TYPE}`,
        item,
      ),
    );
    return;
  }

  // resourceUrl is the current field; payloads before 2019 only have resource.
  let resourceKey = 'resourceUrl';
  let resourcePath = own(item, 'resourceUrl');
  if (typeof resourcePath !== 'string') {
    const legacy = own(item, 'resource');
    if (typeof legacy === 'string' || (resourcePath === undefined && legacy !== undefined)) {
      resourceKey = 'resource';
      resourcePath = legacy;
    }
  }
  if (typeof resourcePath !== 'string') {
    const field = fieldPath(bare, index, resourceKey);
    rejected.push(
      itemRejection(
        index,
        'missingResource',
        field,
        `${field} is ${describe(resourcePath)}: ${EXPECTED_RESOURCE}`,
        item,
      ),
    );
    return;
  }
  const parsedPath = parseResourcePath(resourcePath);
  if (!parsedPath.ok) {
    const field = fieldPath(bare, index, resourceKey);
    const code = parsedPath.error.code === 'invalidCallId' ? 'invalidCallId' : 'invalidResource';
    rejected.push(itemRejection(index, code, field, `${field}: ${parsedPath.error.message}`, item));
    return;
  }
  const path = parsedPath.value;

  const resourceData = own(item, 'resourceData');
  let data: JsonObject | undefined;
  if (Array.isArray(resourceData)) {
    data = firstObject(resourceData);
  } else if (isObject(resourceData)) {
    data = resourceData;
  } else if (resourceData !== undefined && resourceData !== null) {
    const field = fieldPath(bare, index, 'resourceData');
    rejected.push(
      itemRejection(
        index,
        'invalidResourceData',
        field,
        `${field} is ${describe(resourceData)}: expected an object, an array of objects, or nothing`,
        item,
      ),
    );
    return;
  }

  const notification: Mutable<CallNotification> = {
    index,
    callId: path.callId,
    changeType,
    resource: path.resource,
    resourcePath,
    raw: item,
  };
  if (path.subresourceId !== undefined) notification.subresourceId = path.subresourceId;

  if (data !== undefined) {
    const dataType = own(data, '@odata.type');
    if (typeof dataType === 'string') notification.dataType = dataType;
    if (path.resource === 'call') {
      const rejection = readCallData(data, notification, bare);
      if (rejection !== undefined) {
        rejected.push(rejection);
        return;
      }
    } else if (data === resourceData) {
      // A sub-resource array is a roster: a resultInfo inside it belongs to one participant,
      // not to this change. Operations (a single object) report their outcome here.
      const resultInfo = readResultInfo(own(data, 'resultInfo'));
      if (resultInfo !== undefined) notification.resultInfo = resultInfo;
      if (path.resource === 'operation') {
        const operation = readOperationReport(data);
        if (operation !== undefined) notification.operation = operation;
      }
    }
  }
  if (path.resource === 'participants') {
    const roster = readRoster(changeType, resourceData, path.subresourceId);
    if (roster !== undefined) notification.roster = roster;
  }
  notifications.push(notification);
}

function readCallData(
  data: JsonObject,
  notification: Mutable<CallNotification>,
  bare: boolean,
): RejectedNotification | undefined {
  let stateKey = 'state';
  let stateText = own(data, 'state');
  if (stateText === undefined || stateText === null) {
    stateKey = 'callState';
    stateText = own(data, 'callState');
  }
  if (stateText !== undefined && stateText !== null) {
    if (typeof stateText !== 'string') {
      const field = fieldPath(bare, notification.index, `resourceData.${stateKey}`);
      return itemRejection(
        notification.index,
        'invalidState',
        field,
        `${field} is ${describe(stateText)}: expected a call state such as "established"`,
        notification.raw,
      );
    }
    const { state } = normalizeCallState(stateText);
    notification.state = state;
    if (stateText !== state) notification.stateText = stateText;
  }
  // Only the call's own etag is lifted: an operation's etag versions the operation, and mixing
  // the two would make an operation update look newer or older than a call state.
  const etag = own(data, '@odata.etag');
  if (typeof etag === 'string') notification.etag = etag;
  const resultInfo = readResultInfo(own(data, 'resultInfo'));
  if (resultInfo !== undefined) notification.resultInfo = resultInfo;
  const terminationReason = own(data, 'terminationReason');
  if (typeof terminationReason === 'string') notification.terminationReason = terminationReason;
  readParties(data, notification);
  const tone = readTone(own(data, 'toneInfo'));
  if (tone !== undefined) notification.tone = tone;
  return undefined;
}

/** A key press Graph reports on the call (`toneInfo`): kept only with a numeric sequence id. */
function readTone(value: unknown): ToneInfo | undefined {
  if (!isObject(value)) return undefined;
  const sequenceId = own(value, 'sequenceId');
  const tone = own(value, 'tone');
  if (typeof sequenceId !== 'number' || !Number.isSafeInteger(sequenceId)) return undefined;
  if (typeof tone !== 'string' || tone === '') return undefined;
  return { sequenceId, tone };
}

/**
 * Who is on the call: direction, caller, callee side, the bot's own participant id. Each field
 * stands alone: one of the wrong type is left out (it stays in `raw`), never a rejection. Every
 * generation spells these the same (2018 `callState` payloads included); only the caller's
 * language moved, which readParticipantInfo handles.
 */
function readParties(data: JsonObject, notification: Mutable<CallNotification>): void {
  const direction = own(data, 'direction');
  if (direction === 'incoming' || direction === 'outgoing') {
    notification.direction = direction;
  }
  const source = own(data, 'source');
  if (source !== undefined) {
    const info = readParticipantInfo(source);
    if (info !== undefined) notification.source = info;
  }
  const targets = own(data, 'targets');
  if (Array.isArray(targets)) {
    const identities = readTargets(targets);
    if (identities !== undefined) notification.targets = identities;
  }
  const myParticipantId = own(data, 'myParticipantId');
  if (typeof myParticipantId === 'string') notification.myParticipantId = myParticipantId;
}

function readTargets(targets: readonly unknown[]): CallIdentitySet[] | undefined {
  let identities: CallIdentitySet[] | undefined;
  for (const target of targets) {
    const identity = isObject(target) ? readIdentitySet(own(target, 'identity')) : undefined;
    if (identity === undefined) continue;
    identities ??= [];
    identities.push(identity);
  }
  return identities;
}

function toChangeType(text: string): ChangeType | undefined {
  switch (text.length === 7 ? text.toLowerCase() : '') {
    case 'created':
      return 'created';
    case 'updated':
      return 'updated';
    case 'deleted':
      return 'deleted';
    default:
      return undefined;
  }
}

function looksLikeNotification(value: JsonObject): boolean {
  return (
    own(value, 'changeType') !== undefined &&
    (own(value, 'resourceUrl') !== undefined || own(value, 'resource') !== undefined)
  );
}

function firstObject(items: readonly unknown[]): JsonObject | undefined {
  for (const item of items) {
    if (isObject(item)) return item;
  }
  return undefined;
}

function fieldPath(bare: boolean, index: number, name: string): string {
  return bare ? name : `value[${index}].${name}`;
}

function itemRejection(
  index: number,
  code: RejectionCode,
  field: string,
  message: string,
  raw: unknown,
): RejectedNotification {
  return { index, code, field, message, raw };
}

function bodyRejection(
  code: RejectionCode,
  message: string,
  raw: unknown,
  field?: string,
): RejectedNotification {
  return field === undefined
    ? { index: null, code, message, raw }
    : { index: null, code, field, message, raw };
}

/** Names a received value for a message, cut short so a hostile body cannot bloat the logs. */
function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(truncate(value));
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return 'binary data';
  switch (typeof value) {
    case 'number':
    case 'bigint':
    case 'boolean':
      return `${truncate(String(value))} (a ${typeof value})`;
    case 'object':
      return 'an object';
    default:
      return `a ${typeof value}`;
  }
}

function keyList(object: JsonObject): string {
  const keys: string[] = [];
  for (const key in object) {
    if (!Object.hasOwn(object, key)) continue;
    if (keys.length === 5) {
      keys.push('…');
      break;
    }
    keys.push(JSON.stringify(truncate(key)));
  }
  return keys.length === 0 ? 'none' : keys.join(', ');
}

function truncate(text: string): string {
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}

function errorMessage(error: unknown): string {
  return truncate(error instanceof Error ? error.message : String(error));
}
