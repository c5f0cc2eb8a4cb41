/**
 * The call registry: the imperative shell around the pure machine, the same code for one bot
 * instance or many. Each event (a notification, an intent, a Graph answer, a deadline) is one
 * turn on its call: load the record, `stepCall`, commit it with a compare-and-set together with
 * the call's due time (retrying on a conflict with the winner's record), then tell listeners and
 * the inspector and perform the requests the committed step asked for, whose answers come back
 * as events. Due calls are claimed from the store under a lease, on one exact timer (in-process
 * store) or by polling (shared store). Nothing about a call lives only in this process: when an
 * instance dies, another carries on. See docs/scaling.md for the whole picture.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createCallRegistry } from 'graph-call-machine';
 * import { createWebhookHandler, toNodeListener } from 'graph-call-machine/webhook';
 *
 * const registry = createCallRegistry({ graph: { getToken: () => credential.getToken() } });
 * registry.on('call.terminated', ({ outcome }) => log.info(outcome));
 * createServer(toNodeListener(createWebhookHandler(registry))).listen(3978);
 *
 * // later, anywhere in the bot:
 * await registry.hangUp(callId);                        // resolves once Graph took the DELETE
 * const ended = await registry.waitFor(callId, 'terminated', { timeoutMs: 60_000 });
 * ```
 * @module
 */
import { callIdProblem } from '../graph/callId.js';
import type { PlaceCallRequest } from '../graph/callRequests.js';
import { isKnownCallState } from '../graph/callState.js';
import type { CallNotification, RejectedNotification } from '../graph/notification.js';
import type { OperationRequest } from '../graph/operationRequests.js';
import { openEnvelope, readItems } from '../graph/parseNotifications.js';
import { callMachine } from '../machine/callMachine.js';
import { dueAtOf, isHangUpPending, participantsOf, verdictOfStep } from '../machine/callQueries.js';
import { getCallView } from '../machine/callView.js';
import { DEFAULT_CALL_OPTIONS } from '../machine/context.js';
import { type CallInspector, createInspectionFeed } from '../machine/inspectionFeed.js';
import { persistCallSnapshot } from '../machine/persistCallSnapshot.js';
import { type CallSnapshot, restoreCall, startCall, stepCall } from '../machine/stepCall.js';
import type {
  CallEmitted,
  CallEvent,
  CallInput,
  CallOperation,
  CallOptions,
  CallView,
  NotificationVerdict,
} from '../machine/types.js';
import { CALL_RECORD_SCHEMA_VERSION, checkRecord } from './callRecords.js';
import type { CallRecord, CallStore, CommitResult, DueChange } from './callStore.js';
import {
  checkTimeout,
  inviteOperation,
  playPromptOperation,
  recordingStatusOperation,
  recordResponseOperation,
  removeParticipantOperation,
  sendDtmfTonesOperation,
} from './checkOperations.js';
import {
  checkAnswer,
  checkPlaceCall,
  checkRedirect,
  checkReject,
  checkTransfer,
} from './checkRequests.js';
import { type Clock, systemClock, type TimerHandle, yieldToEventLoop } from './clock.js';
import {
  CallError,
  CapacityError,
  CommandFailedError,
  CommandRejectedError,
  HangUpFailedError,
  type IngestFailure,
  IngestIncompleteError,
  InvalidCallIdError,
  OperationRejectedError,
  RegistryClosedError,
  RestoreError,
  StoreConflictError,
  UnknownCallError,
} from './errors.js';
import {
  type FlightRecord,
  type FlightRecorder,
  type FlightRecorderOptions,
  flightRecord,
} from './flightRecord.js';
import type { GraphClientOptions } from './graphClient.js';
import {
  graphClientOf,
  sendCommand,
  toCommandEvent,
  toDeleteEvent,
  toGetCallEvent,
  toOperationEvent,
  verbOfCommand,
} from './graphEvents.js';
import { MemoryCallStore } from './memoryCallStore.js';
import { RegistryListeners } from './registryListeners.js';
import {
  type GraphRequestKind,
  type GraphRequestWatch,
  type RegistryTelemetry,
  startTelemetry,
  watched,
} from './telemetry.js';
import type { RegistryTelemetryOptions } from './telemetryTypes.js';
import { TimeHeap } from './timeHeap.js';
import type {
  CallPredicate,
  CallRegistry,
  GraphClient,
  GraphResult,
  IngestReport,
  PlaceCallResult,
  PlacedCall,
  RegistryEvent,
} from './types.js';
import { Waiters } from './waiters.js';

/** Options of {@link createCallRegistry}. The call options apply to every call. */
export interface CallRegistryOptions extends CallOptions {
  /** A Graph client, or the options to create the default one over `fetch`. */
  readonly graph: GraphClient | GraphClientOptions;
  /**
   * Where calls live. Default: a new {@link MemoryCallStore} (this process only). Give every
   * instance of a bot the same shared store (`createRedisCallStore`) to run it on several.
   */
  readonly store?: CallStore;
  /**
   * The call machine to run: `callMachine.provide({ guards, actions })` to customise a rule.
   * Default `callMachine`. Stored snapshots must come from the same chart, on every instance.
   */
  readonly machine?: typeof callMachine;
  /** Told about every call and every step: `@statelyai/inspect`'s `inspect`, or any xstate inspection observer. */
  readonly inspect?: CallInspector;
  /** Time and timers. Default: the system clock. Instances sharing a store compare due times across clocks: keep them in sync (NTP). */
  readonly clock?: Clock;
  /** keepAlive period while a call is active. Default 15 min (Graph ends calls idle for 45); 0 turns it off. */
  readonly keepAliveMs?: number;
  /**
   * How long an ended call stays readable (and absorbs late notifications as `late`): the
   * retention of the default store, and how long `get()` remembers it. Default 5 min.
   */
  readonly retainTerminatedMs?: number;
  /** Default timeout of `waitFor`. Default 30 s. */
  readonly waitTimeoutMs?: number;
  /** Live calls held at most: notifications about further new calls are rejected as `capacity`. Default 100 000. */
  readonly maxCalls?: number;
  /** Calls whose view `get()` keeps in memory, least recently touched dropped first. Default `maxCalls`. */
  readonly cacheSize?: number;
  /** How often a store without `nextDueAt` (a shared one) is asked for due calls. Default 500 ms. */
  readonly pollMs?: number;
  /** How long a claimed due call is this registry's to handle before another may claim it. Default 60 s. */
  readonly leaseMs?: number;
  /** Commit attempts per event when other registries keep winning the compare-and-set. Default 10. */
  readonly maxCommitAttempts?: number;
  /** Due calls claimed per store round trip. Default 100. */
  readonly claimBatch?: number;
  /**
   * Walk the stored calls before `ready` and give every live one without a due time the one its
   * snapshot calls for (records written by an older version). Default `true`.
   */
  readonly recoverOnStart?: boolean;
  /**
   * The flight recorder: told every input of every call this registry steps (see
   * {@link FlightRecord}), for `graph-call-machine replay`. A function, or one with options
   * (`createFileRecorder(path)` from `graph-call-machine/recorder` writes JSON Lines).
   */
  readonly recorder?:
    | FlightRecorder
    | ({ readonly record: FlightRecorder } & FlightRecorderOptions);
  /**
   * OpenTelemetry metrics and a span per Graph request (see {@link RegistryTelemetryOptions}).
   * Default `true`: `@opentelemetry/api`'s global providers, when the package is installed
   * (no-ops unless the app registered an SDK). `false`: none. Providers given are used as given.
   */
  readonly telemetry?: boolean | RegistryTelemetryOptions;
}

/** A stored call as this registry last saw it. */
interface Known {
  readonly version: number;
  readonly savedAt: number;
  readonly snapshot: CallSnapshot;
}

/** What one event does to a call: its result, the news to hand on, and the snapshot to commit. */
interface Plan<T> {
  readonly result: T;
  readonly emitted: readonly CallEmitted[];
  readonly write?: CallSnapshot;
  /** What the call was created from, when this event created it. */
  readonly started?: CallInput;
}

const DEFAULTS = {
  keepAliveMs: 15 * 60_000,
  retainTerminatedMs: 5 * 60_000,
  waitTimeoutMs: 30_000,
  maxCalls: 100_000,
  pollMs: 500,
  leaseMs: 60_000,
  maxCommitAttempts: 10,
  claimBatch: 100,
} as const;
const CLEAR: DueChange = { kind: 'clear' };
// How long the store's count of live calls is trusted before it is asked again.
const COUNT_TTL_MS = 1_000;
// How long one envelope works before it lets the event loop turn (see pacer), and how many of its
// calls it works on at once: starting the turns of 10 000 calls together is itself a 60 ms block.
const INGEST_SLICE_MS = 10;
const INGEST_CONCURRENCY = 64;
// Items read between two looks at the clock: a few hundred microseconds of parsing.
const PARSE_SLICE_ITEMS = 256;

/**
 * Creates a call registry over `options.store` (memory by default).
 *
 * @example
 * ```ts
 * import { createCallRegistry } from 'graph-call-machine';
 * import { createRedisCallStore } from 'graph-call-machine/redis';
 *
 * const registry = createCallRegistry({
 *   graph: { getToken: async () => (await credential.getToken('https://graph.microsoft.com/.default')).token },
 *   store: createRedisCallStore({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }),
 *   confirmTimeoutMs: 20_000,
 * });
 * registry.on('registry.error', ({ error }) => log.error(error));
 * ```
 */
export function createCallRegistry(options: CallRegistryOptions): CallRegistry {
  const clock = options.clock ?? systemClock;
  const setting = (name: keyof typeof DEFAULTS, zeroAllowed = false): number => {
    const value = options[name] ?? DEFAULTS[name];
    if (!(Number.isFinite(value) && (value > 0 || (zeroAllowed && value === 0)))) {
      throw new RangeError(
        `createCallRegistry: ${name} must be a ${zeroAllowed ? 'non-negative' : 'positive'} number, got ${String(value)}.`,
      );
    }
    return value;
  };
  const keepAliveMs = setting('keepAliveMs', true);
  const retainMs = setting('retainTerminatedMs', true);
  const waitTimeoutMs = setting('waitTimeoutMs');
  const maxCalls = setting('maxCalls');
  const pollMs = setting('pollMs');
  const leaseMs = setting('leaseMs');
  const maxAttempts = setting('maxCommitAttempts');
  const claimBatch = setting('claimBatch');
  const cacheSize = options.cacheSize ?? maxCalls;
  const client = graphClientOf(options.graph);
  // The default store forgets ended calls when the registry does (0: at once, not never).
  const store =
    options.store ?? new MemoryCallStore({ ttlMs: Math.max(retainMs, 1), now: () => clock.now() });
  const machine = options.machine ?? callMachine;
  // Each call takes the call options from these (the machine reads only the keys it knows).
  const callOptions: CallOptions = options;
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_CALL_OPTIONS.requestTimeoutMs;
  const inProcess = typeof store.nextDueAt === 'function';
  const inspection =
    options.inspect === undefined ? undefined : createInspectionFeed(options.inspect, machine);
  // Each sink keeps its own options: a console may redact what a file recorder keeps.
  const recorders = new Set<RecorderSink>();
  if (options.recorder !== undefined) recorders.add(recorderSink(options.recorder));

  const known = new Map<string, Known>();
  const ended = new TimeHeap(); // when each ended call leaves the cache
  const turns = new Map<string, Promise<void>>();
  const pending = new Set<Promise<unknown>>();
  const listeners = new RegistryListeners();
  const waiters = new Waiters(clock, () => armDueTimer(true));
  let closed = false;
  let liveCount: { count: number; at: number } | undefined;
  let admitting = 0;
  let dueTimer: { handle: TimerHandle; at: number; held: boolean } | undefined;
  let claiming = false;
  let pollFailing = false;
  // Replaced once, when the global providers of @opentelemetry/api arrive after the start.
  let telemetry: RegistryTelemetry | undefined = startTelemetry(
    options.telemetry,
    { graph: options.graph, clock, calls: () => known.values() },
    (started) => {
      if (closed) return started.close();
      telemetry?.close();
      telemetry = started;
    },
  );

  const emit = (event: RegistryEvent): void => listeners.emit(event);
  const report = (error: unknown, callId?: string): void => listeners.report(error, callId);

  // ── one call at a time ─────────────────────────────────────────────────────────────────

  function keep<T>(promise: Promise<T>): Promise<T> {
    pending.add(promise);
    const done = () => pending.delete(promise);
    promise.then(done, done);
    return promise;
  }

  // Turns on one call run one after the other, in the order they were asked for: a POST's
  // notifications about a call must be applied in their order, and turns of one registry would
  // only lose compare-and-sets to each other otherwise.
  function inTurn<T>(callId: string, task: () => Promise<T>): Promise<T> {
    const previous = turns.get(callId);
    const run = previous === undefined ? task() : previous.then(task);
    const settled = run.then(noop, noop);
    turns.set(callId, settled);
    settled.then(() => {
      if (turns.get(callId) === settled) turns.delete(callId);
    });
    return keep(run);
  }

  // ── what this registry knows ───────────────────────────────────────────────────────────

  function remember(callId: string, entry: Known): void {
    const cached = known.get(callId);
    // A read that raced a commit of this registry must not bring back the older version; a
    // record that expired and was created anew starts again at version 1, but later.
    if (cached !== undefined && cached.version > entry.version && cached.savedAt >= entry.savedAt) {
      return;
    }
    known.delete(callId);
    known.set(callId, entry);
    if (entry.snapshot.status === 'done' && cached?.snapshot.status !== 'done') {
      ended.set(callId, (entry.snapshot.context.outcome?.at ?? clock.now()) + retainMs);
    }
    if (known.size <= cacheSize) return;
    for (const oldest of known.keys()) {
      if (known.size <= cacheSize) break;
      if (!waiters.has(oldest)) forget(oldest);
    }
  }

  function forget(callId: string): void {
    known.delete(callId);
    inspection?.forget(callId);
  }

  function toKnown(callId: string, record: CallRecord): Known {
    const cached = known.get(callId);
    if (cached?.version === record.version && cached.savedAt === record.savedAt) return cached;
    checkRecord(callId, record);
    let snapshot: CallSnapshot;
    try {
      snapshot = restoreCall(record.snapshot, machine);
    } catch (error) {
      throw new RestoreError(callId, 'unknownState', (error as Error).message, { cause: error });
    }
    const entry: Known = { version: record.version, savedAt: record.savedAt, snapshot };
    remember(callId, entry);
    return entry;
  }

  async function load(callId: string): Promise<Known | undefined> {
    const record = await store.load(callId);
    if (record !== undefined) return toKnown(callId, record);
    forget(callId);
    return undefined;
  }

  // The live count is the store's, asked again at most once a second and kept up to date in
  // between with what this registry commits; calls being committed right now count too, so
  // the notifications of one POST cannot all slip in under the bound at once.
  async function admit(): Promise<boolean> {
    const now = clock.now();
    if (liveCount === undefined || now - liveCount.at >= COUNT_TTL_MS) {
      const count = await store.countLive();
      liveCount = { count, at: clock.now() };
    }
    if (liveCount.count + admitting >= maxCalls) return false;
    admitting += 1;
    return true;
  }

  function countCommit(previous: CallSnapshot | undefined, next: CallSnapshot): void {
    if (liveCount === undefined) return;
    const wasLive = previous?.status === 'active';
    const isLive = next.status === 'active';
    if (wasLive !== isLive) liveCount.count += isLive ? 1 : -1;
  }

  // ── load → step → commit ───────────────────────────────────────────────────────────────

  // Starts from the cached copy when there is one: when it is current (this registry handled
  // the call last), an event costs one store round trip, the commit; when it is not, the commit
  // loses and hands back the current record. A step that writes nothing is trusted only once
  // the copy it was planned on is confirmed to be the stored one.
  async function update<T>(
    callId: string,
    event: CallEvent | undefined,
    plan: (current: Known | undefined) => Plan<T>,
  ): Promise<T> {
    let current = known.get(callId);
    let confirmed = current === undefined;
    if (current === undefined) current = await load(callId);
    for (let attempt = 1; ; attempt += 1) {
      const step = plan(current);
      const next = step.write;
      if (next === undefined) {
        if (!confirmed) {
          const stored = await load(callId);
          confirmed = true;
          if (stored?.version !== current?.version || stored?.savedAt !== current?.savedAt) {
            current = stored;
            continue;
          }
        }
        announce(callId, step.emitted);
        if (current !== undefined) {
          recordStep(
            callId,
            event,
            undefined,
            current.snapshot,
            current.snapshot,
            step.emitted,
            false,
          );
          waiters.settle(callId, current.snapshot);
        }
        return step.result;
      }
      const admitted = current === undefined;
      if (admitted && !(await admit())) throw new CapacityError(callId, maxCalls);
      const savedAt = clock.now();
      const record: CallRecord = {
        schemaVersion: CALL_RECORD_SCHEMA_VERSION,
        version: (current?.version ?? 0) + 1,
        snapshot: persistCallSnapshot(next),
        savedAt,
      };
      const due = dueChangeOf(next);
      let outcome: CommitResult;
      try {
        outcome = await store.commit(callId, record, current?.version ?? 0, due);
      } finally {
        if (admitted) admitting -= 1;
      }
      if (outcome.ok) {
        countCommit(current?.snapshot, next);
        remember(callId, { version: record.version, savedAt, snapshot: next });
        armDueTimer();
        // Only the registry whose commit won gets here: its commands are the ones performed.
        announce(callId, step.emitted);
        // After the news, as an actor reports its snapshot after the events its step emitted.
        inspection?.step(callId, current === undefined ? undefined : event, next);
        recordStep(callId, event, step.started, current?.snapshot, next, step.emitted, true);
        waiters.settle(callId, next);
        return step.result;
      }
      if (attempt >= maxAttempts) throw new StoreConflictError(callId, attempt);
      confirmed = true;
      current = outcome.current === undefined ? undefined : toKnown(callId, outcome.current);
      if (current === undefined) forget(callId);
      // The first loss usually means only that the cached copy was old: retry at once. Later
      // ones wait with full jitter, so racing registries do not collide again in lockstep.
      const ms = attempt > 1 ? Math.random() * Math.min(2 ** attempt, 100) : 0;
      if (ms > 0) await new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
    }
  }

  /** Hands the recorder what one step did; a start records what the call was created from. */
  function recordStep(
    callId: string,
    event: CallEvent | undefined,
    started: CallInput | undefined,
    from: CallSnapshot | undefined,
    to: CallSnapshot,
    emitted: readonly CallEmitted[],
    wrote: boolean,
  ): void {
    if (recorders.size === 0) return;
    const input: FlightRecord['input'] | undefined =
      started !== undefined
        ? { type: 'start', input: started }
        : event === undefined
          ? undefined
          : { type: 'step', event };
    if (input === undefined) return;
    const verdict = verdictOfStep(emitted);
    const before = started === undefined ? from : undefined;
    for (const sink of recorders) {
      try {
        sink.record(flightRecord(sink.options, callId, input, before, to, emitted, verdict, wrote));
      } catch (error) {
        report(error, callId);
      }
    }
  }

  /** Any event but a first notification: steps a known call; unknown calls take none. */
  function planStep(event: CallEvent) {
    return (current: Known | undefined): Plan<CallSnapshot | undefined> => {
      if (current === undefined) return { result: undefined, emitted: [] };
      const step = stepCall(current.snapshot, event, machine);
      return moved(current.snapshot, step.snapshot)
        ? { result: step.snapshot, emitted: step.emitted, write: step.snapshot }
        : { result: current.snapshot, emitted: step.emitted };
    };
  }

  function applyEvent(callId: string, event: CallEvent): Promise<CallSnapshot | undefined> {
    return update(callId, event, planStep(event));
  }

  /** Starts tracking a call, unless it is stored already (by anyone, or before a restart): that one wins. */
  function adopt(input: CallInput): Promise<CallSnapshot> {
    const { callId } = input;
    return inTurn(callId, () =>
      update(callId, undefined, (current): Plan<CallSnapshot> => {
        if (current !== undefined) return { result: current.snapshot, emitted: [] };
        const started = startCall(input, machine);
        return {
          result: started.snapshot,
          emitted: started.emitted,
          write: started.snapshot,
          started: input,
        };
      }),
    );
  }

  type Intent = Extract<CallEvent, { type: 'answer' | 'reject' | 'redirect' | 'transfer' }>;

  /**
   * Judges an intent in the call's turn, and waits for Graph to take the command it led to: the
   * command was sent (or was already on its way, or taken) only when the machine said so.
   */
  async function command(callId: string, intent: Intent): Promise<CallView> {
    await ready;
    ensureOpen(callId);
    const verb = intent.type;
    const stepIntent = planStep(intent);
    const outcome = await inTurn(callId, async () => {
      const judged = await update(callId, intent, (current) => {
        const planned = stepIntent(current);
        const refusal = planned.emitted.find((e) => e.type === 'call.commandRejected');
        return { ...planned, result: { snapshot: planned.result, refusal } };
      });
      const { snapshot, refusal } = judged;
      if (snapshot === undefined) throw new UnknownCallError(callId);
      if (refusal?.type === 'call.commandRejected') {
        throw new CommandRejectedError(callId, verb, refusal.state, refusal.phase, refusal.reason);
      }
      // Registered within the call's turn, so the command's answer cannot be applied first. A
      // repeat settles as the first did: at once when that one is over, taken or not.
      const waiting = waiters.command(callId, verb);
      waiters.settle(callId, snapshot);
      return { waiting };
    });
    return outcome.waiting;
  }

  /**
   * Judges an operation in the call's turn, and waits for it to be over: completed, failed,
   * timed out, or ended with the call. Its key (the `clientContext` sent) is new for each.
   */
  async function operate(
    callId: string,
    build: (key: string) => OperationRequest,
    timeoutMs?: number,
  ): Promise<CallOperation> {
    const key = crypto.randomUUID();
    const operation = build(key);
    await ready;
    ensureOpen(callId);
    const intent: CallEvent =
      timeoutMs === undefined
        ? { type: 'operation', key, operation, at: clock.now() }
        : { type: 'operation', key, operation, timeoutMs, at: clock.now() };
    const stepIntent = planStep(intent);
    const outcome = await inTurn(callId, async () => {
      const judged = await update(callId, intent, (current) => {
        const planned = stepIntent(current);
        const refusal = planned.emitted.find((e) => e.type === 'operation.rejected');
        return { ...planned, result: { snapshot: planned.result, refusal } };
      });
      const { snapshot, refusal } = judged;
      if (snapshot === undefined) throw new UnknownCallError(callId);
      if (refusal?.type === 'operation.rejected') {
        throw new OperationRejectedError(
          callId,
          refusal.kind,
          refusal.state,
          refusal.phase,
          refusal.reason,
        );
      }
      // Registered within the call's turn, so the request's answer cannot be applied first.
      const waiting = waiters.operation(callId, key);
      waiters.settle(callId, snapshot);
      return { waiting };
    });
    return outcome.waiting;
  }

  /** POST /communications/calls, sent again only when Graph said it did not take it (throttled). */
  async function postCall(request: PlaceCallRequest): Promise<PlacedCall> {
    const maxAttempts = callOptions.maxCommandAttempts ?? DEFAULT_CALL_OPTIONS.maxCommandAttempts;
    const maxDelay = callOptions.maxRetryDelayMs ?? DEFAULT_CALL_OPTIONS.maxRetryDelayMs;
    for (let attempts = 1; ; attempts += 1) {
      const overdue: PlaceCallResult = {
        ok: false,
        status: 0,
        error: { code: 'Timeout', message: `no answer within ${requestTimeoutMs} ms` },
      };
      const watch = telemetry?.request('placeCall', undefined);
      const result = await bounded(
        attempt(watched(watch, () => client.placeCall(request))),
        overdue,
        watch,
      );
      if (result.ok) return result.call;
      const throttled =
        result.status === 429 || (result.status === 503 && result.retryAfterMs !== undefined);
      if (!throttled || attempts >= maxAttempts || closed) {
        throw new CommandFailedError(undefined, 'placeCall', result.status, attempts, result.error);
      }
      const wait = Math.min(result.retryAfterMs ?? 1_000 * 2 ** (attempts - 1), maxDelay);
      await new Promise<void>((resolve) => clock.setTimeout(resolve, wait, true));
      ensureOpen();
    }
  }

  /** When some registry must look at the call next, from the snapshot committed. */
  function dueChangeOf(next: CallSnapshot): DueChange {
    if (next.status !== 'active') return CLEAR;
    const at = Math.min(
      dueAtOf(next) ?? Number.POSITIVE_INFINITY,
      keepAliveDueOf(next) ?? Number.POSITIVE_INFINITY,
    );
    return at === Number.POSITIVE_INFINITY ? CLEAR : { kind: 'set', at };
  }

  /**
   * When an active call's next keepAlive is due: a period after the last one went out, or after
   * the call was established (or adopted), whatever operations it waits on meanwhile. None while
   * the call waits on a request of its own (a transfer): that ends it or brings it back soon.
   */
  function keepAliveDueOf(snapshot: CallSnapshot): number | undefined {
    const { context } = snapshot;
    if (keepAliveMs === 0 || context.deadline !== null) return undefined;
    if (getCallView(snapshot).phase !== 'active') return undefined;
    return (context.keepAliveAt ?? context.establishedAt ?? context.updatedAt) + keepAliveMs;
  }

  function announce(callId: string, emitted: readonly CallEmitted[]): void {
    for (const event of emitted) {
      switch (event.type) {
        case 'graph.deleteCall':
          perform(callId, 'deleteCall', () => client.deleteCall(callId), toDeleteEvent);
          break;
        case 'graph.getCall':
          perform(callId, 'getCall', () => client.getCall(callId), toGetCallEvent);
          break;
        case 'graph.answerCall':
        case 'graph.rejectCall':
        case 'graph.redirectCall':
        case 'graph.transferCall': {
          const verb = verbOfCommand(event);
          perform(
            callId,
            verb,
            () => sendCommand(client, event),
            (r, at) => toCommandEvent(verb, r, at),
          );
          break;
        }
        case 'graph.operation': {
          const { key, operation } = event;
          perform(
            callId,
            operation.kind,
            () => client.runOperation(callId, operation),
            (r, at) => toOperationEvent(key, r, at),
          );
          break;
        }
        case 'call.commandFailed':
          waiters.failCommands(
            callId,
            event.verb,
            new CommandFailedError(callId, event.verb, event.status, event.attempts, event.error),
          );
          emit(event);
          break;
        case 'call.hangUpFailed':
          waiters.failHangUps(
            callId,
            new HangUpFailedError(callId, event.status, event.attempts, event.error),
          );
          emit(event);
          break;
        case 'call.terminated':
          telemetry?.terminated(event.outcome, known.get(callId)?.snapshot.context);
          emit(event);
          break;
        default:
          emit(event);
      }
    }
  }

  // ── Graph requests and their answers ───────────────────────────────────────────────────

  // A request that never answers (a custom client can do that) is the machine's to time out,
  // through the deadline of the state that waits for it; here it only must not hold `idle()`
  // and `close()` forever, so it stops being waited for after the request timeout.
  function perform<R extends GraphResult>(
    callId: string,
    kind: GraphRequestKind,
    request: () => Promise<R>,
    toEvent: (result: R, at: number) => CallEvent,
  ): void {
    const watch = telemetry?.request(kind, callId);
    const work = attempt(watched(watch, request))
      .then((result) =>
        // After close() an answer is not committed: the request's deadline hands the call to
        // whichever registry runs it next.
        closed ? undefined : inTurn(callId, () => applyEvent(callId, toEvent(result, clock.now()))),
      )
      .catch((error: unknown) => report(error, callId));
    keep(bounded(work, undefined, watch));
  }

  /** `work`, or `fallback` once the request timeout has passed (and the request's span ends). */
  function bounded<T, F = undefined>(
    work: Promise<T>,
    fallback?: F,
    watch?: GraphRequestWatch,
  ): Promise<T | F> {
    let timer: TimerHandle | undefined;
    const timeout = new Promise<F>((resolve) => {
      timer = clock.setTimeout(() => {
        watch?.abandon();
        resolve(fallback as F);
      }, requestTimeoutMs);
    });
    return Promise.race([work, timeout]).finally(() => clock.clearTimeout(timer));
  }

  async function keepAlive(callId: string, watch?: GraphRequestWatch): Promise<void> {
    const result = await attempt(watched(watch, () => client.keepAlive(callId)));
    if (!result.ok && result.status !== 404) {
      const detail = result.error?.message === undefined ? '' : `: ${result.error.message}`;
      const why = `failed with status ${result.status}${detail}; retrying at the next period`;
      report(new Error(`graph-call-machine: keepAlive for call "${callId}" ${why}.`), callId);
    }
    // The machine takes the answer: 404 ends the call, anything else starts the next period.
    if (closed) return;
    await inTurn(callId, () =>
      applyEvent(callId, { type: 'keepAlive.result', status: result.status, at: clock.now() }),
    );
  }

  // ── due calls: deadlines and keepAlives ────────────────────────────────────────────────

  async function handleDue(callId: string, leaseUntil: number): Promise<void> {
    const current = await load(callId);
    if (current === undefined || current.snapshot.status !== 'active') {
      if (current === undefined) waiters.vanished(callId);
      await store.reschedule(callId, CLEAR, leaseUntil);
      return;
    }
    const now = clock.now();
    const keepAliveAt = keepAliveDueOf(current.snapshot);
    const keepingAlive = keepAliveAt !== undefined && keepAliveAt <= now;
    if (keepingAlive) {
      const watch = telemetry?.request('keepAlive', callId);
      const work = keepAlive(callId, watch).catch((error: unknown) => report(error, callId));
      keep(bounded(work, undefined, watch));
    }
    const deadline = dueAtOf(current.snapshot);
    if (deadline !== undefined && deadline <= now) {
      const after = await applyEvent(callId, { type: 'deadline.reached', at: now });
      if (after !== current.snapshot) return;
      // A deadline already past that the machine ignores (a provided machine's rule) is looked
      // at again a lease later, not at once: it would otherwise be claimed again and again.
      report(
        new Error(
          `graph-call-machine: the machine ignored the due deadline of call "${callId}" (${deadline}); it is tried again in ${leaseMs} ms.`,
        ),
        callId,
      );
      await store.reschedule(callId, { kind: 'set', at: clock.now() + leaseMs }, leaseUntil);
      armDueTimer();
      return;
    }
    // The keepAlive's answer commits the next due time (or the lease brings the call back).
    if (keepingAlive) return;
    // Claimed before anything was due by this clock (clocks differ between instances): put the
    // due time back where the call says.
    await store.reschedule(callId, dueChangeOf(current.snapshot), leaseUntil);
    armDueTimer();
  }

  async function claim(): Promise<void> {
    if (claiming || closed) return;
    claiming = true;
    try {
      const now = clock.now();
      const leaseUntil = now + leaseMs;
      for (;;) {
        const claimed = await store.claimDue(now, claimBatch, leaseUntil);
        for (const callId of claimed) {
          inTurn(callId, () => handleDue(callId, leaseUntil)).catch((error: unknown) =>
            report(error, callId),
          );
        }
        if (claimed.length < claimBatch || closed) break;
      }
      if (!inProcess || waiters.count > 0) await refreshWatched();
      pollFailing = false;
    } catch (error) {
      // Reported once per outage, not once per poll.
      if (!pollFailing) report(error);
      pollFailing = true;
    } finally {
      claiming = false;
    }
    sweep(clock.now());
    armDueTimer();
  }

  /**
   * Arms the one timer of the registry: at the store's next due time when it knows it (in
   * process), else at the next poll. While somebody awaits a promise of the registry, the timer
   * holds the process open, so a script that only awaits a hang-up or a `waitFor` does not exit
   * before the deadline that settles it.
   */
  function armDueTimer(rearm = false): void {
    if (closed) return;
    const held = waiters.count > 0;
    const next = inProcess ? store.nextDueAt?.() : undefined;
    let at = inProcess ? next : (dueTimer?.at ?? clock.now() + pollMs * (0.75 + Math.random() / 2));
    // Calls that others may move are read again at the poll period while somebody waits on them.
    if (inProcess && held) at = Math.min(at ?? Number.POSITIVE_INFINITY, clock.now() + pollMs);
    // The oldest ended call leaves the cache on time even when nothing else is due.
    const sweepAt = ended.peek();
    if (sweepAt !== undefined) at = Math.min(at ?? Number.POSITIVE_INFINITY, sweepAt);
    if (dueTimer !== undefined) {
      // A timer armed earlier than needed only leads to a claim that finds nothing yet.
      const soonEnough = at === undefined || dueTimer.at <= at;
      if (!rearm && dueTimer.held === held && soonEnough) return;
      clock.clearTimeout(dueTimer.handle);
      dueTimer = undefined;
    }
    if (at === undefined) return;
    const timer = {
      at,
      held,
      handle: clock.setTimeout(
        () => {
          if (dueTimer === timer) dueTimer = undefined;
          keep(claim());
        },
        Math.max(0, at - clock.now()),
        held,
      ),
    };
    dueTimer = timer;
  }

  // Calls someone here waits on may be moved by other registries: read them again.
  async function refreshWatched(): Promise<void> {
    await Promise.all(
      waiters.watched().map(async (callId) => {
        if (turns.has(callId)) return;
        const current = await load(callId);
        if (current === undefined) waiters.vanished(callId);
        else waiters.settle(callId, current.snapshot);
      }),
    );
  }

  // Ended calls leave the cache retainTerminatedMs after their end, unless somebody waits on them.
  function sweep(now: number): void {
    for (let callId = ended.popDue(now); callId !== undefined; callId = ended.popDue(now)) {
      if (known.get(callId)?.snapshot.status === 'done' && !waiters.has(callId)) forget(callId);
    }
  }

  async function recover(): Promise<void> {
    if (options.recoverOnStart === false) return;
    try {
      const listed = store.ids();
      const ids = Symbol.asyncIterator in listed ? listed : await listed;
      for await (const callId of ids) {
        if (closed) return;
        try {
          const current = await load(callId);
          if (current === undefined) continue;
          const due = dueChangeOf(current.snapshot);
          if (due.kind !== 'clear') await store.reschedule(callId, { kind: 'keep', at: due.at });
        } catch (error) {
          report(error, callId);
        }
      }
    } catch (error) {
      report(error);
    }
    armDueTimer();
  }

  function viewOf(callId: string): CallView | undefined {
    const cached = known.get(callId);
    return cached === undefined ? undefined : getCallView(cached.snapshot);
  }

  function ensureOpen(callId?: string): void {
    if (closed) throw new RegistryClosedError(callId);
  }

  async function idle(): Promise<void> {
    while (pending.size > 0) await Promise.allSettled([...pending]);
  }

  // ── notifications ──────────────────────────────────────────────────────────────────────

  function planNotification(event: Extract<CallEvent, { type: 'notification' }>) {
    const { notification, at } = event;
    const stepKnown = planStep(event);
    return (current: Known | undefined): Plan<{ verdict: NotificationVerdict; found: boolean }> => {
      const callId = notification.callId;
      if (current !== undefined) {
        const planned = stepKnown(current);
        return {
          ...planned,
          result: { verdict: verdictOfStep(planned.emitted) ?? 'unchanged', found: false },
        };
      }
      if (notification.resource !== 'call') {
        return {
          result: { verdict: 'subresource', found: false },
          emitted: [{ type: 'notification.subresource', callId, notification, at }],
        };
      }
      const input: CallInput = { callId, discoveredBy: notification, at, options: callOptions };
      const started = startCall(input, machine);
      return {
        result: { verdict: verdictOfStep(started.emitted) ?? 'apply', found: true },
        emitted: started.emitted,
        write: started.snapshot,
        started: input,
      };
    };
  }

  function capacityRejection(notification: CallNotification): RejectedNotification {
    return {
      index: notification.index,
      code: 'capacity',
      field: `value[${notification.index}]`,
      message: `not applied: call "${notification.callId}" is new and the registry already holds ${maxCalls} live calls (maxCalls)`,
      raw: notification.raw,
    };
  }

  const ready = recover();

  return {
    ready,

    async ingest(body: unknown): Promise<IngestReport> {
      await ready;
      ensureOpen();
      // Started before parsing: a large body is read in slices too, between turns of the loop.
      const pace = pacer();
      const notifications: CallNotification[] = [];
      const rejected: RejectedNotification[] = [];
      const opened = openEnvelope(body);
      if ('rejection' in opened) rejected.push(opened.rejection);
      else {
        const { length } = opened.items;
        for (let from = 0; from < length; from += PARSE_SLICE_ITEMS) {
          const wait = pace();
          if (wait !== undefined) await wait;
          readItems(
            opened,
            from,
            Math.min(from + PARSE_SLICE_ITEMS, length),
            notifications,
            rejected,
          );
        }
      }
      for (const rejection of rejected) emit({ type: 'notification.rejected', rejection });
      const at = clock.now();
      const counts: Record<NotificationVerdict, number> = {
        apply: 0,
        unchanged: 0,
        stale: 0,
        late: 0,
        subresource: 0,
      };
      let unknownCalls = 0;
      const refused: RejectedNotification[] = [];
      const failures: IngestFailure[] = [];
      const byCall = new Map<string, CallNotification[]>();
      for (const notification of notifications) {
        const list = byCall.get(notification.callId);
        if (list === undefined) byCall.set(notification.callId, [notification]);
        else list.push(notification);
      }
      // Calls in parallel, at most INGEST_CONCURRENCY at once; each call's notifications in order.
      const applyCall = async (callId: string, items: CallNotification[]): Promise<void> => {
        for (let position = 0; position < items.length; position += 1) {
          const notification = items[position] as CallNotification;
          const wait = pace();
          if (wait !== undefined) await wait;
          try {
            const event = { type: 'notification', notification, at } as const;
            const { verdict, found } = await update(callId, event, planNotification(event));
            counts[verdict] += 1;
            if (found) unknownCalls += 1;
          } catch (caught) {
            if (caught instanceof CapacityError) {
              const rejection = capacityRejection(notification);
              refused.push(rejection);
              emit({ type: 'notification.rejected', rejection });
              continue;
            }
            const error = caught instanceof Error ? caught : new Error(String(caught));
            report(error, callId);
            // The call's later notifications wait for the redelivery too, to stay in order.
            for (const rest of items.slice(position)) {
              failures.push({ callId, index: rest.index, error });
            }
            return;
          }
        }
      };
      if (byCall.size === 1) {
        // Graph's usual POST: one call, no pool to run.
        for (const [callId, items] of byCall) await inTurn(callId, () => applyCall(callId, items));
      } else if (byCall.size > 1) {
        const calls = byCall.entries();
        const worker = async (): Promise<void> => {
          for (let next = calls.next(); next.done !== true; next = calls.next()) {
            const [callId, items] = next.value;
            await inTurn(callId, () => applyCall(callId, items));
          }
        };
        await Promise.all(
          Array.from({ length: Math.min(byCall.size, INGEST_CONCURRENCY) }, worker),
        );
      }
      const all = refused.length === 0 ? rejected : [...rejected, ...refused];
      telemetry?.notifications(counts, all);
      const result: IngestReport = {
        applied: counts.apply,
        unchanged: counts.unchanged,
        stale: counts.stale,
        late: counts.late,
        subresource: counts.subresource,
        rejected: all.length,
        unknownCalls,
        rejections: all,
      };
      if (failures.length > 0) {
        throw new IngestIncompleteError(
          result,
          failures.sort((a, b) => a.index - b.index),
        );
      }
      return result;
    },

    async track(callId, trackOptions = {}) {
      const problem = typeof callId === 'string' ? callIdProblem(callId) : 'it is not a string';
      if (problem !== undefined) throw new InvalidCallIdError(String(callId), problem);
      const { state, etag }: { state?: unknown; etag?: unknown } = trackOptions;
      // Checked here because a JavaScript caller is not held to the types: a state the chart
      // does not know would be stored, and the record refused at its next restore.
      if (state !== undefined && !isKnownCallState(state)) {
        throw new TypeError(
          `registry.track: state must be a call state, got ${JSON.stringify(state)}.`,
        );
      }
      if (etag !== undefined && typeof etag !== 'string') {
        throw new TypeError(`registry.track: etag must be a string, got ${typeof etag}.`);
      }
      await ready;
      ensureOpen(callId);
      const input: CallInput = {
        callId,
        at: clock.now(),
        options: callOptions,
        ...(trackOptions.state === undefined ? {} : { state: trackOptions.state }),
        ...(trackOptions.etag === undefined ? {} : { etag: trackOptions.etag }),
      };
      return getCallView(await adopt(input));
    },

    async hangUp(callId) {
      await ready;
      ensureOpen(callId);
      const outcome = await inTurn(callId, async () => {
        const snapshot = await applyEvent(callId, { type: 'hangUp', at: clock.now() });
        if (snapshot === undefined) throw new UnknownCallError(callId);
        if (!isHangUpPending(snapshot)) return { view: getCallView(snapshot) };
        // Registered within the call's turn, so the DELETE's answer cannot be applied first.
        return { waiting: waiters.hangUp(callId) };
      });
      return 'view' in outcome ? outcome.view : outcome.waiting;
    },

    // async, so that a request refused by its checks rejects like every other failure.
    answer: async (callId, request) =>
      command(callId, { type: 'answer', request: checkAnswer(request), at: clock.now() }),

    reject: async (callId, reason = 'none', rejectOptions = {}) =>
      command(callId, {
        type: 'reject',
        request: checkReject(reason, rejectOptions.callbackUri),
        at: clock.now(),
      }),

    redirect: async (callId, targets, redirectOptions = {}) =>
      command(callId, {
        type: 'redirect',
        request: checkRedirect(targets, redirectOptions),
        at: clock.now(),
      }),

    transfer: async (callId, target, transferOptions = {}) =>
      command(callId, {
        type: 'transfer',
        request: checkTransfer(target, transferOptions.transferee),
        at: clock.now(),
      }),

    async placeCall(request) {
      const body = checkPlaceCall(request);
      await ready;
      ensureOpen();
      // Checked before Graph creates a call this registry could then not hold.
      if (!(await admit())) throw new CapacityError('(a new call)', maxCalls);
      admitting -= 1;
      const placed = await keep(postCall(body));
      const callId = placed.id;
      const input: CallInput = {
        callId,
        at: clock.now(),
        options: callOptions,
        direction: placed.direction ?? 'outgoing',
        ...(placed.state !== undefined && isKnownCallState(placed.state)
          ? { state: placed.state }
          : {}),
        ...(placed.etag === undefined ? {} : { etag: placed.etag }),
        ...(placed.myParticipantId === undefined
          ? {}
          : { myParticipantId: placed.myParticipantId }),
      };
      try {
        // Its notifications may have come first and stored it: that record wins.
        return getCallView(await adopt(input));
      } catch (error) {
        // Graph has the call: say which, so that the bot can hang it up.
        throw new CallError(
          `graph-call-machine: Graph created call "${callId}" but the registry could not track it: ${(error as Error).message}`,
          callId,
          { cause: error },
        );
      }
    },

    playPrompt: async (callId, prompts, promptOptions = {}) =>
      operate(
        callId,
        (key) => playPromptOperation(key, prompts, promptOptions.loop),
        checkTimeout('playPrompt', promptOptions.timeoutMs),
      ),

    recordResponse: async (callId, recordOptions = {}) => {
      const { timeoutMs, ...rest } = recordOptions;
      return operate(
        callId,
        (key) => recordResponseOperation(key, rest),
        checkTimeout('recordResponse', timeoutMs),
      );
    },

    cancelMediaProcessing: async (callId) =>
      operate(callId, (clientContext) => ({
        kind: 'cancelMediaProcessing',
        request: { clientContext },
      })),

    subscribeToTone: async (callId) =>
      operate(callId, (clientContext) => ({ kind: 'subscribeToTone', request: { clientContext } })),

    sendDtmfTones: async (callId, tones, toneOptions = {}) =>
      operate(
        callId,
        (key) => sendDtmfTonesOperation(key, tones, toneOptions.delayBetweenTonesMs),
        checkTimeout('sendDtmfTones', toneOptions.timeoutMs),
      ),

    mute: async (callId) =>
      operate(callId, (clientContext) => ({ kind: 'mute', request: { clientContext } })),

    unmute: async (callId) =>
      operate(callId, (clientContext) => ({ kind: 'unmute', request: { clientContext } })),

    updateRecordingStatus: async (callId, status) =>
      operate(callId, (key) => recordingStatusOperation(key, status)),

    invite: async (callId, participants, inviteOptions = {}) =>
      operate(
        callId,
        (key) => inviteOperation(key, participants),
        checkTimeout('invite', inviteOptions.timeoutMs),
      ),

    removeParticipant: async (callId, participantId) =>
      operate(callId, () => removeParticipantOperation(participantId)),

    participants(callId) {
      const cached = known.get(callId);
      return cached === undefined ? [] : participantsOf(cached.snapshot);
    },

    get: viewOf,

    calls() {
      const views: CallView[] = [];
      for (const { snapshot } of known.values()) views.push(getCallView(snapshot));
      return views;
    },

    addRecorder(recorder) {
      const sink = recorderSink(recorder);
      recorders.add(sink);
      return () => {
        recorders.delete(sink);
      };
    },

    async read(callId) {
      const current = await load(callId);
      if (current !== undefined) waiters.settle(callId, current.snapshot);
      return current === undefined ? undefined : getCallView(current.snapshot);
    },

    async waitFor(callId, until, waitOptions = {}) {
      const timeoutMs = waitOptions.timeoutMs ?? waitTimeoutMs;
      if (!(timeoutMs >= 0)) {
        throw new RangeError(
          `registry.waitFor: timeoutMs must be 0 or more (Infinity waits for ever), got ${String(timeoutMs)}.`,
        );
      }
      if (until !== 'terminated' && typeof until !== 'function') {
        throw new TypeError("registry.waitFor: until must be 'terminated' or a predicate.");
      }
      await ready;
      ensureOpen(callId);
      const predicate: CallPredicate =
        until === 'terminated' ? (view) => view.phase === 'terminated' : until;
      const cached = known.get(callId);
      const waiting = waiters.waitFor(callId, predicate, timeoutMs, () => viewOf(callId)?.state);
      if (cached !== undefined) waiters.settle(callId, cached.snapshot);
      // Judged against the stored call too, not only against what this registry saw last.
      keep(
        load(callId).then(
          (current) => {
            if (current !== undefined) waiters.settle(callId, current.snapshot);
          },
          (error: unknown) => report(error, callId),
        ),
      );
      return waiting;
    },

    on(type, listener) {
      return listeners.on(type, listener);
    },

    idle,

    async close() {
      if (closed) return;
      closed = true;
      if (dueTimer !== undefined) clock.clearTimeout(dueTimer.handle);
      dueTimer = undefined;
      await ready.catch(noop);
      telemetry?.close();
      waiters.close();
      // Store work under way finishes; requests in flight are not waited for.
      while (turns.size > 0) await Promise.allSettled([...turns.values()]);
      known.clear();
    },
  };
}

/** Whether a step changed what is stored: a step that only handed news on writes nothing. */
function moved(before: CallSnapshot, after: CallSnapshot): boolean {
  // The chart has no parallel states, so matching the other's whole value means being in it.
  return (
    before !== after &&
    (before.context !== after.context ||
      before.status !== after.status ||
      !before.matches(after.value))
  );
}

/**
 * Paces one envelope: its notifications run until `INGEST_SLICE_MS` have passed, then wait for
 * the event loop to turn once, and so on. On a memory store every await of a turn is a
 * microtask, so without it one POST of 10 000 new calls (40 µs or more each) would hold timers,
 * sockets and every other request for half a second. With at most `INGEST_CONCURRENCY` calls in
 * flight, a slice overruns by at most that many notifications. A small envelope never waits: the
 * returned function answers `undefined` while the slice lasts. The time is the process's
 * (`performance.now()`), not the registry's clock: it measures work, not call time, and fake
 * timers that freeze it only turn the pacing off.
 */
function pacer(): () => Promise<void> | undefined {
  let sliceStart = performance.now();
  let turning: Promise<void> | undefined;
  return () => {
    if (turning !== undefined) return turning;
    if (performance.now() - sliceStart < INGEST_SLICE_MS) return undefined;
    turning = yieldToEventLoop().then(() => {
      turning = undefined;
      sliceStart = performance.now();
    });
    return turning;
  };
}

interface RecorderSink {
  readonly record: FlightRecorder;
  readonly options: FlightRecorderOptions;
}

function recorderSink(recorder: NonNullable<CallRegistryOptions['recorder']>): RecorderSink {
  if (typeof recorder === 'function') return { record: recorder, options: {} };
  if (typeof recorder !== 'object' || recorder === null || typeof recorder.record !== 'function') {
    throw new TypeError(
      'recorder must be a function of a FlightRecord, or an object with a record function and options.',
    );
  }
  return { record: (record) => recorder.record(record), options: recorder };
}

/** Runs `request`, turning a synchronous throw into a rejection. */
function attempt<R>(request: () => Promise<R>): Promise<R> {
  try {
    return request();
  } catch (error) {
    return Promise.reject(error);
  }
}

function noop(): void {}
