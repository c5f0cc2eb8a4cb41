// `graph-call-machine replay`'s choices of calls (--call, --outcome, --since), the stuck calls
// named first, and what it says about input and command lines it cannot use.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReplay, USAGE } from '../../src/cli/replayCommand.js';
import { shortId } from '../../src/cli/timeline.js';
import type { FlightRecord } from '../../src/index.js';
import {
  captureIo,
  ofCall,
  recordFaultyLifecycle,
  recordThreeCalls,
  shifted,
  writeRecords,
} from './support.js';

const MINUTE = 60_000;

let dir = '';
// Three calls ten minutes apart: hung up by the bot, rejected, hung up by the caller.
let three = { hungUp: '', rejected: '', remote: '', records: [] as FlightRecord[] };
let threeFile = '';
let faulty = { callId: '', records: [] as FlightRecord[] };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gcm-options-'));
  const recorded = await recordThreeCalls();
  three = {
    ...recorded,
    records: [
      ...ofCall(recorded.records, recorded.hungUp),
      ...shifted(ofCall(recorded.records, recorded.rejected), 10 * MINUTE),
      ...shifted(ofCall(recorded.records, recorded.remote), 20 * MINUTE),
    ],
  };
  threeFile = await writeRecords(dir, 'three.jsonl', three.records);
  faulty = await recordFaultyLifecycle();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The ids of the calls whose title `runReplay` printed, in order. */
async function shown(...args: string[]): Promise<string[]> {
  const { io, out, err } = captureIo();
  const code = await runReplay(['replay', threeFile, ...args], io);
  expect(err()).toBe('');
  expect(code).toBe(0);
  const ids = [three.hungUp, three.rejected, three.remote];
  return out()
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((word) => ids.includes(word));
}

async function refused(...args: string[]): Promise<string> {
  const { io, out, err } = captureIo();
  expect(await runReplay(args, io)).toBe(2);
  expect(out()).toBe('');
  return err();
}

function firstAt(callId: string): number {
  return Math.min(...three.records.filter((r) => r.callId === callId).map((r) => r.at));
}

describe('choosing calls', () => {
  it('shows every call, oldest first, each with how it ended', async () => {
    expect(await shown()).toEqual([three.hungUp, three.rejected, three.remote]);
    const { io, out } = captureIo();
    await runReplay(['replay', threeFile], io);
    expect(out()).toContain('ended hungUp');
    expect(out()).toContain('ended rejected');
    expect(out()).toMatch(/ended remote \(200\/18503/);
    expect(out()).toMatch(/intent +reject busy +POST reject/);
  });

  it('--call: a whole id, or a prefix of 4 characters or more, repeatable', async () => {
    expect(await shown('--call', three.rejected)).toEqual([three.rejected]);
    expect(await shown('--call', three.remote.slice(0, 8))).toEqual([three.remote]);
    // As shortened in the output, ellipsis and all.
    expect(await shown('--call', shortId(three.remote))).toEqual([three.remote]);
    expect(await shown('--call', three.hungUp, '--call', three.remote.slice(0, 6))).toEqual([
      three.hungUp,
      three.remote,
    ]);
    const { io, out } = captureIo();
    expect(await runReplay(['replay', threeFile, '--call', 'ffffffff'], io)).toBe(0);
    expect(out()).toContain('3 calls from');
    expect(out()).toContain('0 shown');
    expect(out()).toContain('no call to show');
    expect(await refused('replay', threeFile, '--call', 'abc')).toContain(
      '--call "abc" is no call id, and a prefix needs at least 4 characters',
    );
  });

  it('--outcome: how the call ended, or none', async () => {
    expect(await shown('--outcome', 'rejected')).toEqual([three.rejected]);
    expect(await shown('--outcome', 'remote', '--outcome', 'hungUp')).toEqual([
      three.hungUp,
      three.remote,
    ]);
    expect(await shown('--outcome', 'none')).toEqual([]);
    expect(await refused('replay', threeFile, '--outcome', 'hungup')).toContain(
      '--outcome takes one of hungUp, remote, rejected, redirected, transferred, missed, gone, unconfirmed, none; got "hungup"',
    );
  });

  it('--since: a duration back from the newest record, an ISO time, or epoch ms', async () => {
    expect(await shown('--since', '15m')).toEqual([three.rejected, three.remote]);
    expect(await shown('--since', '5m')).toEqual([three.remote]);
    expect(await shown('--since', '1h')).toEqual([three.hungUp, three.rejected, three.remote]);
    const rejectedAt = firstAt(three.rejected);
    expect(await shown('--since', new Date(rejectedAt).toISOString())).toEqual([
      three.rejected,
      three.remote,
    ]);
    expect(await shown('--since', String(firstAt(three.remote)))).toEqual([three.remote]);
    expect(await shown('--since', '2h', '--outcome', 'rejected')).toEqual([three.rejected]);
    expect(await refused('replay', threeFile, '--since', 'yesterday')).toContain(
      '--since takes an ISO date-time (2026-05-01T12:00:00Z), epoch ms, or a duration',
    );
  });
});

describe('stuck calls', () => {
  it('names a call not ended and silent for 30 s before the newest record first', async () => {
    // The faulty lifecycle cut where the hang-up began, then another call a minute later.
    const cut = faulty.records.findIndex((r) => r.to.phase === 'terminating');
    const stuck = faulty.records.slice(0, cut + 1);
    const lastAt = stuck.at(-1)?.at ?? 0;
    const later = ofCall(three.records, three.hungUp);
    const all = [...stuck, ...shifted(later, lastAt + MINUTE - (later[0]?.at ?? 0))];
    const newestAt = Math.max(...all.map((r) => r.at));
    const file = await writeRecords(dir, 'stuck.jsonl', all);
    const { io, out } = captureIo();
    expect(await runReplay(['replay', file], io)).toBe(0);
    const lines = out().split('\n');
    expect(lines[1]).toBe(`1 call still terminating after 30 s: ${shortId(faulty.callId)}`);
    expect(out()).toContain('not ended: still terminating.hangingUp (Graph state established)');

    const json = captureIo();
    expect(await runReplay(['replay', file, '--json'], json.io)).toBe(0);
    expect(JSON.parse(json.out()).stuck).toEqual([
      {
        callId: faulty.callId,
        phase: 'terminating',
        value: 'terminating.hangingUp',
        lastAt,
        silentMs: newestAt - lastAt,
      },
    ]);
    // --check is about decisions, not about silence.
    const check = captureIo();
    expect(await runReplay(['replay', file, '--check'], check.io)).toBe(0);
    expect(check.out()).not.toContain('still');
    expect(check.out()).toContain('all 2 calls replay as recorded');
  });
});

describe('input', () => {
  it('reports lines that are no records, one line per file, and replays the rest', async () => {
    const file = await writeRecords(dir, 'calls.jsonl', faulty.records, [
      '{"v":1,"callId":"c1",',
      '{"v":2,"callId":"c2","at":1}',
      'null',
    ]);
    const other = await writeRecords(dir, 'calls.jsonl.1', [], ['', 'garbage']);
    const { io, out, err } = captureIo();
    expect(await runReplay(['replay', other, file], io)).toBe(0);
    const n = faulty.records.length;
    expect(err().split('\n')).toEqual([
      expect.stringMatching(/^.*calls\.jsonl\.1: 1 line skipped \(line 2: not JSON: .*\)$/),
      expect.stringMatching(
        new RegExp(`^.*calls\\.jsonl: 3 lines skipped \\(line ${n + 1}: not JSON: .*\\)$`),
      ),
      '',
    ]);
    expect(out()).toContain(`${n} records of 1 call from ${other}, ${file}`);
    expect(out()).toContain('ended hungUp');

    const json = captureIo();
    expect(await runReplay(['replay', other, file, '--json'], json.io)).toBe(0);
    expect(JSON.parse(json.out()).skipped).toEqual([
      { file: other, line: 2, message: expect.stringMatching(/^not JSON/) },
      { file, line: n + 1, message: expect.stringMatching(/^not JSON/) },
      { file, line: n + 2, message: 'format 2; this version reads 1' },
      { file, line: n + 3, message: 'not a record (an object)' },
    ]);
  });

  it('stops at a file it cannot read, or a directory, with one line and exit 2', async () => {
    const missing = join(dir, 'nothing.jsonl');
    expect(await refused('replay', threeFile, missing)).toBe(
      `graph-call-machine: ${missing}: no such file\n`,
    );
    const folder = join(dir, 'records');
    await mkdir(folder);
    expect(await refused('replay', folder)).toBe(
      `graph-call-machine: ${folder}: is a directory; give the files of flight records in it (calls.jsonl, calls.jsonl.1, …)\n`,
    );
  });

  it('says when a call cannot be replayed, and --check fails for it', async () => {
    const file = await writeRecords(dir, 'middle.jsonl', faulty.records.slice(1));
    const { io, out } = captureIo();
    expect(await runReplay(['replay', file], io)).toBe(0);
    expect(out()).toContain('cannot replay: its start was not recorded');
    const check = captureIo();
    expect(await runReplay(['replay', file, '--check'], check.io)).toBe(1);
    expect(check.out()).toMatch(/1 of 1 call cannot be replayed\n$/);
  });
});

describe('command line', () => {
  it('--help lists the command and every option', async () => {
    const { io, out } = captureIo();
    expect(await runReplay(['--help'], io)).toBe(0);
    expect(out()).toBe(USAGE);
    for (const option of [
      'replay <file…>',
      '--call <id>',
      '--outcome <reason>',
      '--since <time>',
      '--check',
      '--json',
      '--records',
      '--inspect',
      '-h, --help',
      '--version',
    ]) {
      expect(USAGE).toContain(option);
    }
    const short = captureIo();
    expect(await runReplay(['replay', '-h'], short.io)).toBe(0);
    expect(short.out()).toBe(USAGE);
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(
      await readFile(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    const { io, out } = captureIo();
    expect(await runReplay(['--version'], io)).toBe(0);
    expect(out()).toBe(`${version}\n`);
  });

  it('refuses what it cannot run, with parseArgs’ message or its own, and exit 2', async () => {
    expect(await refused('replay', threeFile, '--bogus')).toBe(
      `graph-call-machine: Unknown option '--bogus'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- "--bogus"\nRun graph-call-machine --help for usage.\n`,
    );
    expect(await refused('replay', threeFile, '--since')).toContain(
      "Option '--since <value>' argument missing",
    );
    expect(await refused('replay')).toContain('replay needs at least one file of flight records');
    expect(await refused('play', threeFile)).toContain(
      'unknown command "play"; the command is replay',
    );
    expect(await refused('replay', threeFile, '--records')).toContain('--records goes with --json');
    expect(await refused()).toBe(USAGE);
  });
});
