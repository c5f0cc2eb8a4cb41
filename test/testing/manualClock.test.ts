// createManualClock: the runtime's Clock, moved by hand. Timers run in due-time order, each at
// its own time, timers armed on the way included, with pending promise work let through
// between them; and a registry on it steps through a hang-up's confirm deadline in exact time,
// without vitest's fake timers.
import { afterEach, describe, expect, it } from 'vitest';
import { type CallRegistry, type Clock, createCallRegistry } from '../../src/index.js';
import { createFakeGraph, createManualClock, type FakeGraph } from '../../src/testing/index.js';

describe('time', () => {
  it('reads startAt until it is moved, 0 by default', async () => {
    expect(createManualClock().now()).toBe(0);
    const clock = createManualClock(1_700_000_000_000);
    expect(clock.now()).toBe(1_700_000_000_000);
    await clock.advance(250);
    expect(clock.now()).toBe(1_700_000_000_250);
    await clock.advanceTo(1_700_000_001_000);
    expect(clock.now()).toBe(1_700_000_001_000);
  });

  it('refuses a start, a step or a target that is not a time, and time that runs backwards', async () => {
    expect(() => createManualClock(Number.NaN)).toThrow(RangeError);
    const clock = createManualClock(100);
    await expect(clock.advance(-1)).rejects.toThrow(/advance\(ms\) needs a finite ms >= 0, got -1/);
    await expect(clock.advance(Number.POSITIVE_INFINITY)).rejects.toThrow(RangeError);
    await expect(clock.advanceTo(99)).rejects.toThrow(
      /advanceTo\(99\) is in the past \(now is 100\)/,
    );
    await expect(clock.runAll(-1)).rejects.toThrow(/runAll\(limit\)/);
    expect(clock.now()).toBe(100);
  });

  it('is a Clock the registry takes', () => {
    const clock: Clock = createManualClock();
    expect(typeof clock.setTimeout).toBe('function');
  });
});

describe('timers', () => {
  it('run in due-time order, ties in the order armed, each with now() at its due time', async () => {
    const clock = createManualClock(1_000);
    const ran: string[] = [];
    const log = (name: string) => () => ran.push(`${name}@${clock.now()}`);
    clock.setTimeout(log('c'), 30);
    clock.setTimeout(log('a'), 10);
    clock.setTimeout(log('b1'), 20);
    clock.setTimeout(log('b2'), 20);
    expect(await clock.advance(25)).toBe(3);
    expect(ran).toEqual(['a@1010', 'b1@1020', 'b2@1020']);
    expect(clock.now()).toBe(1_025);
    expect([clock.pending(), clock.nextDueAt()]).toEqual([1, 1_030]);
    await clock.advance(5);
    expect(ran.at(-1)).toBe('c@1030');
    expect([clock.pending(), clock.nextDueAt()]).toEqual([0, undefined]);
  });

  it('a negative or NaN delay is due now; holdsProcess is accepted and changes nothing', async () => {
    const clock = createManualClock();
    const ran: number[] = [];
    clock.setTimeout(() => ran.push(1), -5);
    clock.setTimeout(() => ran.push(2), Number.NaN, true);
    expect(clock.nextDueAt()).toBe(0);
    await clock.advance(0);
    expect(ran).toEqual([1, 2]);
  });

  it('clearTimeout cancels; a handle of another clock, or of a timer that ran, is ignored', async () => {
    const clock = createManualClock();
    const ran: string[] = [];
    const a = clock.setTimeout(() => ran.push('a'), 10);
    const b = clock.setTimeout(() => ran.push('b'), 10);
    clock.clearTimeout(a);
    clock.clearTimeout({});
    clock.clearTimeout(undefined);
    createManualClock().clearTimeout(b);
    await clock.advance(10);
    clock.clearTimeout(b);
    expect(ran).toEqual(['b']);
    expect(clock.pending()).toBe(0);
  });

  it('a timer cancelled by an earlier one in the same advance does not run', async () => {
    const clock = createManualClock();
    const ran: string[] = [];
    const later = clock.setTimeout(() => ran.push('later'), 20);
    clock.setTimeout(() => {
      ran.push('first');
      clock.clearTimeout(later);
    }, 10);
    await clock.advance(100);
    expect(ran).toEqual(['first']);
  });

  it('timers armed by a timer run in the same advance when due, at their own time', async () => {
    const clock = createManualClock();
    const ran: string[] = [];
    clock.setTimeout(() => {
      ran.push(`outer@${clock.now()}`);
      clock.setTimeout(() => ran.push(`zero@${clock.now()}`), 0);
      clock.setTimeout(() => ran.push(`inner@${clock.now()}`), 15);
      clock.setTimeout(() => ran.push(`beyond@${clock.now()}`), 100);
    }, 10);
    expect(await clock.advance(30)).toBe(3);
    expect(ran).toEqual(['outer@10', 'zero@10', 'inner@25']);
    expect(clock.nextDueAt()).toBe(110);
  });

  it('promise chains a timer starts run to their end, and arm their timers, before time moves on', async () => {
    const clock = createManualClock();
    const ran: string[] = [];
    const slowWork = async (): Promise<void> => {
      for (let i = 0; i < 20; i += 1) await Promise.resolve();
      await new Promise<void>((resolve) => process.nextTick(resolve));
      await new Promise<void>((resolve) => queueMicrotask(resolve));
      ran.push(`work done@${clock.now()}`);
      clock.setTimeout(() => ran.push(`deadline@${clock.now()}`), 5);
    };
    clock.setTimeout(() => void slowWork(), 10);
    await clock.advance(20);
    expect(ran).toEqual(['work done@10', 'deadline@15']);
  });

  it('promise work started before an advance runs before its first timer', async () => {
    const clock = createManualClock();
    const ran: string[] = [];
    void (async () => {
      await Promise.resolve();
      clock.setTimeout(() => ran.push(`armed late@${clock.now()}`), 5);
    })();
    await clock.advance(10);
    expect(ran).toEqual(['armed late@5']);
  });
});

describe('re-entrancy', () => {
  it('an advance asked for by a timer waits for the running one, then moves on from where it stopped', async () => {
    const clock = createManualClock();
    const ran: string[] = [];
    let inner: Promise<number> | undefined;
    clock.setTimeout(() => {
      ran.push(`a@${clock.now()}`);
      inner = clock.advance(100);
    }, 10);
    clock.setTimeout(() => ran.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => ran.push(`c@${clock.now()}`), 60);
    await clock.advance(50);
    expect(ran).toEqual(['a@10', 'b@20']);
    expect(clock.now()).toBe(50);
    await inner;
    expect(ran).toEqual(['a@10', 'b@20', 'c@60']);
    expect(clock.now()).toBe(150);
  });

  it('advances asked for together run one after the other', async () => {
    const clock = createManualClock();
    const seen: number[] = [];
    clock.setTimeout(() => seen.push(clock.now()), 15);
    await Promise.all([clock.advance(10), clock.advance(10), clock.advanceTo(25)]);
    expect(seen).toEqual([15]);
    expect(clock.now()).toBe(25);
  });
});

describe('runAll', () => {
  it('runs every timer, however far, moving time to each', async () => {
    const clock = createManualClock();
    const seen: number[] = [];
    clock.setTimeout(() => {
      seen.push(clock.now());
      clock.setTimeout(() => seen.push(clock.now()), 86_400_000);
    }, 60_000);
    expect(await clock.runAll()).toBe(2);
    expect(seen).toEqual([60_000, 86_460_000]);
    expect(clock.now()).toBe(86_460_000);
  });

  it('stops at its bound when timers keep re-arming themselves, and says to use advance', async () => {
    const clock = createManualClock();
    let beats = 0;
    const beat = (): void => {
      beats += 1;
      clock.setTimeout(beat, 1_000);
    };
    clock.setTimeout(beat, 1_000);
    await expect(clock.runAll(50)).rejects.toThrow(
      /ran 50 timers and more keep being armed .*use advance\(ms\)/,
    );
    expect(beats).toBe(50);
    // The clock still works afterwards.
    await clock.advance(2_000);
    expect(beats).toBe(52);
  });
});

describe('a callback that throws', () => {
  it('does not stop the others; the advance rejects with its error once time has moved', async () => {
    const clock = createManualClock();
    const ran: string[] = [];
    clock.setTimeout(() => {
      throw new Error('boom');
    }, 10);
    clock.setTimeout(() => ran.push('after'), 20);
    await expect(clock.advance(30)).rejects.toThrow('boom');
    expect(ran).toEqual(['after']);
    expect(clock.now()).toBe(30);
  });

  it('several errors come back together as an AggregateError', async () => {
    const clock = createManualClock();
    for (const message of ['one', 'two']) {
      clock.setTimeout(() => {
        throw new Error(message);
      }, 1);
    }
    const error = await clock.advance(1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors.map((e: Error) => e.message)).toEqual(['one', 'two']);
  });
});

describe('driving a registry and the fake Graph', () => {
  let fake: FakeGraph | undefined;
  let registry: CallRegistry | undefined;

  afterEach(async () => {
    await registry?.close();
    await fake?.close();
    registry = undefined;
    fake = undefined;
  });

  it('a hang-up whose terminated never comes is verified with a GET exactly at the confirm deadline', async () => {
    const confirmTimeoutMs = 30_000;
    const clock = createManualClock(Date.UTC(2025, 0, 1));
    const start = clock.now();
    fake = createFakeGraph({ clock, faults: { dropTerminated: true } });
    registry = createCallRegistry({
      clock,
      confirmTimeoutMs,
      graph: { getToken: async () => 't', fetch: fake.fetch, baseUrl: fake.baseUrl },
    });
    fake.connect(registry);

    const callId = fake.placeCall();
    await clock.advance(0); // the fake's deliveries run on the same clock
    expect(registry.get(callId)).toMatchObject({ state: 'established' });

    await registry.hangUp(callId); // DELETE → 204
    await clock.advance(0); // `terminating` delivered; `terminated` is dropped
    expect(registry.get(callId)).toMatchObject({ phase: 'terminating' });

    await clock.advance(confirmTimeoutMs - 1);
    expect(fake.requests.map((r) => r.method)).toEqual(['DELETE']);
    expect(registry.get(callId)?.phase).toBe('terminating');

    await clock.advance(1); // the confirm deadline: GET → 404 → the call is over
    expect(fake.requests.map((r) => [r.method, r.status, r.at - start])).toEqual([
      ['DELETE', 204, 0],
      ['GET', 404, confirmTimeoutMs],
    ]);
    expect(registry.get(callId)).toMatchObject({
      phase: 'terminated',
      outcome: { reason: 'hungUp', at: start + confirmTimeoutMs },
    });
  });
});
