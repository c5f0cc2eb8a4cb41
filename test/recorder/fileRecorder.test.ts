// The file recorder: a call recorded through a real registry into a file reads back and replays
// to the same outcome, with no token in the file (raw items included) and no phone number when
// redacted; records are written in batches, the file rotates by size and keeps maxFiles, a full
// buffer drops records instead of growing, and errors go to onError, never to the registry.
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type CallRegistry,
  createCallRegistry,
  type FlightRecord,
  replayRecords,
} from '../../src/index.js';
import {
  createFileRecorder,
  type FileRecorder,
  type FileRecorderOptions,
  readFlightRecords,
} from '../../src/recorder/index.js';
import { createFakeGraph, type FakeGraph } from '../../src/testing/index.js';
import { ANSWER, graphOf } from '../control/support.js';

const PHONE = '+14255550100';
const SECRETS = /authorization|bearer|token/i;

let dir = '';
let worlds: { fake: FakeGraph; registry: CallRegistry; recorder: FileRecorder }[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gcm-recorder-'));
});

afterEach(async () => {
  for (const { fake, registry, recorder } of worlds) {
    await registry.close();
    await fake.close();
    await recorder.close();
  }
  worlds = [];
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

/** A registry in front of the fake Graph, recording to `path`. */
function world(path: string, options: FileRecorderOptions = {}) {
  const fake = createFakeGraph();
  const recorder = createFileRecorder(path, options);
  const registry = createCallRegistry({ graph: graphOf(fake), keepAliveMs: 0, recorder });
  worlds.push({ fake, registry, recorder });
  fake.connect(registry);
  return { fake, registry, recorder };
}

/** An incoming call from a phone, answered, a recording made, hung up; the file as written. */
async function recordedCall(options: FileRecorderOptions = {}) {
  const path = join(dir, 'logs', 'calls.jsonl'); // the directory does not exist yet
  const { fake, registry, recorder } = world(path, options);
  const callId = fake.incomingCall({ source: { identity: { phone: { id: PHONE } } } });
  await fake.settle();
  await registry.answer(callId, ANSWER);
  await fake.settle();
  const recording = await registry.recordResponse(callId, { maxRecordDurationInSeconds: 10 });
  await registry.hangUp(callId);
  const ended = await registry.waitFor(callId, 'terminated', { timeoutMs: 5_000 });
  await registry.idle();
  await recorder.flush();
  const text = await readFile(path, 'utf8');
  return { callId, ended, recording, recorder, text, ...readFlightRecords(text) };
}

/** A record of `size` characters, newline included (at least 220), numbered by its callId. */
function sample(n: number, size = 300): FlightRecord {
  const bare = JSON.stringify(sampleOf(n, '')).length;
  return sampleOf(n, 'x'.repeat(Math.max(0, size - bare - 1)));
}

function sampleOf(n: number, pad: string): FlightRecord {
  return {
    v: 1,
    callId: `c${String(n).padStart(5, '0')}`,
    at: n,
    input: { type: 'step', event: { type: 'hangUp', at: n } },
    // The padding goes where a record may be long; a call id is at most 256 characters.
    to: { state: 'established', phase: 'terminating', value: `terminating.hangingUp${pad}` },
    emitted: ['graph.deleteCall'],
    wrote: true,
  };
}

const numbers = (records: readonly FlightRecord[]) =>
  records.map((r) => Number(r.callId.slice(1, 6)));

/** The prototype of node's FileHandle, to count or hold its writes. */
async function fileHandlePrototype(): Promise<{
  write: (...args: unknown[]) => Promise<{ bytesWritten: number }>;
  writev: (...args: unknown[]) => Promise<{ bytesWritten: number }>;
}> {
  const handle = await open(join(dir, 'probe'), 'w');
  await handle.close();
  return Object.getPrototypeOf(handle);
}

describe('createFileRecorder through a registry', () => {
  it('writes every input of a call, and the file replays to the same outcome', async () => {
    const { callId, ended, recording, recorder, text, records, problems } = await recordedCall();
    expect(recording.recordingLocation).toMatch(/^https:/);
    expect(problems).toEqual([]);
    expect(records.length).toBeGreaterThan(5);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.trim().split('\n')).toHaveLength(records.length);
    const [replayed, ...others] = replayRecords(records);
    expect(others).toEqual([]);
    expect(replayed?.callId).toBe(callId);
    expect(replayed?.problem).toBeUndefined();
    expect(replayed?.differences).toEqual([]);
    expect(replayed?.outcome?.reason).toBe(ended.outcome?.reason);
    expect(replayed?.position?.state).toBe('terminated');
    expect(recorder.dropped).toBe(0);
    // Not redacted: the caller is there; no token or header is.
    expect(text).toContain(PHONE);
    expect(text).not.toMatch(SECRETS);
  });

  it('keeps no token in the file when raw items are kept, the recording’s included', async () => {
    const { text, records } = await recordedCall({ includeRaw: true });
    // The recording's completion went through with its raw item, minus its access token.
    expect(text).toContain('"resourceData"');
    expect(text).toContain('recordings.fake-graph.invalid');
    expect(text).not.toMatch(SECRETS);
    expect(text).not.toContain('fake-recording-access-token');
    expect(replayRecords(records)[0]?.differences).toEqual([]);
  });

  it('redacts the caller’s phone number when asked', async () => {
    const { text, records } = await recordedCall({ redact: true, includeRaw: true });
    expect(text).not.toContain(PHONE);
    expect(text).toContain('[redacted]');
    expect(text).not.toMatch(SECRETS);
    expect(replayRecords(records)[0]?.differences).toEqual([]);
  });

  it('reports a file it cannot write to onError, and the registry carries on', async () => {
    const onError = vi.fn();
    const path = join(dir, 'a-directory');
    await mkdir(path);
    const { fake, registry, recorder } = world(path, { onError, flushMs: 1 });
    const errors: unknown[] = [];
    registry.on('registry.error', (event) => errors.push(event));
    const callId = fake.incomingCall();
    await fake.settle();
    await registry.answer(callId, ANSWER);
    await fake.settle();
    await recorder.flush();
    expect(onError).toHaveBeenCalled();
    const [error] = onError.mock.calls[0] as [Error];
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(/could not open .*a-directory: EISDIR/);
    expect(recorder.dropped).toBeGreaterThan(0);
    // The registry saw nothing wrong, and its call goes on.
    expect(registry.get(callId)?.state).toBe('established');
    await registry.hangUp(callId);
    await registry.waitFor(callId, 'terminated', { timeoutMs: 5_000 });
    expect(errors).toEqual([]);
    await recorder.close();
  });
});

describe('createFileRecorder', () => {
  it('writes many records in few appends, and a few after flushMs', async () => {
    const proto = await fileHandlePrototype();
    const write = vi.spyOn(proto, 'write');
    const writev = vi.spyOn(proto, 'writev');
    const appends = () => write.mock.calls.length + writev.mock.calls.length;
    const path = join(dir, 'batched.jsonl');
    const recorder = createFileRecorder(path);
    for (let i = 0; i < 2_000; i += 1) recorder.record(sample(i, 300));
    await recorder.flush();
    // 600 kB: a first batch when 64 KiB are waiting, then what came meanwhile; not 2,000 appends.
    expect(appends()).toBeGreaterThanOrEqual(2);
    expect(appends()).toBeLessThanOrEqual(10);
    const { records, problems } = readFlightRecords(await readFile(path, 'utf8'));
    expect(problems).toEqual([]);
    expect(numbers(records)).toEqual(Array.from({ length: 2_000 }, (_, i) => i));

    // A few records, less than a batch: written flushMs later without being asked.
    write.mockClear();
    writev.mockClear();
    const soon = createFileRecorder(join(dir, 'soon.jsonl'), { flushMs: 10 });
    for (let i = 0; i < 3; i += 1) soon.record(sample(i));
    await vi.waitFor(async () => {
      const text = await readFile(join(dir, 'soon.jsonl'), 'utf8').catch(() => '');
      expect(readFlightRecords(text).records).toHaveLength(3);
    });
    expect(appends()).toBe(1);
    await recorder.close();
    await soon.close();
  });

  it('rotates before a file passes maxBytes, keeping maxFiles, every record once and in order', async () => {
    const path = join(dir, 'rotated.jsonl');
    const maxBytes = 2_048;
    // 400-byte records: five to a file. Batches smaller than a file, and one batch of all.
    for (const batchBytes of [1_000, 64 * 1_024]) {
      await rm(dir, { recursive: true, force: true });
      const recorder = createFileRecorder(path, { maxBytes, maxFiles: 2, batchBytes });
      for (let i = 0; i < 15; i += 1) recorder.record(sample(i, 400));
      await recorder.flush();
      expect((await readdir(dir)).sort()).toEqual([
        'rotated.jsonl',
        'rotated.jsonl.1',
        'rotated.jsonl.2',
      ]);
      const files = [`${path}.2`, `${path}.1`, path];
      for (const file of files) expect((await stat(file)).size).toBeLessThanOrEqual(maxBytes);
      const all = await Promise.all(files.map((file) => readFile(file, 'utf8')));
      expect(numbers(readFlightRecords(all.join('')).records)).toEqual(
        Array.from({ length: 15 }, (_, i) => i),
      );

      // Many more: still three files, holding the newest records, in order.
      for (let i = 15; i < 100; i += 1) recorder.record(sample(i, 400));
      await recorder.close();
      expect((await readdir(dir)).sort()).toEqual([
        'rotated.jsonl',
        'rotated.jsonl.1',
        'rotated.jsonl.2',
      ]);
      for (const file of files) expect((await stat(file)).size).toBeLessThanOrEqual(maxBytes);
      const newest = numbers(
        readFlightRecords((await Promise.all(files.map((f) => readFile(f, 'utf8')))).join(''))
          .records,
      );
      expect(newest).toEqual(
        Array.from({ length: newest.length }, (_, i) => 100 - newest.length + i),
      );
      expect(newest.length).toBeGreaterThanOrEqual(11);
    }
  });

  it('keeps no rotated file with maxFiles 0: the file starts over', async () => {
    const path = join(dir, 'alone.jsonl');
    const recorder = createFileRecorder(path, { maxBytes: 1_024, maxFiles: 0, batchBytes: 300 });
    for (let i = 0; i < 10; i += 1) recorder.record(sample(i, 300));
    await recorder.close();
    expect(await readdir(dir)).toEqual(['alone.jsonl']);
    expect(numbers(readFlightRecords(await readFile(path, 'utf8')).records)).toEqual([9]);
  });

  it('writes a record longer than maxBytes alone, in a file of its own', async () => {
    const path = join(dir, 'big.jsonl');
    const recorder = createFileRecorder(path, { maxBytes: 1_024, maxFiles: 2 });
    recorder.record(sample(1, 300));
    recorder.record(sample(2, 5_000));
    recorder.record(sample(3, 300));
    await recorder.close();
    const read = async (file: string) =>
      numbers(readFlightRecords(await readFile(file, 'utf8')).records);
    expect(await read(`${path}.2`)).toEqual([1]);
    expect(await read(`${path}.1`)).toEqual([2]);
    expect(await read(path)).toEqual([3]);
    expect((await stat(`${path}.1`)).size).toBe(5_000);
  });

  it('drops new records while the disk lags maxBufferedBytes behind, and says so once', async () => {
    const proto = await fileHandlePrototype();
    const original = proto.write;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    vi.spyOn(proto, 'write').mockImplementation(async function (this: unknown, ...args) {
      await gate;
      return original.apply(this, args);
    });
    const onError = vi.fn();
    const path = join(dir, 'slow.jsonl');
    const recorder = createFileRecorder(path, {
      batchBytes: 1_500,
      maxBufferedBytes: 6_000,
      onError,
    });
    // 300-byte records: five make a batch; twenty fill the buffer, the write held included.
    for (let i = 0; i < 100; i += 1) recorder.record(sample(i, 300));
    expect(recorder.dropped).toBe(80);
    expect(onError).toHaveBeenCalledTimes(1);
    expect(String(onError.mock.calls[0]?.[0])).toMatch(/6000 bytes are waiting .*dropped until/);
    const flushed = recorder.flush();
    release();
    await flushed;
    const { records } = readFlightRecords(await readFile(path, 'utf8'));
    expect(numbers(records)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    // Caught up: it takes records again.
    recorder.record(sample(100));
    await recorder.close();
    expect(readFlightRecords(await readFile(path, 'utf8')).records).toHaveLength(21);
    expect(recorder.dropped).toBe(80);
  });

  it('counts the lines a write failing half-way lost, and starts the next on a line of its own', async () => {
    const proto = await fileHandlePrototype();
    const original = proto.write;
    const write = vi.spyOn(proto, 'write');
    // The disk takes a line and a half, then is full.
    write.mockImplementationOnce(async function (this: unknown, ...args) {
      return original.call(this, (args[0] as Buffer).subarray(0, 450));
    });
    write.mockImplementationOnce(async () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    });
    const onError = vi.fn();
    const path = join(dir, 'full.jsonl');
    const recorder = createFileRecorder(path, { onError });
    for (let i = 1; i <= 3; i += 1) recorder.record(sample(i, 300));
    await recorder.flush();
    expect(recorder.dropped).toBe(2);
    expect(String(onError.mock.calls[0]?.[0])).toMatch(/could not append to .*ENOSPC/);
    recorder.record(sample(4, 300));
    await recorder.close();
    const { records, problems } = readFlightRecords(await readFile(path, 'utf8'));
    expect(numbers(records)).toEqual([1, 4]);
    expect(problems.map((p) => p.line)).toEqual([2]);
  });

  it('ignores and counts records after close; flush and close still resolve', async () => {
    const path = join(dir, 'closed.jsonl');
    const recorder = createFileRecorder(path);
    recorder.record(sample(1));
    await recorder.close();
    recorder.record(sample(2));
    recorder.record(sample(3));
    expect(recorder.dropped).toBe(2);
    await recorder.flush();
    await recorder.close();
    expect(numbers(readFlightRecords(await readFile(path, 'utf8')).records)).toEqual([1]);
  });

  it('starts a new line after a file that ends inside one', async () => {
    const path = join(dir, 'torn.jsonl');
    await writeFile(path, '{"v":1,"callId":"c0000');
    const recorder = createFileRecorder(path);
    recorder.record(sample(1));
    await recorder.close();
    const { records, problems } = readFlightRecords(await readFile(path, 'utf8'));
    expect(numbers(records)).toEqual([1]);
    expect(problems.map((p) => p.line)).toEqual([1]);
  });

  it('prints an error once per message by default, and never throws', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const path = join(dir, 'a-directory');
    await mkdir(path);
    const recorder = createFileRecorder(path);
    recorder.record(sample(1));
    await recorder.flush();
    recorder.record(sample(2));
    await recorder.flush();
    await recorder.close();
    expect(recorder.dropped).toBe(2);
    expect(error).toHaveBeenCalledTimes(1);
    expect(String(error.mock.calls[0]?.[0])).toMatch(/could not open .*Printed once/);
  });

  it('keeps going when onError throws', async () => {
    const path = join(dir, 'a-directory');
    await mkdir(path);
    const recorder = createFileRecorder(path, {
      onError: () => {
        throw new Error('a faulty onError');
      },
    });
    recorder.record(sample(1));
    await expect(recorder.flush()).resolves.toBeUndefined();
    await expect(recorder.close()).resolves.toBeUndefined();
  });

  it('hands the registry includeRaw and redact only when given', () => {
    const plain = createFileRecorder(join(dir, 'a.jsonl'));
    expect('includeRaw' in plain || 'redact' in plain).toBe(false);
    const shaped = createFileRecorder(join(dir, 'b.jsonl'), { includeRaw: false, redact: true });
    expect([shaped.includeRaw, shaped.redact, shaped.path]).toEqual([
      false,
      true,
      join(dir, 'b.jsonl'),
    ]);
  });

  it('refuses options that cannot work, saying which', () => {
    const path = join(dir, 'x.jsonl');
    expect(() => createFileRecorder('')).toThrow(/path must be a non-empty string/);
    expect(() => createFileRecorder(path, { maxBytes: 0 })).toThrow(
      new RangeError('createFileRecorder: maxBytes must be a positive integer, got 0.'),
    );
    expect(() => createFileRecorder(path, { batchBytes: 1.5 })).toThrow(RangeError);
    expect(() => createFileRecorder(path, { maxFiles: -1 })).toThrow(
      /maxFiles must be a non-negative integer, got -1/,
    );
    expect(() => createFileRecorder(path, { batchBytes: 1_000, maxBufferedBytes: 10 })).toThrow(
      /maxBufferedBytes must be at least batchBytes \(1000\), got 10/,
    );
    expect(() => createFileRecorder(path, { flushMs: -1 })).toThrow(/flushMs must be/);
    expect(() => createFileRecorder(path, { flushMs: Number.NaN })).toThrow(RangeError);
    expect(() =>
      createFileRecorder(path, { onError: 'log' as unknown as (error: Error) => void }),
    ).toThrow(new TypeError('createFileRecorder: onError must be a function, got string.'));
    expect(() => createFileRecorder(path, { redact: 'yes' as unknown as boolean })).toThrow(
      TypeError,
    );
  });
});
