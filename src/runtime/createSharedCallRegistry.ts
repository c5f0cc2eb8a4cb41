/**
 * The call registry for a bot that runs on several instances: the same {@link CallRegistry}
 * as `createCallRegistry`, over a {@link SharedCallStore} (Redis: `graph-call-machine/redis`)
 * that every instance reads and writes. Graph may post a call's notifications to any
 * instance; each one applies them to the stored call, and the compare-and-set on the record's
 * version decides which instance's transition counts, and so which instance performs the
 * DELETE or GET that transition asked for.
 *
 * ```
 *  event (notification · hangUp · DELETE/GET/keepAlive result · deadline)
 *    │
 *    ▼
 *  load record ──► restore snapshot ──► transition() ──► commit(record v+1, expected v, due time)
 *    ▲                                                        │ conflict: the winner's record
 *    └──────────────── retry (bounded, jittered) ◄────────────┤
 *                                                             │ committed
 *                                                             ▼
 *                                  emit to this instance's listeners; perform graph.* commands
 *
 *  every pollMs, each instance: claimDue(now) ──► deadline.reached · keepAlive · re-issue the
 *  DELETE/GET of a call whose command lease ran out (its instance died)
 * ```
 *
 * Nothing about a call lives only in one instance's memory: a deadline, a keepAlive period and
 * a command in flight are all a due time in the store, so when an instance dies another one
 * carries on. Listener events fire on the instance that applied the event.
 *
 * @example
 * ```ts
 * import { createSharedCallRegistry, createWebhookHandler, toNodeListener } from 'graph-call-machine';
 * import { createRedisCallStore } from 'graph-call-machine/redis';
 *
 * const store = createRedisCallStore({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
 * const registry = createSharedCallRegistry({ graph: { getToken }, store });
 * registry.on('registry.error', ({ error }) => log.error(error));
 * createServer(toNodeListener(createWebhookHandler(registry))).listen(3978);
 *
 * await registry.hangUp(callId);   // on any instance: one DELETE, whichever instances race
 * ```
 * @module
 */
import type { CallNotification } from '../graph/notification.js';
import { parseNotifications } from '../graph/parseNotifications.js';
import { callMachine } from '../machine/callMachine.js';
import { viewOfContext } from '../machine/context.js';
import { persistCallSnapshot } from '../machine/persistCallSnapshot.js';
import type { CallSnapshot } from '../machine/stepCall.js';
import type { CallEmitted, CallEvent, CallInput, CallOptions, CallView } from '../machine/types.js';
import { CALL_RECORD_SCHEMA_VERSION } from './callRecords.js';
import { type Clock, systemClock, type TimerHandle } from './clock.js';
import { HangUpFailedError, RegistryClosedError, UnknownCallError } from './errors.js';
import type { GraphClientOptions } from './graphClient.js';
import { graphClientOf, pickCallOptions, toDeleteEvent, toGetCallEvent } from './graphEvents.js';
import { emptyTally, ingestReport } from './ingestTally.js';
import { RegistryListeners } from './registryListeners.js';
import { type DueChange, isSharedCallStore, type SharedCallStore } from './sharedCallStore.js';
import {
  type IngestFailure,
  IngestIncompleteError,
  SharedStoreConflictError,
} from './sharedErrors.js';
import {
  dueChangeOf,
  isHangUpPending,
  type Known,
  type Plan,
  planEvent,
  planNotification,
  sameRecord,
} from './sharedPlans.js';
import { hasMoved, restoreRecord, startSnapshot, stepSnapshot } from './sharedSnapshot.js';
import { SharedWaiters } from './sharedWaiters.js';
import type {
  CallPredicate,
  CallRecord,
  CallRegistry,
  GraphClient,
  IngestReport,
  RegistryEvent,
} from './types.js';

/** Options of {@link createSharedCallRegistry}. The call options apply to every call. */
export interface SharedCallRegistryOptions extends CallOptions {
  /** A Graph client, or the options to create the default one over `fetch`. */
  readonly graph: GraphClient | GraphClientOptions;
  /** The store every instance shares, e.g. `createRedisCallStore(…)`. */
  readonly store: SharedCallStore;
  /** The call machine: `callMachine.provide(…)`. Every instance must run the same chart. Default `callMachine`. */
  readonly machine?: typeof callMachine;
  /** Time and timers. Default: the system clock. Instances compare due times across clocks: keep them in sync (NTP). */
  readonly clock?: Clock;
  /** keepAlive period while a call is active. Default 15 min; 0 turns it off. */
  readonly keepAliveMs?: number;
  /**
   * How long this instance keeps an ended call's view for `get()`. The stored record lives
   * for the store's own retention (`ttlMs` of the Redis store). Default 5 min.
   */
  readonly retainTerminatedMs?: number;
  /** Default timeout of `waitFor`. Default 30 s. */
  readonly waitTimeoutMs?: number;
  /** How often the instance claims due calls and refreshes the calls it waits on. Default 500 ms. */
  readonly pollMs?: number;
  /**
   * How long a DELETE or GET may stay unanswered before another instance takes it for lost
   * (its instance died) and sends it again. Keep it above the Graph client's timeout (10 s by
   * default) plus the time to get a token. Default 60 s.
   */
  readonly commandLeaseMs?: number;
  /** Commit attempts per event when other instances keep winning the compare-and-set. Default 10. */
  readonly maxCommitAttempts?: number;
  /** Calls claimed per store round trip. Default 100. */
  readonly claimBatch?: number;
  /** Views this instance keeps for `get()`, least recently touched dropped first. Default 10 000. */
  readonly cacheSize?: number;
  /**
   * Before `ready`, walk the stored calls and give every live one that has no due time the one
   * its snapshot calls for (calls written by `createCallRegistry`, or before an upgrade).
   * Default `true`.
   */
  readonly recoverOnStart?: boolean;
}

/** A {@link CallRegistry} over a shared store. */
export interface SharedCallRegistry extends CallRegistry {
  /** Resolves once the start-up recovery walk is done; `ingest`, `hangUp` and `waitFor` wait for it. */
  readonly ready: Promise<void>;
  /**
   * The call's view as stored now (`get()` answers from this instance's cache, which lags
   * behind what other instances did since this one last touched the call).
   */
  read(callId: string): Promise<CallView | undefined>;
  /** Resolves once nothing this instance started (store operations, Graph requests) is pending. */
  idle(): Promise<void>;
}

const DEFAULT_KEEP_ALIVE_MS = 15 * 60_000;
const DEFAULT_RETAIN_TERMINATED_MS = 5 * 60_000;
const DEFAULT_WAIT_TIMEOUT_MS = 30_000;
const DEFAULT_POLL_MS = 500;
const DEFAULT_COMMAND_LEASE_MS = 60_000;
const DEFAULT_MAX_COMMIT_ATTEMPTS = 10;
const DEFAULT_CLAIM_BATCH = 100;
const DEFAULT_CACHE_SIZE = 10_000;
const CLEAR: DueChange = { kind: 'clear' };

/**
 * Creates a registry that shares its calls with every other registry over the same store.
 * Start one per bot instance; they need not know of each other.
 *
 * Differences from `createCallRegistry`, all forced by the state living in the store:
 * `ingest` rejects with {@link IngestIncompleteError} when notifications could not be applied
 * (the store was unreachable), so the webhook answers 500 instead of acknowledging them; `get`
 * answers from this instance's cache (`read` asks the store); `track` returns at once and
 * commits in the background; `inspect` is not supported (there are no long-lived actors).
 *
 * @example
 * ```ts
 * const registry = createSharedCallRegistry({
 *   graph: { getToken },
 *   store: createRedisCallStore({ url: 'redis://redis.internal:6379', keyPrefix: 'calls:' }),
 *   pollMs: 250,
 * });
 * await registry.ready;
 * ```
 */
export function createSharedCallRegistry(options: SharedCallRegistryOptions): SharedCallRegistry {
  if (!isSharedCallStore(options.store)) {
    throw new TypeError(
      'createSharedCallRegistry: `store` must be a SharedCallStore (with commit, claimDue and reschedule), such as createRedisCallStore() from graph-call-machine/redis. A plain CallStore serves one instance: use createCallRegistry with it.',
    );
  }
  const client: GraphClient = graphClientOf(options.graph);
  const store = options.store;
  const clock = options.clock ?? systemClock;
  const machine = options.machine ?? callMachine;
  const keepAliveMs = options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
  const retainMs = options.retainTerminatedMs ?? DEFAULT_RETAIN_TERMINATED_MS;
  const waitTimeoutMs = options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  const pollMs = positive('pollMs', options.pollMs ?? DEFAULT_POLL_MS);
  const leaseMs = positive('commandLeaseMs', options.commandLeaseMs ?? DEFAULT_COMMAND_LEASE_MS);
  const maxAttempts = positive(
    'maxCommitAttempts',
    options.maxCommitAttempts ?? DEFAULT_MAX_COMMIT_ATTEMPTS,
  );
  const claimBatch = positive('claimBatch', options.claimBatch ?? DEFAULT_CLAIM_BATCH);
  const cacheSize = positive('cacheSize', options.cacheSize ?? DEFAULT_CACHE_SIZE);
  const callOptions = pickCallOptions(options);
  const timing = { leaseMs, keepAliveMs };

  const known = new Map<string, Known>();
  const turns = new Map<string, Promise<void>>();
  const pending = new Set<Promise<unknown>>();
  const waiters = new SharedWaiters(clock);
  const listeners = new RegistryListeners();
  let closed = false;
  let pollTimer: TimerHandle | undefined;
  let pollFailing = false;

  // ── listeners ──────────────────────────────────────────────────────────────────────────

  const emit = (event: RegistryEvent): void => listeners.emit(event);
  const reportError = (error: unknown, callId?: string): void => listeners.report(error, callId);

  // ── one call at a time per instance ────────────────────────────────────────────────────

  function keep<T>(promise: Promise<T>): Promise<T> {
    pending.add(promise);
    const done = () => pending.delete(promise);
    void promise.then(done, done);
    return promise;
  }

  // Operations on one call run one after the other in this instance, in the order they were
  // asked for: they would only lose compare-and-sets to each other otherwise, and a POST's
  // notifications about one call must be applied in their order.
  function inTurn<T>(callId: string, task: () => Promise<T>): Promise<T> {
    const previous = turns.get(callId) ?? Promise.resolve();
    const run = previous.then(task);
    const settled = run.then(noop, noop);
    turns.set(callId, settled);
    void settled.then(() => {
      if (turns.get(callId) === settled) turns.delete(callId);
    });
    return keep(run);
  }

  // ── what this instance knows ───────────────────────────────────────────────────────────

  function remember(callId: string, entry: Known): void {
    const cached = known.get(callId);
    // A read that raced a commit of this instance must not bring back the older version; a
    // record that expired and was created anew starts again at version 1, but later.
    if (cached !== undefined && cached.version > entry.version && cached.savedAt >= entry.savedAt) {
      return;
    }
    known.delete(callId);
    known.set(callId, entry);
    if (known.size > cacheSize) {
      for (const oldest of known.keys()) {
        if (known.size <= cacheSize) break;
        if (!waiters.has(oldest)) known.delete(oldest);
      }
    }
  }

  function toKnown(callId: string, record: CallRecord): Known {
    const cached = known.get(callId);
    // Same version and save time: the same record, already restored.
    if (cached?.version === record.version && cached.savedAt === record.savedAt) return cached;
    const snapshot = restoreRecord(machine, callId, record);
    const entry: Known = {
      version: record.version,
      savedAt: record.savedAt,
      snapshot,
      view: viewOfContext(snapshot.context),
    };
    remember(callId, entry);
    return entry;
  }

  function forget(callId: string): void {
    const cached = known.get(callId);
    if (cached !== undefined && cached.version > 0) known.delete(callId);
  }

  async function load(callId: string): Promise<Known | undefined> {
    const record = await store.load(callId);
    if (record !== undefined) return toKnown(callId, record);
    forget(callId);
    return undefined;
  }

  // ── the load → transition → commit loop ────────────────────────────────────────────────

  // Starts from this instance's cached copy when it has one: when that copy is current (the
  // same instance handled the call last), a transition costs one round trip, the commit. When
  // it is not, the commit loses and hands back the current record, which costs what a read
  // first would have. A step that writes nothing is only trusted once the copy is confirmed.
  async function update<T>(
    callId: string,
    plan: (current: Known | undefined) => Plan<T>,
    assumeAbsent = false,
  ): Promise<T> {
    const cached = known.get(callId);
    let current: Known | undefined;
    let confirmed = false;
    if (assumeAbsent) current = undefined;
    else if (cached !== undefined && cached.version > 0) current = cached;
    else {
      current = await load(callId);
      confirmed = true;
    }
    for (let attempt = 1; ; attempt += 1) {
      const step = plan(current);
      const next = step.write;
      if (next === undefined) {
        if (!confirmed) {
          const stored = await load(callId);
          confirmed = true;
          if (!sameRecord(stored, current)) {
            current = stored;
            continue;
          }
        }
        announce(callId, step.emitted);
        if (current !== undefined) settle(callId, current.snapshot);
        return step.result;
      }
      const savedAt = clock.now();
      const record: CallRecord = {
        schemaVersion: CALL_RECORD_SCHEMA_VERSION,
        version: (current?.version ?? 0) + 1,
        snapshot: persistCallSnapshot(next),
        savedAt,
      };
      const due = dueChangeOf(next, current?.snapshot, savedAt, timing);
      const outcome = await store.commit(callId, record, current?.version ?? 0, due);
      if (outcome.ok) {
        remember(callId, {
          version: record.version,
          savedAt,
          snapshot: next,
          view: viewOfContext(next.context),
        });
        // Only the instance whose commit won gets here: its commands are the ones performed.
        announce(callId, step.emitted);
        settle(callId, next);
        return step.result;
      }
      if (attempt >= maxAttempts) throw new SharedStoreConflictError(callId, attempt);
      confirmed = true;
      if (outcome.current === undefined) {
        forget(callId);
        current = undefined;
      } else {
        current = toKnown(callId, outcome.current);
      }
      // The first loss usually means only that the cached copy was old: retry at once.
      if (attempt > 1) await backoff(attempt);
    }
  }

  function backoff(attempt: number): Promise<void> {
    // Full jitter: racing instances spread out instead of colliding again in lockstep.
    const ms = Math.random() * Math.min(2 ** attempt, 100);
    return new Promise((resolve) => clock.setTimeout(resolve, ms));
  }

  function announce(callId: string, emitted: readonly CallEmitted[]): void {
    for (const event of emitted) {
      switch (event.type) {
        case 'graph.deleteCall':
          performDelete(callId);
          break;
        case 'graph.getCall':
          performGetCall(callId);
          break;
        case 'call.hangUpFailed': {
          const failure = new HangUpFailedError(callId, event.status, event.attempts, event.error);
          waiters.failHangUps(callId, failure);
          emit(event);
          break;
        }
        default:
          emit(event);
      }
    }
  }

  function settle(callId: string, fallback: CallSnapshot): void {
    const cached = known.get(callId);
    const snapshot = cached?.snapshot ?? fallback;
    waiters.settle(callId, snapshot, cached?.view ?? viewOfContext(snapshot.context));
  }

  // ── Graph requests and their results ───────────────────────────────────────────────────

  function applyEvent(callId: string, event: CallEvent): Promise<boolean> {
    return update(callId, (current) => planEvent(machine, event, current));
  }

  // After close() nothing new is sent: the command's lease runs out and another instance sends it.
  function performDelete(callId: string): void {
    if (closed) return;
    keep(
      client
        .deleteCall(callId)
        .then((result) =>
          inTurn(callId, () => applyEvent(callId, toDeleteEvent(result, clock.now()))),
        )
        .catch((error: unknown) => reportError(error, callId)),
    );
  }

  function performGetCall(callId: string): void {
    if (closed) return;
    keep(
      client
        .getCall(callId)
        .then((result) =>
          inTurn(callId, () => applyEvent(callId, toGetCallEvent(result, clock.now()))),
        )
        .catch((error: unknown) => reportError(error, callId)),
    );
  }

  function performKeepAlive(callId: string, leaseUntil: number): void {
    if (closed) return;
    keep(
      client
        .keepAlive(callId)
        .then(async (result) => {
          if (!result.ok && result.status === 404) {
            await inTurn(callId, () =>
              applyEvent(callId, { type: 'keepAlive.result', status: 404, at: clock.now() }),
            );
            return;
          }
          if (!result.ok) {
            const detail = result.error?.message === undefined ? '' : `: ${result.error.message}`;
            reportError(
              new Error(
                `graph-call-machine: keepAlive for call "${callId}" failed with status ${result.status}${detail}; retrying at the next period.`,
              ),
              callId,
            );
          }
          await store.reschedule(
            callId,
            { kind: 'set', at: clock.now() + keepAliveMs },
            leaseUntil,
          );
        })
        .catch((error: unknown) => reportError(error, callId)),
    );
  }

  // ── due calls: deadlines, keepAlives, commands whose instance died ─────────────────────

  async function handleDue(callId: string, leaseUntil: number): Promise<void> {
    const current = await load(callId);
    if (current === undefined || current.snapshot.status !== 'active') {
      await store.reschedule(callId, CLEAR, leaseUntil);
      return;
    }
    const snapshot = current.snapshot;
    settle(callId, snapshot);
    // Still waiting for a command after its lease: the instance that sent it is gone (or its
    // answer was lost). Sending it again is safe; a DELETE of an ended call answers 404.
    if (snapshot.matches({ terminating: 'hangingUp' })) return performDelete(callId);
    if (snapshot.matches({ terminating: 'verifying' })) return performGetCall(callId);
    if (snapshot.context.deadline !== null) {
      const moved = await applyEvent(callId, { type: 'deadline.reached', at: clock.now() });
      if (!moved) {
        // Claimed before the deadline by this clock (clocks differ between instances): the
        // machine ignored it; put the due time back where the deadline is.
        const deadline = (known.get(callId)?.snapshot ?? snapshot).context.deadline;
        await store.reschedule(
          callId,
          deadline === null ? CLEAR : { kind: 'set', at: deadline.at },
          leaseUntil,
        );
      }
      return;
    }
    if (keepAliveMs > 0 && snapshot.hasTag('active')) return performKeepAlive(callId, leaseUntil);
    await store.reschedule(callId, CLEAR, leaseUntil);
  }

  async function poll(): Promise<void> {
    try {
      const now = clock.now();
      const leaseUntil = now + leaseMs;
      for (;;) {
        const claimed = await store.claimDue(now, claimBatch, leaseUntil);
        for (const callId of claimed) {
          inTurn(callId, () => handleDue(callId, leaseUntil)).catch((error: unknown) =>
            reportError(error, callId),
          );
        }
        if (claimed.length < claimBatch || closed) break;
      }
      await refreshWatched();
      pollFailing = false;
    } catch (error) {
      // Reported once per outage, not once per poll.
      if (!pollFailing) reportError(error);
      pollFailing = true;
    }
    sweep(clock.now());
    schedulePoll(pollMs * (0.75 + Math.random() * 0.5));
  }

  function schedulePoll(ms: number): void {
    if (closed) return;
    pollTimer = clock.setTimeout(() => {
      pollTimer = undefined;
      void keep(poll());
    }, ms);
  }

  // Calls someone here waits on may be moved by other instances: read them again.
  async function refreshWatched(): Promise<void> {
    await Promise.all(
      waiters.watched().map(async (callId) => {
        if (turns.has(callId)) return;
        const current = await load(callId);
        if (current !== undefined) settle(callId, current.snapshot);
      }),
    );
  }

  function sweep(now: number): void {
    for (const [callId, entry] of known) {
      const endedAt = entry.view.outcome?.at;
      if (endedAt === undefined || endedAt + retainMs > now) continue;
      if (!waiters.has(callId)) known.delete(callId);
    }
  }

  async function recover(): Promise<void> {
    if (options.recoverOnStart === false) return;
    let ids: AsyncIterable<string> | Iterable<string>;
    try {
      const listed = store.ids();
      ids = Symbol.asyncIterator in listed ? listed : await listed;
      for await (const callId of ids) {
        if (closed) return;
        try {
          const current = await load(callId);
          if (current === undefined) continue;
          const due = dueChangeOf(current.snapshot, undefined, clock.now(), timing);
          if (due.kind !== 'clear') await store.reschedule(callId, { kind: 'keep', at: due.at });
        } catch (error) {
          reportError(error, callId);
        }
      }
    } catch (error) {
      reportError(error);
    }
  }

  function ensureOpen(callId?: string): void {
    if (closed) throw new RegistryClosedError(callId);
  }

  async function idle(): Promise<void> {
    while (pending.size > 0) await Promise.allSettled([...pending]);
  }

  const ready = recover();
  schedulePoll(pollMs * Math.random());

  return {
    ready,

    async ingest(body: unknown): Promise<IngestReport> {
      await ready;
      ensureOpen();
      const { notifications, rejected } = parseNotifications(body);
      for (const rejection of rejected) emit({ type: 'notification.rejected', rejection });
      const at = clock.now();
      const counts = emptyTally();
      let unknownCalls = 0;
      const failures: IngestFailure[] = [];
      const byCall = new Map<string, { notification: CallNotification; index: number }[]>();
      notifications.forEach((notification, index) => {
        const list = byCall.get(notification.callId);
        if (list === undefined) byCall.set(notification.callId, [{ notification, index }]);
        else list.push({ notification, index });
      });
      // Calls in parallel; each call's notifications in order.
      await Promise.all(
        [...byCall].map(([callId, items]) =>
          inTurn(callId, async () => {
            for (const [position, { notification }] of items.entries()) {
              try {
                const outcome = await update(callId, (current) =>
                  planNotification(machine, callOptions, notification, at, current),
                );
                counts[outcome.verdict] += 1;
                if (outcome.discovered) unknownCalls += 1;
              } catch (caught) {
                const error = asError(caught);
                reportError(error, callId);
                // The call's later notifications wait for the redelivery too, to stay in order.
                for (const rest of items.slice(position)) {
                  failures.push({ callId, index: rest.index, error });
                }
                return;
              }
            }
          }),
        ),
      );
      const report: IngestReport = ingestReport(counts, rejected, unknownCalls);
      if (failures.length > 0) {
        throw new IngestIncompleteError(
          report,
          failures.sort((a, b) => a.index - b.index),
        );
      }
      return report;
    },

    track(callId, trackOptions = {}) {
      ensureOpen(callId);
      const cached = known.get(callId);
      if (cached !== undefined) return cached.view;
      const input: CallInput = {
        callId,
        at: clock.now(),
        options: callOptions,
        ...(trackOptions.state === undefined ? {} : { state: trackOptions.state }),
        ...(trackOptions.etag === undefined ? {} : { etag: trackOptions.etag }),
      };
      const started = startSnapshot(machine, input);
      const provisional: Known = {
        version: 0,
        savedAt: 0,
        snapshot: started.snapshot,
        view: viewOfContext(started.snapshot.context),
      };
      remember(callId, provisional);
      // Committed in the background; the call's next operation here waits for it. When another
      // instance stored the call first, its record wins and this one is dropped.
      inTurn(callId, () =>
        update(
          callId,
          (current): Plan<void> =>
            current === undefined
              ? { result: undefined, emitted: started.emitted, write: started.snapshot }
              : { result: undefined, emitted: [] },
          true,
        ),
      ).catch((error: unknown) => {
        if (known.get(callId) === provisional) known.delete(callId);
        reportError(error, callId);
      });
      return provisional.view;
    },

    async hangUp(callId) {
      await ready;
      ensureOpen(callId);
      const outcome = await inTurn(callId, async () => {
        const at = clock.now();
        const snapshot = await update(callId, (current): Plan<CallSnapshot> => {
          if (current === undefined) throw new UnknownCallError(callId);
          const before = current.snapshot;
          if (before.status !== 'active') return { result: before, emitted: [] };
          const step = stepSnapshot(machine, before, { type: 'hangUp', at });
          return hasMoved(before, step.snapshot)
            ? { result: step.snapshot, emitted: step.emitted, write: step.snapshot }
            : { result: before, emitted: step.emitted };
        });
        if (!isHangUpPending(snapshot)) return { view: viewOfContext(snapshot.context) };
        // Registered within the call's turn, so the DELETE's result cannot be applied first.
        return { waiting: waiters.hangUp(callId) };
      });
      return 'view' in outcome ? outcome.view : outcome.waiting;
    },

    get(callId) {
      return known.get(callId)?.view;
    },

    async read(callId) {
      const current = await load(callId);
      if (current !== undefined) settle(callId, current.snapshot);
      return current?.view;
    },

    async waitFor(callId, until, waitOptions = {}) {
      await ready;
      ensureOpen(callId);
      const predicate: CallPredicate =
        until === 'terminated' ? (view) => view.phase === 'terminated' : until;
      const waiting = waiters.waitFor(
        callId,
        predicate,
        waitOptions.timeoutMs ?? waitTimeoutMs,
        () => known.get(callId)?.view.state,
      );
      // Judged against the stored call, not against what this instance saw last.
      keep(
        load(callId).then(
          (current) => {
            if (current !== undefined) settle(callId, current.snapshot);
          },
          (error: unknown) => {
            reportError(error, callId);
            const cached = known.get(callId);
            if (cached !== undefined) settle(callId, cached.snapshot);
          },
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
      if (pollTimer !== undefined) clock.clearTimeout(pollTimer);
      pollTimer = undefined;
      await ready;
      waiters.close();
      // Results of requests already sent are still committed, so a clean shutdown leaves no
      // command for another instance to redo.
      await idle();
      known.clear();
    },
  };
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new RangeError(
      `createSharedCallRegistry: ${name} must be a positive number, got ${String(value)}.`,
    );
  }
  return value;
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

function noop(): void {}
