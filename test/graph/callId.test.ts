import { afterEach, describe, expect, it } from 'vitest';
import { callIdProblem, isValidCallId, MAX_CALL_ID_LENGTH } from '../../src/graph/callId.js';

const GUID = '57dab8b1-894c-409a-b240-bd8beae78896';

describe('callIdProblem: ids Graph uses', () => {
  it.each([
    GUID,
    '57DAB8B1894C409AB240BD8BEAE78896',
    '421f0c00-4a3f-4e33-bf9a-4a07e5bbd2ae',
    'a b',
    'a%2Fb',
    'é-😀',
    '...',
    'a'.repeat(MAX_CALL_ID_LENGTH),
  ])('accepts %j', (id) => {
    expect(callIdProblem(id)).toBeUndefined();
    expect(isValidCallId(id)).toBe(true);
  });
});

describe('callIdProblem: ids that cannot be stored or sent', () => {
  it('rejects a lone high surrogate, which makes encodeURIComponent throw URIError', () => {
    expect(() => encodeURIComponent('\ud800')).toThrow(URIError);
    expect(callIdProblem('\ud800')).toBe(
      'the call id is not well-formed UTF-16: it holds an unpaired surrogate U+D800 at index 0',
    );
  });

  it('rejects a high surrogate at the end, and a low surrogate with no high one before it', () => {
    expect(callIdProblem('abc\udbff')).toContain('U+DBFF at index 3');
    expect(callIdProblem('a\udc00b')).toContain('U+DC00 at index 1');
    expect(callIdProblem('\udbff\udbff\udfff')).toContain('U+DBFF at index 0');
  });

  it('rejects the empty id', () => {
    expect(callIdProblem('')).toBe('the call id is empty');
  });

  it.each(['.', '..'])('rejects %j, which URL resolution turns into another resource', (id) => {
    expect(callIdProblem(id)).toBe(
      `the call id "${id}" is a relative path segment: a URL would resolve it to another resource`,
    );
  });

  it.each([
    ['\u0000', 'U+0000'],
    ['a\nb', 'U+000A'],
    ['\u001f', 'U+001F'],
    ['\u007f', 'U+007F'],
    ['\u0085', 'U+0085'],
    ['\u009f', 'U+009F'],
  ])('rejects the control character in %j, naming it (%s)', (id, name) => {
    expect(callIdProblem(id)).toContain(`control character ${name}`);
  });

  it.each([
    ['abc\u202edcba', 'U+202E', 3],
    ['\u202aa', 'U+202A', 0],
    ['a\u2066b', 'U+2066', 1],
    ['a\u2069', 'U+2069', 1],
    ['a\u200fb', 'U+200F', 1],
    ['a\u061c', 'U+061C', 1],
  ])('rejects %j, whose direction control (%s) makes it read as another id', (id, name, at) => {
    expect(callIdProblem(id)).toBe(
      `the call id holds the direction control ${name} at index ${at}, which makes it read as another id`,
    );
  });

  it('keeps ids in right-to-left scripts, which need no control to read', () => {
    expect(callIdProblem('\u05e9\u05dc\u05d5\u05dd-1')).toBeUndefined();
  });

  it.each([
    ['a/b', '/'],
    ['a\\b', '\\'],
    ['a?b', '?'],
    ['a#b', '#'],
  ])('rejects %j, which would change the URL it is sent to', (id, character) => {
    expect(callIdProblem(id)).toBe(
      `the call id holds "${character}" at index 1, which would change the URL it is sent to`,
    );
  });

  it('rejects an id longer than 256 UTF-16 code units without scanning or quoting it', () => {
    const problem = callIdProblem('a'.repeat(MAX_CALL_ID_LENGTH + 1));
    expect(problem).toBe(
      'the call id is 257 UTF-16 code units long, more than the 256 accepted (Graph call ids are about 36)',
    );
  });

  it('names the first problem only', () => {
    expect(callIdProblem('a\u0000/')).toContain('U+0000');
    expect(callIdProblem('/\ud800')).toContain('unpaired surrogate');
  });

  it('answers instead of throwing when a JavaScript caller passes something else', () => {
    expect(callIdProblem(undefined as unknown as string)).toBe(
      'the call id is undefined, not text',
    );
    expect(callIdProblem(null as unknown as string)).toBe('the call id is null, not text');
    expect(isValidCallId(42 as unknown as string)).toBe(false);
  });
});

describe('callIdProblem without String.prototype.isWellFormed (runtimes before ES2024)', () => {
  const native = Object.getOwnPropertyDescriptor(String.prototype, 'isWellFormed');

  afterEach(() => {
    if (native !== undefined) Object.defineProperty(String.prototype, 'isWellFormed', native);
  });

  it('finds lone surrogates with its own scan, and still accepts surrogate pairs', () => {
    Reflect.deleteProperty(String.prototype, 'isWellFormed');
    expect('isWellFormed' in String.prototype).toBe(false);

    expect(callIdProblem('\ud800')).toContain('U+D800 at index 0');
    expect(callIdProblem('x\udbff')).toContain('U+DBFF at index 1');
    expect(callIdProblem('\udfffx')).toContain('U+DFFF at index 0');
    expect(callIdProblem('😀\ud83d')).toContain('U+D83D at index 2');
    expect(callIdProblem('😀😀')).toBeUndefined();
    expect(callIdProblem(GUID)).toBeUndefined();
  });
});
