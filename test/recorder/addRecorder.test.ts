// Watching a running registry: `calls()` lists what it holds, and `addRecorder` adds a
// flight-record sink with its own options next to the `recorder` option, removable at will.
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CallRegistry,
  createCallRegistry,
  type FlightRecord,
  type RegistryEvent,
} from '../../src/index.js';
import { createFakeGraph, type FakeGraph } from '../../src/testing/index.js';
import { graphOf } from '../control/support.js';
import { throttledHangUp } from '../support/throttledHangUp.js';

let open: { fake: FakeGraph; registry: CallRegistry } | undefined;
afterEach(async () => {
  await open?.registry.close();
  await open?.fake.close();
  open = undefined;
});

function world(recorder?: (record: FlightRecord) => void) {
  const fake = createFakeGraph();
  const registry = createCallRegistry({
    graph: graphOf(fake),
    keepAliveMs: 0,
    confirmTimeoutMs: 30,
    ...(recorder === undefined ? {} : { recorder }),
  });
  open = { fake, registry };
  return { fake, registry };
}

describe('registry.calls()', () => {
  it('lists live calls and the ended ones it still holds', async () => {
    const { fake, registry } = world();
    expect(registry.calls()).toEqual([]);
    const { callId: ended } = await throttledHangUp(fake, registry);
    const ringing = fake.incomingCall();
    await fake.settle();
    const byId = new Map(registry.calls().map((view) => [view.callId, view]));
    expect(byId.get(ringing)?.state).toBe('incoming');
    expect(byId.get(ended)?.phase).toBe('terminated');
    expect(byId.size).toBe(2);
  });
});

describe('registry.addRecorder()', () => {
  it('hands every record to each sink with its own options, until removed', async () => {
    const fromOption: FlightRecord[] = [];
    const plain: FlightRecord[] = [];
    const redacted: FlightRecord[] = [];
    const { fake, registry } = world((record) => fromOption.push(record));
    const removePlain = registry.addRecorder((record) => plain.push(record));
    registry.addRecorder({ record: (record) => redacted.push(record), redact: true });

    const { callId } = await throttledHangUp(fake, registry);
    expect(plain.length).toBeGreaterThan(5);
    expect(plain).toEqual(fromOption);
    expect(redacted.map((r) => r.input.type)).toEqual(plain.map((r) => r.input.type));
    expect(JSON.stringify(plain)).toContain('+14255550100');
    expect(JSON.stringify(redacted)).not.toContain('+14255550100');
    expect(plain.every((r) => r.callId === callId)).toBe(true);

    removePlain();
    const before = plain.length;
    fake.incomingCall();
    await fake.settle();
    expect(plain.length).toBe(before);
    expect(redacted.length).toBeGreaterThan(before);
  });

  it('reports a sink that throws and keeps stepping the call and the other sinks', async () => {
    const { fake, registry } = world();
    const errors: RegistryEvent[] = [];
    registry.on('registry.error', (event) => errors.push(event));
    registry.addRecorder(() => {
      throw new Error('disk full');
    });
    const kept: FlightRecord[] = [];
    registry.addRecorder((record) => kept.push(record));
    const { ended } = await throttledHangUp(fake, registry);
    expect(ended.phase).toBe('terminated');
    expect(errors.length).toBe(kept.length);
    expect(errors[0]).toMatchObject({ error: { message: 'disk full' } });
  });

  it('refuses a sink that is not one, naming what it needs', () => {
    const { registry } = world();
    expect(() => registry.addRecorder({} as never)).toThrow(/record function/);
  });
});
