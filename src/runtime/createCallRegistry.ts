/**
 * The call registry: the imperative shell around the pure machine. It routes notifications to
 * their calls, performs the Graph requests the machines ask for and feeds the results back,
 * arms the deadlines the machines record, keeps calls alive, persists every call, and evicts
 * ended ones.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createCallRegistry, createWebhookHandler, toNodeListener } from 'graph-call-machine';
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
import type { ActorOptions } from 'xstate';
import type { CallNotification } from '../graph/notification.js';
import { parseNotifications } from '../graph/parseNotifications.js';
import { callMachine } from '../machine/callMachine.js';
import { classifyNotification } from '../machine/classifyNotification.js';
import { viewOfContext } from '../machine/context.js';
import { verdictOf } from '../machine/guards.js';
import { persistCallSnapshot } from '../machine/persistCallSnapshot.js';
import type {
  CallEmitted,
  CallEvent,
  CallInput,
  CallOptions,
  CallView,
  NotificationVerdict,
} from '../machine/types.js';
import { actorDriver, type CallDriver, type DriverStart, snapshotDriver } from './callDriver.js';
import { CALL_RECORD_SCHEMA_VERSION, checkRecord } from './callRecords.js';
import { type Clock, systemClock } from './clock.js';
import {
  HangUpFailedError,
  RegistryClosedError,
  StoreConflictError,
  UnknownCallError,
  WaitTimeoutError,
} from './errors.js';
import type { GraphClientOptions } from './graphClient.js';
import { graphClientOf, pickCallOptions, toDeleteEvent, toGetCallEvent } from './graphEvents.js';
import { emptyTally, ingestReport } from './ingestTally.js';
import { MemoryCallStore } from './memoryCallStore.js';
import { RegistryListeners } from './registryListeners.js';
import { type QueuedTimer, TimerQueue } from './timerQueue.js';
import type {
  CallPredicate,
  CallRecord,
  CallRegistry,
  CallStore,
  GraphClient,
  IngestReport,
  RegistryEvent,
} from './types.js';

/** Options of {@link createCallRegistry}. The call options apply to every call. */
export interface CallRegistryOptions extends CallOptions {
  /** A Graph client, or the options to create the default one over `fetch`. */
  readonly graph: GraphClient | GraphClientOptions;
  /** Where calls are persisted. Default: a new {@link MemoryCallStore}. */
  readonly store?: CallStore;
  /**
   * The call machine to run: `callMachine.provide({ guards, actions })` to customise a rule.
   * Default `callMachine`. Stored snapshots must come from the same chart.
   */
  readonly machine?: typeof callMachine;
  /** Passed to every call actor: `@statelyai/inspect` or any xstate inspection observer. */
  readonly inspect?: ActorOptions<typeof callMachine>['inspect'];
  /** Time and timers. Default: the system clock, with unref'd timers. */
  readonly clock?: Clock;
  /** keepAlive period while a call is active. Default 15 min (Graph ends calls idle for 45); 0 turns it off. */
  readonly keepAliveMs?: number;
  /** How long an ended call stays readable (and absorbs late notifications). Default 5 min. */
  readonly retainTerminatedMs?: number;
  /** Default timeout of `waitFor`. Default 30 s. */
  readonly waitTimeoutMs?: number;
}

interface Waiter {
  readonly until: CallPredicate;
  readonly resolve: (view: CallView) => void;
  readonly reject: (error: Error) => void;
  timer: QueuedTimer | undefined;
}

interface Entry {
  readonly callId: string;
  readonly driver: CallDriver;
  version: number;
  saving: Promise<void>;
  saveQueued: boolean;
  deadlineTimer: QueuedTimer | undefined;
  armedDeadline: number | undefined;
  keepAliveTimer: QueuedTimer | undefined;
  keepAliveInFlight: boolean;
  evictTimer: QueuedTimer | undefined;
  hangUps: { resolve: (view: CallView) => void; reject: (error: Error) => void }[];
  stopped: boolean;
}

const SETTLED: Promise<void> = Promise.resolve();
const DEFAULT_KEEP_ALIVE_MS = 15 * 60_000;
const DEFAULT_RETAIN_TERMINATED_MS = 5 * 60_000;
const DEFAULT_WAIT_TIMEOUT_MS = 30_000;

/**
 * Creates a call registry. Calls already in `options.store` are restored in the background
 * (`registry.ready`); `ingest`, `hangUp` and `waitFor` wait for that, so nothing is applied
 * to a call before it is back.
 *
 * @example
 * ```ts
 * const registry = createCallRegistry({
 *   graph: { getToken: async () => (await credential.getToken('https://graph.microsoft.com/.default')).token },
 *   confirmTimeoutMs: 20_000,
 * });
 * registry.on('registry.error', ({ error }) => log.error(error));
 * ```
 */
export function createCallRegistry(
  options: CallRegistryOptions,
): CallRegistry & { readonly ready: Promise<void> } {
  const client = graphClientOf(options.graph);
  const store = options.store ?? new MemoryCallStore();
  const clock = options.clock ?? systemClock;
  const keepAliveMs = options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
  const retainMs = options.retainTerminatedMs ?? DEFAULT_RETAIN_TERMINATED_MS;
  const waitTimeoutMs = options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  const callOptions: CallOptions = pickCallOptions(options);
  const machine = options.machine ?? callMachine;
  const timers = new TimerQueue(clock);

  const calls = new Map<string, Entry>();
  const waiters = new Map<string, Set<Waiter>>();
  const listeners = new RegistryListeners();
  let closed = false;

  const emit = (event: RegistryEvent): void => listeners.emit(event);
  const report = (error: unknown, callId?: string): void => listeners.report(error, callId);

  function startEntry(callId: string, init: { input: CallInput } | { snapshot: unknown }): Entry {
    const start: DriverStart =
      'input' in init ? { input: init.input } : { callId, persisted: init.snapshot };
    // Entries are made before their driver, which reports to them from its first step.
    const entry = {
      callId,
      version: 0,
      saving: SETTLED,
      saveQueued: false,
      deadlineTimer: undefined,
      armedDeadline: undefined,
      keepAliveTimer: undefined,
      keepAliveInFlight: false,
      evictTimer: undefined,
      hangUps: [],
      stopped: false,
    } as Omit<Entry, 'driver'> as Entry;
    const hooks = {
      emitted: (emitted: CallEmitted) => onEmitted(entry, emitted),
      changed: () => onSnapshot(entry),
      failed: (error: unknown) => report(error, callId),
    };
    // Live actors only when an inspector watches: stepping snapshots does the same work
    // without an actor's mailbox and observers (see docs/performance.md).
    (entry as { driver: CallDriver }).driver =
      options.inspect === undefined
        ? snapshotDriver(machine, start, hooks)
        : actorDriver(machine, start, hooks, options.inspect);
    calls.set(callId, entry);
    entry.driver.start();
    return entry;
  }

  function onEmitted(entry: Entry, emitted: CallEmitted): void {
    switch (emitted.type) {
      case 'graph.deleteCall':
        performDelete(entry);
        return;
      case 'graph.getCall':
        performGetCall(entry);
        return;
      case 'call.hangUpFailed': {
        const failure = new HangUpFailedError(
          entry.callId,
          emitted.status,
          emitted.attempts,
          emitted.error,
        );
        for (const waiter of entry.hangUps.splice(0)) waiter.reject(failure);
        emit(emitted);
        return;
      }
      case 'call.stateChanged':
      case 'call.terminated':
      case 'call.notification':
      case 'notification.subresource':
      case 'notification.ignored':
        emit(emitted);
        return;
      default:
        assertNever(emitted);
    }
  }

  function onSnapshot(entry: Entry): void {
    if (entry.stopped) return;
    queueSave(entry);
    syncTimers(entry);
    settle(entry);
  }

  // Many events for one call in the same tick cost one save: the save reads the snapshot when
  // it runs, and saves of one call never overlap, so versions only go up.
  function queueSave(entry: Entry): void {
    if (entry.saveQueued) return;
    entry.saveQueued = true;
    entry.saving = entry.saving.then(() => persist(entry));
  }

  async function persist(entry: Entry): Promise<void> {
    entry.saveQueued = false;
    const record: CallRecord = {
      schemaVersion: CALL_RECORD_SCHEMA_VERSION,
      version: entry.version + 1,
      snapshot: persistCallSnapshot(entry.driver.snapshot()),
      savedAt: clock.now(),
    };
    try {
      if (await store.save(entry.callId, record, entry.version)) {
        entry.version = record.version;
      } else {
        report(new StoreConflictError(entry.callId, entry.version), entry.callId);
      }
    } catch (error) {
      report(error, entry.callId);
    }
  }

  function syncTimers(entry: Entry): void {
    if (entry.stopped) return;
    const snapshot = entry.driver.snapshot();
    const deadline = snapshot.status === 'active' ? snapshot.context.deadline : null;
    if (deadline?.at !== entry.armedDeadline) {
      entry.deadlineTimer?.cancel();
      entry.deadlineTimer = undefined;
      entry.armedDeadline = deadline?.at;
      if (deadline !== null) {
        entry.deadlineTimer = timers.schedule(deadline.at, () => {
          entry.deadlineTimer = undefined;
          entry.armedDeadline = undefined;
          send(entry, { type: 'deadline.reached', at: clock.now() });
          // A timer can fire a hair early; the machine then ignores it and we arm again.
          syncTimers(entry);
        });
      }
    }

    const active = snapshot.status === 'active' && snapshot.hasTag('active');
    if (!active || keepAliveMs <= 0) {
      entry.keepAliveTimer?.cancel();
      entry.keepAliveTimer = undefined;
    } else if (entry.keepAliveTimer === undefined && !entry.keepAliveInFlight) {
      entry.keepAliveTimer = timers.schedule(clock.now() + keepAliveMs, () => {
        entry.keepAliveTimer = undefined;
        performKeepAlive(entry);
      });
    }

    if (snapshot.status === 'done' && entry.evictTimer === undefined) {
      const endedAt = snapshot.context.outcome?.at ?? clock.now();
      entry.evictTimer = timers.schedule(endedAt + retainMs, () => evict(entry));
    }
  }

  function settle(entry: Entry): void {
    if (entry.hangUps.length === 0 && !waiters.has(entry.callId)) return;
    const snapshot = entry.driver.snapshot();
    const view = viewOfContext(snapshot.context);
    if (entry.hangUps.length > 0) {
      const pending =
        snapshot.matches({ terminating: 'hangingUp' }) ||
        snapshot.matches({ terminating: 'retryWait' });
      if (!pending) for (const waiter of entry.hangUps.splice(0)) waiter.resolve(view);
    }
    const set = waiters.get(entry.callId);
    if (set === undefined) return;
    for (const waiter of set) {
      if (!waiter.until(view)) continue;
      set.delete(waiter);
      waiter.timer?.cancel();
      waiter.resolve(view);
    }
    if (set.size === 0) waiters.delete(entry.callId);
  }

  function send(entry: Entry, event: CallEvent): void {
    if (entry.stopped || entry.driver.snapshot().status !== 'active') return;
    entry.driver.send(event);
  }

  function performDelete(entry: Entry): void {
    void client.deleteCall(entry.callId).then((result) => {
      send(entry, toDeleteEvent(result, clock.now()));
    });
  }

  function performGetCall(entry: Entry): void {
    void client.getCall(entry.callId).then((result) => {
      send(entry, toGetCallEvent(result, clock.now()));
    });
  }

  function performKeepAlive(entry: Entry): void {
    entry.keepAliveInFlight = true;
    void client.keepAlive(entry.callId).then((result) => {
      entry.keepAliveInFlight = false;
      if (entry.stopped) return;
      if (!result.ok && result.status === 404) {
        send(entry, { type: 'keepAlive.result', status: 404, at: clock.now() });
      } else if (!result.ok) {
        const detail = result.error?.message === undefined ? '' : `: ${result.error.message}`;
        report(
          new Error(
            `graph-call-machine: keepAlive for call "${entry.callId}" failed with status ${result.status}${detail}; retrying at the next period.`,
          ),
          entry.callId,
        );
      }
      syncTimers(entry);
    });
  }

  function evict(entry: Entry): void {
    if (calls.get(entry.callId) === entry) calls.delete(entry.callId);
    entry.saving = stop(entry).then(async () => {
      try {
        await store.delete(entry.callId);
      } catch (error) {
        report(error, entry.callId);
      }
    });
  }

  // Takes the call out of service at once (no more events, timers or saves), and stops its
  // actor only after the saves already queued have run: a stopped actor's snapshot says
  // `stopped`, which must never be what gets persisted.
  function stop(entry: Entry): Promise<void> {
    if (!entry.stopped) {
      entry.stopped = true;
      entry.deadlineTimer?.cancel();
      entry.keepAliveTimer?.cancel();
      entry.evictTimer?.cancel();
      entry.deadlineTimer = entry.keepAliveTimer = entry.evictTimer = undefined;
      entry.saving = entry.saving.then(() => {
        entry.driver.stop();
      });
    }
    return entry.saving;
  }

  // After a restore nothing re-runs the entry actions that asked for a request: what must be
  // pending is read off the snapshot instead. Re-sending a DELETE is safe, 404 means done.
  function resumePending(entry: Entry): void {
    const snapshot = entry.driver.snapshot();
    if (snapshot.matches({ terminating: 'hangingUp' })) performDelete(entry);
    else if (snapshot.matches({ terminating: 'verifying' })) performGetCall(entry);
    syncTimers(entry);
  }

  async function restoreAll(): Promise<void> {
    let ids: AsyncIterable<string> | Iterable<string>;
    try {
      const listed = store.ids();
      ids = Symbol.asyncIterator in listed ? listed : await listed;
    } catch (error) {
      report(error);
      return;
    }
    for await (const callId of ids) {
      if (closed) return;
      if (calls.has(callId)) continue;
      try {
        restoreOne(callId, await store.load(callId));
      } catch (error) {
        report(error, callId);
      }
    }
  }

  function restoreOne(callId: string, record: CallRecord | undefined): void {
    if (record === undefined) return;
    checkRecord(callId, record);
    const entry = startEntry(callId, { snapshot: record.snapshot });
    entry.version = record.version;
    resumePending(entry);
  }

  const ready = restoreAll();

  function viewOf(callId: string): CallView | undefined {
    const entry = calls.get(callId);
    return entry === undefined ? undefined : viewOfContext(entry.driver.snapshot().context);
  }

  function ensureOpen(callId?: string): void {
    if (closed) throw new RegistryClosedError(callId);
  }

  return {
    ready,

    async ingest(body: unknown): Promise<IngestReport> {
      await ready;
      ensureOpen();
      const { notifications, rejected } = parseNotifications(body);
      const counts = emptyTally();
      let unknownCalls = 0;
      const touched = new Set<Entry>();
      for (const rejection of rejected) emit({ type: 'notification.rejected', rejection });
      const at = clock.now();
      for (const notification of notifications) {
        const entry = calls.get(notification.callId);
        if (entry === undefined) {
          if (notification.resource !== 'call') {
            counts.subresource++;
            emit({
              type: 'notification.subresource',
              callId: notification.callId,
              notification,
              at,
            });
            continue;
          }
          unknownCalls++;
          counts.apply++;
          touched.add(
            startEntry(notification.callId, {
              input: {
                callId: notification.callId,
                discoveredBy: notification,
                at,
                options: callOptions,
              },
            }),
          );
          continue;
        }
        counts[deliver(entry, notification, at)]++;
        touched.add(entry);
      }
      await Promise.all([...touched].map((entry) => entry.saving));
      return ingestReport(counts, rejected, unknownCalls);
    },

    track(callId, trackOptions = {}) {
      ensureOpen(callId);
      const known = viewOf(callId);
      if (known !== undefined) return known;
      const input: CallInput = { callId, at: clock.now(), options: callOptions };
      const entry = startEntry(callId, {
        input: {
          ...input,
          ...(trackOptions.state === undefined ? {} : { state: trackOptions.state }),
          ...(trackOptions.etag === undefined ? {} : { etag: trackOptions.etag }),
        },
      });
      return viewOfContext(entry.driver.snapshot().context);
    },

    async hangUp(callId) {
      await ready;
      ensureOpen(callId);
      const entry = calls.get(callId);
      if (entry === undefined) throw new UnknownCallError(callId);
      const snapshot = entry.driver.snapshot();
      if (snapshot.status !== 'active') return viewOfContext(snapshot.context);
      return new Promise<CallView>((resolve, reject) => {
        entry.hangUps.push({ resolve, reject });
        entry.driver.send({ type: 'hangUp', at: clock.now() });
        settle(entry);
      });
    },

    get: viewOf,

    async waitFor(callId, until, waitOptions = {}) {
      await ready;
      ensureOpen(callId);
      const predicate: CallPredicate =
        until === 'terminated' ? (view) => view.phase === 'terminated' : until;
      const current = viewOf(callId);
      if (current !== undefined && predicate(current)) return current;
      const timeoutMs = waitOptions.timeoutMs ?? waitTimeoutMs;
      return new Promise<CallView>((resolve, reject) => {
        const waiter: Waiter = { until: predicate, resolve, reject, timer: undefined };
        let set = waiters.get(callId);
        if (set === undefined) {
          set = new Set();
          waiters.set(callId, set);
        }
        set.add(waiter);
        waiter.timer = timers.schedule(clock.now() + timeoutMs, () => {
          waiters.get(callId)?.delete(waiter);
          reject(new WaitTimeoutError(callId, timeoutMs, viewOf(callId)?.state));
        });
      });
    },

    on(type, listener) {
      return listeners.on(type, listener);
    },

    async close() {
      if (closed) return;
      closed = true;
      await ready;
      const entries = [...calls.values()];
      const stopped = entries.map((entry) => {
        for (const waiter of entry.hangUps.splice(0)) {
          waiter.reject(new RegistryClosedError(entry.callId));
        }
        return stop(entry);
      });
      for (const [callId, set] of waiters) {
        for (const waiter of set) {
          waiter.timer?.cancel();
          waiter.reject(new RegistryClosedError(callId));
        }
      }
      waiters.clear();
      timers.clear();
      await Promise.all(stopped);
      calls.clear();
    },
  };

  function deliver(entry: Entry, notification: CallNotification, at: number): NotificationVerdict {
    const snapshot = entry.driver.snapshot();
    if (snapshot.status !== 'active' || entry.stopped) {
      // An ended call's machine is final and takes no events: judge with the same rules here.
      const verdict = classifyNotification(viewOfContext(snapshot.context), notification);
      if (verdict === 'subresource') {
        emit({ type: 'notification.subresource', callId: entry.callId, notification, at });
      } else {
        emit({
          type: 'notification.ignored',
          callId: entry.callId,
          notification,
          verdict: 'late',
          at,
        });
      }
      return verdict === 'subresource' ? 'subresource' : 'late';
    }
    const event: CallEvent = { type: 'notification', notification, at };
    // The guards ask for the same verdict and get it from the memo: one classification.
    const verdict = verdictOf(snapshot.context, event) ?? 'unchanged';
    entry.driver.send(event);
    return verdict;
  }
}

function assertNever(value: never): never {
  throw new Error(`graph-call-machine: unhandled emitted event ${JSON.stringify(value)}`);
}
