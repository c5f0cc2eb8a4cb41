// A file that lines are appended to, rotated by size: before an append would take `path` past
// maxBytes, path.{maxFiles} is deleted, path.1 … shift up one, and `path` becomes path.1. The
// directory is made and the file opened at the first append; after an error, the next append
// opens it again. Lines are cut only at a newline (0x0a, which JSON text never holds).
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

const NEWLINE = 0x0a;
const NEWLINE_BYTES = Buffer.from('\n');

export interface RotatingFile {
  /**
   * Appends whole lines (the last buffer ends with a newline), in order, one call at a time.
   * Never rejects: an error goes to `report`, and the count of lines not written (a line
   * written in part included) is returned.
   */
  append(buffers: readonly Buffer[]): Promise<number>;
  /** Closes the file (the next append opens it again). Never rejects. */
  close(): Promise<void>;
}

interface OpenFile {
  readonly handle: FileHandle;
  size: number;
}

export function createRotatingFile(
  path: string,
  maxBytes: number,
  maxFiles: number,
  report: (error: Error) => void,
): RotatingFile {
  let file: OpenFile | undefined;
  let brokenLine = false; // the file ends inside a line (a write failed half-way)

  async function append(buffers: readonly Buffer[]): Promise<number> {
    let pending = buffers.filter((buffer) => buffer.length > 0); // not yet written
    try {
      let target = await openFile();
      // A write that failed half-way left a piece of a line: end it, so the next line is whole.
      if (brokenLine) await writeOut(target, [NEWLINE_BYTES], 1);
      while (pending.length > 0) {
        const rest = byteLength(pending);
        let end = rest;
        if (target.size + rest > maxBytes) {
          // Cut at the last newline that fits; what follows goes to the next file.
          const data =
            pending.length === 1 && pending[0] ? pending[0] : Buffer.concat(pending, rest);
          pending = [data];
          const room = maxBytes - target.size;
          end = room > 0 ? data.lastIndexOf(NEWLINE, room - 1) + 1 : 0;
          // A line longer than maxBytes goes alone into a file of its own.
          if (end === 0 && target.size === 0) end = data.indexOf(NEWLINE) + 1;
        }
        if (end > 0) {
          await writeOut(target, pending, end, (written) => {
            pending = after(pending, written);
          });
        }
        if (pending.length > 0) target = await rotate(target);
      }
      return 0;
    } catch (error) {
      report(failure('append to', error));
      return countLines(pending);
    }
  }

  /** Writes the first `bytes` of `buffers`, telling `wrote` of each write (which may take only part). */
  async function writeOut(
    target: OpenFile,
    buffers: readonly Buffer[],
    bytes: number,
    wrote?: (bytes: number) => void,
  ): Promise<void> {
    let rest = before(buffers, bytes);
    while (rest.length > 0) {
      const { bytesWritten } =
        rest.length === 1 && rest[0] !== undefined
          ? await target.handle.write(rest[0])
          : await target.handle.writev(rest);
      if (bytesWritten <= 0) throw new Error('the write took no bytes');
      target.size += bytesWritten;
      brokenLine = byteAt(rest, bytesWritten - 1) !== NEWLINE;
      rest = after(rest, bytesWritten);
      wrote?.(bytesWritten);
    }
  }

  async function openFile(): Promise<OpenFile> {
    if (file !== undefined) return file;
    let handle: FileHandle;
    try {
      await mkdir(dirname(path), { recursive: true });
      // a+: appends, and lets the last byte be read, to learn whether the file ends a line.
      handle = await open(path, 'a+');
    } catch (error) {
      throw failure('open', error);
    }
    try {
      const { size } = await handle.stat();
      if (size > 0) {
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, size - 1);
        brokenLine = last[0] !== NEWLINE;
      }
      file = { handle, size };
      return file;
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw failure('open', error);
    }
  }

  async function rotate(current: OpenFile): Promise<OpenFile> {
    file = undefined;
    try {
      await current.handle.close();
      await shiftFiles(path, maxFiles);
    } catch (error) {
      throw failure('rotate', error);
    }
    brokenLine = false;
    return openFile();
  }

  async function close(): Promise<void> {
    const last = file;
    file = undefined;
    await last?.handle.close().catch((error: unknown) => report(failure('close', error)));
  }

  function failure(action: 'open' | 'append to' | 'rotate' | 'close', cause: unknown): Error {
    if (cause instanceof Error && cause.message.startsWith('createFileRecorder:')) return cause;
    const message = cause instanceof Error ? cause.message : String(cause);
    return new Error(
      `createFileRecorder: could not ${action} ${path}: ${message}. The records of this batch are dropped; the next batch tries again.`,
      { cause },
    );
  }

  return { append, close };
}

function byteLength(buffers: readonly Buffer[]): number {
  let bytes = 0;
  for (const buffer of buffers) bytes += buffer.length;
  return bytes;
}

/** The first `bytes` of `buffers`. */
function before(buffers: readonly Buffer[], bytes: number): Buffer[] {
  let left = bytes;
  const head: Buffer[] = [];
  for (const buffer of buffers) {
    if (left <= 0) break;
    head.push(left >= buffer.length ? buffer : buffer.subarray(0, left));
    left -= buffer.length;
  }
  return head;
}

function byteAt(buffers: readonly Buffer[], index: number): number | undefined {
  let at = index;
  for (const buffer of buffers) {
    if (at < buffer.length) return buffer[at];
    at -= buffer.length;
  }
  return undefined;
}

/** What is left of `buffers` once their first `bytes` are written. */
function after(buffers: readonly Buffer[], bytes: number): Buffer[] {
  let skip = bytes;
  const rest: Buffer[] = [];
  for (const buffer of buffers) {
    if (skip >= buffer.length) skip -= buffer.length;
    else {
      rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
      skip = 0;
    }
  }
  return rest;
}

function countLines(buffers: readonly Buffer[]): number {
  let lines = 0;
  for (const buffer of buffers) {
    for (let at = buffer.indexOf(NEWLINE); at !== -1; at = buffer.indexOf(NEWLINE, at + 1)) {
      lines += 1;
    }
  }
  return lines;
}

/** `path` → `path.1`, after `path.1` → `path.2` … and deleting `path.{keep}`; keep 0 deletes `path`. */
async function shiftFiles(path: string, keep: number): Promise<void> {
  if (keep === 0) {
    await rm(path, { force: true });
    return;
  }
  await rm(`${path}.${keep}`, { force: true });
  for (let i = keep - 1; i >= 1; i -= 1) await renameIfPresent(`${path}.${i}`, `${path}.${i + 1}`);
  await renameIfPresent(path, `${path}.1`);
}

async function renameIfPresent(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
