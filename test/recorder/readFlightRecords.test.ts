// Reading a recording: every line that is a record is kept, every other one is reported with its
// line number and why, and nothing throws.
import { expect, it } from 'vitest';
import { readFlightRecords } from '../../src/recorder/index.js';

const start = {
  v: 1,
  callId: 'c1',
  at: 1,
  input: { type: 'start', input: { callId: 'c1', state: 'established', at: 1 } },
  to: { state: 'established', phase: 'active', value: 'active.established' },
  emitted: [],
  wrote: true,
};
const step = (event: unknown) => ({ ...start, at: 2, input: { type: 'step', event } });

it('keeps the records and names each line it skips', () => {
  const lines = [
    start,
    '{ not json',
    [1, 2],
    { ...start, v: 2 },
    { ...start, callId: '' },
    { ...start, input: { type: 'start', input: null } },
    { ...start, input: { type: 'start', input: { callId: 'c2' } } },
    step(null),
    step({ at: 2 }),
    step({ type: 'hangUp' }),
    step({ type: 'hangUp', at: 2 }),
    { ...start, due: 'soon' },
    { ...start, callId: '..', input: { type: 'start', input: { callId: '..' } } },
    '',
  ].map((line) => (typeof line === 'string' ? line : JSON.stringify(line)));
  const { records, problems } = readFlightRecords(lines.join('\n'));
  expect(records.map((r) => r.input.type)).toEqual(['start', 'step']);
  expect(problems).toEqual([
    { line: 2, message: expect.stringMatching(/^not JSON/) },
    { line: 3, message: 'not a record (an object)' },
    { line: 4, message: 'format 2; this version reads 1' },
    { line: 5, message: 'no callId' },
    { line: 6, message: 'a start without its input' },
    { line: 7, message: 'a start of another call' },
    { line: 8, message: 'a step without its event' },
    { line: 9, message: 'a step whose event has no type' },
    { line: 10, message: 'a step whose event has no time' },
    { line: 12, message: 'a due time (due) that is not a time' },
    {
      line: 13,
      message:
        'a callId no call can have (the call id ".." is a relative path segment: a URL would resolve it to another resource)',
    },
  ]);
});
