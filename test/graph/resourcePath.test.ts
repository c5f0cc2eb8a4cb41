import { describe, expect, it } from 'vitest';
import { parseResourcePath, type ResourcePathResult } from '../../src/graph/resourcePath.js';

const ID = '57dab8b1-894c-409a-b240-bd8beae78896';

function value(result: ResourcePathResult) {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.message}`);
  return result.value;
}

describe('parseResourcePath: the call itself', () => {
  it('reads /communications/calls/{id}', () => {
    expect(parseResourcePath(`/communications/calls/${ID}`)).toEqual({
      ok: true,
      value: {
        callId: ID,
        resource: 'call',
        root: 'communications',
        path: `/communications/calls/${ID}`,
      },
    });
  });

  it('reads the path without its leading slash', () => {
    expect(value(parseResourcePath(`communications/calls/${ID}`))).toMatchObject({
      callId: ID,
      resource: 'call',
    });
  });

  it('reads the deprecated beta /app/calls/{id}', () => {
    expect(value(parseResourcePath('/app/calls/57DAB8B1894C409AB240BD8BEAE78896'))).toMatchObject({
      callId: '57DAB8B1894C409AB240BD8BEAE78896',
      resource: 'call',
      root: 'app',
    });
  });

  it.each([
    `https://graph.microsoft.com/v1.0/communications/calls/${ID}`,
    `https://graph.microsoft.com/beta/communications/calls/${ID}`,
    `HTTPS://GRAPH.MICROSOFT.COM/V1.0/communications/calls/${ID}`,
  ])('reads the absolute URL %s', (url) => {
    expect(value(parseResourcePath(url))).toMatchObject({ callId: ID, resource: 'call' });
  });

  it('ignores case in the root segments, a trailing slash, a query and a fragment', () => {
    for (const path of [
      `/Communications/Calls/${ID}`,
      `/communications/calls/${ID}/`,
      `/communications/calls/${ID}?$select=state`,
      `/communications/calls/${ID}#x`,
      `  /communications/calls/${ID}  `,
    ]) {
      expect(value(parseResourcePath(path))).toMatchObject({ callId: ID, resource: 'call' });
    }
  });

  it('keeps the path exactly as received', () => {
    expect(value(parseResourcePath(' communications/calls/x ')).path).toBe(
      ' communications/calls/x ',
    );
  });

  it('decodes percent-encoded ids and keeps malformed escapes verbatim', () => {
    expect(value(parseResourcePath('/communications/calls/a%20b%C3%A9')).callId).toBe('a bé');
    expect(value(parseResourcePath('/communications/calls/a%E0%A4%A')).callId).toBe('a%E0%A4%A');
  });

  it('keeps the UTF-8 of a lone surrogate as literal text, since it cannot be decoded', () => {
    expect(value(parseResourcePath('/communications/calls/a%ED%A0%80')).callId).toBe('a%ED%A0%80');
  });
});

describe('parseResourcePath: sub-resources', () => {
  it('reads a participant roster, with and without a participant id', () => {
    expect(value(parseResourcePath(`/communications/calls/${ID}/participants`))).toEqual({
      callId: ID,
      resource: 'participants',
      root: 'communications',
      path: `/communications/calls/${ID}/participants`,
    });
    expect(value(parseResourcePath(`/communications/calls/${ID}/participants/p1`))).toMatchObject({
      resource: 'participants',
      subresourceId: 'p1',
    });
  });

  it('reads an operation and its id', () => {
    expect(
      value(parseResourcePath(`communications/calls/${ID}/operations/0fe0623f-d628`)),
    ).toMatchObject({ callId: ID, resource: 'operation', subresourceId: '0fe0623f-d628' });
  });

  it('reads the docs’ roster typo …/operations/participants as an operation named "participants"', () => {
    expect(
      value(parseResourcePath(`/communications/calls/${ID}/operations/participants`)),
    ).toMatchObject({ resource: 'operation', subresourceId: 'participants' });
  });

  it('reads content sharing sessions and anything else below a call as other', () => {
    expect(value(parseResourcePath(`/communications/calls/${ID}/contentsharingsessions`))).toEqual({
      callId: ID,
      resource: 'other',
      root: 'communications',
      path: `/communications/calls/${ID}/contentsharingsessions`,
    });
    expect(
      value(parseResourcePath(`/communications/calls/${ID}/contentsharingsessions/s1`)),
    ).toMatchObject({ resource: 'other', subresourceId: 's1' });
    expect(value(parseResourcePath(`/app/calls/${ID}/audioRoutingGroups/g`))).toMatchObject({
      resource: 'other',
      root: 'app',
    });
  });
});

describe('parseResourcePath: rejections', () => {
  it.each(['', '   '])('rejects the empty path %j', (path) => {
    expect(parseResourcePath(path)).toEqual({
      ok: false,
      error: { code: 'empty', message: 'the resource path is empty' },
    });
  });

  it.each([
    'String',
    '/communications/calls',
    '/communications/calls/',
    '/communications/onlineMeetings/abc',
    '/users/abc/calls/x',
    '/calls/abc',
    'https://graph.microsoft.com/v2.0/communications/calls/x/y',
  ])('rejects %j as not a call', (path) => {
    const result = parseResourcePath(path);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('notACall');
      expect(result.error.message).toContain('/communications/calls/{id}');
    }
  });

  it('cuts a long path short in the message', () => {
    const result = parseResourcePath(`/x/${'a'.repeat(10_000)}`);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message.length).toBeLessThan(250);
  });
});

describe('parseResourcePath: call ids that cannot be used', () => {
  function refused(path: string): string {
    const result = parseResourcePath(path);
    if (result.ok) throw new Error(`expected ${JSON.stringify(path)} to be refused`);
    expect(result.error.code).toBe('invalidCallId');
    return result.error.message;
  }

  it('refuses a lone surrogate instead of handing it on to encodeURIComponent (URIError crash)', () => {
    const message = refused('/communications/calls/\ud800');
    expect(message).toContain('unpaired surrogate U+D800');
    // The path is quoted as JSON, so the surrogate itself never reaches a log line.
    expect(message).toContain('"/communications/calls/\\ud800"');
    expect(message).not.toMatch(/[\ud800-\udfff]/u);
  });

  it('refuses ids that only become bad once decoded: %2E%2E, %2F, %00', () => {
    expect(refused('/communications/calls/%2E%2E')).toContain('relative path segment');
    expect(refused('/communications/calls/a%2Fb')).toContain('"/" at index 1');
    expect(refused('/communications/calls/a%00')).toContain('control character U+0000');
  });

  it('refuses a dot segment below a sub-resource path too, since the id is what is routed', () => {
    expect(refused('/communications/calls/../participants')).toContain('".."');
    expect(refused('/app/calls/./operations/op1')).toContain('"."');
  });

  it('refuses an over-long id, keeping the message short', () => {
    const message = refused(`/communications/calls/${'a'.repeat(10_000)}`);
    expect(message).toContain('10000 UTF-16 code units');
    expect(message.length).toBeLessThan(300);
  });
});
