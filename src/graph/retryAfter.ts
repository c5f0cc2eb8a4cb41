/**
 * Reads the `Retry-After` header Graph sends with `429 Too Many Requests` and
 * `503 Service Unavailable`: either delta-seconds (Graph's throttling sends fractions such as
 * `2.128`) or an HTTP-date (RFC 9110 §10.2.3).
 *
 * @example
 * ```ts
 * import { parseRetryAfter } from 'graph-call-machine';
 *
 * parseRetryAfter('2.128', Date.now());                       // 2128
 * parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('2015-10-21T07:28:00Z')); // 5000
 * parseRetryAfter('soon', Date.now());                        // undefined
 * ```
 * @module
 */

// RFC 9110 allows only digits; the fraction is Graph's extension. Signs, exponents and a bare
// `.5` are rejected rather than guessed at.
const DELTA_SECONDS = /^(\d+)(?:\.(\d+))?$/;

const MONTHS: Readonly<Record<string, number>> = {
  jan: 0,
  feb: 1,
  mar: 2,
  apr: 3,
  may: 4,
  jun: 5,
  jul: 6,
  aug: 7,
  sep: 8,
  oct: 9,
  nov: 10,
  dec: 11,
};

const MONTH = '(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
// The three forms a recipient must accept (RFC 9110 §5.6.7). Names are matched without regard
// to case: being lenient here costs nothing and a sender that shouts should still be obeyed.
const IMF_FIXDATE = new RegExp(
  `^(?:mon|tue|wed|thu|fri|sat|sun), (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`,
  'i',
);
const RFC850_DATE = new RegExp(
  `^(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday), (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`,
  'i',
);
const ASCTIME_DATE = new RegExp(
  `^(?:mon|tue|wed|thu|fri|sat|sun) ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`,
  'i',
);

/**
 * The delay a `Retry-After` header asks for, in milliseconds from `nowMs`.
 *
 * - delta-seconds, fractions allowed: `2.128` → 2128 (rounded up to a whole millisecond, so the
 *   caller never retries early);
 * - an HTTP-date: the time until it, 0 when it has passed.
 *
 * Anything else (absent, empty, negative, garbage, a list of values) is `undefined`. Nothing is
 * capped: the machine applies `maxRetryDelayMs`.
 *
 * @param header - the header value as received (`Headers.get('retry-after')`)
 * @param nowMs - the current time (epoch ms), used only for an HTTP-date
 *
 * @example
 * ```ts
 * parseRetryAfter('120', 0);   // 120000
 * parseRetryAfter('0.2', 0);   // 200
 * parseRetryAfter('-1', 0);    // undefined
 * ```
 */
export function parseRetryAfter(
  header: string | null | undefined,
  nowMs: number,
): number | undefined {
  if (header === null || header === undefined) return undefined;
  const text = header.trim();
  if (text === '') return undefined;
  const seconds = DELTA_SECONDS.exec(text);
  if (seconds) return deltaSecondsToMs(seconds[1] ?? '0', seconds[2] ?? '');
  const at = parseHttpDate(text, nowMs);
  return at === undefined ? undefined : Math.max(0, at - nowMs);
}

// Decimal text is split instead of multiplied as a float: 2.128 * 1000 is not always 2128 in
// binary floating point, and rounding up a value a hair above an integer would add 1 ms.
function deltaSecondsToMs(whole: string, fraction: string): number | undefined {
  const millis = Number(fraction.slice(0, 3).padEnd(3, '0'));
  const roundUp = /[1-9]/.test(fraction.slice(3)) ? 1 : 0;
  const ms = Number(whole) * 1000 + millis + roundUp;
  return Number.isFinite(ms) ? ms : undefined;
}

function parseHttpDate(text: string, nowMs: number): number | undefined {
  let match = IMF_FIXDATE.exec(text);
  if (match) {
    const [, day, month, year, hh, mm, ss] = match;
    return utc(Number(year), month, Number(day), hh, mm, ss);
  }
  match = RFC850_DATE.exec(text);
  if (match) {
    const [, day, month, yy, hh, mm, ss] = match;
    return utc(fullYear(Number(yy), nowMs), month, Number(day), hh, mm, ss);
  }
  match = ASCTIME_DATE.exec(text);
  if (match) {
    const [, month, day, hh, mm, ss, year] = match;
    return utc(Number(year), month, Number(day), hh, mm, ss);
  }
  return undefined;
}

// RFC 9110: a two-digit year that would lie more than 50 years in the future means the most
// recent past year with those digits.
function fullYear(twoDigits: number, nowMs: number): number {
  const nowYear = new Date(nowMs).getUTCFullYear();
  const candidate = nowYear - (nowYear % 100) + twoDigits;
  return candidate > nowYear + 50 ? candidate - 100 : candidate;
}

function utc(
  year: number,
  monthName: string | undefined,
  day: number,
  hh: string | undefined,
  mm: string | undefined,
  ss: string | undefined,
): number | undefined {
  const month = MONTHS[(monthName ?? '').toLowerCase()];
  const [hours, minutes, secs] = [Number(hh), Number(mm), Number(ss)];
  if (month === undefined || hours > 23 || minutes > 59 || secs > 60) return undefined;
  // Date.UTC rolls 31 Feb over into March; an impossible date is garbage, not a date. The
  // time is added after the check so that a leap second (23:59:60, allowed by the grammar)
  // lands on the next second: late by one second at most, hence safe.
  const dayStart = Date.UTC(year, month, day);
  const check = new Date(dayStart);
  if (check.getUTCMonth() !== month || check.getUTCDate() !== day) return undefined;
  return dayStart + ((hours * 60 + minutes) * 60 + secs) * 1000;
}
