/**
 * Weak entity tags as Graph puts them on `resourceData['@odata.etag']`: `W/"5445"`.
 *
 * Their ordering is undocumented (the docs give consecutive states the same etag), so the
 * machine uses them only as a tie-breaker between states of the same phase.
 *
 * @example
 * ```ts
 * import { parseEtag, compareEtags } from 'graph-call-machine';
 *
 * parseEtag('W/"5445"');               // { kind: 'numeric', digits: '5445', weak: true, raw: 'W/"5445"' }
 * compareEtags('W/"9"', 'W/"10"');     // -1
 * compareEtags('W/"abc"', 'W/"10"');   // undefined: not comparable
 * ```
 * @module
 */

/** An etag whose value is a run of decimal digits, so two of them can be ordered. */
export interface NumericEtag {
  readonly kind: 'numeric';
  /** The digits without leading zeros (`'0'` for zero); compared by length then text, so any size works. */
  readonly digits: string;
  readonly weak: boolean;
  readonly raw: string;
}

/** Any other etag: only equality is meaningful. */
export interface OpaqueEtag {
  readonly kind: 'opaque';
  readonly value: string;
  readonly weak: boolean;
  readonly raw: string;
}

/** A parsed etag. */
export type Etag = NumericEtag | OpaqueEtag;

const ETAG = /^\s*(W\/)?"([^"]*)"\s*$/i;
const DIGITS = /^\d+$/;

/**
 * Parses `W/"5445"`, `"5445"` or a bare `5445`. Never throws: what is not numeric is opaque.
 *
 * @example
 * ```ts
 * parseEtag('W/"00042"').kind; // 'numeric' (digits '42')
 * ```
 */
export function parseEtag(raw: string): Etag {
  const match = ETAG.exec(raw);
  const weak = match?.[1] !== undefined;
  const value = match ? (match[2] ?? '') : raw.trim();
  if (DIGITS.test(value)) {
    return { kind: 'numeric', digits: value.replace(/^0+(?=\d)/, ''), weak, raw };
  }
  return { kind: 'opaque', value, weak, raw };
}

/**
 * Orders two etags when both are numeric: -1, 0 or 1. `undefined` when either is missing or
 * opaque, because then only arrival order can decide.
 *
 * @example
 * ```ts
 * compareEtags('W/"5445"', 'W/"5446"'); // -1
 * ```
 */
export function compareEtags(a: string | undefined, b: string | undefined): -1 | 0 | 1 | undefined {
  if (a === undefined || b === undefined) return undefined;
  const pa = parseEtag(a);
  const pb = parseEtag(b);
  if (pa.kind !== 'numeric' || pb.kind !== 'numeric') return undefined;
  if (pa.digits.length !== pb.digits.length) return pa.digits.length < pb.digits.length ? -1 : 1;
  if (pa.digits === pb.digits) return 0;
  return pa.digits < pb.digits ? -1 : 1;
}

/**
 * Whether two etags name the same version: equal digits when both are numeric, otherwise the
 * same opaque value (weakness ignored, as for weak comparison in RFC 9110).
 *
 * @example
 * ```ts
 * sameEtag('W/"7"', '"7"'); // true
 * ```
 */
export function sameEtag(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const pa = parseEtag(a);
  const pb = parseEtag(b);
  if (pa.kind === 'numeric' && pb.kind === 'numeric') return pa.digits === pb.digits;
  if (pa.kind === 'opaque' && pb.kind === 'opaque') return pa.value === pb.value;
  return false;
}
