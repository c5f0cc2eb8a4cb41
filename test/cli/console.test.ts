// `graph-call-machine replay --console`: a recording shown in the live call console on loopback,
// the calls the filters chose and no other, until the command is told to stop.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReplay } from '../../src/cli/replayCommand.js';
import type { ConsoleSnapshot } from '../../src/console/index.js';
import { captureIo, recordThreeCalls, writeRecords } from './support.js';

let dir = '';
let file = '';
let three = { hungUp: '', rejected: '', remote: '' };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gcm-console-'));
  const recorded = await recordThreeCalls();
  three = recorded;
  file = await writeRecords(dir, 'three.jsonl', recorded.records);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('replay --console', () => {
  it('serves the chosen calls on loopback until stopped, then closes', async () => {
    let seen: { page: string; calls: ConsoleSnapshot; url: string } | undefined;
    const { io, out, err } = captureIo({
      consoleUntil: async (url) => {
        const page = await (await fetch(url)).text();
        const calls = (await (await fetch(new URL('calls', url))).json()) as ConsoleSnapshot;
        seen = { page, calls, url };
      },
    });
    expect(await runReplay(['replay', file, '--console', '--outcome', 'rejected'], io)).toBe(0);
    expect(err()).toBe('');
    expect(seen?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(out()).toBe(`1 call in the console at ${seen?.url} (Ctrl+C ends it)\n`);
    expect(seen?.page).toContain('<!doctype html>');
    expect(seen?.calls.rows.map((row) => row.id)).toEqual([three.rejected]);
    // Closed once stopped: nothing listens there any more.
    await expect(fetch(seen?.url ?? '')).rejects.toThrow();
  });

  it('refuses what does not go with it', async () => {
    for (const args of [
      ['replay', file, '--console', '--json'],
      ['replay', file, '--console', '--check'],
      ['replay', file, '--console-port', '9000'],
      ['replay', file, '--console', '--console-port', '70000'],
    ]) {
      const { io, err } = captureIo();
      expect(await runReplay(args, io)).toBe(2);
      expect(err()).toMatch(/--console/);
    }
  });
});
