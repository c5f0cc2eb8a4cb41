import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../src/graph/retryAfter.js';

const NOW = Date.UTC(2015, 9, 21, 7, 28, 0); // Wed, 21 Oct 2015 07:28:00 GMT

describe('parseRetryAfter: delta-seconds', () => {
  it.each<[string, number]>([
    ['120', 120_000],
    ['1', 1000],
    ['007', 7000],
  ])('%s seconds → %d ms', (header, ms) => {
    expect(parseRetryAfter(header, NOW)).toBe(ms);
  });

  it.each<[string, number]>([
    ['2.128', 2128],
    ['0.2', 200],
    ['1.5', 1500],
    ['1.005', 1005],
    ['0.001', 1],
  ])('keeps fractions as Graph sends them: %s → %d ms', (header, ms) => {
    expect(parseRetryAfter(header, NOW)).toBe(ms);
  });

  it('rounds sub-millisecond fractions up, so a retry is never early', () => {
    expect(parseRetryAfter('0.0001', NOW)).toBe(1);
    expect(parseRetryAfter('2.1281', NOW)).toBe(2129);
    expect(parseRetryAfter('2.1280000', NOW)).toBe(2128);
  });

  it('reads zero as "retry now"', () => {
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter('0.0', NOW)).toBe(0);
  });

  it('ignores surrounding whitespace', () => {
    expect(parseRetryAfter('  3 ', NOW)).toBe(3000);
    expect(parseRetryAfter('\t2.5\r\n', NOW)).toBe(2500);
  });

  it('does not depend on the clock', () => {
    expect(parseRetryAfter('5', 0)).toBe(5000);
    expect(parseRetryAfter('5', NOW + 123_456)).toBe(5000);
  });

  it('caps nothing: the machine applies maxRetryDelayMs', () => {
    expect(parseRetryAfter('86400', NOW)).toBe(86_400_000);
  });
});

describe('parseRetryAfter: HTTP-date', () => {
  it('measures an IMF-fixdate in the future from now', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', NOW)).toBe(5000);
    expect(parseRetryAfter('Thu, 22 Oct 2015 07:28:00 GMT', NOW)).toBe(86_400_000);
  });

  it('measures against the given now, to the millisecond', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', NOW + 250)).toBe(4750);
  });

  it('answers 0 for a date that has passed, or is now', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', NOW)).toBe(0);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:00 GMT', NOW)).toBe(0);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', NOW)).toBe(0);
  });

  it('accepts the obsolete RFC 850 and asctime forms recipients must read', () => {
    expect(parseRetryAfter('Wednesday, 21-Oct-15 07:28:10 GMT', NOW)).toBe(10_000);
    expect(parseRetryAfter('Wed Oct 21 07:28:10 2015', NOW)).toBe(10_000);
    expect(parseRetryAfter('Wed Oct  1 07:28:00 2015', NOW)).toBe(0);
    expect(parseRetryAfter('Sun Nov  1 07:28:00 2015', NOW)).toBe(11 * 86_400_000);
  });

  it('reads a two-digit year more than 50 years ahead as the past century', () => {
    // From 2015, "70" is 1970 (2070 is more than 50 years ahead); "40" is 2040.
    expect(parseRetryAfter('Thursday, 01-Jan-70 00:00:00 GMT', NOW)).toBe(0);
    expect(parseRetryAfter('Sunday, 01-Jan-40 00:00:00 GMT', NOW)).toBe(Date.UTC(2040, 0, 1) - NOW);
  });

  it('is lenient about the case of day and month names', () => {
    expect(parseRetryAfter('wed, 21 OCT 2015 07:28:05 gmt', NOW)).toBe(5000);
  });
});

describe('parseRetryAfter: anything else is undefined', () => {
  it.each([
    [undefined],
    [null],
    [''],
    ['   '],
    ['-1'],
    ['-0.5'],
    ['+5'],
    ['1e3'],
    ['.5'],
    ['5.'],
    ['5s'],
    ['soon'],
    ['NaN'],
    ['Infinity'],
    ['1, 2'],
    ['0x10'],
    ['2015-10-21T07:28:05Z'],
    ['Wed, 21 Oct 2015 07:28:05'],
    ['Wed, 21 Oct 2015 07:28:05 UTC'],
    ['Wed, 31 Feb 2015 07:28:05 GMT'],
    ['Wed, 21 Foo 2015 07:28:05 GMT'],
    ['Wed, 21 Oct 2015 25:00:00 GMT'],
    ['1'.repeat(400)],
  ])('%j', (header) => {
    expect(parseRetryAfter(header, NOW)).toBeUndefined();
  });
});
