// A recording shown in the console is the picture the live console showed: one model, fed by
// the same records, with time standing still at the last one.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type CallConsole,
  type ConsoleSnapshot,
  createCallConsole,
  createRecordedConsole,
} from '../../src/console/index.js';
import type { FlightRecord } from '../../src/index.js';
import { readFlightRecords } from '../../src/recorder/index.js';
import { ALICE, answered, framesOf, openWorld, readUntil, type World } from './support.js';

let world: World | undefined;
const consoles: CallConsole[] = [];

afterEach(async () => {
  for (const c of consoles.splice(0)) await c.close();
  await world?.close();
  world = undefined;
});

async function snapshotOf(callConsole: CallConsole): Promise<ConsoleSnapshot> {
  consoles.push(callConsole);
  const response = await callConsole.handler(new Request('http://127.0.0.1/calls'));
  return (await response.json()) as ConsoleSnapshot;
}

describe('a recorded console', () => {
  it('shows what the live console showed, from the file the recorder wrote', async () => {
    world = openWorld();
    const live = createCallConsole(world.registry, { redact: true });
    const hungUp = await answered(world, { source: ALICE });
    const remote = world.fake.placeCall();
    const held = world.fake.placeCall();
    await world.settle();
    await world.registry.hangUp(hungUp);
    world.fake.remoteHangUp(remote);
    await world.settle();

    const file = world.records.map((record) => JSON.stringify(record)).join('\n');
    const { records, problems } = readFlightRecords(file);
    expect(problems).toEqual([]);
    const recorded = createRecordedConsole(records, { redact: true });

    const [now, then] = [await snapshotOf(live), await snapshotOf(recorded)];
    const byId = (s: ConsoleSnapshot) => [...s.rows].sort((a, b) => a.id.localeCompare(b.id));
    expect(byId(then)).toEqual(byId(now));
    expect(then.counters).toEqual(now.counters);
    expect(then.rows.find((r) => r.id === held)?.phase).toBe('active');
    expect(then.frozen).toBe(true);
    expect(then.now).toBe(Math.max(...records.map((r) => r.at)));
    const detail = await recorded.handler(
      new Request(`http://127.0.0.1/calls/${encodeURIComponent(hungUp)}`),
    );
    const text = await detail.text();
    expect(text).toContain('user: [redacted]');
    expect(text).not.toContain('Alice');
  });

  it('merges calls by time, streams a frozen snapshot, and has no actions', async () => {
    world = openWorld();
    const first = world.fake.placeCall();
    await world.settle();
    const second = world.fake.placeCall();
    await world.settle();
    await world.registry.hangUp(first);
    await world.settle();
    // As two files of two instances, concatenated: each call's records in order, not the calls.
    const [a, b] = [first, second].map((id) => world?.records.filter((r) => r.callId === id) ?? []);
    const recorded = createRecordedConsole([...(b ?? []), ...(a ?? [])]);
    const rows = (await snapshotOf(recorded)).rows;
    expect(rows.map((r) => [r.id, r.value])).toEqual([
      [second, 'active.established'],
      [first, 'terminated'],
    ]);
    const events = await recorded.handler(new Request('http://127.0.0.1/events'));
    const reader = (events.body as ReadableStream<Uint8Array>).getReader();
    const text = await readUntil(reader, (t) => t.includes('event: snapshot'));
    expect(framesOf(text, 'snapshot')[0]).toMatchObject({ frozen: true });
    await reader.cancel();
    const action = await recorded.handler(
      new Request('http://127.0.0.1/actions/hang-up', { method: 'POST' }),
    );
    expect(action.status).toBe(404);
  });

  it('skips records without a position and says how many', async () => {
    world = openWorld();
    world.fake.placeCall();
    await world.settle();
    const onError = vi.fn();
    const broken = { ...world.records[0], to: null } as unknown as FlightRecord;
    const recorded = createRecordedConsole([broken, ...world.records], { onError });
    expect((await snapshotOf(recorded)).rows).toHaveLength(1);
    expect(onError).toHaveBeenCalledWith(
      expect.objectContaining({
        message: expect.stringMatching(/1 record\(s\) without a position/),
      }),
    );
  });
});
