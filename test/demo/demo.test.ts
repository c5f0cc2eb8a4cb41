// `npm run demo`, run as a user runs it (a child process through tsx), quickly: the event log
// of one call is a complete lifecycle; with --faults the guards absorb the trouble and the call
// still ends with one hang-up; --calls prints a summary; --inspect still exits on its own; each
// --scenario (answer, reject, redirect, transfer, place) ends its call as it expects.
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
  it('--json --inspect logs one complete lifecycle, one JSON object per line, and exits by itself', async () => {
    const run = await runDemo(['--json', '--inspect', '--inspect-port', '0']);
    // Nothing was left holding the process: it ended by itself, not by the forced exit
    // (which says so on stderr).
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const events = eventsOf(run);
    expect(events[0]).toMatchObject({ type: 'start', calls: 1, faults: false });
    expect(events[0]?.inspectorUrl).toMatch(/^http:\/\/localhost:\d+$/);
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

  it('an unknown scenario exits 2 and names the scenarios there are', async () => {
    const bad = await runDemo(['--scenario', 'voicemail']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain(
      'demo: --scenario takes one of hangup, answer, reject, redirect, transfer, place, got "voicemail"',
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
