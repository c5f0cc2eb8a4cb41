// What the console tests share: a registry in front of the fake Graph with its flight records
// kept, a registry double that shows what the console subscribes to, records copied under other
// call ids, and a reader of event streams.

import type { ConsoleRegistry } from '../../src/console/index.js';
import {
  type CallRegistry,
  type CallView,
  createCallRegistry,
  type FlightRecord,
  type RegistryEvent,
  type RegistryEventType,
} from '../../src/index.js';
import { createFakeGraph, type FakeGraph, type FakeGraphOptions } from '../../src/testing/index.js';

export const CALLBACK = 'https://bot.example.com/api/calls';
export const SERVICE_MEDIA = {
  '@odata.type': '#microsoft.graph.serviceHostedMediaConfig',
} as const;
/** A caller whose name and number must not show when the console redacts. */
export const ALICE = {
  identity: { user: { id: '0b9e5b5e-2f57-4f8d-9a5f-4a1b7d3c2e10', displayName: 'Alice Liddell' } },
};
/** A call id as an attacker might send it: valid for Graph's rules, markup for a browser. */
/** The origin the handler tests address the console at. */
export const ORIGIN = 'http://127.0.0.1:8080';

/** A hang-up as the console's own page sends it; `headers` replace or add to its headers. */
export function hangUpRequest(body: unknown, headers: Record<string, string> = {}): Request {
  return new Request(`${ORIGIN}/actions/hang-up`, {
    method: 'POST',
    headers: {
      origin: ORIGIN,
      'content-type': 'application/json',
      'x-call-console': 'hang-up',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export const MARKUP_ID = '<img src=x onerror="window.__xss=1">';
export const SCRIPT_ID = '<script>window.__xss=2';
/** Ids a call can have (see `callIdProblem`), however odd they look in a page or a URL. */
export const ODD_IDS: readonly string[] = [
  MARKUP_ID,
  '%2F',
  '%2E%2E',
  'a%2Fb%00',
  '..a',
  '☎️ Ωμέγα 日本語 שלום 🎉',
  '"\'<>&;',
  'y'.repeat(256),
];

/** A registry before the fake Graph, notifications delivered in process; every record kept. */
export interface World {
  readonly fake: FakeGraph;
  readonly registry: CallRegistry;
  readonly records: FlightRecord[];
  /** The fake has posted everything, and the registry is idle. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export function openWorld(
  fakeOptions: FakeGraphOptions = {},
  registryOptions: { readonly getToken?: () => Promise<string> } = {},
): World {
  const fake = createFakeGraph({ rosterOnEstablished: true, ...fakeOptions });
  const records: FlightRecord[] = [];
  const registry = createCallRegistry({
    graph: {
      getToken: registryOptions.getToken ?? (async () => 'token'),
      fetch: fake.fetch,
      baseUrl: fake.baseUrl,
    },
    keepAliveMs: 0,
    recorder: (record) => records.push(record),
  });
  const errors: Error[] = [];
  registry.on('registry.error', ({ error }) => errors.push(error));
  fake.connect(registry);
  return {
    fake,
    registry,
    records,
    async settle() {
      for (let round = 0; round < 3; round += 1) {
        await fake.settle();
        await registry.idle();
      }
    },
    async close() {
      await registry.close();
      await fake.close();
      if (errors.length > 0) throw errors[0];
    },
  };
}

/** Answers an incoming call and waits until it is established. */
export async function answered(
  world: World,
  options: Parameters<FakeGraph['incomingCall']>[0] = {},
) {
  const callId = world.fake.incomingCall(options);
  await world.settle();
  await world.registry.answer(callId, { callbackUri: CALLBACK, mediaConfig: SERVICE_MEDIA });
  await world.settle();
  return callId;
}

/** The records of a run of one call, ended by the bot's hang-up: placed, established, hung up. */
export async function recordsOfOneCall(): Promise<FlightRecord[]> {
  const world = openWorld();
  try {
    const callId = world.fake.placeCall();
    await world.settle();
    await world.registry.hangUp(callId);
    await world.settle();
    return world.records.filter((r) => r.callId === callId);
  } finally {
    await world.close();
  }
}

/** The same records, as if they were another call's (its times shifted by `dt`). */
export function asCall(records: readonly FlightRecord[], callId: string, dt = 0): FlightRecord[] {
  return records.map((record) => {
    const input: FlightRecord['input'] =
      record.input.type === 'start'
        ? { type: 'start', input: { ...record.input.input, callId } }
        : record.input;
    const copy = { ...record, callId, at: record.at + dt, input };
    return record.outcome === undefined
      ? copy
      : { ...copy, outcome: { ...record.outcome, callId, at: record.outcome.at + dt } };
  });
}

type Listener = (event: RegistryEvent) => void;

/** A registry double: records are pushed by the test, and subscriptions are counted. */
export interface StubRegistry extends ConsoleRegistry {
  push(record: FlightRecord): void;
  emit(event: RegistryEvent): void;
  readonly hangUps: string[];
  /** Sinks and listeners currently attached. */
  attached(): number;
  /** What `hangUp` does; default: resolves with an established view. */
  hangUpWith: (callId: string) => Promise<CallView>;
}

export function stubRegistry(calls: readonly CallView[] = []): StubRegistry {
  const sinks = new Set<(record: FlightRecord) => void>();
  const listeners = new Map<RegistryEventType, Set<Listener>>();
  const stub: StubRegistry = {
    hangUps: [],
    hangUpWith: async (callId) => ({
      callId,
      state: 'established',
      phase: 'terminating',
      updatedAt: 0,
    }),
    calls: () => calls,
    addRecorder(recorder) {
      const record = typeof recorder === 'function' ? recorder : recorder.record;
      sinks.add(record);
      return () => {
        sinks.delete(record);
      };
    },
    on(type, listener) {
      const set = listeners.get(type) ?? new Set<Listener>();
      listeners.set(type, set);
      set.add(listener as Listener);
      return () => {
        set.delete(listener as Listener);
      };
    },
    participants: () => [],
    hangUp(callId) {
      stub.hangUps.push(callId);
      return stub.hangUpWith(callId);
    },
    push(record) {
      for (const sink of sinks) sink(record);
    },
    emit(event) {
      for (const listener of listeners.get(event.type) ?? []) listener(event);
    },
    attached() {
      let n = sinks.size;
      for (const set of listeners.values()) n += set.size;
      return n;
    },
  };
  return stub;
}

const decoder = new TextDecoder();

/** Reads an event stream until `done(text so far)` holds; fails after `timeoutMs`. */
export async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  done: (text: string) => boolean,
  timeoutMs = 5_000,
): Promise<string> {
  let text = '';
  const deadline = Date.now() + timeoutMs;
  while (!done(text)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`the stream did not say what was expected; it said:\n${text}`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const chunk = await Promise.race([
      reader.read(),
      new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), left);
      }),
    ]);
    clearTimeout(timer);
    if (chunk === 'late') continue;
    if (chunk.done) throw new Error(`the stream ended; it said:\n${text}`);
    text += decoder.decode(chunk.value, { stream: true });
  }
  return text;
}

/** The data of each `event: <name>` frame of a stream's text, parsed. */
export function framesOf(text: string, name: string): unknown[] {
  return text
    .split('\n\n')
    .filter((frame) => frame.startsWith(`event: ${name}\n`))
    .map((frame) => JSON.parse(frame.slice(frame.indexOf('data: ') + 6)) as unknown);
}
