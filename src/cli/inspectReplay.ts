/**
 * `graph-call-machine replay --inspect`: each selected call replayed, step by step, into the
 * Stately inspector (Stately Sky, through `@statelyai/inspect`'s `createSkyInspector`), in the
 * shape the registry's `inspect` option reports live calls. `@statelyai/inspect` is not a
 * dependency of this package: it is loaded only here, and asked for when absent.
 * @module
 */
import type { callMachine } from '../machine/callMachine.js';
import { type CallInspector, createInspectionFeed } from '../machine/inspectionFeed.js';
import { type CallSnapshot, startCall, stepCall } from '../machine/stepCall.js';
import type { ReplayedCall } from '../runtime/replayRecords.js';

const INSPECT_PACKAGE = '@statelyai/inspect';

/** Loads `@statelyai/inspect` (or, in a test, a stand-in with a `createSkyInspector`). */
export type LoadInspector = () => Promise<unknown>;

/** The part of `@statelyai/inspect` used here. */
interface SkyInspectorModule {
  createSkyInspector(options: {
    onerror?: (error: Error) => void;
    sanitizeEvent?: (event: { type: string }) => { type: string };
  }): { readonly inspect: CallInspector };
}

/** Where `--inspect` reports. */
export interface InspectIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly machine: typeof callMachine;
  readonly load: LoadInspector;
}

/** Imports `@statelyai/inspect` from the project that runs the command. */
export function loadInspectPackage(): Promise<unknown> {
  // External to the bin's bundle (tsup.config.ts): resolved at run time, from the user's project.
  return import('@statelyai/inspect');
}

/**
 * Replays `calls` into a Sky inspector. Returns the exit code: 0 once every call was sent (the
 * inspector's connection then keeps the process alive until Ctrl+C), 2 when the inspector
 * cannot be loaded.
 */
export async function inspectCalls(calls: readonly ReplayedCall[], io: InspectIo): Promise<number> {
  let loaded: unknown;
  try {
    loaded = await io.load();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    io.stderr.write(
      code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
        ? `--inspect needs ${INSPECT_PACKAGE}: npm install ${INSPECT_PACKAGE}\n`
        : `--inspect could not load ${INSPECT_PACKAGE}: ${(error as Error).message}\n`,
    );
    return 2;
  }
  if (!isSkyInspectorModule(loaded)) {
    io.stderr.write(
      `--inspect needs ${INSPECT_PACKAGE} with createSkyInspector (0.2.3 or later): npm install ${INSPECT_PACKAGE}@latest\n`,
    );
    return 2;
  }
  let told = false;
  const inspector = loaded.createSkyInspector({
    onerror: (error) => {
      if (told) return;
      told = true;
      io.stderr.write(`the Stately inspector is not reachable: ${error.message}\n`);
    },
    sanitizeEvent: withoutRawItems,
  });
  const feed = createInspectionFeed(inspector.inspect, io.machine);
  let sent = 0;
  for (const call of calls) {
    if (call.problem !== undefined) {
      io.stderr.write(`${call.callId}: not inspected, cannot replay: ${call.problem}\n`);
      continue;
    }
    const startAt = call.records.findIndex((r) => r.input.type === 'start');
    const start = call.records[startAt];
    if (start?.input.type !== 'start') continue;
    let snapshot: CallSnapshot = startCall(start.input.input, io.machine).snapshot;
    feed.step(call.callId, undefined, snapshot);
    for (const record of call.records.slice(startAt + 1)) {
      if (record.input.type !== 'step') continue;
      snapshot = stepCall(snapshot, record.input.event, io.machine).snapshot;
      feed.step(call.callId, record.input.event, snapshot);
    }
    sent++;
  }
  io.stdout.write(
    `${sent} ${sent === 1 ? 'call' : 'calls'} replayed into the Stately inspector; open the link it prints once connected. Ctrl+C ends.\n`,
  );
  return 0;
}

function isSkyInspectorModule(value: unknown): value is SkyInspectorModule {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { createSkyInspector?: unknown }).createSkyInspector === 'function'
  );
}

// A notification's raw item (kept only when the recorder was asked to) can name people; the
// inspector gets what the machine decided on, lifted out by the parser.
function withoutRawItems(event: { type: string }): { type: string } {
  const notification = (event as { notification?: unknown }).notification;
  if (typeof notification !== 'object' || notification === null || !('raw' in notification)) {
    return event;
  }
  return { ...event, notification: { ...notification, raw: '[omitted]' } } as { type: string };
}
