// Fuzzing the webhook with malformed bodies: whatever arrives, the handler answers, never
// throws, never answers 5xx, and says why when it refuses (or counts what it rejected).
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createCallRegistry } from '../../src/index.js';
import { createWebhookHandler } from '../../src/webhook/index.js';
import { ScriptedGraph } from '../support/scriptedGraph.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);

const registry = createCallRegistry({ graph: new ScriptedGraph(), keepAliveMs: 0 });
const handler = createWebhookHandler(registry, { maxBodyBytes: 64 * 1024 });

afterAll(async () => {
  await registry.close();
});

const callUrl = fc.oneof(
  fc.uuid().map((id) => `/communications/calls/${id}`),
  fc.uuid().map((id) => `communications/calls/${id}/participants`),
  fc.uuid().map((id) => `/app/calls/${id}/operations/op`),
  fc.string(),
);

// Things shaped like notifications, but wrong in every way a field can be.
const item = fc.record(
  {
    '@odata.type': fc.oneof(fc.constant('#microsoft.graph.commsNotification'), fc.anything()),
    changeType: fc.oneof(
      fc.constantFrom('created', 'updated', 'deleted', 'Deleted', 'moved'),
      fc.anything(),
    ),
    resourceUrl: fc.oneof(callUrl, fc.anything()),
    resource: fc.oneof(callUrl, fc.anything()),
    resourceData: fc.oneof(
      fc.record(
        {
          '@odata.type': fc.constantFrom('#microsoft.graph.call', 'microsoft.graph.participant'),
          state: fc.oneof(
            fc.constantFrom('established', 'terminated', 'transfer-accepted', 'Parked'),
            fc.anything(),
          ),
          callState: fc.anything(),
          '@odata.etag': fc.oneof(
            fc.nat().map((n) => `W/"${n}"`),
            fc.anything(),
          ),
          resultInfo: fc.oneof(
            fc.record({ code: fc.anything(), subCode: fc.anything() }),
            fc.anything(),
          ),
        },
        { requiredKeys: [] },
      ),
      fc.array(fc.anything(), { maxLength: 4 }),
      fc.anything(),
    ),
  },
  { requiredKeys: [] },
);

const deep = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'large', withCrossShrink: true },
    fc.constant(null),
    fc.array(tie('node'), { maxLength: 2 }),
  ),
})).node;

const jsonText = fc.oneof(
  fc.record({ value: fc.array(item, { maxLength: 6 }) }).map((v) => JSON.stringify(v)),
  fc.array(item, { maxLength: 4 }).map((v) => JSON.stringify(v)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  deep.map((v) => JSON.stringify({ value: v })),
);

const body: fc.Arbitrary<Uint8Array> = fc.oneof(
  // Valid-looking JSON with wrong types inside.
  jsonText.map((t) => new TextEncoder().encode(t)),
  // Truncated JSON.
  jsonText.chain((t) =>
    fc.nat({ max: Math.max(0, t.length - 1) }).map((n) => new TextEncoder().encode(t.slice(0, n))),
  ),
  // Invalid UTF-8 and arbitrary bytes.
  fc.uint8Array({ maxLength: 256 }),
  fc.uint8Array({ maxLength: 64 }).map((b) => new Uint8Array([0x7b, 0xc3, 0x28, ...b])),
  // Huge strings, some over the size limit.
  fc
    .integer({ min: 1, max: 200_000 })
    .map((n) =>
      new TextEncoder().encode(JSON.stringify({ value: [{ changeType: 'x'.repeat(n) }] })),
    ),
  // Deep nesting, deeper than JSON.parse likes.
  fc
    .integer({ min: 1, max: 5_000 })
    .map((depth) => new TextEncoder().encode(`${'['.repeat(depth)}${']'.repeat(depth)}`)),
);

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/merge-patch+json',
);

describe('webhook fuzzing', () => {
  it(`answers ${RUNS} malformed bodies with a 4xx that says why or a 202 that counts`, {
    timeout: 600_000,
  }, async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(body, contentType, async (bytes, type) => {
        let response: Response;
        try {
          response = await handler(
            new Request('https://bot.example/api/calls', {
              method: 'POST',
              headers: { 'content-type': type },
              body: bytes,
            }),
          );
        } catch (error) {
          throw new Error(`the handler threw: ${String(error)}`);
        }
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        expect(response.status).toBeLessThan(500);
        const text = await response.text();
        const parsed = JSON.parse(text) as Record<string, unknown>;
        if (response.status === 202) {
          // Every notification counted in exactly one bucket: the counts are numbers.
          for (const key of ['applied', 'unchanged', 'stale', 'late', 'subresource', 'rejected']) {
            expect(typeof parsed[key]).toBe('number');
          }
        } else {
          expect(response.status).toBeGreaterThanOrEqual(400);
          expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
          expect(String(parsed.detail ?? '')).toMatch(/\w{4,}/);
        }
      }),
      { numRuns: RUNS },
    );
    // Not vacuous: both answers occurred, and oversized bodies were refused.
    expect(statuses.get(202) ?? 0).toBeGreaterThan(0);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
    expect(statuses.get(413) ?? 0).toBeGreaterThan(0);
  });
});
