// fileCallStore.ts: a CallStore that keeps each call as a JSON file, so a restarted bot picks
// its calls up where they were. For one process: several instances need a store with an atomic
// compare-and-set across them, such as graph-call-machine/redis.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CallRecord, CallStore } from 'graph-call-machine';

export class FileCallStore implements CallStore {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  async load(callId: string): Promise<CallRecord | undefined> {
    try {
      return JSON.parse(await readFile(this.#file(callId), 'utf8')) as CallRecord;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async save(callId: string, record: CallRecord, expectedVersion: number): Promise<boolean> {
    // Never overwrite a newer record: the registry reports the conflict instead.
    const stored = await this.load(callId);
    if ((stored?.version ?? 0) !== expectedVersion) return false;
    await mkdir(this.#dir, { recursive: true });
    const temporary = `${this.#file(callId)}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(record));
    // A rename replaces the file at once: a crash leaves the old record or the new, never half.
    await rename(temporary, this.#file(callId));
    return true;
  }

  async delete(callId: string): Promise<void> {
    await rm(this.#file(callId), { force: true });
  }

  async ids(): Promise<string[]> {
    try {
      const names = await readdir(this.#dir);
      return names
        .filter((name) => name.endsWith('.json'))
        .map((name) => decodeURIComponent(name.slice(0, -'.json'.length)));
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
  }

  #file(callId: string): string {
    return join(this.#dir, `${encodeURIComponent(callId)}.json`);
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}
