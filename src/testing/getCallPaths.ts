/**
 * Paths through the real `callMachine`, from `xstate/graph`, as data a test can replay
 * against its own bot: each path says where the call starts and which events, in order,
 * lead to which states.
 *
 * @example
 * ```ts
 * import { getCallPaths } from 'graph-call-machine/testing';
 *
 * for (const path of getCallPaths({ kind: 'shortest' })) {
 *   it(path.description, async () => {
 *     const bot = startMyBot(path.input);
 *     for (const step of path.steps) {
 *       await bot.apply(step.event);
 *       expect(bot.callState()).toEqual(step.snapshot.context.state);
 *     }
 *   });
 * }
 * ```
 * @module
 */
import type { AnyStateMachine } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { GRAPH_CALL_STATES, type KnownCallState } from '../graph/callState.js';
import { callMachine } from '../machine/callMachine.js';
import { type CallSnapshot, startCall, stepCall } from '../machine/stepCall.js';
import type { CallEvent, CallInput } from '../machine/types.js';
import { callTestEvents, TEST_CALL_ID } from './callTestEvents.js';

/** Options of {@link getCallPaths}. */
export interface CallPathOptions {
  /** `shortest`: one shortest path to every vertex (default). `simple`: every path without a repeated vertex — many more. */
  readonly kind?: 'shortest' | 'simple';
  /**
   * `states` (default): one path per distinct call state. `transitions`: also one path for
   * every transition the state paths do not take, in every state where it is enabled: those
   * that lead back to a state already seen (a failed hang-up returning to `established`) and
   * those that change nothing but what the bot is told (a stale notification). Each is the
   * shortest path to that state plus the event.
   */
  readonly cover?: 'states' | 'transitions';
  /** The events to try in every state. Default {@link callTestEvents}. */
  readonly events?: readonly CallEvent[] | ((snapshot: CallSnapshot) => readonly CallEvent[]);
  /** Where calls start. Default: one input per state a call can be adopted in. */
  readonly inputs?: readonly CallInput[];
  /** Keep only paths ending in a snapshot for which this is true. */
  readonly toState?: (snapshot: CallSnapshot) => boolean;
  /** A machine built from `callMachine.provide(...)`, to test a variant. Default `callMachine`. */
  readonly machine?: typeof callMachine;
}

/** One step of a path: the event sent, and the snapshot it led to. */
export interface CallPathStep {
  readonly event: CallEvent;
  readonly snapshot: CallSnapshot;
}

/** A path: the input the call starts from, and the steps from there. */
export interface CallPath {
  readonly input: CallInput;
  /** The snapshot right after start, before any step. */
  readonly start: CallSnapshot;
  readonly steps: readonly CallPathStep[];
  /** The last snapshot (the start when there are no steps). */
  readonly snapshot: CallSnapshot;
  /** A readable summary, for test names: `from established: hangUp → delete.succeeded → …`. */
  readonly description: string;
}

const ADOPTABLE = GRAPH_CALL_STATES.filter(
  (state): state is KnownCallState => state !== 'unknownFutureValue',
);

/** One input per state a call can be adopted in. */
export const callTestInputs: readonly CallInput[] = ADOPTABLE.map((state) => ({
  callId: TEST_CALL_ID,
  state,
}));

// Two snapshots are the same state when the chart position and everything the machine
// decides on are equal; timestamps are left out so paths differing only in time merge.
// What the machine decides on, without timestamps and retry counts (their limits are reached
// by the same transitions as a first failure), so the graph stays small enough to replay.
function stateKey(snapshot: CallSnapshot): unknown[] {
  const c = snapshot.context;
  return [
    snapshot.value,
    c.state,
    c.etag,
    c.hangUp !== null,
    c.verifications,
    // Which deadline runs tells a setup call waiting for its check's GET from one that is not.
    c.deadline?.kind ?? null,
    c.outcome?.reason ?? null,
    c.command === null ? null : `${c.command.verb}:${c.command.status}`,
  ];
}

function describeEvent(event: CallEvent): string {
  switch (event.type) {
    case 'notification': {
      const n = event.notification;
      return n.resource === 'call'
        ? `${n.changeType} ${n.state ?? '(no state)'}${n.etag === undefined ? '' : ` ${n.etag}`}`
        : `${n.changeType} ${n.resource}`;
    }
    case 'delete.failed':
      return `DELETE ${event.status}`;
    case 'getCall.result':
      return `GET ${event.status}${event.state === undefined ? '' : ` ${event.state}`}`;
    case 'keepAlive.result':
      return `keepAlive ${event.status}`;
    case 'delete.succeeded':
      return 'DELETE 204';
    case 'answer.succeeded':
    case 'reject.succeeded':
    case 'redirect.succeeded':
    case 'transfer.succeeded':
      return `${event.type.replace('.succeeded', '')} 202`;
    case 'answer.failed':
    case 'reject.failed':
    case 'redirect.failed':
    case 'transfer.failed':
      return `${event.type.replace('.failed', '')} ${event.status}`;
    case 'operation':
      return `${event.operation.kind}`;
    case 'operation.responded':
      return `operation ${event.status}${event.report?.status === undefined ? '' : ` ${event.report.status}`}`;
    case 'operation.requestFailed':
      return `operation ${event.status}`;
    case 'hangUp':
    case 'deadline.reached':
    case 'answer':
    case 'reject':
    case 'redirect':
    case 'transfer':
      return event.type;
  }
}

/**
 * Paths through the call machine from every adoptable state (or the given inputs), built with
 * `getShortestPaths` / `getSimplePaths` from `xstate/graph`.
 *
 * @example
 * ```ts
 * const toTerminated = getCallPaths({ toState: (s) => s.status === 'done' });
 * ```
 */
export function getCallPaths(options: CallPathOptions = {}): CallPath[] {
  const machine = options.machine ?? callMachine;
  const traverse = options.kind === 'simple' ? getSimplePaths : getShortestPaths;
  const events = options.events ?? callTestEvents;
  const paths: CallPath[] = [];
  const covered = new Set<string>();
  for (const input of options.inputs ?? callTestInputs) {
    const found = traverse(machine as AnyStateMachine, {
      input,
      events: events as readonly CallEvent[],
      serializeState: (snapshot) => JSON.stringify(stateKey(snapshot as CallSnapshot)),
      ...(options.toState === undefined
        ? {}
        : { toState: (snapshot) => options.toState?.(snapshot as CallSnapshot) ?? false }),
    });
    const fromInput = found.map((path) => toCallPath(machine, input, path));
    paths.push(...fromInput);
    if (options.cover !== 'transitions') continue;
    for (const path of fromInput)
      for (const key of transitionsTaken(machine, path)) covered.add(key);
    for (const path of fromInput) {
      const snapshot = path.snapshot;
      if (snapshot.status !== 'active') continue;
      const candidates = typeof events === 'function' ? events(snapshot) : events;
      for (const event of candidates) {
        const keys = machine.getTransitionData(snapshot, event).map(transitionKey);
        if (keys.length === 0 || keys.every((key) => covered.has(key))) continue;
        for (const key of keys) covered.add(key);
        paths.push(extend(path, event, stepCall(snapshot, event, machine).snapshot));
      }
    }
  }
  return paths;
}

// xstate/graph merges the snapshots it deems the same state (timestamps left out) and keeps the
// last one it saw: the snapshots of a path are replayed from its input instead, so each one is
// exactly where the path's events lead.
function toCallPath(
  machine: typeof callMachine,
  input: CallInput,
  path: { steps: readonly { event: unknown }[] },
): CallPath {
  // xstate/graph opens every path with the `xstate.init` step that enters the start state.
  const events = path.steps.slice(1).map((step) => step.event as CallEvent);
  const start = startCall(input, machine).snapshot;
  let snapshot = start;
  const steps = events.map((event) => {
    snapshot = stepCall(snapshot, event, machine).snapshot;
    return { event, snapshot };
  });
  return { input, start, steps, snapshot, description: describePath(input, steps) };
}

function extend(path: CallPath, event: CallEvent, snapshot: CallSnapshot): CallPath {
  const steps = [...path.steps, { event, snapshot }];
  return { ...path, steps, snapshot, description: describePath(path.input, steps) };
}

function describePath(input: CallInput, steps: readonly CallPathStep[]): string {
  return `from ${input.state ?? 'establishing'}: ${
    steps.length === 0 ? '(start)' : steps.map((s) => describeEvent(s.event)).join(' → ')
  }`;
}

type TransitionOf = ReturnType<(typeof callMachine)['getTransitionData']>[number];

function changesState(t: TransitionOf): boolean {
  return (t.target ?? []).length > 0;
}

/**
 * Names a transition of the chart: source, event, guard (with its parameters) and targets.
 * The same names {@link transitionsTaken} reports, so a test can count coverage.
 */
export function transitionKey(t: TransitionOf): string {
  const guard = t.guard === undefined ? '' : `[${guardName(t.guard)}]`;
  const targets = (t.target ?? []).map((n) => n.id).join(',');
  return `${t.source.id} --${t.eventType}${guard}--> ${targets}`;
}

function guardName(guard: unknown): string {
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && guard !== null && 'type' in guard) {
    const params =
      'params' in guard && guard.params !== undefined ? JSON.stringify(guard.params) : '';
    return `${String(guard.type)}${params}`;
  }
  return 'inline';
}

/**
 * The transitions a path takes, by {@link transitionKey}: the eventless one that enters the
 * start state, then those of each step (with or without a target).
 */
export function transitionsTaken(machine: typeof callMachine, path: CallPath): string[] {
  const keys: string[] = [];
  const starting = machine.root.states.starting;
  const startLeaf = path.start._nodes.find((n) => n.type === 'atomic' || n.type === 'final')?.id;
  const entering = (starting?.always ?? []).filter((t) =>
    (t.target ?? []).some((n) => startLeaf === n.id || startLeaf?.startsWith(`${n.id}.`) === true),
  );
  // Several eventless branches may target one node (the unguarded default among them): the
  // one that fired is the one naming the input state, else the default.
  const fired =
    entering.find((t) => guardName(t.guard).includes(JSON.stringify(path.input.state))) ??
    entering.find((t) => t.guard === undefined);
  if (fired !== undefined) keys.push(transitionKey(fired));
  let previous = path.start;
  for (const step of path.steps) {
    for (const t of machine.getTransitionData(previous, step.event)) keys.push(transitionKey(t));
    previous = step.snapshot;
  }
  return keys;
}

/** Every state-changing transition of the chart, by {@link transitionKey}. */
export function allStateChangingTransitions(machine: typeof callMachine = callMachine): string[] {
  const keys: string[] = [];
  const visit = (node: (typeof callMachine)['root']) => {
    for (const t of [...[...node.transitions.values()].flat(), ...(node.always ?? [])]) {
      if (changesState(t)) keys.push(transitionKey(t));
    }
    for (const child of Object.values(node.states)) visit(child as (typeof callMachine)['root']);
  };
  visit(machine.root);
  return keys;
}
