// `npm run demo`, run as a user runs it (a child process through tsx), quickly: the event log
// of one call is a complete lifecycle; with --faults the guards absorb the trouble and the call
// still ends with one hang-up; --calls prints a summary; --inspect still exits on its own; each
// --scenario (answer, reject, redirect, transfer, place, ivr) ends its call as it expects; the
// ivr scenario shows its operations, the key press and the transfer in order.
// The pieces that need no process (flags, colours, percentiles) are tested in cli.test.ts.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUN_TIMEOUT_MS = 30_000;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

function runDemo(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): Promise<Run> {
  const started = Date.now();
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: undefined,
    FORCE_COLOR: undefined,
  };
  for (const [key, value] of Object.entries(env)) childEnv[key] = value;
  for (const key of Object.keys(childEnv)) if (childEnv[key] === undefined) delete childEnv[key];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'demo/main.ts', ...args], {
      cwd: ROOT,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `demo ${args.join(' ')} did not exit within ${RUN_TIMEOUT_MS} ms:\n${stdout}\n${stderr}`,
        ),
      );
    }, RUN_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

type Logged = { readonly type: string } & Record<string, unknown>;

function eventsOf(run: Run): Logged[] {
  return run.stdout
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Logged);
}

const ofType = (events: readonly Logged[], type: string) => events.filter((e) => e.type === type);
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for colour codes is the point.
const ANSI = /\u001b\[/;

// Each test starts Node with tsx (about a second alone); on a busy machine several at once take longer.
describe.concurrent('npm run demo', { timeout: RUN_TIMEOUT_MS + 5_000 }, () => {
  // With --inspect too: the Stately inspector is on, and nobody connects to it.
  it('--json --inspect --console logs one complete lifecycle, one JSON object per line, and exits by itself', async () => {
    const run = await runDemo(['--json', '--inspect', '--inspect-port', '0', '--console']);
    // Nothing was left holding the process: it ended by itself, not by the forced exit
    // (which says so on stderr).
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const events = eventsOf(run);
    expect(events[0]).toMatchObject({ type: 'start', calls: 1, faults: false });
    expect(events[0]?.inspectorUrl).toMatch(/^http:\/\/localhost:\d+$/);
    expect(events[0]?.consoleUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(events.at(-1)).toMatchObject({ type: 'summary', ok: true, terminated: 1, hangUps: 1 });

    const charts = ofType(events, 'transition').map((e) => (e.chart as { to: string }).to);
    expect(charts).toEqual([
      'setup.establishing',
      'active.established',
      'terminating.hangingUp',
      'terminating.confirming',
      'terminating.confirming',
      'terminated',
    ]);
    const requests = ofType(events, 'request').map((e) => `${e.method} ${e.status}`);
    expect(requests).toEqual(['POST 201', 'DELETE 204']);
    const notes = ofType(events, 'notification').map((e) => `${e.state} ${e.bucket}`);
    expect(notes).toEqual([
      'establishing unchanged',
      'established applied',
      'terminating applied',
      'terminated applied',
    ]);
    const [ended] = ofType(events, 'terminated');
    expect(ended).toMatchObject({
      confirmedBy: 'notification',
      outcome: { reason: 'hungUp', resultInfo: { code: 200, subcode: 5001 } },
    });
    // Times are milliseconds since the start, and the log is in the order things happened.
    const times = events.map((e) => e.t as number);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('--faults: stale and duplicate notifications are absorbed, the 429 retried, the lost terminated verified; one hang-up', async () => {
    const run = await runDemo(['--faults', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const events = eventsOf(run);
    const notes = ofType(events, 'notification');
    expect(notes.some((e) => e.duplicate === true || e.bucket === 'stale')).toBe(true);
    // The default seed is chosen to show both: a duplicate, and an `establishing` overtaken by
    // `established` (stale when it arrives).
    expect(notes.filter((e) => e.duplicate === true).length).toBeGreaterThan(0);
    expect(notes).toContainEqual(
      expect.objectContaining({ state: 'establishing', bucket: 'stale', outOfOrder: true }),
    );

    expect(ofType(events, 'bot').filter((e) => e.action === 'hangUp')).toHaveLength(1);
    const deletes = ofType(events, 'request').filter((e) => e.method === 'DELETE');
    expect(deletes.map((e) => e.status)).toEqual([429, 204]);
    expect(deletes[0]?.retryAfterMs).toBe(500);
    expect(
      ofType(events, 'request')
        .filter((e) => e.method === 'GET')
        .map((e) => e.status),
    ).toEqual([404]);
    expect(ofType(events, 'terminated')).toEqual([
      expect.objectContaining({
        confirmedBy: 'getCall',
        outcome: expect.objectContaining({ reason: 'hungUp' }),
      }),
    ]);
    expect(events.at(-1)).toMatchObject({
      type: 'summary',
      ok: true,
      hangUps: 1,
      deleteRequests: 2,
      deleteRetries: 1,
      getRequests: 1,
    });
  });

  it('without --json prints a readable timeline and a summary line, without colour in a pipe', async () => {
    const run = await runDemo([]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).not.toMatch(ANSI);
    expect(run.stdout).toMatch(/◂ notify\s+updated\s+established\s+W\/"2"\s+applied/);
    expect(run.stdout).toMatch(/DELETE ▸\s+\/communications\/calls\/\S+\s+204 No Content/);
    expect(run.stdout).toMatch(/outcome\s+terminated, reason hungUp/);
    expect(run.stdout).toContain('"subcode":5001');
    expect(run.stdout).toMatch(/✔ 1 call ended \(hungUp\) · 1 hang-up → 1 DELETE request/);
  });

  it('--calls 20 prints progress lines (not a terminal) and a summary table', async () => {
    const run = await runDemo(['--calls', '20']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(ANSI);
    expect(run.stdout).toMatch(/progress\s+placed 20 · established 20 · ended 20 of 20/);
    expect(run.stdout).toMatch(/hungUp\s+20/);
    expect(run.stdout).toMatch(/DELETE for 20 hang-ups\s+20/);
    expect(run.stdout).toMatch(/p50 \d+(\.\d+)? m?s · p99/);
    expect(run.stdout).toMatch(/✔ 20 calls ended \(20 hungUp\) · 20 hang-ups → 20 DELETE requests/);
  });

  // The bot of each scenario only calls the registry: every request is the registry's.
  const SCENARIOS = [
    {
      scenario: 'answer',
      outcome: 'hungUp',
      requests: ['answerCall 202', 'deleteCall 204'],
      news: ['incoming', 'established'],
      charts: ['setup.incoming', 'setup.establishing', 'active.established', 'terminated'],
    },
    {
      scenario: 'reject',
      outcome: 'rejected',
      requests: ['rejectCall 202'],
      news: ['incoming'],
      charts: ['setup.incoming', 'terminated'],
    },
    {
      scenario: 'redirect',
      outcome: 'redirected',
      requests: ['redirectCall 202'],
      news: ['incoming'],
      charts: ['setup.incoming', 'terminated'],
    },
    {
      scenario: 'transfer',
      outcome: 'transferred',
      requests: ['answerCall 202', 'transferCall 202', 'transferCall 202'],
      news: ['incoming', 'established', 'transferFailed'],
      charts: ['setup.incoming', 'active.established', 'active.transferAccepted', 'terminated'],
    },
    {
      scenario: 'place',
      outcome: 'hungUp',
      requests: ['createCall 201', 'deleteCall 204'],
      news: ['established'],
      charts: ['setup.establishing', 'active.established', 'terminating.hangingUp', 'terminated'],
    },
    {
      scenario: 'ivr',
      outcome: 'transferred',
      requests: ['answerCall 202', 'subscribeToTone 200', 'playPrompt 200', 'transferCall 202'],
      news: ['incoming', 'established'],
      charts: ['setup.incoming', 'active.established', 'active.transferAccepted', 'terminated'],
    },
  ] as const;

  it.each(SCENARIOS)(
    '--scenario $scenario --json ends its call as $outcome and exits 0',
    async ({ scenario, outcome, requests, news, charts }) => {
      const run = await runDemo(['--scenario', scenario, '--json']);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const events = eventsOf(run);
      expect(events[0]).toMatchObject({ type: 'start', scenario, expectedOutcome: outcome });
      expect(events.at(-1)).toMatchObject({
        type: 'summary',
        ok: true,
        scenario,
        calls: 1,
        terminated: 1,
        outcomes: { [outcome]: 1 },
        problems: [],
      });
      expect(ofType(events, 'request').map((e) => `${e.kind} ${e.status}`)).toEqual(requests);
      const newsTypes = new Set(['incoming', 'established', 'transferFailed', 'commandFailed']);
      expect(events.filter((e) => newsTypes.has(e.type)).map((e) => e.type)).toEqual(news);
      const reached = ofType(events, 'transition').map((e) => (e.chart as { to: string }).to);
      for (const chart of charts) expect(reached).toContain(chart);
      expect(ofType(events, 'terminated')).toEqual([
        expect.objectContaining({
          confirmedBy: 'notification',
          outcome: expect.objectContaining({ reason: outcome }),
        }),
      ]);
      if (scenario !== 'place') {
        expect(ofType(events, 'incoming')).toEqual([
          expect.objectContaining({ caller: 'Ada Lovelace' }),
        ]);
      }
      const times = events.map((e) => e.t as number);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    },
  );

  it('--scenario transfer shows the failed transfer, then the call transferred, in the timeline', async () => {
    const run = await runDemo(['--scenario', 'transfer']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(ANSI);
    const out = run.stdout;
    expect(out).toContain('graph-call-machine demo: an incoming call, answered, then transferred');
    expect(out).toMatch(/fake\s+fake\.scriptTransfers\(id, 'failed', 'completed'\)/);
    expect(out).toMatch(/event\s+call\.incoming from Ada Lovelace/);
    expect(out).toMatch(/POST ▸\s+\/communications\/calls\/\S+\/answer\s+202 Accepted/);
    expect(out).toMatch(/event\s+call\.established/);
    expect(out).toMatch(/event\s+call\.transferFailed\s+500\/7000 The transfer failed\./);
    expect(out).toMatch(/outcome\s+terminated, reason transferred/);
    // In that order: the failure comes before the second transfer request and the end.
    const failedAt = out.indexOf('call.transferFailed');
    expect(out.indexOf('/transfer', failedAt)).toBeGreaterThan(failedAt);
    expect(out.indexOf('reason transferred')).toBeGreaterThan(failedAt);
    expect(out).toMatch(
      /✔ 1 call ended \(transferred, as the transfer scenario expects\) · 1 answer, 2 transfer requests/,
    );
  });

  it('--scenario ivr --json: the operations are requested, reported and counted; the key press is heard once', async () => {
    const run = await runDemo(['--scenario', 'ivr', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const events = eventsOf(run);
    // The bot only calls the registry: what it does, in order.
    expect(ofType(events, 'bot').map((e) => e.action)).toEqual([
      'answer',
      'subscribeToTone',
      'playPrompt',
      'transfer',
    ]);
    const operations = ofType(events, 'request').filter(
      (e) => e.kind === 'subscribeToTone' || e.kind === 'playPrompt',
    );
    expect(operations).toEqual([
      expect.objectContaining({
        method: 'POST',
        path: expect.stringMatching(/^\/communications\/calls\/[0-9a-f-]+\/subscribeToTone$/),
        status: 200,
        operationStatus: 'completed',
      }),
      expect.objectContaining({
        method: 'POST',
        path: expect.stringMatching(/^\/communications\/calls\/[0-9a-f-]+\/playPrompt$/),
        status: 200,
        operationStatus: 'running',
      }),
    ]);
    // subscribeToTone is done in its answer; the prompt by a notification on …/operations/{id}.
    expect(ofType(events, 'notification').filter((e) => e.resource === 'operation')).toEqual([
      expect.objectContaining({
        changeType: 'deleted',
        bucket: 'subresource',
        operation: { status: 'completed', type: 'playPromptOperation' },
      }),
    ]);
    expect(ofType(events, 'operationCompleted').map((e) => e.kind)).toEqual([
      'subscribeToTone',
      'playPrompt',
    ]);
    const [played] = ofType(events, 'operationCompleted').filter((e) => e.kind === 'playPrompt');
    expect(played).toMatchObject({ resultInfo: { code: 200, subcode: 0 } });
    // The menu plays for MENU_MS (400 ms) before Graph reports it.
    expect(played?.durationMs).toBeGreaterThanOrEqual(350);
    expect(ofType(events, 'operationFailed')).toEqual([]);
    expect(ofType(events, 'operationRejected')).toEqual([]);
    // The key press: one notification on the call that moves nothing, one call.tone.
    expect(ofType(events, 'notification').filter((e) => e.tone !== undefined)).toEqual([
      expect.objectContaining({ state: 'established', tone: 'tone1', bucket: 'unchanged' }),
    ]);
    expect(ofType(events, 'tone')).toEqual([
      expect.objectContaining({ tone: 'tone1', sequenceId: 1 }),
    ]);
    // In that order: the prompt completed, the key press heard, then the transfer sent.
    const at = (predicate: (e: Logged) => boolean) => events.findIndex(predicate);
    const completed = at((e) => e.type === 'operationCompleted' && e.kind === 'playPrompt');
    const tone = at((e) => e.type === 'tone');
    const transfer = at((e) => e.type === 'request' && e.kind === 'transferCall');
    expect(completed).toBeGreaterThan(-1);
    expect(tone).toBeGreaterThan(completed);
    expect(transfer).toBeGreaterThan(tone);
    expect(events.at(-1)).toMatchObject({
      type: 'summary',
      ok: true,
      outcomes: { transferred: 1 },
      requests: { answerCall: 1, subscribeToTone: 1, playPrompt: 1, transferCall: 1 },
      operations: { completed: 2, failed: 0, rejected: 0 },
      tones: 1,
      notifications: { subresource: 1, unchanged: 1 },
    });
  });

  it('--scenario ivr shows answer, subscribeToTone, playPrompt, the key press, the transfer and the end, in that order', async () => {
    const run = await runDemo(['--scenario', 'ivr']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(ANSI);
    const out = run.stdout;
    expect(out).toContain(
      'graph-call-machine demo: an incoming call, answered, a menu played, 1 pressed, then transferred',
    );
    // Each line in turn, each found after the one before it.
    const lines = [
      /fake\s+fake\.incomingCall\(\{ source: Ada Lovelace \}\)/,
      /fake\s+fake\.scriptOperations\(id, \{ result: 'completes', afterMs: 400 \}\)/,
      /event\s+call\.incoming from Ada Lovelace/,
      /POST ▸\s+\/communications\/calls\/\S+\/answer\s+202 Accepted/,
      /event\s+call\.established/,
      /bot\s+on call\.established: await registry\.subscribeToTone\(id\)/,
      /POST ▸\s+\/communications\/calls\/\S+\/subscribeToTone\s+200 OK · completed/,
      /event\s+operation\.completed subscribeToTone/,
      /bot\s+await registry\.playPrompt\(id, menu\.wav\)/,
      /POST ▸\s+\/communications\/calls\/\S+\/playPrompt\s+200 OK · running/,
      /◂ notify\s+deleted\s+operation\s+playPrompt completed\s+subresource/,
      /event\s+operation\.completed playPrompt\s+200\/0 Action completed successfully\./,
      /fake\s+fake\.pressTone\(id, 'tone1'\)/,
      /◂ notify\s+updated\s+established\s+toneInfo tone1\s+unchanged/,
      /event\s+call\.tone tone1\s+key press, sequence 1/,
      /bot\s+on call\.tone tone1: await registry\.transfer\(id, Grace Hopper\)/,
      /POST ▸\s+\/communications\/calls\/\S+\/transfer\s+202 Accepted/,
      /◂ notify\s+deleted\s+terminated\s+W\/"\d+"\s+applied/,
      /outcome\s+terminated, reason transferred/,
      /operations\s+playPrompt 1 · subscribeToTone 1\s+→\s+completed 2 · failed 0 · rejected 0/,
      /key presses\s+1 \(call\.tone\)/,
      /✔ 1 call ended \(transferred, as the ivr scenario expects\) · 1 answer, 1 transfer requests · 1 playPrompt, 1 subscribeToTone operations · 1 key press/,
    ];
    let from = 0;
    for (const line of lines) {
      const match = line.exec(out.slice(from));
      expect(match, `${line} after offset ${from} of:\n${out}`).not.toBeNull();
      from += (match?.index ?? 0) + (match?.[0].length ?? 0);
    }
  });

  it('an unknown scenario exits 2 and names the scenarios there are', async () => {
    const bad = await runDemo(['--scenario', 'voicemail']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain(
      'demo: --scenario takes one of hangup, answer, reject, redirect, transfer, place, ivr, got "voicemail"',
    );
    expect(bad.stderr).toContain('Usage: npm run demo');
  });

  it('a bad flag exits 2 and says why', async () => {
    const bad = await runDemo(['--calls', 'many']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('--calls takes a whole number from 1 to 10000, got "many"');
  });
});
