// fileCallStore.ts: a CallStore that keeps each call as a JSON file (its record and its due
// time together), so a restarted bot picks its calls up where they were. For one process:
// several instances need a store with an atomic compare-and-set across them, such as
// graph-call-machine/redis.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CallRecord, CallStore, CommitResult, DueChange } from 'graph-call-machine';

interface StoredCall {
  readonly record: CallRecord;
  readonly dueAt: number | null;
  readonly expiresAt: number | null;
}

const RETAIN_ENDED_MS = 5 * 60_000;

export class FileCallStore implements CallStore {
  readonly #dir: string;
  // One operation at a time: a compare-and-set must not interleave with another write.
  #queue: Promise<unknown> = Promise.resolve();

  constructor(dir: string) {
    this.#dir = dir;
  }

  async load(callId: string): Promise<CallRecord | undefined> {
    return this.#serial(async () => (await this.#read(callId))?.record);
  }

  commit(
    callId: string,
    record: CallRecord,
    expected: number,
    due: DueChange,
  ): Promise<CommitResult> {
    return this.#serial(async () => {
      const stored = await this.#read(callId);
      if ((stored?.record.version ?? 0) !== expected) return { ok: false, current: stored?.record };
      const ended = (record.snapshot as { status?: string }).status === 'done';
      await this.#write(callId, {
        record,
        dueAt: applyDue(stored?.dueAt ?? null, due),
        expiresAt: ended ? Date.now() + RETAIN_ENDED_MS : null,
      });
      return { ok: true };
    });
  }

  claimDue(now: number, limit: number, leaseUntil: number): Promise<string[]> {
    return this.#serial(async () => {
      const claimed: string[] = [];
      for (const callId of await this.#ids()) {
        if (claimed.length >= limit) break;
        const stored = await this.#read(callId);
        if (stored === undefined || stored.dueAt === null || stored.dueAt > now) continue;
        await this.#write(callId, { ...stored, dueAt: leaseUntil });
        claimed.push(callId);
      }
      return claimed;
    });
  }

  reschedule(callId: string, due: DueChange, ifDueAt?: number): Promise<boolean> {
    return this.#serial(async () => {
      const stored = await this.#read(callId);
      if (stored === undefined || (ifDueAt !== undefined && stored.dueAt !== ifDueAt)) return false;
      if (due.kind === 'keep' && stored.dueAt !== null) return false;
      await this.#write(callId, { ...stored, dueAt: applyDue(stored.dueAt, due) });
      return true;
    });
  }

  delete(callId: string): Promise<void> {
    return this.#serial(() => rm(this.#file(callId), { force: true }));
  }

  ids(): Promise<string[]> {
    return this.#serial(() => this.#ids());
  }

  countLive(): Promise<number> {
    return this.#serial(async () => {
      let live = 0;
      for (const callId of await this.#ids()) {
        if ((await this.#read(callId))?.expiresAt === null) live += 1;
      }
      return live;
    });
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #read(callId: string): Promise<StoredCall | undefined> {
    let stored: StoredCall;
    try {
      stored = JSON.parse(await readFile(this.#file(callId), 'utf8')) as StoredCall;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    if (stored.expiresAt !== null && stored.expiresAt <= Date.now()) {
      await rm(this.#file(callId), { force: true });
      return undefined;
    }
    return stored;
  }

  async #write(callId: string, stored: StoredCall): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    const temporary = `${this.#file(callId)}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(stored));
    // A rename replaces the file at once: a crash leaves the old record or the new, never half.
    await rename(temporary, this.#file(callId));
  }

  async #ids(): Promise<string[]> {
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

function applyDue(current: number | null, due: DueChange): number | null {
  if (due.kind === 'clear') return null;
  if (due.kind === 'keep' && current !== null) return current;
  return due.at;
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}
