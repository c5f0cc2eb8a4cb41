// The contract every CallStore keeps (src/runtime/callStore.ts), as one suite that each store's
// test file runs over its own store: the registry is one piece of code over all of them, so a
// store that differs here makes the registry differ.
//
// The suite sees a store only through the CallStore interface. Due times are observed through
// claimDue (which moves what it returns to the lease), so each test opens a fresh store and
// reads each due time at most once, after everything else about it has been asserted.
import { afterEach, describe, expect, it } from 'vitest';
import { persistCallSnapshot } from '../../src/machine/persistCallSnapshot.js';
import { startCall, stepCall } from '../../src/machine/stepCall.js';
import { CALL_RECORD_SCHEMA_VERSION } from '../../src/runtime/callRecords.js';
import type { CallRecord, CallStore } from '../../src/runtime/callStore.js';

/** One store under test, fresh and empty, with the time its expiry runs on. */
export interface CallStoreHarness {
  readonly store: CallStore;
  /** How long the store keeps a record whose snapshot is done (its ttlMs). */
  readonly retentionMs: number;
  /** The store's clock: what the registry would stamp `savedAt` with. */
  now(): number;
  /** Lets `ms` pass on the store's clock: a manual clock in process, real waiting for Redis. */
  advance(ms: number): Promise<void> | void;
  close(): Promise<void>;
}

/** A record of a call in progress (`ended`: hung up and gone, snapshot status done). */
export function callRecord(
  callId: string,
  version: number,
  options: { readonly ended?: boolean; readonly savedAt?: number } = {},
): CallRecord {
  let { snapshot } = startCall({ callId, state: 'established', at: 1 });
  if (options.ended === true) {
    snapshot = stepCall(snapshot, { type: 'hangUp', at: 2 }).snapshot;
    snapshot = stepCall(snapshot, { type: 'delete.failed', status: 404, at: 3 }).snapshot;
  }
  return {
    schemaVersion: CALL_RECORD_SCHEMA_VERSION,
    version,
    snapshot: persistCallSnapshot(snapshot),
    savedAt: options.savedAt ?? 1_000 + version,
  };
}

/** Every id `ids()` lists, in its order. */
export async function listIds(store: CallStore): Promise<string[]> {
  const listed: string[] = [];
  for await (const id of await store.ids()) listed.push(id);
  return listed;
}

/** Far beyond every due time the tests set; never reached by a lease. */
const LATER = 1e12;
const LEASE = 2e12;

export function describeCallStoreContract(
  name: string,
  open: () => Promise<CallStoreHarness>,
): void {
  describe(`${name} keeps the CallStore contract`, () => {
    const opened: CallStoreHarness[] = [];

    async function fresh(): Promise<CallStoreHarness> {
      const harness = await open();
      opened.push(harness);
      return harness;
    }

    async function freshStore(): Promise<CallStore> {
      return (await fresh()).store;
    }

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((harness) => harness.close()));
    });

    it('the callRecord helper builds one live and one ended record', () => {
      expect(callRecord('x', 1).snapshot).toMatchObject({ status: 'active' });
      expect(callRecord('x', 1, { ended: true }).snapshot).toMatchObject({ status: 'done' });
    });

    describe('commit: compare-and-set on the version', () => {
      it('version 0 creates only when no record exists; then only the stored version is accepted', async () => {
        const store = await freshStore();
        expect(await store.commit('c', callRecord('c', 1), 0, { kind: 'clear' })).toEqual({
          ok: true,
        });
        expect(await store.commit('c', callRecord('c', 1), 0, { kind: 'clear' })).toEqual({
          ok: false,
          current: callRecord('c', 1),
        });
        expect(await store.commit('c', callRecord('c', 2), 1, { kind: 'clear' })).toEqual({
          ok: true,
        });
        // A writer that read version 1 comes late: it must not overwrite version 2.
        expect(await store.commit('c', callRecord('c', 2), 1, { kind: 'clear' })).toEqual({
          ok: false,
          current: callRecord('c', 2),
        });
        // Nor may a writer that expects a version from the future.
        expect(await store.commit('c', callRecord('c', 9), 5, { kind: 'clear' })).toEqual({
          ok: false,
          current: callRecord('c', 2),
        });
        expect(await store.load('c')).toEqual(callRecord('c', 2));
      });

      it('a writer expecting a record that is not stored learns that none is, and stores nothing', async () => {
        const store = await freshStore();
        expect(await store.commit('gone', callRecord('gone', 4), 3, { kind: 'clear' })).toEqual({
          ok: false,
          current: undefined,
        });
        expect(await store.load('gone')).toBeUndefined();
        expect(await listIds(store)).toEqual([]);
        expect(await store.countLive()).toBe(0);
      });

      it('a conflict changes nothing: neither the record nor its due time', async () => {
        const store = await freshStore();
        await store.commit('c', callRecord('c', 1), 0, { kind: 'set', at: 500 });
        await store.commit('k', callRecord('k', 1), 0, { kind: 'clear' });
        const stale = callRecord('c', 7, { ended: true });
        expect(await store.commit('c', stale, 0, { kind: 'set', at: 100 })).toMatchObject({
          ok: false,
        });
        expect(await store.commit('c', stale, 3, { kind: 'clear' })).toMatchObject({ ok: false });
        expect(await store.commit('k', stale, 0, { kind: 'keep', at: 100 })).toMatchObject({
          ok: false,
        });
        expect(await store.load('c')).toEqual(callRecord('c', 1));
        expect(await store.countLive()).toBe(2);
        // Not moved to 100 by the first loser, not cleared by the second; 'k' still has none.
        expect(await store.claimDue(499, 10, LEASE)).toEqual([]);
        expect(await store.claimDue(500, 10, LEASE)).toEqual(['c']);
      });

      it('concurrent writers of one version: exactly one wins, with its due time', async () => {
        const store = await freshStore();
        await store.commit('race', callRecord('race', 1), 0, { kind: 'clear' });
        const results = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            store.commit('race', callRecord('race', 2, { savedAt: i }), 1, {
              kind: 'set',
              at: 10_000 + i,
            }),
          ),
        );
        expect(results.filter((result) => result.ok)).toHaveLength(1);
        const winner = (await store.load('race'))?.savedAt ?? -1;
        expect(results[winner]).toEqual({ ok: true });
        expect(await store.claimDue(10_000 + winner - 1, 10, LEASE)).toEqual([]);
        expect(await store.claimDue(10_000 + winner, 10, LEASE)).toEqual(['race']);
      });

      it('records round-trip equal: live, ended, and ids and snapshots beyond ASCII', async () => {
        const store = await freshStore();
        const ids = ['plain', 'spaces and "quotes"', 'ünïcödé-☎', 'astral-😀-𝄞', 'a:b*c?[d]\\e'];
        for (const id of ids) {
          const record = callRecord(id, 1, { ended: id === 'plain' });
          expect(await store.commit(id, record, 0, { kind: 'clear' })).toEqual({ ok: true });
          expect(await store.load(id)).toEqual(record);
        }
        expect((await listIds(store)).sort()).toEqual([...ids].sort());
        expect(await store.load('never-stored')).toBeUndefined();
      });
    });

    describe('commit: the due time changes with the record, as asked', () => {
      it('set: due at and after its time, not before', async () => {
        const store = await freshStore();
        await store.commit('s', callRecord('s', 1), 0, { kind: 'set', at: 500 });
        expect(await store.claimDue(499, 10, LEASE)).toEqual([]);
        expect(await store.claimDue(500, 10, LEASE)).toEqual(['s']);
      });

      it('set replaces an earlier due time', async () => {
        const store = await freshStore();
        await store.commit('s', callRecord('s', 1), 0, { kind: 'set', at: 500 });
        await store.commit('s', callRecord('s', 2), 1, { kind: 'set', at: 800 });
        expect(await store.claimDue(799, 10, LEASE)).toEqual([]);
        expect(await store.claimDue(800, 10, LEASE)).toEqual(['s']);
      });

      it('keep leaves a due time the call has', async () => {
        const store = await freshStore();
        await store.commit('k', callRecord('k', 1), 0, { kind: 'set', at: 500 });
        await store.commit('k', callRecord('k', 2), 1, { kind: 'keep', at: 100 });
        expect(await store.claimDue(499, 10, LEASE)).toEqual([]);
        expect(await store.claimDue(500, 10, LEASE)).toEqual(['k']);
      });

      it('keep sets its time when the call has none', async () => {
        const store = await freshStore();
        await store.commit('k', callRecord('k', 1), 0, { kind: 'clear' });
        await store.commit('k', callRecord('k', 2), 1, { kind: 'keep', at: 700 });
        expect(await store.claimDue(699, 10, LEASE)).toEqual([]);
        expect(await store.claimDue(700, 10, LEASE)).toEqual(['k']);
      });

      it('clear removes the due time', async () => {
        const store = await freshStore();
        await store.commit('x', callRecord('x', 1), 0, { kind: 'set', at: 500 });
        await store.commit('x', callRecord('x', 2), 1, { kind: 'clear' });
        expect(await store.claimDue(LATER, 10, LEASE)).toEqual([]);
        expect(await store.load('x')).toEqual(callRecord('x', 2));
      });
    });

    describe('claimDue', () => {
      it('takes only due calls and moves them to the lease; a second claim before the lease gets nothing', async () => {
        const store = await freshStore();
        await store.commit('early', callRecord('early', 1), 0, { kind: 'set', at: 100 });
        await store.commit('edge', callRecord('edge', 1), 0, { kind: 'set', at: 1_000 });
        await store.commit('late', callRecord('late', 1), 0, { kind: 'set', at: 10_000 });
        await store.commit('none', callRecord('none', 1), 0, { kind: 'clear' });
        expect([...(await store.claimDue(1_000, 10, 61_000))].sort()).toEqual(['early', 'edge']);
        expect(await store.claimDue(1_000, 10, 61_000)).toEqual([]);
        expect(await store.claimDue(9_999, 10, 61_000)).toEqual([]);
        // 'late' falls due on its own; the claimed ones only when their lease runs out.
        expect(await store.claimDue(60_999, 10, 90_000)).toEqual(['late']);
        expect([...(await store.claimDue(61_000, 10, 90_000))].sort()).toEqual(['early', 'edge']);
        // A claim touches no record.
        expect(await store.load('early')).toEqual(callRecord('early', 1));
      });

      it('concurrent claims hand each due call to exactly one caller', async () => {
        const store = await freshStore();
        const ids = Array.from({ length: 20 }, (_, i) => `due-${i}`);
        for (const id of ids) {
          await store.commit(id, callRecord(id, 1), 0, { kind: 'set', at: 100 });
        }
        const claims = await Promise.all(
          Array.from({ length: 8 }, () => store.claimDue(1_000, 5, LEASE)),
        );
        const claimed = claims.flat();
        expect(claimed).toHaveLength(ids.length);
        expect(new Set(claimed).size).toBe(ids.length);
      });

      it('takes at most `limit` calls per claim', async () => {
        const store = await freshStore();
        for (let i = 0; i < 7; i += 1) {
          await store.commit(`l${i}`, callRecord(`l${i}`, 1), 0, { kind: 'set', at: i });
        }
        const first = await store.claimDue(100, 5, LEASE);
        const second = await store.claimDue(100, 5, LEASE);
        expect(first).toHaveLength(5);
        expect(second).toHaveLength(2);
        expect(new Set([...first, ...second]).size).toBe(7);
        expect(await store.claimDue(100, 5, LEASE)).toEqual([]);
      });
    });

    describe('reschedule', () => {
      it('with ifDueAt, only while the due time is still the one claimed', async () => {
        const store = await freshStore();
        await store.commit('r', callRecord('r', 1), 0, { kind: 'set', at: 10 });
        expect(await store.claimDue(20, 10, 5_000)).toEqual(['r']);
        // Meanwhile another instance commits a new due time: the claimant must not undo it.
        await store.commit('r', callRecord('r', 2), 1, { kind: 'set', at: 9_000 });
        expect(await store.reschedule('r', { kind: 'set', at: 99 }, 5_000)).toBe(false);
        expect(await store.reschedule('r', { kind: 'clear' }, 5_000)).toBe(false);
        expect(await store.claimDue(8_999, 10, LEASE)).toEqual([]);
        expect(await store.reschedule('r', { kind: 'set', at: 99 }, 9_000)).toBe(true);
        expect(await store.load('r')).toEqual(callRecord('r', 2));
        expect(await store.claimDue(98, 10, LEASE)).toEqual([]);
        expect(await store.claimDue(99, 10, 7_777)).toEqual(['r']);
        expect(await store.reschedule('r', { kind: 'clear' }, 7_777)).toBe(true);
        expect(await store.claimDue(LATER, 10, LEASE)).toEqual([]);
      });

      it('with ifDueAt, not when the call has no due time at all', async () => {
        const store = await freshStore();
        await store.commit('n', callRecord('n', 1), 0, { kind: 'clear' });
        expect(await store.reschedule('n', { kind: 'set', at: 5 }, 5)).toBe(false);
        expect(await store.claimDue(LATER, 10, LEASE)).toEqual([]);
      });

      it('without ifDueAt, always; keep leaves an existing due time alone', async () => {
        const store = await freshStore();
        await store.commit('u', callRecord('u', 1), 0, { kind: 'set', at: 300 });
        expect(await store.reschedule('u', { kind: 'set', at: 400 })).toBe(true);
        await store.reschedule('u', { kind: 'keep', at: 50 });
        expect(await store.claimDue(399, 10, LEASE)).toEqual([]);
        expect(await store.claimDue(400, 10, LEASE)).toEqual(['u']);
      });
    });

    describe('delete', () => {
      it('removes the record, its due time and its count together', async () => {
        const store = await freshStore();
        await store.commit('d', callRecord('d', 1), 0, { kind: 'set', at: 10 });
        await store.commit('stay', callRecord('stay', 1), 0, { kind: 'set', at: 10 });
        expect(await store.countLive()).toBe(2);
        await store.delete('d');
        expect(await store.load('d')).toBeUndefined();
        expect(await listIds(store)).toEqual(['stay']);
        expect(await store.countLive()).toBe(1);
        expect(await store.claimDue(LATER, 10, LEASE)).toEqual(['stay']);
        // Deleting what is not there is no error; a deleted call starts again at version 0.
        await store.delete('d');
        await store.delete('never-stored');
        expect(await store.commit('d', callRecord('d', 1), 0, { kind: 'clear' })).toEqual({
          ok: true,
        });
      });
    });

    describe('ids', () => {
      it('lists every stored call once, however often it was committed', async () => {
        const store = await freshStore();
        expect(await listIds(store)).toEqual([]);
        const ids = Array.from({ length: 30 }, (_, i) => `id-${i}`);
        for (const id of ids) {
          await store.commit(id, callRecord(id, 1), 0, { kind: 'set', at: 1 });
          await store.commit(id, callRecord(id, 2), 1, { kind: 'clear' });
        }
        await store.commit('ended', callRecord('ended', 1, { ended: true }), 0, { kind: 'clear' });
        expect((await listIds(store)).sort()).toEqual([...ids, 'ended'].sort());
      });
    });

    describe('countLive', () => {
      it('counts the stored calls that have not ended', async () => {
        const store = await freshStore();
        expect(await store.countLive()).toBe(0);
        for (const id of ['a', 'b', 'c']) {
          await store.commit(id, callRecord(id, 1), 0, { kind: 'clear' });
        }
        expect(await store.countLive()).toBe(3);
        await store.commit('a', callRecord('a', 2), 1, { kind: 'set', at: 5 });
        expect(await store.countLive()).toBe(3);
        // An ended call stops counting as soon as it is committed, not when it expires.
        await store.commit('b', callRecord('b', 2, { ended: true }), 1, { kind: 'clear' });
        expect(await store.countLive()).toBe(2);
        expect(await store.load('b')).toEqual(callRecord('b', 2, { ended: true }));
        await store.delete('c');
        expect(await store.countLive()).toBe(1);
        await store.commit('e', callRecord('e', 1, { ended: true }), 0, { kind: 'clear' });
        expect(await store.countLive()).toBe(1);
        // A lost commit changes no count.
        await store.commit('a', callRecord('a', 9, { ended: true }), 1, { kind: 'clear' });
        expect(await store.countLive()).toBe(1);
      });
    });

    describe('retention of ended calls', () => {
      it('a record whose snapshot is done expires after the retention time; a live one stays', async () => {
        const { store, now, advance, retentionMs } = await fresh();
        const ended = callRecord('ended', 1, { ended: true, savedAt: now() });
        const live = callRecord('live', 1, { savedAt: now() });
        await store.commit('ended', ended, 0, { kind: 'clear' });
        await store.commit('live', live, 0, { kind: 'clear' });
        await advance(retentionMs / 3);
        expect(await store.load('ended')).toEqual(ended);
        await advance(retentionMs * 2);
        expect(await store.load('ended')).toBeUndefined();
        expect(await listIds(store)).toEqual(['live']);
        expect(await store.load('live')).toEqual(live);
        expect(await store.countLive()).toBe(1);
        // Gone means gone: the id can be created afresh.
        expect(await store.commit('ended', ended, 0, { kind: 'clear' })).toEqual({ ok: true });
      });
    });
  });
}
