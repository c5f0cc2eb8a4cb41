// `graph-call-machine replay` on a faulty lifecycle recorded from the fake Graph (every
// notification twice, a throttled DELETE, the terminated notification lost, so a deadline and a
// GET): its timeline, its JSON, its check against the current machine and against a machine
// whose rules changed, its colours, and --inspect with a stand-in inspector.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReplay } from '../../src/cli/replayCommand.js';
import { callMachine, type FlightRecord, replayRecords } from '../../src/index.js';
import { captureIo, recordFaultyLifecycle, writeRecords } from './support.js';

let dir = '';
let file = '';
let callId = '';
let records: FlightRecord[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gcm-replay-'));
  ({ callId, records } = await recordFaultyLifecycle());
  file = await writeRecords(dir, 'calls.jsonl', records);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// A rule changed: a 404 to the verifying GET no longer confirms the end.
const changedMachine = callMachine.provide({ guards: { isConfirmedEnded: () => false } });

describe('graph-call-machine replay', () => {
  it('prints the timeline: verdicts, requests, Graph answers, moves and the outcome', async () => {
    const { io, out, err } = captureIo();
    expect(await runReplay(['replay', file], io)).toBe(0);
    expect(err()).toBe('');
    const text = out();
    expect(text).toContain(`${records.length} records of 1 call from ${file}`);
    expect(text).toContain(callId);
    // Every notification came twice: the first applied, the second unchanged (or stale).
    const verdicts = records.map((r) => r.verdict);
    expect(verdicts).toContain('apply');
    expect(verdicts).toContain('unchanged');
    const words = { apply: 'applied', unchanged: 'unchanged', stale: 'stale' } as const;
    for (const [verdict, word] of Object.entries(words)) {
      if (records.some((r) => r.verdict === verdict))
        expect(text).toMatch(new RegExp(` ${word}\\b`));
    }
    expect(text).toContain('discovered by created incoming W/"1"');
    expect(text).toContain('POST answer');
    expect(text).toMatch(/intent +hangUp +→ terminating\.hangingUp {2}DELETE/);
    expect(text).toMatch(/delete\.failed 429 retry after 20 ms/);
    expect(text).toMatch(/deadline +reached +→ terminating\.verifying {2}GET/);
    expect(text).toMatch(/getCall\.result 404 +→ terminated/);
    expect(text).toMatch(/ended hungUp\n$/);
    // No stuck call, no colours when the output is no terminal.
    expect(text).not.toContain('still');
    expect(text).not.toContain('\u001b[');
    // A line per record, between the header, the title and the outcome.
    expect(text.trimEnd().split('\n')).toHaveLength(records.length + 4);
  });

  it('gives tools one JSON document that matches replayRecords', async () => {
    const { io, out } = captureIo();
    expect(await runReplay(['replay', file, '--json', '--records'], io)).toBe(0);
    const document = JSON.parse(out());
    const expected = replayRecords(records).map((call) => ({
      ...call,
      recordCount: call.records.length,
    }));
    expect(document).toEqual({
      files: [file],
      records: records.length,
      skipped: [],
      newestAt: Math.max(...records.map((r) => r.at)),
      stuck: [],
      calls: JSON.parse(JSON.stringify(expected)),
    });

    const brief = captureIo();
    expect(await runReplay(['replay', file, '--json'], brief.io)).toBe(0);
    const [call] = JSON.parse(brief.out()).calls;
    expect(call).not.toHaveProperty('records');
    expect(call).toMatchObject({
      callId,
      recordCount: records.length,
      outcome: { reason: 'hungUp' },
      position: { state: 'terminated', phase: 'terminated', value: 'terminated' },
      differences: [],
    });
  });

  it('--check: the current machine decides every input as recorded', async () => {
    const { io, out } = captureIo();
    expect(await runReplay(['replay', file, '--check'], io)).toBe(0);
    expect(out()).toContain('the one call replays as recorded');
    expect(out()).not.toContain('→');
  });

  it('--check: a machine with other rules is caught at the GET, field by field, and exits 1', async () => {
    const { io, out } = captureIo({ machine: changedMachine });
    expect(await runReplay(['replay', file, '--check'], io)).toBe(1);
    const text = out();
    const getAt = records.findIndex(
      (r) => r.input.type === 'step' && r.input.event.type === 'getCall.result',
    );
    expect(text).toContain(
      `record ${getAt + 1} of ${records.length}, ${new Date(records[getAt]?.at ?? 0).toISOString()}`,
    );
    expect(text).toContain('response getCall.result 404');
    expect(text).toContain('state terminated → terminating');
    expect(text).toContain('phase terminated → terminating');
    expect(text).toContain('value terminated → terminating.confirming');
    expect(text).toContain('outcome hungUp → (none)');
    expect(text).toContain('emitted call.stateChanged call.terminated → (none)');
    expect(text).toMatch(/1 of 1 call differs\n$/);

    // The timeline marks the record, and tools get the differences and exit 1 as well.
    const timeline = captureIo({ machine: changedMachine });
    expect(await runReplay(['replay', file], timeline.io)).toBe(0);
    expect(timeline.out()).toMatch(/getCall\.result 404 .*≠ replay: state terminating/);
    expect(timeline.out()).toContain('not ended: still terminating.confirming');
    const json = captureIo({ machine: changedMachine });
    expect(await runReplay(['replay', file, '--json', '--check'], json.io)).toBe(1);
    expect(JSON.parse(json.out()).calls[0].differences).toHaveLength(5);
  });

  it('colours a terminal only, and never when NO_COLOR is set', async () => {
    const tty = captureIo();
    const terminal = { ...tty.io, stdout: { ...tty.io.stdout, isTTY: true } };
    expect(await runReplay(['replay', file], terminal)).toBe(0);
    expect(tty.out()).toContain('\u001b[');

    const plain = captureIo();
    const noColor = {
      ...plain.io,
      stdout: { ...plain.io.stdout, isTTY: true },
      env: { NO_COLOR: '1' },
    };
    expect(await runReplay(['replay', file], noColor)).toBe(0);
    expect(plain.out()).not.toContain('\u001b[');
  });
});

describe('graph-call-machine replay --inspect', () => {
  it('asks for @statelyai/inspect when it is not installed', async () => {
    const missing = Object.assign(new Error("Cannot find package '@statelyai/inspect'"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    const { io, out, err } = captureIo({ loadInspector: () => Promise.reject(missing) });
    expect(await runReplay(['replay', file, '--inspect'], io)).toBe(2);
    expect(err()).toBe('--inspect needs @statelyai/inspect: npm install @statelyai/inspect\n');
    expect(out()).toBe('');
  });

  it('replays each call into the Sky inspector: the call, then every recorded input in order', async () => {
    const told: { type: string; event?: { type: string } }[] = [];
    const options: unknown[] = [];
    const { io, out } = captureIo({
      loadInspector: async () => ({
        createSkyInspector: (given: unknown) => {
          options.push(given);
          return {
            inspect: (event: { type: string; event?: { type: string } }) => told.push(event),
          };
        },
      }),
    });
    expect(await runReplay(['replay', file, '--inspect'], io)).toBe(0);
    expect(options).toHaveLength(1);
    expect(told.filter((e) => e.type === '@xstate.actor')).toHaveLength(1);
    expect(told.filter((e) => e.type === '@xstate.event').map((e) => e.event?.type)).toEqual([
      'xstate.init',
      ...records.slice(1).map((r) => (r.input.type === 'step' ? r.input.event.type : 'start')),
    ]);
    expect(out()).toContain('1 call replayed into the Stately inspector');
  });

  it('is refused with --json or --check', async () => {
    const { io, err } = captureIo();
    expect(await runReplay(['replay', file, '--inspect', '--check'], io)).toBe(2);
    expect(err()).toContain('--inspect cannot be combined with --json or --check');
  });
});
