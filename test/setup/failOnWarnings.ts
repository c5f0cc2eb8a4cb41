// A suite that prints thousands of warnings hides the one that matters, and an xstate warning
// ("Event … was sent to stopped actor") means a test sent events to a call that had already
// ended: it tested nothing. So a test that logs through console.warn or console.error fails,
// with the message. Registered in vitest.config.ts `setupFiles`, it runs in every test file.
//
// - A message logged while a test runs (its beforeEach/afterEach included) fails that test.
// - One logged in a beforeAll/afterAll, or between tests, fails the file.
// - One logged while the file is being collected (a module that says once, at import, why its
//   tests are skipped) is let through.
//
// A test that expects a warning opts out by spying on it, which also lets it assert on it:
//
//   const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
//   …
//   expect(warn).toHaveBeenCalledWith(expect.stringContaining('deprecated'));
//
// (A spy that calls through still opts out: only messages reaching console.warn itself count.)
import { format } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';

const LEVELS = ['warn', 'error'] as const;
const SHOWN = 5;
const MAX_LENGTH = 600;

let collecting = true;
let heard: string[] = [];

for (const level of LEVELS) {
  const original = console[level];
  const listener = function (this: Console, ...args: unknown[]): void {
    // Replaced or spied on (console[level] is no longer this listener): the test expects it.
    if (!collecting && console[level] === listener) {
      const message = format(...args);
      heard.push(
        `console.${level}: ${message.length > MAX_LENGTH ? `${message.slice(0, MAX_LENGTH)}…` : message}`,
      );
    }
    original.apply(this, args);
  };
  console[level] = listener;
}

function take(): string[] {
  const taken = heard;
  heard = [];
  return taken;
}

function printed(where: string, messages: readonly string[]): Error {
  const shown = messages.slice(0, SHOWN).map((m) => `  ${m.replaceAll('\n', '\n    ')}`);
  const more = messages.length > SHOWN ? [`  … and ${messages.length - SHOWN} more`] : [];
  return new Error(
    [
      `${where} printed ${messages.length} message(s) through console.warn/console.error:`,
      ...shown,
      ...more,
      'Fix the cause (an xstate "sent to stopped actor" warning means events went to a call that had ended), or, when the message is expected, spy on it: vi.spyOn(console, \'warn\').mockImplementation(() => {}) (see test/setup/failOnWarnings.ts).',
    ].join('\n'),
  );
}

let outsideTests: string[] = [];

beforeAll(() => {
  collecting = false;
});

beforeEach(() => {
  outsideTests.push(...take());
});

afterEach(() => {
  const messages = take();
  if (messages.length > 0) throw printed('This test', messages);
});

afterAll(() => {
  const messages = [...outsideTests, ...take()];
  outsideTests = [];
  if (messages.length > 0)
    throw printed('This file, outside its tests (beforeAll/afterAll),', messages);
});
