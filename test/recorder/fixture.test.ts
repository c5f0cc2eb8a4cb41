// The recording shipped with the tests (test/fixtures/recordings/morning.jsonl, the worked
// example of docs/operations.md): it replays through today's machine exactly as recorded, and
// recording the same morning again writes the same file, so a change to the machine or to the
// record format shows up here first.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { replayRecords } from '../../src/index.js';
import { readFlightRecords } from '../../src/recorder/index.js';
import {
  ANSWERED,
  MORNING,
  REJECTED,
  recordMorning,
  STUCK,
} from '../fixtures/recordings/record.js';

describe('test/fixtures/recordings/morning.jsonl', () => {
  const text = readFileSync(MORNING, 'utf8');

  it('replays as recorded: one call remote, one rejected, one still terminating', () => {
    const { records, problems } = readFlightRecords(text);
    expect(problems).toEqual([]);
    const calls = replayRecords(records);
    expect(
      calls.map((c) => [c.callId, c.outcome?.reason ?? c.position?.phase, c.differences]),
    ).toEqual([
      [ANSWERED, 'remote', []],
      [STUCK, 'terminating', []],
      [REJECTED, 'rejected', []],
    ]);
  });

  it('is what recording that morning writes today (npx tsx test/fixtures/recordings/record.ts)', async () => {
    const records = await recordMorning();
    expect(records.map((r) => JSON.stringify(r)).join('\n')).toBe(text.trimEnd());
  });

  it('names no caller: the recorder redacted them', () => {
    expect(text).not.toContain('+14255550100');
    expect(text).toContain('[redacted]');
  });
});
