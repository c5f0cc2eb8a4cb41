// The command as a user gets it: the package packed (`npm pack`, after the build), installed
// with xstate into a fresh ES-module project and a fresh CommonJS one, and run there with
// `npx graph-call-machine replay <file>`. The install needs the npm registry (or its cache): when
// it cannot reach it, the test fails and says so rather than passing on nothing.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProcessRun, recordFaultyLifecycle, runProcess, writeRecords } from './support.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUILT = existsSync(join(ROOT, 'dist/cli/main.js'));
if (!BUILT) {
  console.warn(
    'test/cli/tarball.test.ts skipped: dist/cli/main.js is missing; run npm run build first',
  );
}
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const NETWORK =
  /ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED|ECONNRESET|ENETUNREACH|network|socket hang up/i;

// Run under `npm run …`, the tests inherit the variables npm sets for a script, among them the
// project it runs in (npm_config_local_prefix): an npm started with them could act on this
// repository instead of the fresh project. The rest (the registry, the cache) is kept.
const CLEAN_ENV: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([key]) => !/^npm_(config_local_prefix|package_|lifecycle_|command$)/i.test(key),
  ),
);

let dir = '';
let tarball = '';
let file = '';
let callId = '';
let version = '';

function describeFailure(what: string, run: ProcessRun): string {
  const output = `${run.stderr}\n${run.stdout}`.trim().split('\n').slice(-15).join('\n');
  const cause = NETWORK.test(output)
    ? 'npm could not reach the registry (a network problem, not a bug of the package)'
    : 'it failed';
  return `${what}: ${cause}, exit ${run.code}:\n${output}`;
}

async function npmOrFail(what: string, args: readonly string[], cwd: string): Promise<string> {
  const run = await runProcess(NPM, args, { cwd, timeoutMs: 150_000, env: CLEAN_ENV });
  if (run.code !== 0) throw new Error(describeFailure(what, run));
  return run.stdout;
}

describe.skipIf(!BUILT)('the packed package', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gcm-tarball-'));
    ({ version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    });
    const packed = await npmOrFail(
      'npm pack',
      ['pack', '--pack-destination', dir, '--json', '--loglevel=error'],
      ROOT,
    );
    const [entry] = JSON.parse(packed) as { filename: string }[];
    if (entry === undefined) throw new Error(`npm pack said nothing about its tarball: ${packed}`);
    tarball = join(dir, entry.filename);
    const recorded = await recordFaultyLifecycle();
    callId = recorded.callId;
    file = await writeRecords(dir, 'calls.jsonl', recorded.records);
  }, 60_000);

  afterAll(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('runs from an ES-module project and a CommonJS project alike', async () => {
    const projects = [
      { name: 'esm-project', type: 'module' },
      { name: 'cjs-project', type: undefined },
    ] as const;
    await Promise.all(
      projects.map(async ({ name, type }) => {
        const cwd = join(dir, name);
        await mkdir(cwd);
        const manifest = { name, version: '1.0.0', private: true, ...(type ? { type } : {}) };
        await writeFile(join(cwd, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
        await npmOrFail(
          `npm install in the ${name}`,
          [
            'install',
            tarball,
            'xstate@~5.33.0',
            '--no-audit',
            '--no-fund',
            '--prefer-offline',
            '--loglevel=error',
          ],
          cwd,
        );
      }),
    );
    for (const { name } of projects) {
      const cwd = join(dir, name);
      const replay = await runProcess(NPX, ['--no', '--', 'graph-call-machine', 'replay', file], {
        cwd,
        env: CLEAN_ENV,
      });
      expect(replay, `npx graph-call-machine replay in the ${name}`).toMatchObject({
        code: 0,
        stderr: '',
      });
      expect(replay.stdout).toContain(callId);
      expect(replay.stdout).toMatch(/ended hungUp\n$/);
      const check = await runProcess(
        NPX,
        ['--no', '--', 'graph-call-machine', 'replay', file, '--check'],
        { cwd, env: CLEAN_ENV },
      );
      expect(check.code, check.stderr).toBe(0);
      expect(check.stdout).toContain('the one call replays as recorded');
      const shown = await runProcess(NPX, ['--no', '--', 'graph-call-machine', '--version'], {
        cwd,
        env: CLEAN_ENV,
      });
      expect(shown).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    }
  }, 180_000);
});
