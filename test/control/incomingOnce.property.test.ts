// Property: however an incoming call's notifications arrive (any order, duplicated, several per
// POST, spread over registries sharing a store), `call.incoming` is announced exactly once when
// an `incoming` notification comes before anything later in the call's life, and never
// otherwise; `call.established` at most once (exactly once when `established` comes before the
// end); and the call ends up where its latest notification says.
//
// Runs NUM_RUNS cases per property (default 1,000; `npm run test:soak` runs 10,000).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CallNotification,
  type CallRegistry,
  type Clock,
  createCallRegistry,
  MemoryCallStore,
  parseNotifications,
  type RegistryEvent,
  startCall,
  stepCall,
  systemClock,
} from '../../src/index.js';
import { createManualClock, notify } from '../../src/testing/index.js';

const NUM_RUNS = Number(process.env.NUM_RUNS ?? 1_000);
// Generous for a soak run (NUM_RUNS=10000); the default run takes a few seconds.
const SOAK = { timeout: 600_000 };

const CALL_ID = '4d1e0b00-6c1a-4b2e-9f3a-0123456789ab';

/** The call's notifications, in the order Graph produced them (etags W/"1" … W/"5"). */
const ITEMS = [
  notify.created(CALL_ID, 'incoming', { etag: 1, data: { direction: 'incoming' } }),
  // Re-created: Graph offers the call again, with a newer etag.
  notify.created(CALL_ID, 'incoming', { etag: 2, data: { direction: 'incoming' } }),
  notify.updated(CALL_ID, 'establishing', { etag: 3 }),
  notify.updated(CALL_ID, 'established', { etag: 4 }),
  notify.deleted(CALL_ID, { state: 'terminated', etag: 5 }),
];
const STATES = ['incoming', 'incoming', 'establishing', 'established', 'terminated'] as const;
const INCOMING = new Set([0, 1]);
const ESTABLISHED = 3;
const TERMINATED = 4;

const PARSED: CallNotification[] = ITEMS.map((item) => {
  const [n] = parseNotifications({ value: [item] }).notifications;
  if (n === undefined) throw new Error('a notification did not parse');
  return n;
});

interface Delivery {
  /** Indexes into ITEMS, in arrival order, duplicates included. */
  readonly order: readonly number[];
  /** The POSTs: consecutive slices of `order`. */
  readonly batches: readonly (readonly number[])[];
  /** Which registry gets each POST. */
  readonly targets: readonly number[];
  readonly registries: number;
}

const delivery: fc.Arbitrary<Delivery> = fc
  .record({
    order: fc.array(fc.integer({ min: 0, max: ITEMS.length - 1 }), {
      minLength: 1,
      maxLength: 12,
    }),
    cuts: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
    registries: fc.integer({ min: 1, max: 3 }),
    targets: fc.array(fc.nat(), { minLength: 12, maxLength: 12 }),
  })
  .map(({ order, cuts, registries, targets }) => {
    const batches: number[][] = [[]];
    for (const [i, index] of order.entries()) {
      if (i > 0 && cuts[i] === true) batches.push([]);
      batches.at(-1)?.push(index);
    }
    return {
      order,
      batches,
      registries,
      targets: batches.map((_, i) => (targets[i] ?? 0) % registries),
    };
  });

/** What the property says must happen for an arrival order. */
function expected(order: readonly number[]) {
  const firstTerminal = order.indexOf(TERMINATED);
  const beforeEnd = firstTerminal === -1 ? order : order.slice(0, firstTerminal);
  return {
    incoming: INCOMING.has(order[0] ?? -1) ? 1 : 0,
    established: beforeEnd.includes(ESTABLISHED) ? 1 : 0,
    state: STATES[Math.max(...order)],
  };
}

function count(events: readonly { type: string }[], type: RegistryEvent['type']): number {
  return events.filter((e) => e.type === type).length;
}

describe('call.incoming once, call.established at most once', () => {
  it(`the machine, one notification at a time (${NUM_RUNS} cases)`, SOAK, () => {
    fc.assert(
      fc.property(delivery, ({ order }) => {
        const [first, ...rest] = order.map((i) => PARSED[i] as CallNotification);
        if (first === undefined) return;
        let at = 1_000;
        let step = startCall({ callId: CALL_ID, discoveredBy: first, at });
        const emitted = [...step.emitted];
        for (const notification of rest) {
          at += 10;
          step = stepCall(step.snapshot, { type: 'notification', notification, at });
          emitted.push(...step.emitted);
        }
        const want = expected(order);
        expect(count(emitted, 'call.incoming')).toBe(want.incoming);
        expect(count(emitted, 'call.established')).toBe(want.established);
        expect(count(emitted, 'call.terminated')).toBe(order.includes(TERMINATED) ? 1 : 0);
        expect(step.snapshot.context.state).toBe(want.state);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  // A manual clock keeps the deadlines (the answer window) from firing; concurrent POSTs use the
  // system clock, because registries that lose a compare-and-set twice wait (with jitter) on it.
  async function withRegistries<T>(
    n: number,
    run: (registries: readonly CallRegistry[], events: RegistryEvent[]) => Promise<T>,
    clock: Clock = createManualClock(1_000),
  ): Promise<T> {
    const store = new MemoryCallStore({ now: () => clock.now() });
    const graph = {
      getToken: async () => 't',
      fetch: () => Promise.reject(new Error('no Graph here')),
    };
    const registries = Array.from({ length: n }, () =>
      createCallRegistry({ graph, store, clock, keepAliveMs: 0 }),
    );
    const events: RegistryEvent[] = [];
    for (const registry of registries) {
      for (const type of [
        'call.incoming',
        'call.established',
        'call.terminated',
        'registry.error',
      ] as const) {
        registry.on(type, (e: RegistryEvent) => {
          events.push(e);
        });
      }
    }
    try {
      return await run(registries, events);
    } finally {
      await Promise.all(registries.map((r) => r.close()));
    }
  }

  it(`registries over one store, POSTs one after the other (${NUM_RUNS} cases)`, SOAK, async () => {
    await fc.assert(
      fc.asyncProperty(delivery, ({ order, batches, targets, registries: n }) =>
        withRegistries(n, async (registries, events) => {
          for (const [i, batch] of batches.entries()) {
            const registry = registries[targets[i] ?? 0] as CallRegistry;
            const report = await registry.ingest({ value: batch.map((k) => ITEMS[k]) });
            expect(report.rejected).toBe(0);
          }
          const want = expected(order);
          expect(count(events, 'registry.error')).toBe(0);
          expect(count(events, 'call.incoming')).toBe(want.incoming);
          expect(count(events, 'call.established')).toBe(want.established);
          expect(count(events, 'call.terminated')).toBe(order.includes(TERMINATED) ? 1 : 0);
          expect((await registries[0]?.read(CALL_ID))?.state).toBe(want.state);
        }),
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it(`registries over one store, POSTs all at once (${NUM_RUNS} cases)`, SOAK, async () => {
    await fc.assert(
      fc.asyncProperty(delivery, ({ order, batches, targets, registries: n }) =>
        withRegistries(
          n,
          async (registries, events) => {
            await Promise.all(
              batches.map((batch, i) =>
                (registries[targets[i] ?? 0] as CallRegistry).ingest({
                  value: batch.map((k) => ITEMS[k]),
                }),
              ),
            );
            // Which notification came first is the store's to decide now: at most once each.
            const incoming = count(events, 'call.incoming');
            expect(incoming).toBeLessThanOrEqual(1);
            if (!order.some((i) => INCOMING.has(i))) expect(incoming).toBe(0);
            expect(count(events, 'call.established')).toBeLessThanOrEqual(1);
            if (!order.includes(ESTABLISHED)) expect(count(events, 'call.established')).toBe(0);
            expect(count(events, 'call.terminated')).toBe(order.includes(TERMINATED) ? 1 : 0);
            expect(count(events, 'registry.error')).toBe(0);
            expect((await registries[0]?.read(CALL_ID))?.state).toBe(expected(order).state);
          },
          systemClock,
        ),
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('the generator is not vacuous: both verdicts, duplicates, batches and several registries occur', () => {
    const samples = fc.sample(delivery, { numRuns: 500, seed: 7 });
    const seen = {
      offered: samples.some((d) => expected(d.order).incoming === 1),
      notOffered: samples.some(
        (d) => expected(d.order).incoming === 0 && d.order.some((i) => INCOMING.has(i)),
      ),
      reCreatedAfterFirst: samples.some((d) => d.order[0] === 0 && d.order.includes(1)),
      duplicated: samples.some((d) => new Set(d.order).size < d.order.length),
      batched: samples.some((d) => d.batches.some((b) => b.length > 1)),
      spread: samples.some((d) => new Set(d.targets).size > 1),
      establishedAfterEnd: samples.some(
        (d) =>
          d.order.includes(TERMINATED) &&
          expected(d.order).established === 0 &&
          d.order.includes(ESTABLISHED),
      ),
    };
    expect(seen).toEqual({
      offered: true,
      notOffered: true,
      reCreatedAfterFirst: true,
      duplicated: true,
      batched: true,
      spread: true,
      establishedAfterEnd: true,
    });
  });
});
