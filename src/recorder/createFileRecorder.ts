/**
 * A flight recorder that writes JSON Lines to a file (Node), for `readFlightRecords` and
 * `graph-call-machine replay`: one record per line, appended in the order the registry made
 * them.
 *
 * The registry calls `record` on the hot path of ingest, so `record` does one
 * `JSON.stringify`, copies the text into a buffer of bytes and returns; the bytes are appended
 * to the file later, one write at a time, in batches (when `batchBytes` are waiting, or
 * `flushMs` after the first record of a batch). When the disk cannot keep up and `maxBufferedBytes` are waiting,
 * new records are dropped and counted (`dropped`): memory stays bounded and the registry is
 * never slowed down or thrown at. A write error (disk full, no permission) is handed to
 * `onError`, and the records of that batch are counted as dropped.
 *
 * Before a write would take the file past `maxBytes`, it is rotated: `path` becomes `path.1`,
 * `path.1` becomes `path.2` …, and `path.{maxFiles}` is deleted. So `path`, `path.1` …
 * `path.{maxFiles}` hold the records newest to oldest, each at most `maxBytes`, except a file
 * holding one record longer than `maxBytes`, which is written alone into a file of its own.
 *
 * Records never hold a token or a header (see `FlightRecord`); the options `includeRaw` and
 * `redact` are passed on to the registry, which shapes the records before they come here.
 *
 * @example
 * ```ts
 * import { createCallRegistry } from 'graph-call-machine';
 * import { createFileRecorder } from 'graph-call-machine/recorder';
 *
 * const recorder = createFileRecorder('/var/log/bot/calls.jsonl', { redact: true });
 * const registry = createCallRegistry({ graph, recorder });
 * // On shutdown: the registry first, so that its last records reach the recorder.
 * await registry.close();
 * await recorder.close();
 * ```
 * @module
 */
import type { FlightRecord, FlightRecorderOptions } from '../runtime/flightRecord.js';
import { createRotatingFile } from './rotatingFile.js';

const KIB = 1_024;
const MIB = 1_024 * KIB;
const MAX_TIMER_MS = 2 ** 31 - 1;
const NEWLINE = 0x0a;

/**
 * Options of {@link createFileRecorder}. Sizes are in bytes of the file's UTF-8 text.
 *
 * @example
 * ```ts
 * createFileRecorder('calls.jsonl', {
 *   redact: true,                // no phone numbers, names or user ids in the file
 *   maxBytes: 16 * 1024 * 1024,  // rotate at 16 MiB…
 *   maxFiles: 3,                 // …keeping calls.jsonl.1 to calls.jsonl.3
 *   onError: (error) => log.warn(error),
 * });
 * ```
 */
export interface FileRecorderOptions extends FlightRecorderOptions {
  /** Write once this much is waiting. Default 64 KiB. */
  readonly batchBytes?: number;
  /** Write what is waiting this long after the first record of a batch, in ms. Default 250. */
  readonly flushMs?: number;
  /**
   * When this much is waiting for the disk (the batch being written included), drop new
   * records, counting them in `dropped`, until what waits is written. The memory held is at
   * most this plus one batch. At least `batchBytes`. Default 8 MiB.
   */
  readonly maxBufferedBytes?: number;
  /** Rotate before a write would take the file past this size. Default 64 MiB. */
  readonly maxBytes?: number;
  /** How many rotated files to keep (`path.1` … `path.{maxFiles}`); 0 keeps none. Default 5. */
  readonly maxFiles?: number;
  /**
   * Told of every write that failed (its records are dropped) and of each time the buffer
   * fills up. It must not throw (a throw is ignored). Default: `console.error`, once per
   * distinct message.
   */
  readonly onError?: (error: Error) => void;
}

/** What {@link createFileRecorder} returns: give it to `createCallRegistry` as `recorder`. */
export interface FileRecorder extends FlightRecorderOptions {
  /** Buffers one record; synchronous, never throws. Ignored (and counted) after `close()`. */
  readonly record: (record: FlightRecord) => void;
  /** The file written to, as given. */
  readonly path: string;
  /** Records not written: refused while the buffer was full or after `close()`, or lost to a write error. */
  readonly dropped: number;
  /** Resolves when every record buffered so far is written (or lost to an error). Never rejects. */
  flush(): Promise<void>;
  /** Flushes, then closes the file; later records are ignored. Never rejects; idempotent. */
  close(): Promise<void>;
}

/**
 * Creates a recorder that appends flight records to `path` as JSON Lines, in batches, off the
 * registry's hot path, rotating the file by size. The directory is created if missing.
 * Throws a `TypeError` or `RangeError` for options that cannot work; nothing else it does
 * throws or rejects (errors go to `onError`). Call `close()` (or `flush()`) before the process
 * exits: its timer does not keep the process alive, so records still buffered would be lost.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { createCallRegistry, replayRecords } from 'graph-call-machine';
 * import { createFileRecorder, readFlightRecords } from 'graph-call-machine/recorder';
 *
 * const recorder = createFileRecorder('calls.jsonl', { redact: true });
 * const registry = createCallRegistry({ graph, recorder });
 * // …
 * await registry.close();
 * await recorder.close();
 * const { records } = readFlightRecords(await readFile('calls.jsonl', 'utf8'));
 * for (const call of replayRecords(records)) console.log(call.callId, call.differences);
 * ```
 */
export function createFileRecorder(path: string, options: FileRecorderOptions = {}): FileRecorder {
  if (typeof path !== 'string' || path === '') {
    throw new TypeError(
      `createFileRecorder: path must be a non-empty string, got ${JSON.stringify(path)}.`,
    );
  }
  const batchBytes = integer(options, 'batchBytes', 64 * KIB, 1);
  const flushMs = duration(options.flushMs);
  const maxBufferedBytes = integer(options, 'maxBufferedBytes', 8 * MIB, batchBytes);
  const maxBytes = integer(options, 'maxBytes', 64 * MIB, 1);
  const maxFiles = integer(options, 'maxFiles', 5, 0);
  const report = reporter(options.onError, path);
  // Only the options given: the registry reads them as they are (exactOptionalPropertyTypes).
  const shaping: FlightRecorderOptions = {
    ...(options.includeRaw === undefined
      ? {}
      : { includeRaw: flag(options.includeRaw, 'includeRaw') }),
    ...(options.redact === undefined ? {} : { redact: flag(options.redact, 'redact') }),
  };

  const file = createRotatingFile(path, maxBytes, maxFiles, report);

  // Each record is encoded at once into the chunk being filled, so that its string dies young
  // and what waits is bytes, off the JS heap; a chunk holds whole lines (batchBytes, or one
  // longer line).
  let chunk: Buffer | undefined;
  let used = 0; // bytes in `chunk`
  let full: Buffer[] = []; // chunks filled, waiting
  let waiting = 0; // bytes in `full` and `chunk`
  let writing = 0; // bytes in the batch being written
  let accepted = 0; // bytes taken, ever
  let settled = 0; // of those, written or lost
  let dropped = 0;
  let refusing = false; // the buffer was full: take nothing until the writer catches up
  let due = false; // write what is waiting, however little
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let writer: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  const waiters: { readonly upTo: number; readonly resolve: () => void }[] = [];

  function record(flightRecord: FlightRecord): void {
    if (closed || refusing) {
      dropped += 1;
      return;
    }
    let line: string;
    try {
      line = JSON.stringify(flightRecord);
    } catch (error) {
      dropped += 1;
      report(new Error(`createFileRecorder: a record is not JSON: ${messageOf(error)}`));
      return;
    }
    // line.length is the size in bytes for ASCII, and at most it for any text.
    if (waiting + writing + line.length + 1 > maxBufferedBytes) {
      refuse(line.length + 1);
      return;
    }
    if (chunk === undefined || chunk.length - used <= line.length * 3) {
      // It may not fit (a UTF-16 unit takes up to 3 bytes): measure it.
      const bytes = Buffer.byteLength(line) + 1;
      if (chunk === undefined || chunk.length - used < bytes) {
        seal();
        chunk = Buffer.allocUnsafe(Math.max(batchBytes, bytes));
      }
    }
    const bytes = chunk.write(line, used) + 1;
    chunk[used + bytes - 1] = NEWLINE;
    used += bytes;
    waiting += bytes;
    accepted += bytes;
    if (full.length > 0) startWriting();
    else if (timer === undefined) timer = setTimeout(onTimer, flushMs).unref();
  }

  function refuse(bytes: number): void {
    dropped += 1;
    if (bytes > maxBufferedBytes) {
      report(
        new Error(
          `createFileRecorder: a record of ${bytes} bytes cannot be buffered (maxBufferedBytes ${maxBufferedBytes}); it is dropped.`,
        ),
      );
      return;
    }
    // A write is under way or due (flushMs at the latest); it ends the refusal when it ends.
    refusing = true;
    report(
      new Error(
        `createFileRecorder: ${maxBufferedBytes} bytes are waiting for ${path}; new records are dropped until they are written (see recorder.dropped, or raise maxBufferedBytes).`,
      ),
    );
  }

  /** Moves the chunk being filled to those waiting. */
  function seal(): void {
    if (chunk !== undefined && used > 0) full.push(chunk.subarray(0, used));
    chunk = undefined;
    used = 0;
  }

  function onTimer(): void {
    timer = undefined;
    due = true;
    startWriting();
  }

  /** Whether everything waiting is to be written, the chunk being filled included. */
  const all = () => due || closed || waiters.length > 0;
  const writeDue = () => full.length > 0 || (used > 0 && all());

  function startWriting(): void {
    // `drain` awaits before it clears `writer`, since a write is due when it starts.
    if (writer === undefined && writeDue()) writer = drain();
  }

  /** Writes batch after batch, one at a time, while one is due. */
  async function drain(): Promise<void> {
    while (writeDue()) {
      if (all()) seal();
      const batch = full;
      full = [];
      writing = 0;
      for (const buffer of batch) writing += buffer.length;
      waiting -= writing;
      due = false;
      const lost = await file.append(batch);
      dropped += lost; // not `dropped += await …`, which would add to the count read before
      settled += writing;
      writing = 0;
      while (waiters[0] !== undefined && waiters[0].upTo <= settled) waiters.shift()?.resolve();
    }
    writer = undefined;
    refusing = false;
    if (used > 0 && timer === undefined && !closed) timer = setTimeout(onTimer, flushMs).unref();
  }

  function flush(): Promise<void> {
    const upTo = accepted;
    if (settled >= upTo) return Promise.resolve();
    return new Promise((resolve) => {
      waiters.push({ upTo, resolve });
      startWriting();
    });
  }

  function close(): Promise<void> {
    closing ??= (async () => {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await flush();
      await file.close();
    })();
    return closing;
  }

  return {
    ...shaping,
    record,
    path,
    get dropped() {
      return dropped;
    },
    flush,
    close,
  };
}

function reporter(onError: FileRecorderOptions['onError'], path: string): (error: Error) => void {
  if (onError !== undefined && typeof onError !== 'function') {
    throw new TypeError(`createFileRecorder: onError must be a function, got ${typeof onError}.`);
  }
  const tell = onError ?? printOnce(path);
  return (error) => {
    try {
      tell(error);
    } catch {
      // onError must not throw; if it does, the recorder carries on all the same.
    }
  };
}

/** The default onError: console.error, once per distinct message (a full disk fails every batch). */
function printOnce(path: string): (error: Error) => void {
  const seen = new Set<string>();
  return (error) => {
    if (seen.has(error.message) || seen.size >= 100) return;
    seen.add(error.message);
    console.error(`${error.message} (Printed once; pass onError to see every error of ${path}.)`);
  };
}

function integer(
  options: FileRecorderOptions,
  name: 'batchBytes' | 'maxBufferedBytes' | 'maxBytes' | 'maxFiles',
  fallback: number,
  min: number,
): number {
  const value = options[name] ?? fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    const floor =
      name === 'maxBufferedBytes'
        ? `at least batchBytes (${min})`
        : min === 0
          ? 'a non-negative integer'
          : 'a positive integer';
    throw new RangeError(`createFileRecorder: ${name} must be ${floor}, got ${String(value)}.`);
  }
  return value;
}

function duration(value: number | undefined): number {
  const ms = value ?? 250;
  if (!(Number.isFinite(ms) && ms >= 0 && ms <= MAX_TIMER_MS)) {
    throw new RangeError(
      `createFileRecorder: flushMs must be a number of ms from 0 to ${MAX_TIMER_MS}, got ${String(ms)}.`,
    );
  }
  return ms;
}

function flag(value: unknown, name: 'includeRaw' | 'redact'): boolean {
  if (typeof value !== 'boolean') {
    throw new TypeError(`createFileRecorder: ${name} must be a boolean, got ${typeof value}.`);
  }
  return value;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
