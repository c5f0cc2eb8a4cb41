// Recordings for the command's tests, made as a bot would make them: the registry's flight
// recorder, fed by the fake Graph. And an I/O for runReplay that keeps what it writes.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ReplayIo } from '../../src/cli/replayCommand.js';
import { type CallRegistry, createCallRegistry, type FlightRecord } from '../../src/index.js';
import { createFakeGraph, type FakeGraph, type FakeGraphFaults } from '../../src/testing/index.js';
import { graphOf } from '../control/support.js';

const ANSWER = {
  callbackUri: 'https://bot.example.com/api/calls',
  mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
} as const;

async function recording(
  faults: FakeGraphFaults | undefined,
  script: (fake: FakeGraph, registry: CallRegistry) => Promise<void>,
): Promise<FlightRecord[]> {
  const records: FlightRecord[] = [];
  const fake = createFakeGraph(faults === undefined ? {} : { faults });
  const registry = createCallRegistry({
    graph: graphOf(fake),
    keepAliveMs: 0,
    confirmTimeoutMs: 30,
    recorder: (record) => records.push(record),
  });
  fake.connect(registry);
  try {
    await script(fake, registry);
    await registry.idle();
  } finally {
    await registry.close();
    await fake.close();
  }
  // Through JSON, as a file keeps them.
  return records.map((r) => JSON.parse(JSON.stringify(r)) as FlightRecord);
}

/**
 * The lifecycle of test/recorder/replay.test.ts: every notification twice, the DELETE
 * throttled, the terminated notification lost, so the deadline leads to a GET (404).
 */
export async function recordFaultyLifecycle(): Promise<{
  callId: string;
  records: FlightRecord[];
}> {
  let callId = '';
  const records = await recording(
    { seed: 3, duplicate: 1, dropTerminated: true, throttle: { next: 1, retryAfter: 0.02 } },
    async (fake, registry) => {
      callId = fake.incomingCall({ source: { identity: { phone: { id: '+14255550100' } } } });
      await fake.settle();
      await registry.answer(callId, ANSWER);
      await fake.settle();
      fake.throttleNext(1, 0.02);
      await registry.hangUp(callId);
      await registry.waitFor(callId, 'terminated', { timeoutMs: 5_000 });
    },
  );
  return { callId, records };
}

/** Three calls, ended three ways: hung up by the bot, rejected, hung up by the caller. */
export async function recordThreeCalls(): Promise<{
  hungUp: string;
  rejected: string;
  remote: string;
  records: FlightRecord[];
}> {
  const ids = { hungUp: '', rejected: '', remote: '' };
  const records = await recording(undefined, async (fake, registry) => {
    ids.hungUp = fake.incomingCall();
    ids.rejected = fake.incomingCall();
    ids.remote = fake.incomingCall();
    await fake.settle();
    await registry.answer(ids.hungUp, ANSWER);
    await registry.reject(ids.rejected, 'busy');
    await registry.answer(ids.remote, ANSWER);
    await fake.settle();
    await registry.hangUp(ids.hungUp);
    fake.remoteHangUp(ids.remote);
    for (const id of Object.values(ids)) {
      await registry.waitFor(id, 'terminated', { timeoutMs: 5_000 });
    }
  });
  return { ...ids, records };
}

/** The records with every time (`at`, wherever it is) moved by `ms`. */
export function shifted(records: readonly FlightRecord[], ms: number): FlightRecord[] {
  return records.map(
    (r) =>
      JSON.parse(
        JSON.stringify(r).replace(/"at":(\d+)/g, (_, at: string) => `"at":${Number(at) + ms}`),
      ) as FlightRecord,
  );
}

/** The records of one call only. */
export function ofCall(records: readonly FlightRecord[], callId: string): FlightRecord[] {
  return records.filter((r) => r.callId === callId);
}

/** Writes records as JSON Lines, as createFileRecorder does; returns the path. */
export async function writeRecords(
  dir: string,
  name: string,
  records: readonly FlightRecord[],
  extraLines: readonly string[] = [],
): Promise<string> {
  const path = join(dir, name);
  const lines = records.map((r) => JSON.stringify(r));
  await writeFile(path, `${[...lines, ...extraLines].join('\n')}\n`);
  return path;
}

/** An I/O for runReplay that keeps what the command writes. */
export function captureIo(extra: Partial<ReplayIo> = {}): {
  io: ReplayIo;
  out: () => string;
  err: () => string;
} {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: { write: (text: string) => (out += text) },
      stderr: { write: (text: string) => (err += text) },
      readFile: (path) => readFile(path, 'utf8'),
      env: {},
      ...extra,
    },
    out: () => out,
    err: () => err,
  };
}

/** How a process ended: its exit code and everything it wrote. */
export interface ProcessRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to its end; resolves with its exit code and output, whatever the code. */
export async function runProcess(
  file: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly timeoutMs?: number; readonly env?: NodeJS.ProcessEnv },
): Promise<ProcessRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(file, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      timeout: options.timeoutMs ?? 30_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; killed?: boolean; stdout?: string; stderr?: string };
    if (failed.killed === true) {
      const output = `${failed.stderr ?? ''}\n${failed.stdout ?? ''}`.trim().split('\n').slice(-15);
      throw new Error(
        `${file} ${args.join(' ')} did not finish within ${(options.timeoutMs ?? 30_000) / 1000} s:\n${output.join('\n')}`,
      );
    }
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}
