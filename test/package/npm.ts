// npm, run on this package as a user's machine runs it: `npm pack` of the built package, and
// `npm install` of the tarball into a fresh project. For the tests of test/package.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Whether `npm run build` has run: the tests of the packed package need dist/. */
export const BUILT =
  existsSync(join(ROOT, 'dist/index.js')) && existsSync(join(ROOT, 'dist/cli/main.js'));

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NETWORK =
  /ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED|ECONNRESET|ENETUNREACH|network|socket hang up/i;

// Run under `npm run …`, the tests inherit the variables npm sets for a script, among them the
// project it runs in (npm_config_local_prefix): an npm started with them could act on this
// repository instead of the fresh project. The rest (the registry, the cache) is kept.
export const CLEAN_ENV: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([key]) => !/^npm_(config_local_prefix|package_|lifecycle_|command$)/i.test(key),
  ),
);

export interface ProcessRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end; never rejects: a failure is in `code` and `stderr`. */
export function run(
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly timeoutMs?: number },
): Promise<ProcessRun> {
  return new Promise((resolve) => {
    execFile(
      command,
      [...args],
      {
        cwd: options.cwd,
        env: CLEAN_ENV,
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        const killed = error?.killed === true ? `\n(killed after ${options.timeoutMs} ms)` : '';
        resolve({ code, stdout, stderr: `${stderr}${killed}` });
      },
    );
  });
}

/** npm with `args` in `cwd`; its stdout, or an error that says whether the network failed. */
export async function npm(what: string, args: readonly string[], cwd: string): Promise<string> {
  const result = await run(NPM, [...args, '--loglevel=error'], { cwd, timeoutMs: 150_000 });
  if (result.code === 0) return result.stdout;
  const output = `${result.stderr}\n${result.stdout}`.trim().split('\n').slice(-15).join('\n');
  const cause = NETWORK.test(output)
    ? 'npm could not reach the registry (a network problem, not a bug of the package)'
    : 'it failed';
  throw new Error(`${what}: ${cause}, exit ${result.code}:\n${output}`);
}

export interface PackedFile {
  readonly path: string;
  readonly size: number;
}

/** What `npm pack --json` says of a tarball. */
export interface Packed {
  readonly filename: string;
  /** The tarball's size, in bytes. */
  readonly size: number;
  /** What the package takes on disk once installed, in bytes. */
  readonly unpackedSize: number;
  readonly files: readonly PackedFile[];
}

/** `npm pack` of this repository as it is (dist/ included): into `destination`, or a dry run. */
export async function pack(destination?: string): Promise<Packed> {
  const where = destination === undefined ? ['--dry-run'] : ['--pack-destination', destination];
  const stdout = await npm('npm pack', ['pack', ...where, '--json', '--ignore-scripts'], ROOT);
  const [packed] = JSON.parse(stdout) as Packed[];
  if (packed === undefined) throw new Error(`npm pack said nothing about its tarball: ${stdout}`);
  return packed;
}
