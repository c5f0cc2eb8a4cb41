// Bad options and sources are refused at once, with the option named.
import { describe, expect, it } from 'vitest';
import {
  type CallConsoleOptions,
  createCallConsole,
  createRecordedConsole,
  type RecordedConsoleOptions,
} from '../../src/console/index.js';
import { stubRegistry } from './support.js';

function attempt(options: unknown): unknown {
  try {
    createCallConsole(stubRegistry(), options as CallConsoleOptions).close();
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('console options', () => {
  it.each([
    [{ basePath: 'console' }, TypeError, /basePath/],
    [{ basePath: '/a/../b/' }, TypeError, /basePath/],
    [{ basePath: 42 }, TypeError, /basePath/],
    [{ authorize: 'secret' }, TypeError, /authorize/],
    [{ allowedHosts: 'localhost' }, TypeError, /allowedHosts/],
    [{ allowedHosts: [''] }, TypeError, /allowedHosts/],
    [{ allowActions: 'yes' }, TypeError, /allowActions/],
    [{ redact: 1 }, TypeError, /redact/],
    [{ title: null }, TypeError, /title/],
    [{ now: 5 }, TypeError, /now/],
    [{ onError: true }, TypeError, /onError/],
    [{ maxEndedCalls: -1 }, RangeError, /maxEndedCalls/],
    [{ maxLiveCalls: 0 }, RangeError, /maxLiveCalls/],
    [{ maxTimelineEntries: 1.5 }, RangeError, /maxTimelineEntries/],
    [{ maxClients: Number.NaN }, TypeError, /maxClients/],
    [{ maxClientBufferBytes: 10 }, RangeError, /maxClientBufferBytes/],
    [{ tickMs: 1 }, RangeError, /tickMs/],
    [{ heartbeatMs: '15s' }, TypeError, /heartbeatMs/],
    ['options', TypeError, /options must be an object/],
  ])('refuses %j', (options, type, message) => {
    const error = attempt(options);
    expect(error).toBeInstanceOf(type);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(/^createCallConsole: /);
  });

  it('takes the documented values', () => {
    expect(
      attempt({
        basePath: '/ops/console',
        allowedHosts: ['Console.Example.com'],
        maxEndedCalls: 0,
        tickMs: 10,
        heartbeatMs: 1_000,
        maxClientBufferBytes: 1_024,
      }),
    ).toBeUndefined();
  });

  it('refuses a registry without what the console uses, naming what is missing', () => {
    const { addRecorder: _, ...partial } = stubRegistry();
    expect(() => createCallConsole(partial as never)).toThrow(
      /createCallConsole: the registry must be a CallRegistry .*it has no addRecorder/,
    );
    expect(() => createCallConsole(undefined as never)).toThrow(TypeError);
  });

  it('refuses records that are no list, and actions on a recording', () => {
    expect(() => createRecordedConsole(42 as never)).toThrow(/records must be an iterable/);
    expect(() =>
      createRecordedConsole([], { allowActions: true } as RecordedConsoleOptions),
    ).toThrow(/allowActions does not apply/);
  });
});
