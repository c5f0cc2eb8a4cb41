// Redis goes down (SIGKILL) under two registries sharing it and comes back: while it is away they
// report errors and refuse what they cannot do, without hanging, and keep answering get() from
// what they know; afterwards they carry on, with every committed record where it was, and
// deadlines that fell due during the outage handled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngestIncompleteError } from '../../src/index.js';
import { RedisStoreError } from '../../src/redis/index.js';
import { createWebhookHandler } from '../../src/webhook/index.js';
import { callItem, envelope, terminatedItem } from '../support/payloads.js';
import { ScriptedGraph } from '../support/scriptedGraph.js';
import { eventually, Instances } from './support/instances.js';
import {
  hasRedisServer,
  type RedisServer,
  SKIP_REASON,
  startRedisServer,
} from './support/redisServer.js';

describe.skipIf(!hasRedisServer)('Redis restarted under the registries', () => {
  let server: RedisServer;

  beforeAll(async () => {
    // Every write is fsynced before Redis answers it: what was committed survives a SIGKILL.
    server = await startRedisServer({ persistent: true });
  });

  afterAll(async () => {
    await server?.dispose();
  });

  it('errors while it is down, no committed record lost, work resumes when it is back', {
    timeout: 60_000,
  }, async () => {
    const instances = new Instances(server.url, 'restart:');
    const graph = new ScriptedGraph();
    const options = { confirmTimeoutMs: 1_500, pollMs: 50 };
    const a = instances.open(graph, options);
    const b = instances.open(graph, options);
    try {
      const ids = Array.from({ length: 20 }, (_, i) => `r${i}`);
      await a.registry.ingest(envelope(...ids.map((id) => callItem(id, 'updated', 'established'))));
      await b.registry.ingest(
        envelope(...ids.slice(0, 5).map((id) => callItem(id, 'updated', 'hold'))),
      );
      // Five hang-ups: their confirm deadlines fall due while Redis is away.
      await Promise.all(ids.slice(5, 10).map((id) => b.registry.hangUp(id)));
      const dueAt = Date.now() + options.confirmTimeoutMs;
      const committed = new Map<string, number | undefined>();
      for (const id of ids) committed.set(id, (await a.store.load(id))?.version);

      await server.kill();
      const downAt = Date.now();

      // ingest: applies nothing, says so, does not hang.
      const failed = await a.registry
        .ingest(envelope(terminatedItem('r0'), callItem('new', 'created', 'incoming')))
        .catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(IngestIncompleteError);
      expect((failed as IngestIncompleteError).failures).toHaveLength(2);
      expect((failed as IngestIncompleteError).failures[0]?.error).toBeInstanceOf(RedisStoreError);
      // Through the webhook handler: 500, so Graph may deliver the POST again (not 202).
      const webhook = createWebhookHandler(a.registry);
      const post = (body: object) =>
        webhook(
          new Request('http://bot.test/api/calls', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          }),
        );
      expect((await post(envelope(callItem('r2', 'updated', 'hold')))).status).toBe(500);
      // hangUp: rejects with the store's error.
      await expect(b.registry.hangUp('r11')).rejects.toBeInstanceOf(RedisStoreError);
      // get: still answers from what the instance knows.
      // (each its own last view: B moved r1 to hold, A saw it established)
      expect(b.registry.get('r1')).toMatchObject({ state: 'hold', phase: 'active' });
      expect(a.registry.get('r1')).toMatchObject({ state: 'established', phase: 'active' });
      expect(b.registry.get('r6')).toMatchObject({ phase: 'terminating' });
      expect(Date.now() - downAt).toBeLessThan(10_000);
      // Each instance reports the outage once from its poll loop, not once per poll.
      await new Promise((resolve) => setTimeout(resolve, 600));
      const pollErrors = a.errors.filter((e) => e.callId === undefined);
      expect(pollErrors).toHaveLength(1);
      expect(pollErrors[0]?.error).toBeInstanceOf(RedisStoreError);
      expect(pollErrors[0]?.error.message).toMatch(/claimDue of key restart:due failed/);
      expect(a.errors.some((e) => e.callId === 'r0')).toBe(true);

      // Stay down until the confirm deadlines have passed.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, dueAt + 200 - Date.now())));
      expect(graph.count('GET')).toBe(0);
      await server.start();

      // Everything committed before the outage is there: at the version it had, or later for
      // the calls whose deadline the instances are already handling.
      await eventually(async () => expect(await a.store.load('r0')).toBeDefined(), 10_000);
      for (const [i, id] of ids.entries()) {
        const version = (await a.store.load(id))?.version ?? 0;
        if (i >= 5 && i < 10) expect(version, id).toBeGreaterThanOrEqual(committed.get(id) ?? 1);
        else expect(version, id).toBe(committed.get(id));
      }

      // The deadlines that fell due meanwhile are handled: GET, 404, terminated.
      await eventually(async () => {
        for (const id of ids.slice(5, 10)) {
          expect((await a.registry.read(id))?.phase, id).toBe('terminated');
        }
      }, 15_000);
      expect(graph.count('GET')).toBe(5);

      // Graph delivers the failed POST again: now it is applied.
      await eventually(async () => {
        const again = await a.registry.ingest(
          envelope(terminatedItem('r0'), callItem('new', 'created', 'incoming')),
        );
        expect(again).toMatchObject({ applied: 2, unknownCalls: 1 });
      }, 10_000);
      expect((await post(envelope(callItem('r2', 'updated', 'hold')))).status).toBe(202);
      expect(await b.registry.hangUp('r11')).toMatchObject({ phase: 'terminating' });
      expect(graph.count('DELETE')).toBe(6);
    } finally {
      await instances.closeAll();
    }
  });
});

if (!hasRedisServer) {
  describe('Redis restarted under the registries', () => {
    it.skip(SKIP_REASON, () => {});
  });
}
