/**
 * Reading a notification's `resourceUrl` (or the old `resource`) into the call it belongs to.
 *
 * Accepted forms: `/communications/calls/{id}`, the same without the leading slash, the
 * deprecated beta `/app/calls/{id}`, absolute `https://graph.microsoft.com/{v1.0|beta}/…` URLs,
 * and sub-resources below a call: `…/participants[/{id}]`, `…/operations/{opId}`,
 * `…/contentsharingsessions[/{id}]`, or anything else (kind `other`).
 *
 * @example
 * ```ts
 * import { parseResourcePath } from 'graph-call-machine';
 *
 * parseResourcePath('communications/calls/abc/operations/op1');
 * // { ok: true, value: { callId: 'abc', resource: 'operation', subresourceId: 'op1', root: 'communications', path: 'communications/calls/abc/operations/op1' } }
 * ```
 * @module
 */

/** Which part of a call a notification is about. Only `call` carries the call's state. */
export type CallResourceKind = 'call' | 'participants' | 'operation' | 'other';

/** A resource path that names a call or something below it. */
export interface CallResourcePath {
  readonly callId: string;
  readonly resource: CallResourceKind;
  /** The id after `participants/`, `operations/` or `contentsharingsessions/`, when there is one. */
  readonly subresourceId?: string;
  /** `communications` for `/communications/calls`, `app` for the deprecated beta `/app/calls`. */
  readonly root: 'communications' | 'app';
  /** The path exactly as received. */
  readonly path: string;
}

/** Why a path could not be read. */
export type ResourcePathError =
  | { readonly code: 'empty'; readonly message: string }
  | { readonly code: 'notACall'; readonly message: string };

/** The outcome of {@link parseResourcePath}. */
export type ResourcePathResult =
  | { readonly ok: true; readonly value: CallResourcePath }
  | { readonly ok: false; readonly error: ResourcePathError };

const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\/[^/]+\/(?:v1\.0|beta)\//i;

/**
 * Parses a call resource path. Never throws.
 *
 * @example
 * ```ts
 * const r = parseResourcePath('/app/calls/57DAB8B1894C409AB240BD8BEAE78896');
 * if (r.ok) r.value.callId; // '57DAB8B1894C409AB240BD8BEAE78896'
 * ```
 */
export function parseResourcePath(path: string): ResourcePathResult {
  const trimmed = path.trim();
  if (trimmed === '') {
    return { ok: false, error: { code: 'empty', message: 'the resource path is empty' } };
  }
  const relative = trimmed.replace(ABSOLUTE, '').split(/[?#]/, 1)[0] ?? '';
  const segments = relative.split('/').filter((s) => s !== '');
  let rest: string[];
  let root: CallResourcePath['root'];
  const first = segments[0]?.toLowerCase();
  const second = segments[1]?.toLowerCase();
  if (first === 'communications' && second === 'calls') {
    root = 'communications';
    rest = segments.slice(2);
  } else if (first === 'app' && second === 'calls') {
    root = 'app';
    rest = segments.slice(2);
  } else {
    return notACall(trimmed);
  }
  const callId = rest[0] === undefined ? undefined : safeDecode(rest[0]);
  if (callId === undefined || callId === '') return notACall(trimmed);
  const kindSegment = rest[1]?.toLowerCase();
  const subresourceId = rest[2] === undefined ? undefined : safeDecode(rest[2]);
  const base = { callId, root, path };
  switch (kindSegment) {
    case undefined:
      return { ok: true, value: { ...base, resource: 'call' } };
    case 'participants':
      return { ok: true, value: withSub({ ...base, resource: 'participants' }, subresourceId) };
    case 'operations':
      return { ok: true, value: withSub({ ...base, resource: 'operation' }, subresourceId) };
    default:
      return { ok: true, value: withSub({ ...base, resource: 'other' }, subresourceId) };
  }
}

function withSub(value: CallResourcePath, subresourceId: string | undefined): CallResourcePath {
  return subresourceId === undefined || subresourceId === '' ? value : { ...value, subresourceId };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function notACall(path: string): ResourcePathResult {
  return {
    ok: false,
    error: {
      code: 'notACall',
      message: `"${path.length > 120 ? `${path.slice(0, 120)}…` : path}" is not a call resource: expected /communications/calls/{id} or /app/calls/{id}`,
    },
  };
}
