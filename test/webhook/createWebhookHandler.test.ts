import { describe, expect, it, vi } from 'vitest';
import { type AuthResult, createWebhookHandler } from '../../src/webhook/createWebhookHandler.js';
import {
  CALL_A,
  CALL_B,
  CALL_C,
  callItem,
  countingStream,
  envelope,
  jsonPost,
  parsingRegistry,
  problemOf,
  recordingRegistry,
  WEBHOOK_URL,
} from './support.js';

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;

function streamedPost(
  body: ReadableStream<Uint8Array>,
  headers: Record<string, string> = {},
): Request {
  return new Request(WEBHOOK_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    duplex: 'half',
  } as RequestInit);
}

const allow = async (): Promise<AuthResult> => ({ ok: true });

describe('405: not POST', () => {
  it.each(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])(
    'answers %s with 405, Allow: POST and a problem naming the method',
    async (method) => {
      const registry = recordingRegistry();
      const res = await createWebhookHandler(registry)(new Request(WEBHOOK_URL, { method }));
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
      const problem = await problemOf(res);
      expect(problem).toMatchObject({ title: 'Method Not Allowed', code: 'methodNotAllowed' });
      expect(problem.detail).toContain(`"${method}" is not allowed`);
      expect(problem.detail).toContain('POST');
      expect(registry.bodies).toEqual([]);
    },
  );
});

describe('415: not JSON', () => {
  it('answers a POST without Content-Type with 415', async () => {
    const registry = recordingRegistry();
    const req = new Request(WEBHOOK_URL, {
      method: 'POST',
      body: new TextEncoder().encode('{"value":[]}'),
    });
    expect(req.headers.get('content-type')).toBeNull();
    const res = await createWebhookHandler(registry)(req);
    expect(res.status).toBe(415);
    const problem = await problemOf(res);
    expect(problem).toMatchObject({ code: 'unsupportedMediaType', accept: 'application/json' });
    expect(problem.detail).toContain('no Content-Type');
    expect(registry.bodies).toEqual([]);
  });

  it.each([
    'text/plain',
    'text/plain;charset=UTF-8',
    'application/x-www-form-urlencoded',
    'application/jsonx',
    'application/+json',
    'text/json',
    'multipart/form-data; boundary=x',
  ])('answers Content-Type %s with 415 quoting it', async (contentType) => {
    const res = await createWebhookHandler(recordingRegistry())(
      jsonPost(envelope(), { 'content-type': contentType }),
    );
    expect(res.status).toBe(415);
    const problem = await problemOf(res);
    expect(problem.detail).toContain(JSON.stringify(contentType));
    expect(problem.detail).toContain('is not JSON');
  });

  it('answers a JSON type with a charset other than UTF-8 with 415 naming the charset', async () => {
    const res = await createWebhookHandler(recordingRegistry())(
      jsonPost(envelope(), { 'content-type': 'application/json; charset=ISO-8859-1' }),
    );
    expect(res.status).toBe(415);
    expect((await problemOf(res)).detail).toContain('charset "iso-8859-1" is not supported');
  });

  it.each([
    'application/json',
    'Application/JSON',
    'application/json; charset=utf-8',
    'application/json;charset="UTF-8"',
    'application/problem+json',
    'application/vnd.microsoft.graph+json; charset=utf-8',
    'application/json; odata.metadata=minimal',
  ])('accepts Content-Type %s', async (contentType) => {
    const res = await createWebhookHandler(recordingRegistry())(
      jsonPost(envelope(), { 'content-type': contentType }),
    );
    expect(res.status).toBe(202);
  });
});

describe('401 and 403: authentication, before the body', () => {
  it('answers 401 with the reason, WWW-Authenticate: Bearer, and neither reads nor ingests the body', async () => {
    const registry = recordingRegistry();
    const { stream, pulled } = countingStream(4, 16);
    const authenticate = vi.fn(
      async (): Promise<AuthResult> => ({
        ok: false,
        status: 401,
        reason: 'token expired at 2026-01-01T00:00:00.000Z',
      }),
    );
    const res = await createWebhookHandler(registry, { authenticate })(streamedPost(stream));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    const problem = await problemOf(res);
    expect(problem).toMatchObject({
      title: 'Unauthorized',
      code: 'unauthorized',
      detail: 'token expired at 2026-01-01T00:00:00.000Z',
    });
    expect(authenticate).toHaveBeenCalledOnce();
    expect(registry.bodies).toEqual([]);
    expect(pulled()).toBe(0);
  });

  it('answers 403 with the reason for a token meant for another app or tenant', async () => {
    const registry = recordingRegistry();
    const res = await createWebhookHandler(registry, {
      authenticate: async () => ({
        ok: false,
        status: 403,
        reason: 'audience "other" is not this app "mine"',
      }),
    })(jsonPost(envelope(callItem(CALL_A, 'established'))));
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBeNull();
    expect(await problemOf(res)).toMatchObject({
      title: 'Forbidden',
      code: 'forbidden',
      detail: 'audience "other" is not this app "mine"',
    });
    expect(registry.bodies).toEqual([]);
  });

  it('authenticates before it reads a byte of the body, and ingests only after', async () => {
    const order: string[] = [];
    const { stream, pulled } = countingStream(1, 8);
    const registry = {
      async ingest(body: unknown) {
        order.push('ingest');
        return recordingRegistry().ingest(body);
      },
    };
    const res = await createWebhookHandler(registry, {
      authenticate: async () => {
        order.push(`authenticate (pulled ${pulled()})`);
        return { ok: true };
      },
    })(streamedPost(stream));
    expect(res.status).toBe(202);
    expect(order).toEqual(['authenticate (pulled 0)', 'ingest']);
  });

  it('hands authenticate the request itself, headers included', async () => {
    let seen: string | null = null;
    await createWebhookHandler(recordingRegistry(), {
      authenticate: async (req) => {
        seen = req.headers.get('authorization');
        return { ok: true };
      },
    })(jsonPost(envelope(), { authorization: 'Bearer abc' }));
    expect(seen).toBe('Bearer abc');
  });

  it('answers 500, not 401, when authenticate throws, and reports the error', async () => {
    const registry = recordingRegistry();
    const onError = vi.fn();
    const failure = new Error('jwks endpoint on fire');
    const res = await createWebhookHandler(registry, {
      authenticate: async () => {
        throw failure;
      },
      onError,
    })(jsonPost(envelope()));
    expect(res.status).toBe(500);
    const problem = await problemOf(res);
    expect(problem.code).toBe('internalError');
    expect(problem.detail).toContain('authenticate threw');
    expect(problem.detail).not.toContain('on fire');
    expect(onError).toHaveBeenCalledWith(failure);
    expect(registry.bodies).toEqual([]);
  });
});

describe('413: over maxBodyBytes', () => {
  it('answers 413 on a Content-Length over the limit without reading the body', async () => {
    const registry = recordingRegistry();
    const { stream, pulled } = countingStream(40, CHUNK);
    const authenticate = vi.fn(allow);
    const req = streamedPost(stream, { 'content-length': String(2 * MiB) });
    const res = await createWebhookHandler(registry, { authenticate })(req);
    expect(res.status).toBe(413);
    const problem = await problemOf(res);
    expect(problem).toMatchObject({
      title: 'Content Too Large',
      code: 'bodyTooLarge',
      maxBodyBytes: MiB,
    });
    expect(problem.detail).toContain(`${2 * MiB} bytes (Content-Length)`);
    expect(problem.detail).toContain(`limit of ${MiB} bytes`);
    expect(pulled()).toBe(0);
    expect(req.bodyUsed).toBe(false);
    expect(registry.bodies).toEqual([]);
    // A size the server refuses anyway is not worth a signature check.
    expect(authenticate).not.toHaveBeenCalled();
  });

  it('enforces the limit while streaming: a 10 MiB body is cancelled after the first MiB', async () => {
    const registry = recordingRegistry();
    const total = (10 * MiB) / CHUNK; // 160 chunks
    const { stream, pulled, cancelled } = countingStream(total, CHUNK);
    const res = await createWebhookHandler(registry)(streamedPost(stream));
    expect(res.status).toBe(413);
    const problem = await problemOf(res);
    expect(problem.code).toBe('bodyTooLarge');
    expect(problem.detail).toContain(`grew past ${MiB + CHUNK} bytes`);
    // 16 chunks fill the MiB exactly; the 17th crosses it and is the last one pulled.
    expect(pulled()).toBe(MiB / CHUNK + 1);
    expect(pulled()).toBeLessThan(total);
    expect(String(cancelled())).toContain(`over the limit of ${MiB} bytes`);
    expect(registry.bodies).toEqual([]);
  });

  it('holds the limit when Content-Length lies', async () => {
    const { stream, pulled } = countingStream(10, 1024);
    const res = await createWebhookHandler(recordingRegistry(), { maxBodyBytes: 4096 })(
      streamedPost(stream, { 'content-length': '100' }),
    );
    expect(res.status).toBe(413);
    expect(pulled()).toBe(5);
  });

  it('takes a body of exactly maxBodyBytes and refuses one byte more', async () => {
    const body = JSON.stringify(envelope(callItem(CALL_A, 'established')));
    const size = new TextEncoder().encode(body).byteLength;
    const atLimit = await createWebhookHandler(parsingRegistry(), { maxBodyBytes: size })(
      jsonPost(body),
    );
    expect(atLimit.status).toBe(202);
    const over = await createWebhookHandler(parsingRegistry(), { maxBodyBytes: size - 1 })(
      jsonPost(body),
    );
    expect(over.status).toBe(413);
  });

  it('refuses a maxBodyBytes that is not a byte count', () => {
    expect(() => createWebhookHandler(recordingRegistry(), { maxBodyBytes: -1 })).toThrow(
      /maxBodyBytes is -1/,
    );
    expect(() => createWebhookHandler(recordingRegistry(), { maxBodyBytes: Number.NaN })).toThrow(
      TypeError,
    );
    expect(() => createWebhookHandler(recordingRegistry(), { maxBodyBytes: 1.5 })).toThrow(
      TypeError,
    );
  });
});

describe('400: not an envelope', () => {
  it.each([
    ['text that is not JSON', '{"value": [', 'invalidBody', 'not valid JSON'],
    ['an empty body', '', 'invalidBody', 'not valid JSON'],
    ['a JSON array', '[1, 2]', 'notAnEnvelope', 'an array of 2'],
    ['an object without value', '{"hello":"world"}', 'notAnEnvelope', 'without "value"'],
    ['value that is not an array', '{"value": {"a": 1}}', 'notAnEnvelope', '"value" is an object'],
    ['JSON null', 'null', 'notAnEnvelope', 'the body is null'],
  ])('answers %s with 400 and a problem naming the fault', async (_, body, code, words) => {
    const registry = parsingRegistry();
    const res = await createWebhookHandler(registry)(jsonPost(body));
    expect(res.status).toBe(400);
    const problem = await problemOf(res);
    expect(problem).toMatchObject({ title: 'Bad Request', code });
    expect(problem.detail).toContain(words);
    expect(problem.rejections).toEqual([
      expect.objectContaining({ index: null, code, message: problem.detail }),
    ]);
    // The body is explained, never echoed back.
    expect(JSON.stringify(problem.rejections)).not.toContain('"raw"');
    expect(registry.handed).toEqual([]);
  });

  it('answers bytes that are not UTF-8 with 400', async () => {
    const res = await createWebhookHandler(parsingRegistry())(
      new Request(WEBHOOK_URL, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
      }),
    );
    expect(res.status).toBe(400);
    expect((await problemOf(res)).detail).toContain('not valid UTF-8');
  });

  it('answers a body stream that fails mid-way with 400 bodyUnreadable', async () => {
    let sent = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent) {
          controller.error(new Error('connection reset by peer'));
          return;
        }
        sent = true;
        controller.enqueue(new TextEncoder().encode('{"value":'));
      },
    });
    const registry = recordingRegistry();
    const res = await createWebhookHandler(registry)(streamedPost(stream));
    expect(res.status).toBe(400);
    const problem = await problemOf(res);
    expect(problem.code).toBe('bodyUnreadable');
    expect(problem.detail).toBe('the body could not be read: connection reset by peer');
    expect(registry.bodies).toEqual([]);
  });

  it('answers 202, not 400, if a registry reports a body rejection next to taken items', async () => {
    const res = await createWebhookHandler(
      recordingRegistry({
        applied: 1,
        rejected: 1,
        rejections: [{ index: null, code: 'notAnEnvelope', message: 'odd', raw: null }],
      }),
    )(jsonPost(envelope()));
    expect(res.status).toBe(202);
  });
});

describe('413: over maxItems', () => {
  const items = (count: number) =>
    envelope(...Array.from({ length: count }, () => callItem(CALL_A, 'established')));

  it('answers 413 naming the count and the limit, and applies none of the items', async () => {
    const registry = recordingRegistry();
    const res = await createWebhookHandler(registry, { maxItems: 3 })(jsonPost(items(4)));
    expect(res.status).toBe(413);
    expect(await problemOf(res)).toMatchObject({
      title: 'Content Too Large',
      code: 'tooManyItems',
      detail: 'the envelope holds 4 items, over the limit of 3 (maxItems): none was applied',
      maxItems: 3,
      items: 4,
    });
    expect(registry.bodies).toEqual([]);
  });

  it('takes exactly maxItems items', async () => {
    const registry = parsingRegistry();
    const res = await createWebhookHandler(registry, { maxItems: 3 })(jsonPost(items(3)));
    expect(res.status).toBe(202);
    expect(registry.handed).toHaveLength(3);
  });

  it('takes 10 000 items by default and refuses 10 001', async () => {
    const tiny = (count: number) => `{"value":[${Array(count).fill('{}').join(',')}]}`;
    const registry = recordingRegistry();
    const handler = createWebhookHandler(registry);
    expect((await handler(jsonPost(tiny(10_000)))).status).toBe(202);
    const over = await handler(jsonPost(tiny(10_001)));
    expect(over.status).toBe(413);
    expect((await problemOf(over)).detail).toContain('10001 items, over the limit of 10000');
    expect(registry.bodies).toHaveLength(1);
  });

  it('counts only an envelope: any other body is the parser’s to refuse', async () => {
    const res = await createWebhookHandler(parsingRegistry(), { maxItems: 1 })(
      jsonPost([callItem(CALL_A, 'established'), callItem(CALL_B, 'established')]),
    );
    expect(res.status).toBe(400);
    expect((await problemOf(res)).code).toBe('notAnEnvelope');
  });

  it('refuses a maxItems that is not a count', () => {
    expect(() => createWebhookHandler(recordingRegistry(), { maxItems: -1 })).toThrow(
      /maxItems is -1, expected a whole number of items ≥ 0/,
    );
    expect(() => createWebhookHandler(recordingRegistry(), { maxItems: 2.5 })).toThrow(TypeError);
    expect(() => createWebhookHandler(recordingRegistry(), { maxItems: Number.NaN })).toThrow(
      TypeError,
    );
    expect(() => createWebhookHandler(recordingRegistry(), { maxItems: Infinity })).not.toThrow();
  });
});

describe('202: the envelope was taken', () => {
  it('applies the valid items of a batch for several calls and counts the invalid one', async () => {
    const registry = parsingRegistry();
    const body = envelope(
      callItem(CALL_A, 'established'),
      { ...callItem(CALL_B, 'terminating'), changeType: 'moved' },
      callItem(CALL_B, 'terminated', 'deleted'),
      callItem(CALL_C, 'establishing', 'created'),
    );
    const res = await createWebhookHandler(registry)(jsonPost(body));
    expect(res.status).toBe(202);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({
      applied: 3,
      unchanged: 0,
      stale: 0,
      late: 0,
      subresource: 0,
      rejected: 1,
      unknownCalls: 3,
    });
    expect(registry.handed.map((n) => [n.index, n.callId, n.state])).toEqual([
      [0, CALL_A, 'established'],
      [2, CALL_B, 'terminated'],
      [3, CALL_C, 'establishing'],
    ]);
  });

  it('hands ingest the envelope it parsed (once, to count the items), with a BOM dropped', async () => {
    const registry = parsingRegistry();
    const body = envelope(callItem(CALL_A, 'established'));
    await createWebhookHandler(registry)(jsonPost(`\uFEFF${JSON.stringify(body)}`));
    expect(registry.bodies).toEqual([body]);
    expect(registry.handed.map((n) => n.callId)).toEqual([CALL_A]);
  });

  it('hands a body that is not UTF-8 JSON as its bytes, for the parser to say why', async () => {
    const registry = parsingRegistry();
    const res = await createWebhookHandler(registry)(jsonPost('{"value": ['));
    expect(res.status).toBe(400);
    expect((await problemOf(res)).code).toBe('invalidBody');
    const [bytes] = registry.bodies;
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(new TextDecoder().decode(bytes as Uint8Array)).toBe('{"value": [');
  });

  it('reads a body that arrives in many chunks', async () => {
    const text = JSON.stringify(
      envelope(callItem(CALL_A, 'established'), callItem(CALL_B, 'hold')),
    );
    const bytes = new TextEncoder().encode(text);
    let offset = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= bytes.length) {
          controller.close();
          return;
        }
        controller.enqueue(bytes.slice(offset, offset + 7));
        offset += 7;
      },
    });
    const registry = parsingRegistry();
    const res = await createWebhookHandler(registry)(streamedPost(stream));
    expect(res.status).toBe(202);
    expect(registry.handed.map((n) => n.callId)).toEqual([CALL_A, CALL_B]);
  });

  it('answers an empty envelope with 202 and zero counts', async () => {
    const res = await createWebhookHandler(parsingRegistry())(jsonPost(envelope()));
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ applied: 0, rejected: 0 });
  });

  it('answers 202 when every item is invalid: the envelope itself was readable', async () => {
    const res = await createWebhookHandler(parsingRegistry())(
      jsonPost(envelope(42, { changeType: 'updated' })),
    );
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ applied: 0, rejected: 2 });
  });

  it('summarises the report with counts only: no rejections, no raw payload', async () => {
    const res = await createWebhookHandler(
      recordingRegistry({
        applied: 2,
        unchanged: 1,
        stale: 3,
        late: 4,
        subresource: 5,
        rejected: 1,
        unknownCalls: 2,
        rejections: [
          { index: 1, code: 'invalidChangeType', message: 'secret-ish', raw: { token: 'x' } },
        ],
      }),
    )(jsonPost(envelope()));
    expect(await res.json()).toEqual({
      applied: 2,
      unchanged: 1,
      stale: 3,
      late: 4,
      subresource: 5,
      rejected: 1,
      unknownCalls: 2,
    });
  });

  it('ingests after a successful authentication', async () => {
    const registry = parsingRegistry();
    const res = await createWebhookHandler(registry, { authenticate: allow })(
      jsonPost(envelope(callItem(CALL_A, 'established'))),
    );
    expect(res.status).toBe(202);
    expect(registry.handed).toHaveLength(1);
  });
});

describe('500: the server, not the request', () => {
  it('answers 500 without the error message when ingest rejects, and reports it', async () => {
    const onError = vi.fn();
    const failure = new Error('store connection string: redis://user:pw@host');
    const res = await createWebhookHandler(
      {
        ingest: async () => {
          throw failure;
        },
      },
      { onError },
    )(jsonPost(envelope()));
    expect(res.status).toBe(500);
    const problem = await problemOf(res);
    expect(problem).toMatchObject({ title: 'Internal Server Error', code: 'internalError' });
    expect(problem.detail).toContain('nothing was wrong with the request');
    expect(JSON.stringify(problem)).not.toContain('redis://');
    expect(onError).toHaveBeenCalledWith(failure);
  });

  it('never throws, even when ingest throws synchronously and onError throws too', async () => {
    const handler = createWebhookHandler(
      {
        ingest: () => {
          throw new Error('sync');
        },
      },
      {
        onError: () => {
          throw new Error('reporter broken');
        },
      },
    );
    await expect(handler(jsonPost(envelope()))).resolves.toHaveProperty('status', 500);
  });

  it('answers 500 when the body was already consumed before the handler', async () => {
    const registry = recordingRegistry();
    const req = jsonPost(envelope());
    await req.text();
    const res = await createWebhookHandler(registry)(req);
    expect(res.status).toBe(500);
    expect((await problemOf(res)).detail).toContain('already read');
    expect(registry.bodies).toEqual([]);
  });
});
