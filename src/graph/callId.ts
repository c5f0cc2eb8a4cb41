/**
 * What a call id must look like before the library stores it or puts it in a URL.
 *
 * A call id arrives from the outside (a notification's `resourceUrl`, a caller of the Graph
 * client) and ends up as one segment of `…/communications/calls/{id}`. An id that cannot be
 * that segment is refused where it enters, with a sentence saying why, instead of failing later:
 * a lone surrogate makes `encodeURIComponent` throw `URIError`, `..` resolves to another
 * resource, a `/` or `?` changes the path.
 *
 * @example
 * ```ts
 * import { callIdProblem, isValidCallId } from 'graph-call-machine';
 *
 * isValidCallId('57dab8b1-894c-409a-b240-bd8beae78896'); // true
 * callIdProblem('\ud800');
 * // 'the call id is not well-formed UTF-16: it holds an unpaired surrogate U+D800 at index 0'
 * ```
 * @module
 */

/**
 * The longest call id accepted, in UTF-16 code units. Graph's call ids are GUID-like, about 36
 * characters (`57dab8b1-894c-409a-b240-bd8beae78896`, or 32 hex digits in old `/app/calls`
 * payloads); the bound leaves room for formats Graph may adopt while keeping a hostile payload
 * from making every store key, log line and URL arbitrarily large.
 */
export const MAX_CALL_ID_LENGTH = 256;

/**
 * Says what is wrong with a call id, or `undefined` when it is acceptable. Never throws.
 *
 * Refused: the empty string; `.` and `..` (URL resolution removes them, so the request would
 * address the calls collection or its parent); text that is not well-formed UTF-16 (a lone
 * surrogate, which cannot be percent-encoded); control characters (U+0000–U+001F,
 * U+007F–U+009F); the characters that reorder text on screen (U+061C, U+200E, U+200F,
 * U+202A–U+202E, U+2066–U+2069), with which an id in a log or a console would read as another;
 * `/`, `\`, `?` and `#`; more than {@link MAX_CALL_ID_LENGTH} UTF-16 code units.
 * The answer names the first problem found and never repeats the id itself, so it is safe to log.
 *
 * @param id - the call id, already percent-decoded
 * @returns a short sentence starting with "the call id", or `undefined`
 *
 * @example
 * ```ts
 * callIdProblem('57dab8b1-894c-409a-b240-bd8beae78896'); // undefined
 * callIdProblem('..');     // 'the call id ".." is a relative path segment: …'
 * callIdProblem('a/b');    // 'the call id holds "/" at index 1, …'
 * callIdProblem('a\u0000'); // 'the call id holds the control character U+0000 at index 1'
 * ```
 */
export function callIdProblem(id: string): string | undefined {
  // Callers in plain JavaScript can hand over anything; the promise is "never throws".
  if (typeof id !== 'string') return `the call id is ${id === null ? 'null' : typeof id}, not text`;
  if (id.length === 0) return 'the call id is empty';
  if (id.length > MAX_CALL_ID_LENGTH) {
    return `the call id is ${id.length} UTF-16 code units long, more than the ${MAX_CALL_ID_LENGTH} accepted (Graph call ids are about 36)`;
  }
  if (id === '.' || id === '..') {
    return `the call id "${id}" is a relative path segment: a URL would resolve it to another resource`;
  }
  if (!isWellFormed(id)) {
    const at = firstLoneSurrogate(id);
    return `the call id is not well-formed UTF-16: it holds an unpaired surrogate ${codePoint(id.charCodeAt(at))} at index ${at}`;
  }
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) {
      return `the call id holds the control character ${codePoint(c)} at index ${i}`;
    }
    if (isBidiControl(c)) {
      return `the call id holds the direction control ${codePoint(c)} at index ${i}, which makes it read as another id`;
    }
    // `#`, `/`, `?` and `\` would change which URL the id addresses, or how a server splits it.
    if (c === 0x23 || c === 0x2f || c === 0x3f || c === 0x5c) {
      return `the call id holds "${id.charAt(i)}" at index ${i}, which would change the URL it is sent to`;
    }
  }
  return undefined;
}

function isBidiControl(c: number): boolean {
  return (
    c === 0x061c ||
    c === 0x200e ||
    c === 0x200f ||
    (c >= 0x202a && c <= 0x202e) ||
    (c >= 0x2066 && c <= 0x2069)
  );
}

/**
 * Whether {@link callIdProblem} accepts the id.
 *
 * @example
 * ```ts
 * isValidCallId('57dab8b1-894c-409a-b240-bd8beae78896'); // true
 * isValidCallId('%2E%2E'); // true: the check is on decoded ids, and decoded this is '..'
 * isValidCallId('..');     // false
 * ```
 */
export function isValidCallId(id: string): boolean {
  return callIdProblem(id) === undefined;
}

type WellFormedCheck = (this: string) => boolean;

// ES2024 is newer than the library's target, so the method is looked up rather than assumed;
// read on each call so a runtime without it (or a test removing it) takes the scan.
function isWellFormed(text: string): boolean {
  const proto: object & { readonly isWellFormed?: WellFormedCheck } = String.prototype;
  const native = proto.isWellFormed;
  return typeof native === 'function' ? native.call(text) : firstLoneSurrogate(text) === -1;
}

/** Index of the first surrogate code unit that is not half of a pair, or -1. */
function firstLoneSurrogate(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        i++;
        continue;
      }
    }
    return i;
  }
  return -1;
}

function codePoint(unit: number): string {
  return `U+${unit.toString(16).toUpperCase().padStart(4, '0')}`;
}
