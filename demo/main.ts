/**
 * `npm run demo`: a calling bot, its webhook and a fake Microsoft Graph on loopback, and the
 * lifecycle of a call printed as it happens. `--help` lists the flags.
 *
 * Nothing leaves the machine: every server listens on 127.0.0.1 (the inspector server of
 * `--inspect` on every interface, as @statelyai/inspect does), and Graph is the test kit's fake.
 * @module
 */
import { type DemoArgs, parseDemoArgs, USAGE, UsageError } from './args.js';
import { type DemoConsole, startConsole } from './console.js';
import {
  createEventBus,
  type DemoEvent,
  isOperationKind,
  REQUEST_KINDS,
  type Summary,
} from './events.js';
import { type DemoInspector, startInspector } from './inspector.js';
import { createProgress, renderManySummary, renderStart } from './manyCallsView.js';
import { createObserver } from './observe.js';
import { batchFor, confirmTimeoutFor, faultsFor } from './scenario.js';
import { runScenario, SCENARIO_INFO } from './scenarios.js';
import { messageOf, type Stack, startStack } from './stack.js';
import { colorEnabled, createStyle, type Style } from './style.js';
import { createTally, type Tally } from './tally.js';
import { createTimeline, formatMs, renderOneCallSummary } from './timeline.js';

const startedAt = performance.now();
// How long the process may still be held up once everything was closed (see the end).
const EXIT_GRACE_MS = 2000;
const LINGER_IN_TERMINAL_SEC = 30;

async function main(argv: readonly string[]): Promise<number> {
  let args: DemoArgs;
  try {
    args = parseDemoArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`demo: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  const style = createStyle(!args.json && colorEnabled(process.stdout));
  const bus = createEventBus(startedAt);
  const expectedOutcome = SCENARIO_INFO[args.scenario].expected;
  const tally = createTally({ scenario: args.scenario, expectedOutcome });
  bus.subscribe((event) => tally.add(event));
  bus.subscribe(args.json ? writeJson : humanView(args, style, tally, bus.now));

  const interrupted = new Promise<'interrupted'>((resolve) => {
    process.once('SIGINT', () => resolve('interrupted'));
    process.once('SIGTERM', () => resolve('interrupted'));
  });

  let inspector: DemoInspector | undefined;
  let callConsole: DemoConsole | undefined;
  let stack: Stack | undefined;
  try {
    if (args.inspect) inspector = await startInspector({ port: args.inspectPort, open: args.open });
    const observer = createObserver(bus.emit);
    const stately = inspector?.inspect;
    stack = await startStack({
      seed: args.seed,
      faults: args.faults ? faultsFor(args.calls) : undefined,
      batch: batchFor(args.calls),
      confirmTimeoutMs: confirmTimeoutFor(args.calls),
      emit: bus.emit,
      // One observer for the demo's own view, and the Stately inspector when asked for.
      inspect: (event) => {
        observer.inspect(event);
        stately?.next?.(event);
      },
    });
    observer.attach(stack.registry);
    if (args.console) callConsole = await startConsole(stack.registry, args.consolePort);
    bus.emit({
      type: 'start',
      scenario: args.scenario,
      expectedOutcome,
      calls: args.calls,
      seed: args.seed,
      faults: args.faults,
      webhookUrl: stack.webhookUrl,
      graphUrl: stack.graphUrl,
      confirmTimeoutMs: confirmTimeoutFor(args.calls),
      batch: batchFor(args.calls),
      ...(inspector !== undefined && { inspectorUrl: inspector.url }),
      ...(callConsole !== undefined && { consoleUrl: callConsole.url }),
    });

    const run = await Promise.race([
      runScenario(args.scenario, stack, observer, bus.emit, args.calls).then(async (problems) => {
        // Duplicates and late notifications may still be on their way: count them too.
        await stack?.fake.settle();
        return problems;
      }),
      interrupted,
    ]);
    if (run === 'interrupted') {
      process.stderr.write('\ndemo: interrupted; closing down\n');
      return 130;
    }
    const summary = tally.summarize(bus.now(), run);
    bus.emit({ type: 'summary', ...summary });
    if (!args.json) process.stdout.write(`${finalLine(summary, style)}\n`);
    if (!summary.ok) {
      process.stderr.write(
        `demo: failed:\n${summary.problems.map((problem) => `  - ${problem}`).join('\n')}\n`,
      );
    }
    const watched = [
      ...(inspector === undefined ? [] : [{ name: 'inspector', url: inspector.url }]),
      ...(callConsole === undefined ? [] : [{ name: 'console', url: callConsole.url }]),
    ];
    if (watched.length > 0) await linger(args, watched, interrupted, style);
    return summary.ok ? 0 : 1;
  } catch (error) {
    process.stderr.write(`demo: failed: ${messageOf(error)}\n`);
    return 1;
  } finally {
    await callConsole?.stop();
    await stack?.close();
    await inspector?.stop();
  }
}

function writeJson(event: DemoEvent): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function humanView(
  args: DemoArgs,
  style: Style,
  tally: Tally,
  now: () => number,
): (event: DemoEvent) => void {
  const out = process.stdout;
  if (args.calls === 1) {
    const timeline = createTimeline(style);
    return (event) => {
      const text = timeline(event);
      if (text !== undefined) out.write(`${text}\n`);
      if (event.type === 'summary') out.write(`${renderOneCallSummary(event, style)}\n`);
    };
  }
  const progress = createProgress(args.calls, out, style, now);
  return (event) => {
    progress.update(tally);
    if (event.type === 'start') out.write(`${renderStart(event, style)}\n`);
    else if (event.type === 'summary') {
      progress.finish();
      out.write(`${renderManySummary(event, style)}\n`);
    }
  };
}

function finalLine(summary: Summary, style: Style): string {
  const reasons = Object.entries(summary.outcomes)
    .map(([reason, n]) => (summary.calls === 1 ? reason : `${n} ${reason}`))
    .join(', ');
  const calls = summary.calls === 1 ? '1 call' : `${summary.calls} calls`;
  const hangUps = `${summary.hangUps} hang-up${summary.hangUps === 1 ? '' : 's'} → ${summary.deleteRequests} DELETE request${summary.deleteRequests === 1 ? '' : 's'}`;
  const parts =
    summary.scenario === 'hangup'
      ? [`${calls} ended (${reasons})`, hangUps]
      : [
          `${calls} ended (${reasons}, as the ${summary.scenario} scenario expects)`,
          describeControlRequests(summary),
          ...describeOperations(summary),
          ...(summary.hangUps > 0 ? [hangUps] : []),
        ];
  const text = [...parts, formatMs(summary.elapsedMs)].join(' · ');
  return summary.ok
    ? `\n${style.green('✔')} ${style.bold(text)}`
    : `\n${style.red('✘')} ${style.bold(`${summary.terminated} of ${summary.calls} calls ended; see the problems below`)}`;
}

// `1 answer, 2 transfer requests`: the call-control requests the registry sent.
function describeControlRequests(summary: Summary): string {
  const { requests } = summary;
  const counted = [
    ['placeCall', requests.createCall],
    ['answer', requests.answerCall],
    ['reject', requests.rejectCall],
    ['redirect', requests.redirectCall],
    ['transfer', requests.transferCall],
  ] as const;
  const sent = counted.filter(([, n]) => n > 0).map(([verb, n]) => `${n} ${verb}`);
  const total = counted.reduce((sum, [, n]) => sum + n, 0);
  return sent.length === 0
    ? 'no call-control request'
    : `${sent.join(', ')} request${total === 1 ? '' : 's'}`;
}

// `1 subscribeToTone, 1 playPrompt operations`, `1 key press`: nothing when there were none.
function describeOperations(summary: Summary): string[] {
  const { requests } = summary;
  const kinds = REQUEST_KINDS.filter(isOperationKind).filter((kind) => requests[kind] > 0);
  const total = kinds.reduce((sum, kind) => sum + requests[kind], 0);
  return [
    ...(total === 0
      ? []
      : [
          `${kinds.map((kind) => `${requests[kind]} ${kind}`).join(', ')} operation${total === 1 ? '' : 's'}`,
        ]),
    ...(summary.tones === 0
      ? []
      : [`${summary.tones} key press${summary.tones === 1 ? '' : 'es'}`]),
  ];
}

// Keeps the inspector and the console up after the run so a browser opened late still gets
// them: the inspector's server replays its last 200 events to every new page, and the console
// shows the calls as they ended.
async function linger(
  args: DemoArgs,
  watched: readonly { readonly name: string; readonly url: string }[],
  interrupted: Promise<unknown>,
  style: Style,
): Promise<void> {
  const interactive = process.stdout.isTTY === true && process.stdin.isTTY === true;
  const seconds = args.lingerSec ?? (interactive ? LINGER_IN_TERMINAL_SEC : 0);
  if (seconds === 0) return;
  if (!args.json) {
    process.stdout.write(
      `\n${watched.map(({ name, url }) => `The ${name} stays up ${seconds} s at ${style.cyan(url)}`).join('\n')} (Enter or Ctrl-C ends it now).\n`,
    );
  }
  const controller = new AbortController();
  const enter = new Promise<void>((resolve) => {
    if (!interactive) return;
    process.stdin.resume();
    process.stdin.once('data', () => resolve());
  });
  const timeout = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, seconds * 1000);
    controller.signal.addEventListener('abort', () => clearTimeout(timer));
  });
  await Promise.race([enter, timeout, interrupted]);
  controller.abort();
  if (interactive) process.stdin.pause();
}

process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  // A reader that stopped reading (`npm run demo -- --json | head`) is not the demo failing.
  if (error.code === 'EPIPE')
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  throw error;
});

void main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Everything is closed now and Node should end by itself. The one thing the demo cannot
    // close is a browser tab still connected to the inspector server (@statelyai/inspect's
    // stop() leaves open connections alone), so after a grace period the exit is forced.
    setTimeout(() => {
      process.stderr.write(
        `demo: something still held the process ${EXIT_GRACE_MS} ms after closing down (a connected inspector page?); exiting\n`,
      );
      process.exit(code);
    }, EXIT_GRACE_MS).unref();
  },
  (error: unknown) => {
    process.stderr.write(
      `demo: crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
