// A script that only awaits `waitFor` or a pending `hangUp` must live until the promise
// settles: the registry's timers hold the process open while somebody awaits them (before,
// they were unref'd and Node exited with code 13 before the deadline that settles it fired).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('./fixtures/awaitOnly.ts', import.meta.url));

async function awaitOnly(mode: string) {
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script, mode], {
      timeout: 20_000,
    });
    return { code: 0, stdout: stdout.trim() };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout?.trim() ?? '' };
  }
}

describe('the process stays alive while a promise of the registry is awaited', () => {
  it('waitFor keeps the process alive until the deadline that settles it', async () => {
    expect(await awaitOnly('waitFor')).toEqual({ code: 0, stdout: 'terminated hungUp' });
  }, 30_000);

  it('a hangUp waiting for its retry keeps the process alive until Graph takes the DELETE', async () => {
    expect(await awaitOnly('hangUp')).toEqual({
      code: 0,
      stdout: 'hung up terminating after 2 DELETEs',
    });
  }, 30_000);
});
