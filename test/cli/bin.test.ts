// The built command, as npm links it: `node dist/cli/main.js …` in a process of its own, its
// output and its exit code. It needs `npm run build` first (`npm run check` builds before the
// tests); without a build the file says so and skips.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProcessRun, recordFaultyLifecycle, runProcess, writeRecords } from './support.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'dist/cli/main.js');
const BUILT = existsSync(BIN);
if (!BUILT) {
  console.warn(`test/cli/bin.test.ts skipped: ${BIN} is missing; run npm run build first`);
}

function runBin(command: readonly string[]): Promise<ProcessRun> {
  return runProcess(process.execPath, [BIN, ...command], { cwd: ROOT });
}

let dir = '';
let file = '';
let callId = '';

describe.skipIf(!BUILT)('node dist/cli/main.js', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gcm-bin-'));
    const recorded = await recordFaultyLifecycle();
    callId = recorded.callId;
    file = await writeRecords(dir, 'calls.jsonl', recorded.records);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('replay prints the timeline, in plain text through a pipe, and exits 0', async () => {
    const run = await runBin(['replay', file]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain(callId);
    expect(run.stdout).toMatch(/delete\.failed 429/);
    expect(run.stdout).toMatch(/ended hungUp\n$/);
    expect(run.stdout).not.toContain('\u001b[');
    const check = await runBin(['replay', file, '--check']);
    expect(check).toMatchObject({ code: 0, stderr: '' });
    expect(check.stdout).toContain('the one call replays as recorded');
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(await runBin(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('says what is wrong in one line, with no stack trace, and exits 2', async () => {
    const missing = join(dir, 'missing.jsonl');
    expect(await runBin(['replay', missing])).toEqual({
      code: 2,
      stdout: '',
      stderr: `graph-call-machine: ${missing}: no such file\n`,
    });
    const unknown = await runBin(['replay', file, '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^graph-call-machine: Unknown option '--bogus'/);
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
  });
});
