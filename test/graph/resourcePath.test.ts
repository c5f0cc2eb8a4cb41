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
    expect(value(parseResourcePath('/communications/calls/a%2Fb')).callId).toBe('a/b');
    expect(value(parseResourcePath('/communications/calls/a%E0%A4%A')).callId).toBe('a%E0%A4%A');
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
