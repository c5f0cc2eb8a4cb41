import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src/index.js';
import { TimerQueue } from '../../src/runtime/timerQueue.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('TimerQueue', () => {
  it('runs timers in due order (ties in scheduling order) on a single clock timer', () => {
    const queue = new TimerQueue(systemClock);
    const ran: string[] = [];
    for (const [name, at] of [
      ['c', 30],
      ['a', 10],
      ['b1', 20],
      ['b2', 20],
    ] as const) {
      queue.schedule(at, () => ran.push(name));
    }
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(19);
    expect(ran).toEqual(['a']);
    vi.advanceTimersByTime(11);
    expect(ran).toEqual(['a', 'b1', 'b2', 'c']);
    expect(queue.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('10,000 timers cost one clock timer', () => {
    const queue = new TimerQueue(systemClock);
    let ran = 0;
    for (let i = 0; i < 10_000; i++) queue.schedule(1_000 + (i % 97), () => ran++);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(2_000);
    expect(ran).toBe(10_000);
  });

  it('a cancelled timer never runs, and the last cancel disarms the clock', () => {
    const queue = new TimerQueue(systemClock);
    const ran: number[] = [];
    const first = queue.schedule(10, () => ran.push(1));
    const second = queue.schedule(20, () => ran.push(2));
    first.cancel();
    vi.advanceTimersByTime(15);
    expect(ran).toEqual([]);
    second.cancel();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(100);
    expect(ran).toEqual([]);
  });

  it('an earlier timer scheduled later re-arms the clock for itself', () => {
    const queue = new TimerQueue(systemClock);
    const ran: number[] = [];
    queue.schedule(100, () => ran.push(100));
    queue.schedule(5, () => ran.push(5));
    vi.advanceTimersByTime(5);
    expect(ran).toEqual([5]);
  });

  it('a throwing timer does not stop the others due at the same time', () => {
    const queue = new TimerQueue(systemClock);
    const ran: number[] = [];
    queue.schedule(10, () => {
      throw new Error('boom');
    });
    queue.schedule(10, () => ran.push(2));
    queue.schedule(50, () => ran.push(3));
    expect(() => vi.advanceTimersByTime(10)).toThrow('boom');
    expect(ran).toEqual([2]);
    vi.advanceTimersByTime(40);
    expect(ran).toEqual([2, 3]);
  });
});
