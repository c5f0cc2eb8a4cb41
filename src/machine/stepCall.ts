/**
 * The machine as two plain functions, for code that keeps no actor: a stateless webhook
 * function loads a persisted snapshot, steps it with one event, performs what was emitted and
 * saves the next snapshot.
 *
 * @example
 * ```ts
 * import { startCall, stepCall } from 'graph-call-machine';
 *
 * let { snapshot } = startCall({ callId: 'c1', state: 'established' });
 * const step = stepCall(snapshot, { type: 'hangUp', at: Date.now() });
 * for (const e of step.emitted) if (e.type === 'graph.deleteCall') await deleteCall(e.callId);
 * snapshot = step.snapshot; // persist with JSON.stringify(callMachine.getPersistedSnapshot(snapshot))
 * ```
 * @module
 */
import { createActor, type SnapshotFrom } from 'xstate';
import { announcements } from './actions.js';
import { callMachine } from './callMachine.js';
import { classifyNotification } from './classifyNotification.js';
import { EMPTY_CALL_DETAILS, phaseOfContext } from './context.js';
import { isMalformedOperation, rejectOperation } from './operations.js';
import type { CallContext, CallEmitted, CallEvent, CallInput } from './types.js';

/** A snapshot of {@link callMachine}. */
export type CallSnapshot = SnapshotFrom<typeof callMachine>;

/** The result of one step: the next snapshot and everything emitted on the way, in order. */
export interface CallStep {
  readonly snapshot: CallSnapshot;
  readonly emitted: CallEmitted[];
}

type CallMachine = typeof callMachine;
type Scope = Parameters<CallMachine['transition']>[2];
type Executed = Parameters<Scope['actionExecutor']>[0];

function emittedOf(actions: readonly { type: string; params: unknown }[]): CallEmitted[] {
  const emitted: CallEmitted[] = [];
  for (const action of actions) {
    if (action.type !== 'xstate.emit') continue;
    const event = (action.params as { event?: CallEmitted } | undefined)?.event;
    if (event !== undefined) emitted.push(event);
  }
  return emitted;
}

// xstate's `transition()` and `initialTransition()` build a throwaway actor on every call,
// whose context factory then runs without input: most of the cost of a step. One inert scope
// per machine, reused, collects the actions instead; steps are synchronous, so the actions of
// one step never mix with another's.
const scopes = new WeakMap<CallMachine, { scope: Scope; collected: Executed[] }>();

function inertScope(machine: CallMachine): { scope: Scope; collected: Executed[] } {
  const known = scopes.get(machine);
  if (known !== undefined) return known;
  const self = createActor(machine, { input: { callId: 'graph-call-machine:inert-scope' } });
  const collected: Executed[] = [];
  const scope: Scope = {
    self,
    id: '',
    sessionId: '',
    system: self.system,
    logger: () => {},
    defer: () => {},
    emit: () => {},
    stopChild: () => {},
    actionExecutor: (action) => {
      collected.push(action);
    },
  };
  const made = { scope, collected };
  scopes.set(machine, made);
  return made;
}

/**
 * Creates a call's first snapshot, without an actor. `machine` may be a
 * `callMachine.provide(...)` variant.
 *
 * @example
 * ```ts
 * const { snapshot } = startCall({ callId: 'c1', state: 'incoming' });
 * snapshot.value; // { setup: 'incoming' }
 * ```
 */
export function startCall(input: CallInput, machine: CallMachine = callMachine): CallStep {
  const { scope, collected } = inertScope(machine);
  collected.length = 0;
  const snapshot = machine.getInitialSnapshot(scope, input);
  return { snapshot, emitted: emittedOf(collected.splice(0)) };
}

/**
 * Applies one event to a snapshot, without an actor. Emits `call.stateChanged` when the step
 * moved the call's state or phase. A terminated call is final: its snapshot stays as it is, and
 * a notification about it is judged `late` (or `subresource`) with the same rules as a live one.
 *
 * @example
 * ```ts
 * const { snapshot, emitted } = stepCall(previous, { type: 'delete.succeeded', at: Date.now() });
 * ```
 */
export function stepCall(
  snapshot: CallSnapshot,
  event: CallEvent,
  machine: CallMachine = callMachine,
): CallStep {
  if (snapshot.status !== 'active') return { snapshot, emitted: judgeAfterEnd(snapshot, event) };
  const { scope, collected } = inertScope(machine);
  collected.length = 0;
  const next = machine.transition(snapshot, event, scope);
  const emitted = emittedOf(collected.splice(0));
  announceChange(snapshot.context, next.context, emitted);
  return { snapshot: next, emitted };
}

/**
 * Restores a persisted call snapshot (`persistCallSnapshot`, or xstate's own
 * `getPersistedSnapshot`) without an actor. Throws when the chart cannot resume from it (a state
 * it does not have).
 *
 * @example
 * ```ts
 * const snapshot = restoreCall(JSON.parse(stored));
 * const { emitted } = stepCall(snapshot, { type: 'hangUp', at: Date.now() });
 * ```
 */
export function restoreCall(persisted: unknown, machine: CallMachine = callMachine): CallSnapshot {
  const { scope } = inertScope(machine);
  let snapshot: CallSnapshot;
  try {
    // restoreSnapshot revives the history states a failed hang-up returns to; it reads the
    // scope only to parent child actors, and a call has none.
    snapshot = machine.restoreSnapshot(
      withDetails(persisted) as Parameters<CallMachine['restoreSnapshot']>[0],
      scope,
    );
  } catch (error) {
    throw cannotResume(persisted, error);
  }
  if (snapshot.status === 'error') throw cannotResume(persisted, snapshot.error);
  return snapshot;
}

// Snapshots written before 0.3 have no call details (command, caller, …), and before 0.4 no
// operations, roster, tones or keepAlive time: what they lack starts empty.
function withDetails(persisted: unknown): unknown {
  const context = (persisted as { context?: unknown } | null)?.context;
  if (typeof context !== 'object' || context === null || 'keepAliveAt' in context) return persisted;
  return {
    ...(persisted as object),
    context: { ...EMPTY_CALL_DETAILS, ...context },
  };
}

function cannotResume(persisted: unknown, cause: unknown): Error {
  const value = (persisted as { value?: unknown } | null)?.value;
  return new Error(
    `the call machine cannot resume from ${JSON.stringify(value)}: ${cause instanceof Error ? cause.message : String(cause)}`,
    { cause },
  );
}

function judgeAfterEnd(snapshot: CallSnapshot, event: CallEvent): CallEmitted[] {
  // An intent about an ended call is refused like one in any other wrong state.
  if (isIntent(event)) return [announcements.rejectCommand(snapshot.context, event)];
  if (event.type === 'operation') {
    return isMalformedOperation(event) ? [] : [rejectOperation(snapshot.context, event)];
  }
  if (event.type !== 'notification' || typeof event.notification !== 'object') return [];
  const { context } = snapshot;
  const notification = event.notification;
  const { callId } = context;
  const verdict = classifyNotification(
    { state: context.state, phase: phaseOfContext(context), etag: context.etag },
    notification,
  );
  // An operation's result or a roster after the end is not live news: the call's operations
  // all ended with it.
  const live =
    verdict === 'subresource' &&
    notification.resource !== 'operation' &&
    notification.resource !== 'participants';
  return live
    ? [{ type: 'notification.subresource', callId, notification, at: event.at }]
    : [{ type: 'notification.ignored', callId, notification, verdict: 'late', at: event.at }];
}

function isIntent(event: CallEvent): boolean {
  return (
    event.type === 'answer' ||
    event.type === 'reject' ||
    event.type === 'redirect' ||
    event.type === 'transfer'
  );
}

// The news of a move goes before the first command or the termination it led to, and after the
// notification that caused it: the order a listener would tell the story in.
function announceChange(before: CallContext, after: CallContext, emitted: CallEmitted[]): void {
  if (before === after) return;
  const from = { state: before.state, phase: phaseOfContext(before) };
  const to = { state: after.state, phase: phaseOfContext(after) };
  if (from.state === to.state && from.phase === to.phase) return;
  const change: CallEmitted =
    after.etag === null
      ? { type: 'call.stateChanged', callId: after.callId, from, to, at: after.updatedAt }
      : {
          type: 'call.stateChanged',
          callId: after.callId,
          from,
          to,
          etag: after.etag,
          at: after.updatedAt,
        };
  const at = emitted.findIndex(
    (event) =>
      event.type === 'call.terminated' ||
      event.type === 'call.incoming' ||
      event.type === 'call.established' ||
      event.type.startsWith('graph.'),
  );
  emitted.splice(at === -1 ? emitted.length : at, 0, change);
}
