import { describe, expect, it } from 'vitest';
import { compareEtags, parseEtag, sameEtag } from '../../src/graph/etag.js';

describe('parseEtag', () => {
  it('reads the weak numeric etag Graph sends', () => {
    expect(parseEtag('W/"5445"')).toEqual({
      kind: 'numeric',
      digits: '5445',
      weak: true,
      raw: 'W/"5445"',
    });
  });

  it('reads a strong quoted etag and a bare number', () => {
    expect(parseEtag('"5445"')).toMatchObject({ kind: 'numeric', digits: '5445', weak: false });
    expect(parseEtag('5445')).toMatchObject({ kind: 'numeric', digits: '5445', weak: false });
  });

  it('accepts a lowercase weak prefix and surrounding whitespace', () => {
    expect(parseEtag(' w/"12" ')).toMatchObject({ kind: 'numeric', digits: '12', weak: true });
  });

  it('drops leading zeros but keeps a single zero', () => {
    expect(parseEtag('W/"00042"')).toMatchObject({ kind: 'numeric', digits: '42' });
    expect(parseEtag('W/"0000"')).toMatchObject({ kind: 'numeric', digits: '0' });
  });

  it('keeps the raw text verbatim', () => {
    expect(parseEtag(' W/"007" ').raw).toBe(' W/"007" ');
  });

  it.each([
    ['W/"abc"', 'abc', true],
    ['"1.5"', '1.5', false],
    ['W/"-3"', '-3', true],
    ['W/""', '', true],
    ['', '', false],
    ['W/"12', 'W/"12', false],
  ])('reads %j as opaque %j', (raw, value, weak) => {
    expect(parseEtag(raw)).toEqual({ kind: 'opaque', value, weak, raw });
  });
});

describe('compareEtags', () => {
  it('orders numeric etags by value, not by text', () => {
    expect(compareEtags('W/"9"', 'W/"10"')).toBe(-1);
    expect(compareEtags('W/"10"', 'W/"9"')).toBe(1);
    expect(compareEtags('W/"5445"', 'W/"5445"')).toBe(0);
  });

  it('ignores leading zeros and weakness', () => {
    expect(compareEtags('W/"0010"', '"10"')).toBe(0);
    expect(compareEtags('W/"009"', '10')).toBe(-1);
  });

  it('orders numbers beyond the safe integer range exactly', () => {
    expect(
      compareEtags('W/"123456789012345678901234567890"', 'W/"123456789012345678901234567891"'),
    ).toBe(-1);
    expect(compareEtags('W/"99999999999999999999"', 'W/"100000000000000000000"')).toBe(-1);
  });

  it('cannot order a missing or opaque etag', () => {
    expect(compareEtags(undefined, 'W/"1"')).toBeUndefined();
    expect(compareEtags('W/"1"', undefined)).toBeUndefined();
    expect(compareEtags(undefined, undefined)).toBeUndefined();
    expect(compareEtags('W/"abc"', 'W/"10"')).toBeUndefined();
    expect(compareEtags('W/"10"', 'W/"abc"')).toBeUndefined();
    expect(compareEtags('W/"abc"', 'W/"abc"')).toBeUndefined();
  });
});

describe('sameEtag', () => {
  it('compares numeric etags by value, ignoring weakness', () => {
    expect(sameEtag('W/"7"', '"7"')).toBe(true);
    expect(sameEtag('W/"7"', 'W/"007"')).toBe(true);
    expect(sameEtag('W/"7"', 'W/"8"')).toBe(false);
  });

  it('compares opaque etags by value, ignoring weakness', () => {
    expect(sameEtag('W/"abc"', '"abc"')).toBe(true);
    expect(sameEtag('W/"abc"', 'W/"ABC"')).toBe(false);
  });

  it('never matches a numeric etag with an opaque one', () => {
    expect(sameEtag('W/"7"', 'W/"7a"')).toBe(false);
  });

  it('treats a missing etag as different from everything, itself included', () => {
    expect(sameEtag(undefined, 'W/"1"')).toBe(false);
    expect(sameEtag('W/"1"', undefined)).toBe(false);
    expect(sameEtag(undefined, undefined)).toBe(false);
  });
});
