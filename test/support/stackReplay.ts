import { isDeepStrictEqual } from 'node:util';
import { vi } from 'vitest';
import {
  type CallControlVerb,
  type CallEmitted,
  type CallEvent,
  type CallSnapshot,
  CommandFailedError,
  CommandRejectedError,
  type callMachine,
  commandStatusOf,
  createCallRegistry,
  getCallView,
  MemoryCallStore,
  RegistryClosedError,
  type RegistryEventType,
  startCall,
  stepCall,
} from '../../src/index.js';
import { INTENDED_END } from '../../src/machine/outcome.js';
import type { CallPath } from '../../src/testing/index.js';
import { ManualFetch, type SentRequest } from './manualFetch.js';

const HOUR = 60 * 60_000;

/** What the registry showed where the model expected something else. */
export interface Mismatch {
  readonly step: number;
  readonly event: string;
  readonly expected: unknown;
  readonly actual: unknown;
}

function comparable(
  view: { state: string; phase: string; outcome?: { reason: string } } | undefined,
) {
  return view === undefined
    ? undefined
    : { state: view.state, phase: view.phase, reason: view.outcome?.reason ?? null };
}

/** What a replay found: the mismatches, and where it had to stop short, if it did. */
export interface Replay {
  readonly mismatches: Mismatch[];
  /** A step the stack cannot be made to take (see {@link Unperformable}); the replay stopped before it. */
  readonly stoppedAt?: { readonly step: number; readonly why: string };
}

/**
 * A model event the real stack cannot be made to produce at that point of the path. The only
 * one: a keepAlive's answer while the call waits for a deadline, because the registry sends a
 * keepAlive only when the call waits for none (one sent earlier could still be answered then,
 * but a path does not say when it was sent).
 */
class Unperformable extends Error {}

/** How a promise the registry handed out for an intent has settled so far. */
interface Settling {
  readonly verb: CallControlVerb;
  state: 'pending' | 'resolved' | 'rejected';
  error?: unknown;
  /** Its settling was checked against the model (or it was refused): not looked at again. */
  done?: boolean;
}

function settling(verb: CallControlVerb, promise: Promise<unknown>): Settling {
  const s: Settling = { verb, state: 'pending' };
  promise.then(
    () => {
      s.state = 'resolved';
    },
    (error: unknown) => {
      s.state = 'rejected';
      s.error = error;
    },
  );
  return s;
}

/**
 * Replays a model path through the whole stack: the real Graph client over a manual fetch
 * (the fake Graph), the registry, and its machine. After the start and after every step, the
 * registry's view must equal the model's, the bot must have been told exactly the events the
 * model emits, Graph must have been sent exactly the requests the model asks for (with the
 * same bodies), and an intent must have been refused (`CommandRejectedError`) exactly when the
 * model refuses it. Needs fake timers installed.
 */
export async function replayThroughStack(
  path: CallPath,
  options: { readonly stack?: typeof callMachine } = {},
): Promise<Replay> {
  const graph = new ManualFetch();
  const store = new MemoryCallStore({ ttlMs: 100 * HOUR });
  const registry = createCallRegistry({
    // The stack may run a mutated machine; the model is always the real one.
    ...(options.stack === undefined ? {} : { machine: options.stack }),
    store,
    graph: {
      getToken: async () => 'token',
      baseUrl: 'https://graph.test/v1.0',
      fetch: graph.fetch,
      // Requests wait for the step that answers them: only the machine's deadlines time out.
      timeoutMs: 1_000 * HOUR,
    },
    // Far beyond any deadline, so the next timer is always the deadline a step waits for.
    keepAliveMs: 10 * HOUR,
    // Waiting on a hang-up or a command polls the in-process store for nothing: not every 500 ms.
    pollMs: 10 * HOUR,
    retainTerminatedMs: 100 * HOUR,
  });
  const mismatches: Mismatch[] = [];
  const callId = path.input.callId;
  const told: string[] = [];
  for (const type of BOT_EVENTS) registry.on(type, (e) => told.push(gist(e)));
  const intents: Settling[] = [];
  const check = (step: number, event: string, expected: unknown) => {
    const actual = comparable(registry.get(callId));
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      mismatches.push({ step, event, expected, actual });
    }
  };
  // What the bot was told and what Graph was sent in a step, against what the model emitted.
  const compareEffects = (step: number, event: string, emitted: readonly CallEmitted[]) => {
    const expected = botEvents(emitted);
    if (JSON.stringify(told) !== JSON.stringify(expected)) {
      mismatches.push({ step, event: `${event} (events told)`, expected, actual: [...told] });
    }
    const asked = requestsAskedFor(emitted);
    const sent = graph.sent
      .slice(sentBefore)
      .filter((r) => !isKeepAlive(r))
      .map(describeRequest);
    if (!isDeepStrictEqual(sent, asked)) {
      mismatches.push({ step, event: `${event} (requests sent)`, expected: asked, actual: sent });
    }
  };
  let sentBefore = 0;
  let stoppedAt: Replay['stoppedAt'];
  try {
    await registry.track(callId, path.input.state === undefined ? {} : { state: path.input.state });
    await vi.advanceTimersByTimeAsync(0);
    check(0, 'start', comparable(getCallView(path.start)));
    compareEffects(0, 'start', startCall(path.input).emitted);
    let previous = path.start;
    for (const [i, step] of path.steps.entries()) {
      if (mismatches.length > 0) break;
      told.length = 0;
      sentBefore = graph.sent.length;
      let intent: Settling | undefined;
      try {
        intent = await perform(step.event, previous, registry, graph, store, callId);
      } catch (error) {
        if (error instanceof Unperformable) {
          stoppedAt = { step: i + 1, why: error.message };
          break;
        }
        mismatches.push({
          step: i + 1,
          event: step.event.type,
          expected: 'the step performed',
          actual: String(error),
        });
        break;
      }
      if (intent !== undefined) intents.push(intent);
      await vi.advanceTimersByTimeAsync(0);
      check(i + 1, step.event.type, comparable(getCallView(step.snapshot)));
      const emitted = modelEmits(previous, step.event);
      compareEffects(i + 1, step.event.type, emitted);
      if (intent !== undefined) {
        // The registry refuses an intent (and says so) exactly when the model does.
        const refused = emitted.some((e) => e.type === 'call.commandRejected');
        const actual = intent.error instanceof CommandRejectedError ? 'refused' : intent.state;
        if (refused !== (actual === 'refused')) {
          mismatches.push({
            step: i + 1,
            event: `${step.event.type} (intent refused)`,
            expected: refused ? 'refused' : 'not refused',
            actual,
          });
        }
        intent.done = refused;
      }
      // Every intent's promise waits while the model's command is pending, resolves once Graph
      // took it, and rejects with CommandFailedError (with the status the bot is told) once it
      // is failed, abandoned or overtaken by the end.
      for (const waiting of intents.filter((s) => s.done !== true)) {
        const expected = promised(step.snapshot, waiting.verb, emitted);
        const actual = promiseState(waiting);
        if (expected !== actual) {
          mismatches.push({
            step: i + 1,
            event: `${step.event.type} (${waiting.verb} promise)`,
            expected,
            actual,
          });
        }
        waiting.done = waiting.state !== 'pending';
      }
      previous = step.snapshot;
    }
  } finally {
    await registry.close();
    // Requests still held never get an answer: their timers (and the registry's bounds on
    // them) would pile up in the fake clock, path after path, and slow every later advance.
    vi.clearAllTimers();
  }
  // Whatever an intent's promise ended with, it is one of the errors the registry documents.
  const odd = intents.find(
    (s) =>
      s.state === 'rejected' &&
      !(
        s.error instanceof CommandRejectedError ||
        s.error instanceof CommandFailedError ||
        s.error instanceof RegistryClosedError
      ),
  );
  if (odd !== undefined && mismatches.length === 0) {
    mismatches.push({
      step: path.steps.length,
      event: 'an intent settled with an undocumented error',
      expected: 'CommandRejectedError, CommandFailedError or RegistryClosedError',
      actual: String(odd.error),
    });
  }
  return stoppedAt === undefined ? { mismatches } : { mismatches, stoppedAt };
}

/** What the promise of an intent for `verb` should be after a step of the model. */
function promised(
  snapshot: CallSnapshot,
  verb: CallControlVerb,
  emitted: readonly CallEmitted[],
): string {
  const status = commandStatusOf(snapshot, verb);
  if (status === 'pending') return 'pending';
  if (status === 'accepted') return 'resolved';
  // The end the intent was for came before Graph's 202: it did what it was for.
  const intended = INTENDED_END[verb];
  if (intended !== undefined && snapshot.context.outcome?.reason === intended) return 'resolved';
  const failed = emitted.find(
    (e): e is Extract<CallEmitted, { type: 'call.commandFailed' }> =>
      e.type === 'call.commandFailed' && e.verb === verb,
  );
  return `CommandFailedError${failed === undefined ? '' : ` ${failed.status}`}`;
}

function promiseState(s: Settling): string {
  if (s.state !== 'rejected') return s.state;
  if (!(s.error instanceof CommandFailedError)) return `rejected: ${String(s.error)}`;
  // The status is the one the bot was told, when it was told one (failed at Graph).
  return s.error.attempts === 0 ? 'CommandFailedError' : `CommandFailedError ${s.error.status}`;
}

// Every event the machine has for the bot: a new one fails to compile here until it is added,
// and each is compared with the model, event for event.
const TOLD = {
  'call.stateChanged': true,
  'call.terminated': true,
  'call.hangUpFailed': true,
  'call.notification': true,
  'notification.ignored': true,
  'notification.subresource': true,
  'call.incoming': true,
  'call.established': true,
  'call.commandRejected': true,
  'call.commandFailed': true,
  'call.transferFailed': true,
  'operation.rejected': true,
  'operation.completed': true,
  'operation.failed': true,
  'call.tone': true,
  'participant.joined': true,
  'participant.left': true,
  'participant.updated': true,
} as const satisfies Record<Exclude<CallEmitted['type'], `graph.${string}`>, true> &
  Partial<Record<RegistryEventType, true>>;

const BOT_EVENTS = Object.keys(TOLD) as (keyof typeof TOLD)[];

// The model is the machine as the one engine steps it (startCall / stepCall), which also derives
// `call.stateChanged` from the views before and after each step.
function modelEmits(from: CallSnapshot, event: CallEvent): readonly CallEmitted[] {
  return stepCall(from, event).emitted;
}

function botEvents(emitted: readonly CallEmitted[]): string[] {
  return emitted.filter((e) => !e.type.startsWith('graph.')).map(gist);
}

type BotEvent = Exclude<CallEmitted, { type: `graph.${string}` }>;

/**
 * What the bot learns from an event, without the times (the model's are fixed, the stack's are
 * its clock's) and without what only Graph's wording or the fake's payloads decide: the type,
 * and the states, verdict, reason, verb, status and attempts it carries.
 */
function gist(e: CallEmitted): string {
  const event = e as BotEvent;
  switch (event.type) {
    case 'call.stateChanged':
      return `${event.type} ${event.from.state}/${event.from.phase} → ${event.to.state}/${event.to.phase}`;
    case 'call.terminated':
      return `${event.type} ${event.outcome.reason}`;
    case 'call.notification':
    case 'notification.ignored':
      return `${event.type} ${event.verdict}`;
    case 'call.hangUpFailed':
      return `${event.type} ${event.status} after ${event.attempts}`;
    case 'call.commandRejected':
      return `${event.type} ${event.verb} in ${event.state}/${event.phase}: ${event.reason}`;
    case 'call.commandFailed':
      return `${event.type} ${event.verb} ${event.status} after ${event.attempts}`;
    case 'call.transferFailed':
      return event.resultInfo === undefined
        ? event.type
        : `${event.type} ${event.resultInfo.code}/${event.resultInfo.subcode}`;
    case 'operation.rejected':
      return `${event.type} ${event.kind}: ${event.reason}`;
    case 'operation.completed':
    case 'operation.failed':
      return `${event.type} ${event.operation.kind} ${event.operation.status}`;
    case 'call.tone':
      return `${event.type} ${event.sequenceId} ${event.tone}`;
    case 'participant.joined':
    case 'participant.left':
    case 'participant.updated':
      return `${event.type} ${event.participant.id}`;
    case 'call.incoming':
    case 'call.established':
    case 'notification.subresource':
      return event.type;
  }
}

/** A request as `METHOD /path-after-the-call`, with its JSON body when it has one. */
interface Described {
  readonly request: string;
  readonly body?: unknown;
}

function requestsAskedFor(emitted: readonly CallEmitted[]): Described[] {
  const asked: Described[] = [];
  for (const e of emitted) {
    switch (e.type) {
      case 'graph.deleteCall':
        asked.push({ request: 'DELETE' });
        break;
      case 'graph.getCall':
        asked.push({ request: 'GET' });
        break;
      case 'graph.answerCall':
      case 'graph.rejectCall':
      case 'graph.redirectCall':
      case 'graph.transferCall':
        asked.push({
          request: `POST /${e.type.slice('graph.'.length, -'Call'.length)}`,
          // As it goes over the wire.
          body: JSON.parse(JSON.stringify(e.request)) as unknown,
        });
        break;
      default:
    }
  }
  return asked;
}

function isKeepAlive(r: SentRequest): boolean {
  return r.method === 'POST' && r.url.endsWith('/keepAlive');
}

function describeRequest(r: SentRequest): Described {
  // …/communications/calls/{id}[/verb]
  const rest = new URL(r.url).pathname.split('/calls/')[1] ?? '';
  const slash = rest.indexOf('/');
  const request = slash === -1 ? r.method : `${r.method} ${rest.slice(slash)}`;
  return r.body === undefined ? { request } : { request, body: r.body };
}

/** Graph's answer to a failed request: its status, error body and Retry-After. */
function answerFailed(
  graph: ManualFetch,
  match: string,
  event: { readonly status: number; readonly retryAfterMs?: number; readonly error?: unknown },
): void {
  // Status 0 is no answer at all: a network error.
  if (event.status === 0) {
    graph.fail(match);
    return;
  }
  const error = (event.error ?? {}) as { code?: string; message?: string };
  graph.answer(
    match,
    event.status,
    {
      error: {
        code: error.code ?? `Http${event.status}`,
        message: error.message ?? 'failed',
      },
    },
    event.retryAfterMs === undefined ? {} : { 'retry-after': String(event.retryAfterMs / 1000) },
  );
}

const ignore = () => undefined;

/** Performs one model event on the stack; an intent's promise is handed back to be watched. */
async function perform(
  event: CallEvent,
  model: CallSnapshot,
  registry: ReturnType<typeof createCallRegistry>,
  graph: ManualFetch,
  store: MemoryCallStore,
  callId: string,
): Promise<Settling | undefined> {
  switch (event.type) {
    case 'hangUp':
      registry.hangUp(callId).catch(ignore);
      return;
    case 'notification':
      await registry.ingest({
        '@odata.type': '#microsoft.graph.commsNotifications',
        value: [event.notification.raw],
      });
      return;
    // Intents go through the registry's methods, with the request taken apart into their
    // arguments; a refused one rejects with CommandRejectedError, which the replay checks.
    case 'answer':
      return settling('answer', registry.answer(callId, event.request));
    case 'reject': {
      const { reason = 'none', callbackUri } = event.request;
      return settling(
        'reject',
        registry.reject(callId, reason, callbackUri === undefined ? {} : { callbackUri }),
      );
    }
    case 'redirect': {
      const { targets, timeout, callbackUri } = event.request;
      return settling(
        'redirect',
        registry.redirect(callId, targets, {
          ...(timeout === undefined ? {} : { timeout }),
          ...(callbackUri === undefined ? {} : { callbackUri }),
        }),
      );
    }
    case 'transfer': {
      const { transferTarget, transferee } = event.request;
      return settling(
        'transfer',
        registry.transfer(callId, transferTarget, transferee === undefined ? {} : { transferee }),
      );
    }
    // A command's result is Graph's answer to the oldest POST held for its verb.
    case 'answer.succeeded':
    case 'reject.succeeded':
    case 'redirect.succeeded':
    case 'transfer.succeeded':
      graph.answer(`POST /${event.type.split('.')[0]}`, 202);
      return;
    case 'answer.failed':
    case 'reject.failed':
    case 'redirect.failed':
    case 'transfer.failed':
      answerFailed(graph, `POST /${event.type.split('.')[0]}`, event);
      return;
    case 'delete.succeeded':
      graph.answer('DELETE', 204);
      return;
    case 'delete.failed':
      answerFailed(graph, 'DELETE', event);
      return;
    case 'getCall.result':
      if (event.status === 0) graph.fail('GET');
      else
        graph.answer(
          'GET',
          event.status,
          event.status === 200
            ? { id: callId, state: event.state }
            : { error: { code: 'itemNotFound', message: 'gone' } },
        );
      return;
    // Time moves to the moment the store says the call is due (its deadline, or its keepAlive):
    // other timers (a waiter's poll) may come first, and must not be mistaken for it.
    case 'keepAlive.result':
      if (model.context.deadline !== null) {
        throw new Unperformable(
          `keepAlive ${event.status} while the call waits for its ${model.context.deadline.kind} deadline`,
        );
      }
      graph.autoAnswer.set('POST /keepAlive', () => new Response(null, { status: event.status }));
      await advanceTo(store.nextDueAt());
      graph.autoAnswer.delete('POST /keepAlive');
      return;
    case 'deadline.reached':
      await advanceTo(store.nextDueAt());
      return;
    // The model paths never hold operations (they are traversed from the chart's states);
    // test/operations drives them through the stack against the fake Graph.
    case 'operation':
    case 'operation.responded':
    case 'operation.requestFailed':
      throw new Unperformable(`${event.type} is not part of the replayed model`);
  }
}

async function advanceTo(at: number | undefined): Promise<void> {
  if (at === undefined) throw new Error('the model waits for a deadline the store does not have');
  await vi.advanceTimersByTimeAsync(Math.max(0, at - Date.now()));
}
