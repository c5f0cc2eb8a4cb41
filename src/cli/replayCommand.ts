/**
 * `graph-call-machine replay <file…>`: reads flight records (JSON Lines, as `createFileRecorder`
 * writes them), rebuilds each call through this version's call machine, and prints its timeline;
 * `--check` lists where this version decides otherwise than the recording, `--json` is for tools,
 * `--inspect` shows the calls in the Stately inspector. The command is a function of its
 * arguments and its I/O, so tests run it without a process.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { runReplay } from './replayCommand.js';
 *
 * process.exitCode = await runReplay(['replay', 'calls.jsonl', '--check'], {
 *   stdout: process.stdout,
 *   stderr: process.stderr,
 *   readFile: (path) => readFile(path, 'utf8'),
 * });
 * ```
 * @module
 */
import { fileURLToPath } from 'node:url';
// node:util's parseArgs is built into Node: the command needs no argument-parsing dependency.
import { parseArgs } from 'node:util';
import { callMachine } from '../machine/callMachine.js';
import { readFlightRecords } from '../recorder/readFlightRecords.js';
import type { FlightRecord } from '../runtime/flightRecord.js';
import { type ReplayedCall, replayRecords } from '../runtime/replayRecords.js';
import { serveRecordedCalls } from './consoleReplay.js';
import {
  type CallFilters,
  checkFilters,
  OUTCOME_FILTERS,
  parseSince,
  selectCalls,
  UsageError,
} from './filters.js';
import { inspectCalls, type LoadInspector, loadInspectPackage } from './inspectReplay.js';
import { describeStuckCalls, findStuckCalls, STUCK_AFTER_MS } from './stuckCalls.js';
import { colorEnabled, createStyle, type Style } from './style.js';
import { formatCheck, formatMs, formatTimeline, isoTime } from './timeline.js';

const NAME = 'graph-call-machine';

/** The text of `graph-call-machine --help`. */
export const USAGE = `Usage: ${NAME} replay <file…> [options]

Rebuilds each call of a flight recording (JSON Lines, as createFileRecorder writes them; give
rotated files oldest first: calls.jsonl.2 calls.jsonl.1 calls.jsonl) through this version's
call machine, and prints its timeline: notifications with their verdicts, intents, Graph's
answers, deadlines, the requests sent, where the chart moved, and how the call ended. Calls not
ended and silent for ${formatMs(STUCK_AFTER_MS)} before the newest record are named first.

Options:
  --call <id>         only this call: its id, or a prefix of at least 4 characters (repeatable)
  --outcome <reason>  only calls that ended so (repeatable): ${OUTCOME_FILTERS.slice(0, 4).join(', ')},
                      ${OUTCOME_FILTERS.slice(4, -1).join(', ')}, or none (not ended)
  --since <time>      only calls with a record at or after <time>: an ISO date-time, epoch ms,
                      or a duration back from the newest record (90s, 15m, 2h, 1d)
  --check             list where this version decides otherwise than the recording (verdict,
                      state, outcome, requests); exit 1 when a call differs or cannot be replayed
  --json              one JSON document on stdout, for tools
  --records           with --json: include each call's records
  --console           show the calls in the live call console, served on 127.0.0.1 until
                      Ctrl+C (nothing leaves the machine)
  --console-port <n>  the console's port (default 0: any free port)
  --inspect           replay the calls into the Stately inspector (Stately Sky: sends them to
                      stately.ai; needs npm install @statelyai/inspect)
  -h, --help          show this help
  --version           show the version of ${NAME}

Exit codes: 0 done, 1 --check found differences, 2 wrong usage or unreadable input.
`;

/** Where the command writes: process.stdout and process.stderr, or a test's collectors. */
export interface CliOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** The command's I/O and the machine it replays with. */
export interface ReplayIo {
  readonly stdout: CliOutput;
  readonly stderr: CliOutput;
  /** Reads a file as UTF-8 text; rejects with Node's error (ENOENT, EISDIR, …). */
  readFile(path: string): Promise<string>;
  /** The environment (NO_COLOR). Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The machine to replay with. Default the library's `callMachine`. */
  readonly machine?: typeof callMachine;
  /** Loads `@statelyai/inspect` for `--inspect`. Default an import from the running project. */
  readonly loadInspector?: LoadInspector;
  /** How long `--console` stays up, given its URL. Default: until Ctrl+C or SIGTERM. */
  readonly consoleUntil?: (url: string) => Promise<void>;
}

/** Input the command cannot use (a missing file, a directory): reported in one line, exit 2. */
class InputError extends Error {
  override readonly name = 'InputError';
}

interface Options {
  readonly files: readonly string[];
  readonly filters: CallFilters;
  readonly check: boolean;
  readonly json: boolean;
  readonly records: boolean;
  readonly inspect: boolean;
  /** With --console: its port. */
  readonly console: number | undefined;
}

interface Recording {
  readonly records: FlightRecord[];
  readonly skipped: { readonly file: string; readonly line: number; readonly message: string }[];
  readonly newestAt: number;
}

/**
 * Runs `graph-call-machine` with `args` (the command line after the program: `['replay',
 * 'calls.jsonl', '--check']`, `['--help']`, `['--version']`). Resolves with the exit code: 0
 * done, 1 when `--check` found a difference, 2 for wrong usage or unreadable input. Never
 * rejects: every error is a line on `io.stderr`.
 */
export async function runReplay(args: readonly string[], io: ReplayIo): Promise<number> {
  try {
    return await run(args, io);
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      io.stderr.write(`${NAME}: ${(error as Error).message}\nRun ${NAME} --help for usage.\n`);
      return 2;
    }
    if (error instanceof InputError) {
      io.stderr.write(`${NAME}: ${error.message}\n`);
      return 2;
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    io.stderr.write(`${NAME}: unexpected error (a bug: please report it): ${detail}\n`);
    return 2;
  }
}

async function run(args: readonly string[], io: ReplayIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      call: { type: 'string', multiple: true },
      outcome: { type: 'string', multiple: true },
      since: { type: 'string' },
      check: { type: 'boolean' },
      json: { type: 'boolean' },
      records: { type: 'boolean' },
      inspect: { type: 'boolean' },
      console: { type: 'boolean' },
      'console-port': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  });
  if (values.help === true) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (values.version === true) {
    io.stdout.write(`${await readVersion(io)}\n`);
    return 0;
  }
  const [command, ...files] = positionals;
  if (command === undefined) {
    io.stderr.write(USAGE);
    return 2;
  }
  if (command !== 'replay') {
    throw new UsageError(`unknown command "${command}"; the command is replay`);
  }
  if (files.length === 0) throw new UsageError('replay needs at least one file of flight records');
  const options: Options = {
    files,
    filters: {
      calls: values.call ?? [],
      outcomes: values.outcome ?? [],
      ...(values.since === undefined ? {} : { since: values.since }),
    },
    check: values.check === true,
    json: values.json === true,
    records: values.records === true,
    inspect: values.inspect === true,
    console: values.console === true ? portOf(values['console-port'] ?? '0') : undefined,
  };
  if (values['console-port'] !== undefined && values.console !== true) {
    throw new UsageError('--console-port goes with --console');
  }
  if (options.console !== undefined && (options.json || options.check || options.inspect)) {
    throw new UsageError('--console cannot be combined with --json, --check or --inspect');
  }
  if (options.records && !options.json) throw new UsageError('--records goes with --json');
  if (options.inspect && (options.json || options.check)) {
    throw new UsageError('--inspect cannot be combined with --json or --check');
  }
  // The syntax of --since is checked before any file is read; a duration is resolved later.
  if (options.filters.since !== undefined) parseSince(options.filters.since, 0);
  return replay(options, io);
}

async function replay(options: Options, io: ReplayIo): Promise<number> {
  const machine = io.machine ?? callMachine;
  const recording = await readRecording(options.files, io);
  let replayed: ReplayedCall[];
  try {
    replayed = replayRecords(recording.records, { machine });
  } catch (error) {
    throw new InputError(`the records cannot be replayed: ${(error as Error).message}`);
  }
  // Oldest call first; replayRecords keeps the order calls first appear in.
  const calls = replayed
    .map((call, i) => ({ call, i }))
    .sort((a, b) => a.call.firstAt - b.call.firstAt || a.i - b.i)
    .map((entry) => entry.call);
  checkFilters(options.filters, calls);
  const selected = selectCalls(calls, options.filters, recording.newestAt);

  if (options.console !== undefined) {
    return serveRecordedCalls(selected, {
      stdout: io.stdout,
      stderr: io.stderr,
      port: options.console,
      until: io.consoleUntil,
    });
  }
  if (options.inspect) {
    return inspectCalls(selected, {
      stdout: io.stdout,
      stderr: io.stderr,
      machine,
      load: io.loadInspector ?? loadInspectPackage,
    });
  }
  if (options.json) {
    io.stdout.write(`${JSON.stringify(jsonDocument(options, recording, selected))}\n`);
    return options.check && selected.some(differs) ? 1 : 0;
  }
  const style = createStyle(colorEnabled(io.stdout, io.env ?? process.env));
  const header = headerLine(options.files, recording, calls.length, selected.length);
  return options.check
    ? printCheck(io, style, header, selected)
    : printTimelines(io, style, header, selected, recording.newestAt);
}

function portOf(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) {
    throw new UsageError(
      `--console-port takes a port from 0 to 65535, got ${JSON.stringify(text)}`,
    );
  }
  return port;
}

async function readRecording(files: readonly string[], io: ReplayIo): Promise<Recording> {
  const records: FlightRecord[] = [];
  const skipped: Recording['skipped'] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await io.readFile(file);
    } catch (error) {
      throw new InputError(readProblem(file, error));
    }
    // A byte order mark, as some editors save one, is not part of the first record.
    const read = readFlightRecords(text.startsWith('\uFEFF') ? text.slice(1) : text);
    // One at a time: spreading a large recording into push() would overflow the stack.
    for (const record of read.records) records.push(record);
    for (const problem of read.problems) skipped.push({ file, ...problem });
    const [first] = read.problems;
    if (first !== undefined) {
      const count = read.problems.length;
      io.stderr.write(
        `${file}: ${count} ${count === 1 ? 'line' : 'lines'} skipped (line ${first.line}: ${truncate(first.message, 80)})\n`,
      );
    }
  }
  let newestAt = Number.NEGATIVE_INFINITY;
  for (const record of records) if (record.at > newestAt) newestAt = record.at;
  return { records, skipped, newestAt: records.length === 0 ? 0 : newestAt };
}

function readProblem(file: string, error: unknown): string {
  switch ((error as { code?: unknown } | null)?.code) {
    case 'ENOENT':
      return `${file}: no such file`;
    case 'EISDIR':
      return `${file}: is a directory; give the files of flight records in it (calls.jsonl, calls.jsonl.1, …)`;
    case 'EACCES':
    case 'EPERM':
      return `${file}: not allowed to read it`;
    default:
      return `${file}: cannot read it (${(error as Error).message})`;
  }
}

function jsonDocument(options: Options, recording: Recording, selected: readonly ReplayedCall[]) {
  return {
    files: options.files,
    records: recording.records.length,
    skipped: recording.skipped,
    newestAt: recording.records.length === 0 ? null : recording.newestAt,
    stuck: findStuckCalls(selected, recording.newestAt),
    calls: selected.map((call) => ({
      callId: call.callId,
      firstAt: call.firstAt,
      lastAt: call.lastAt,
      position: call.position,
      outcome: call.outcome,
      differences: call.differences,
      problem: call.problem,
      recordCount: call.records.length,
      ...(options.records ? { records: call.records } : {}),
    })),
  };
}

function headerLine(
  files: readonly string[],
  recording: Recording,
  total: number,
  shown: number,
): string {
  const parts = [
    `${plural(recording.records.length, 'record')} of ${plural(total, 'call')} from ${files.join(', ')}`,
  ];
  if (shown !== total) parts.push(`${shown} shown`);
  if (recording.records.length > 0) parts.push(`newest record ${isoTime(recording.newestAt)}`);
  return parts.join('; ');
}

function printTimelines(
  io: ReplayIo,
  style: Style,
  header: string,
  calls: readonly ReplayedCall[],
  newestAt: number,
): number {
  const top = [style.bold(header)];
  for (const line of describeStuckCalls(findStuckCalls(calls, newestAt))) {
    top.push(style.yellow(line));
  }
  if (calls.length === 0) top.push('no call to show');
  io.stdout.write(`${top.join('\n')}\n`);
  for (const call of calls) io.stdout.write(`\n${formatTimeline(call, style).join('\n')}\n`);
  return 0;
}

function printCheck(
  io: ReplayIo,
  style: Style,
  header: string,
  calls: readonly ReplayedCall[],
): number {
  io.stdout.write(`${style.bold(header)}\n`);
  for (const call of calls) {
    const lines = formatCheck(call, style);
    if (lines.length > 0) io.stdout.write(`\n${lines.join('\n')}\n`);
  }
  const differing = calls.filter((call) => call.problem === undefined && differs(call)).length;
  const unreplayable = calls.filter((call) => call.problem !== undefined).length;
  const n = calls.length;
  if (differing + unreplayable === 0) {
    const summary =
      n === 0
        ? 'no call to check'
        : n === 1
          ? 'the one call replays as recorded'
          : `all ${n} calls replay as recorded`;
    io.stdout.write(`\n${style.green(summary)}\n`);
    return 0;
  }
  const parts: string[] = [];
  if (differing > 0) {
    parts.push(`${differing} of ${plural(n, 'call')} ${differing === 1 ? 'differs' : 'differ'}`);
  }
  if (unreplayable > 0) {
    parts.push(`${unreplayable} of ${plural(n, 'call')} cannot be replayed`);
  }
  io.stdout.write(`\n${style.red(parts.join('; '))}\n`);
  return 1;
}

function differs(call: ReplayedCall): boolean {
  return call.problem !== undefined || call.differences.length > 0;
}

async function readVersion(io: ReplayIo): Promise<string> {
  // The bin is dist/cli/main.js and this module src/cli/replayCommand.ts: the package's
  // package.json is two levels up from either.
  const path = fileURLToPath(new URL('../../package.json', import.meta.url));
  try {
    const version: unknown = (JSON.parse(await io.readFile(path)) as { version?: unknown }).version;
    if (typeof version === 'string') return version;
  } catch {
    // Reported below.
  }
  throw new InputError(`cannot read the version from ${path}`);
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

function plural(n: number, word: string): string {
  return `${n} ${n === 1 ? word : `${word}s`}`;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
