/**
 * Reading a notification's `resourceUrl` (or the old `resource`) into the call it belongs to.
 *
 * Accepted forms: `/communications/calls/{id}`, the same without the leading slash, the
 * deprecated beta `/app/calls/{id}`, absolute `https://graph.microsoft.com/{v1.0|beta}/…` URLs,
 * and sub-resources below a call: `…/participants[/{id}]`, `…/operations/{opId}`,
 * `…/contentsharingsessions[/{id}]`, or anything else (kind `other`). The call id is
 * percent-decoded, then checked with {@link callIdProblem}: an id that could not be stored or
 * sent back to Graph (a lone surrogate, `..`, a control character, …) is refused here.
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
import { callIdProblem } from './callId.js';

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

/**
 * Why a path could not be read: `empty`, `notACall` (not `/communications/calls/{id}` or
 * `/app/calls/{id}`), or `invalidCallId` (the path names a call, but its id is refused by
 * {@link callIdProblem}).
 */
export type ResourcePathError =
  | { readonly code: 'empty'; readonly message: string }
  | { readonly code: 'notACall'; readonly message: string }
  | { readonly code: 'invalidCallId'; readonly message: string };

/** The outcome of {@link parseResourcePath}. */
export type ResourcePathResult =
  | { readonly ok: true; readonly value: CallResourcePath }
  | { readonly ok: false; readonly error: ResourcePathError };

const MAX_SHOWN = 120;

const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\/[^/]+\/(?:v1\.0|beta)\//i;

/**
 * Parses a call resource path. Never throws.
 *
 * The call id is decoded before it is checked, so `/communications/calls/%2E%2E` is refused
 * like `/communications/calls/..`, and `%ED%A0%80` (a lone surrogate's UTF-8, which cannot be
 * decoded) stays as the literal text `%ED%A0%80`.
 *
 * @example
 * ```ts
 * const r = parseResourcePath('/app/calls/57DAB8B1894C409AB240BD8BEAE78896');
 * if (r.ok) r.value.callId; // '57DAB8B1894C409AB240BD8BEAE78896'
 * ```
 */
export function parseResourcePath(path: string): ResourcePathResult {
  // Every notification goes through here, so the common relative form avoids regexes.
  let relative = path.trim();
  if (relative === '') {
    return { ok: false, error: { code: 'empty', message: 'the resource path is empty' } };
  }
  if (relative.includes('://')) relative = relative.replace(ABSOLUTE, '');
  const query = relative.search(/[?#]/);
  if (query !== -1) relative = relative.slice(0, query);
  const segments = relative.split('/');
  let at = 0;
  const next = (): string | undefined => {
    while (at < segments.length && segments[at] === '') at++;
    return segments[at++];
  };
  const first = next()?.toLowerCase();
  const root = first === 'communications' ? 'communications' : first === 'app' ? 'app' : undefined;
  if (root === undefined || next()?.toLowerCase() !== 'calls') return notACall(path);
  const rawId = next();
  const callId = rawId === undefined ? '' : safeDecode(rawId);
  if (callId === '') return notACall(path);
  const problem = callIdProblem(callId);
  if (problem !== undefined) return invalidCallId(path, problem);
  const kind = next()?.toLowerCase();
  const rawSub = next();
  const subresourceId = rawSub === undefined ? undefined : safeDecode(rawSub);
  const resource: CallResourceKind =
    kind === undefined
      ? 'call'
      : kind === 'participants'
        ? 'participants'
        : kind === 'operations'
          ? 'operation'
          : 'other';
  return {
    ok: true,
    value:
      subresourceId === undefined || subresourceId === ''
        ? { callId, resource, root, path }
        : { callId, resource, subresourceId, root, path },
  };
}

function safeDecode(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function notACall(raw: string): ResourcePathResult {
  const path = raw.trim();
  return {
    ok: false,
    error: {
      code: 'notACall',
      message: `"${path.length > MAX_SHOWN ? `${path.slice(0, MAX_SHOWN)}…` : path}" is not a call resource: expected /communications/calls/{id} or /app/calls/{id}`,
    },
  };
}

function invalidCallId(raw: string, problem: string): ResourcePathResult {
  const path = raw.trim();
  // JSON quoting escapes the control characters and lone surrogates that got the id refused,
  // so the message itself is safe to log.
  const shown = JSON.stringify(path.length > MAX_SHOWN ? `${path.slice(0, MAX_SHOWN)}…` : path);
  return {
    ok: false,
    error: {
      code: 'invalidCallId',
      message: `${shown} names a call id that cannot be used: ${problem}`,
    },
  };
}
