/**
 * The demo's command line. Every flag is optional: with none, one call runs without faults.
 * @module
 */
import { parseArgs } from 'node:util';

/**
 * The flows the demo can run. `hangup` (the default) places calls and hangs them up; the others
 * show one call through the registry's call control, and `ivr` its operations and key presses.
 */
export const SCENARIOS = [
  'hangup',
  'answer',
  'reject',
  'redirect',
  'transfer',
  'place',
  'ivr',
] as const;

export type Scenario = (typeof SCENARIOS)[number];

export const DEFAULT_SCENARIO: Scenario = 'hangup';

export interface DemoArgs {
  readonly help: boolean;
  readonly scenario: Scenario;
  readonly calls: number;
  readonly seed: number;
  readonly faults: boolean;
  readonly json: boolean;
  readonly inspect: boolean;
  /** 0: any free port. */
  readonly inspectPort: number;
  readonly open: boolean;
  readonly console: boolean;
  /** 0: any free port. */
  readonly consolePort: number;
  /** Seconds the inspector and the console stay up after the run; undefined: decided by whether a person is watching. */
  readonly lingerSec: number | undefined;
}

// A seed whose --faults run shows every kind of trouble: a reordering, duplicates, a stale one.
export const DEFAULT_SEED = 6;
export const MAX_CALLS = 10_000;

export const USAGE = `Usage: npm run demo -- [options]
       tsx demo/main.ts [options]

Runs a calling bot against an embedded fake Microsoft Graph, on loopback, and prints the call
lifecycle as it happens: every notification and how it was judged, every request to Graph,
every state change, and how the call ended.

Options:
  --scenario NAME   Which flow the bot runs (default ${DEFAULT_SCENARIO}):
                      hangup    place calls with POST /communications/calls, hang them up
                      answer    a user calls the bot; it answers, then hangs up
                      reject    a user calls the bot; it rejects the call as busy
                      redirect  a user calls the bot; it redirects the call to another user
                      transfer  a user calls the bot; it answers and transfers the call: the
                                first transfer fails (the call stays up), the second completes
                      place     registry.placeCall to a user, then a hang-up
                      ivr       a user calls the bot; it answers, subscribes to key presses
                                and plays a menu (operations); the caller presses 1 and
                                the bot transfers the call
                    Every scenario but hangup runs one call without faults: --calls above 1
                    and --faults are refused with it.
  --faults          Seeded trouble: duplicated and reordered notifications, a 429 with
                    Retry-After on the DELETE, a lost terminated notification (the machine
                    then asks Graph with a GET after its deadline).
  --calls N         N concurrent calls with a progress bar and a summary table (default 1).
  --seed N          Seed of the fake Graph's faults and call ids (default ${DEFAULT_SEED}).
  --inspect         Start the Stately inspector (@statelyai/inspect) and print its URL; every
                    call actor is inspected.
  --inspect-port N  Port of the inspector server (default 8080; 0 = any free port; a busy
                    port falls back to a free one).
  --open            With --inspect: open the inspector in the default browser.
  --console         Serve the live call console (graph-call-machine/console) on loopback and
                    print its URL: every call, its chart, timeline and counters, live.
  --console-port N  Port of the console (default 0: any free port).
  --linger S        With --inspect or --console: keep them up S seconds after the run
                    (default 30 when run in a terminal, 0 otherwise; Enter or Ctrl-C ends it
                    early).
  --json            Write the event log as JSON lines on stdout, and nothing else.
  -h, --help        Show this help.

Exit status: 0 when every call ended as its scenario expects (hangup, answer, place: hungUp;
reject: rejected; redirect: redirected; transfer, ivr: transferred), no call-control request or
operation failed, and every hang-up sent one accepted DELETE; 1 when not (the reason is printed); 2 for a bad
command line.`;

/** Thrown for a command line that cannot run; its message says which flag and why. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function parseDemoArgs(argv: readonly string[]): DemoArgs {
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse(argv));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const calls = integer('--calls', values.calls ?? '1', 1, MAX_CALLS);
  const scenario = scenarioOf(values.scenario ?? DEFAULT_SCENARIO);
  if (scenario !== 'hangup') {
    if (calls !== 1) {
      throw new UsageError(
        `--scenario ${scenario} runs one call; --calls ${calls} goes with --scenario hangup only`,
      );
    }
    if (values.faults === true) {
      throw new UsageError(
        `--scenario ${scenario} runs without faults; --faults goes with --scenario hangup only`,
      );
    }
  }
  const lingerSec =
    values.linger === undefined ? undefined : integer('--linger', values.linger, 0, 3600);
  return {
    help: values.help === true,
    scenario,
    calls,
    seed: integer('--seed', values.seed ?? String(DEFAULT_SEED), 0, Number.MAX_SAFE_INTEGER),
    faults: values.faults === true,
    json: values.json === true,
    inspect: values.inspect === true,
    inspectPort: integer('--inspect-port', values['inspect-port'] ?? '8080', 0, 65_535),
    open: values.open === true,
    console: values.console === true,
    consolePort: integer('--console-port', values['console-port'] ?? '0', 0, 65_535),
    lingerSec,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      scenario: { type: 'string' },
      calls: { type: 'string' },
      seed: { type: 'string' },
      faults: { type: 'boolean' },
      json: { type: 'boolean' },
      inspect: { type: 'boolean' },
      'inspect-port': { type: 'string' },
      open: { type: 'boolean' },
      console: { type: 'boolean' },
      'console-port': { type: 'string' },
      linger: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function scenarioOf(text: string): Scenario {
  const found = SCENARIOS.find((name) => name === text);
  if (found === undefined) {
    throw new UsageError(
      `--scenario takes one of ${SCENARIOS.join(', ')}, got ${JSON.stringify(text)}`,
    );
  }
  return found;
}

function integer(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(
      `${flag} takes a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}
