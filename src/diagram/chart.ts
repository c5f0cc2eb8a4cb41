/**
 * A plain, ordered reading of an xstate machine's structure — states, transitions, guard and
 * action names — that the diagram renderers (`toMermaid`, `toDot`) and the lifecycle document
 * share, so the three always agree on what the chart says.
 *
 * @example
 * ```ts
 * import { readChart } from './chart.js';
 *
 * const chart = readChart(callMachine);
 * chart.states.get('call.terminating.hangingUp')?.transitions[0]?.event; // 'delete.succeeded'
 * ```
 * @module
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';

/** What kind of state node a chart state is, as xstate calls it. */
export type ChartStateKind = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

/** One state node of the machine, the root included (its `path` is empty). */
export interface ChartState {
  /** The xstate id, e.g. `call.setup.incoming` (what a `#call.setup.incoming` target names). */
  readonly id: string;
  readonly key: string;
  /** Keys from the root, excluding the root: `['setup', 'incoming']`. */
  readonly path: readonly string[];
  readonly kind: ChartStateKind;
  /** For history states: which history. */
  readonly history: 'shallow' | 'deep' | undefined;
  readonly description: string | undefined;
  /** The node's own tags (a snapshot also has its ancestors' tags: see {@link effectiveTags}). */
  readonly tags: readonly string[];
  readonly entry: readonly string[];
  readonly exit: readonly string[];
  readonly parent: string | undefined;
  /** Child ids, in declaration order. */
  readonly children: readonly string[];
  /** For compound states: the id of the initial child. */
  readonly initial: string | undefined;
  /** The node's own transitions, in the order xstate tries them (events first, then `always`). */
  readonly transitions: readonly ChartTransition[];
}

/** One transition of one state node. */
export interface ChartTransition {
  readonly source: string;
  /** Target ids; empty for a targetless transition (actions only, no state change). */
  readonly targets: readonly string[];
  /** The event type; for eventless (`always`) transitions, `always`. */
  readonly event: string;
  readonly eventless: boolean;
  /** The guard as text, `name` or `name(param)`; `undefined` when unguarded. */
  readonly guard: string | undefined;
  /**
   * An unguarded transition after guarded ones for the same event: the fallback, taken only
   * when those guards are false. Labelled `[else]`.
   */
  readonly otherwise: boolean;
  readonly actions: readonly string[];
}

/** The machine, read. `states` holds every node in document order, the root first. */
export interface Chart {
  readonly root: ChartState;
  readonly states: ReadonlyMap<string, ChartState>;
}

type TransitionDefinition = NonNullable<AnyStateNode['always']>[number];

/** Reads a machine's structure into a {@link Chart}. Pure; the result is ordered as declared. */
export function readChart(machine: AnyStateMachine): Chart {
  const states = new Map<string, ChartState>();
  const visit = (node: AnyStateNode): void => {
    states.set(node.id, readState(node));
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(machine.root);
  const root = states.get(machine.root.id);
  if (root === undefined) throw new Error(`readChart: the root ${machine.root.id} was not read`);
  return { root, states };
}

/** The tags a snapshot in `state` has: its own and every ancestor's, outermost first, once each. */
export function effectiveTags(chart: Chart, state: ChartState): string[] {
  const chain: ChartState[] = [];
  for (let s: ChartState | undefined = state; s !== undefined; s = parentOf(chart, s)) {
    chain.unshift(s);
  }
  return [...new Set(chain.flatMap((s) => s.tags))];
}

/** The parent of a state, or `undefined` for the root. */
export function parentOf(chart: Chart, state: ChartState): ChartState | undefined {
  return state.parent === undefined ? undefined : chart.states.get(state.parent);
}

/** Whether `inner` is `outer` or lies inside it. */
export function isWithin(inner: ChartState, outer: ChartState): boolean {
  return inner.path.length >= outer.path.length && outer.path.every((k, i) => inner.path[i] === k);
}

/** `event [guard] / action, action`; actions only when asked for. */
export function transitionLabel(t: ChartTransition, withActions: boolean): string {
  let label = t.event;
  const guard = guardText(t);
  if (guard !== undefined) label += ` [${guard}]`;
  if (withActions && t.actions.length > 0) label += ` / ${t.actions.join(', ')}`;
  return label;
}

/** What goes between the brackets of a label: the guard, `else` for a fallback, or nothing. */
export function guardText(t: ChartTransition): string | undefined {
  return t.otherwise ? 'else' : t.guard;
}

function readState(node: AnyStateNode): ChartState {
  const transitions: ChartTransition[] = [];
  for (const [eventType, list] of node.transitions) {
    transitions.push(...readTransitions(node.id, eventLabel(eventType), false, list));
  }
  transitions.push(...readTransitions(node.id, 'always', true, node.always ?? []));
  return {
    id: node.id,
    key: node.key,
    path: [...node.path],
    kind: node.type,
    // `{ type: 'history' }` leaves `history` false, and xstate then restores shallowly.
    history: node.type !== 'history' ? undefined : node.history === 'deep' ? 'deep' : 'shallow',
    description: node.description,
    tags: [...node.tags],
    entry: node.entry.map(describeRef),
    exit: node.exit.map(describeRef),
    parent: node.parent?.id,
    children: Object.values(node.states).map((child) => child.id),
    initial: node.type === 'compound' ? node.initial.target[0]?.id : undefined,
    transitions,
  };
}

function readTransitions(
  source: string,
  event: string,
  eventless: boolean,
  list: readonly TransitionDefinition[],
): ChartTransition[] {
  // xstate tries the transitions for one event in order and takes the first whose guard holds,
  // so an unguarded one after guarded ones is the "otherwise" branch: labelled [else].
  let guardedBefore = false;
  return list.map((t) => {
    const otherwise = t.guard === undefined && guardedBefore;
    if (t.guard !== undefined) guardedBefore = true;
    return {
      source,
      targets: (t.target ?? []).map((target) => target.id),
      event,
      eventless,
      guard: t.guard === undefined ? undefined : describeRef(t.guard),
      otherwise,
      actions: t.actions.map(describeRef),
    };
  });
}

// xstate names delayed and completion events after internal ids; show what they mean instead.
function eventLabel(eventType: string): string {
  const after = /^xstate\.after\.(.+)\.[^.]+$/.exec(eventType);
  if (after?.[1] !== undefined)
    return /^\d+$/.test(after[1]) ? `after ${after[1]}ms` : `after ${after[1]}`;
  const done = /^xstate\.(done|error)\.actor\.(.+)$/.exec(eventType);
  if (done?.[1] !== undefined && done[2] !== undefined) return `${done[1]}(${done[2]})`;
  if (eventType.startsWith('xstate.done.state.')) return 'done';
  return eventType;
}

/**
 * The name of a guard or action reference: `'name'`, `{ type, params }` (rendered
 * `type(params)`), a higher-order guard (`not(a)`, `and(a, b)`), or an inline function (its name).
 */
export function describeRef(ref: unknown): string {
  if (typeof ref === 'string') return ref;
  if (typeof ref === 'function') return describeFunction(ref);
  if (typeof ref === 'object' && ref !== null && 'type' in ref && typeof ref.type === 'string') {
    const params = 'params' in ref ? formatParams(ref.params) : '';
    return params === '' ? ref.type : `${ref.type}(${params})`;
  }
  return 'inline';
}

function describeFunction(fn: object): string {
  const name = 'name' in fn && typeof fn.name === 'string' && fn.name !== '' ? fn.name : 'inline';
  // xstate's and/or/not keep their operands on `guards`; stateIn keeps its value on `stateValue`.
  if ('guards' in fn && Array.isArray(fn.guards)) {
    return `${name}(${fn.guards.map(describeRef).join(', ')})`;
  }
  if ('stateValue' in fn) return `${name}(${formatValue(fn.stateValue)})`;
  // Built-in actions (assign, raise, emit…) are functions whose `type` is `xstate.<name>`.
  if ('type' in fn && typeof fn.type === 'string') return fn.type.replace(/^xstate\./, '');
  return name;
}

// A single parameter reads as `appliesAs(established)`; several as `retry(max=3, ms=100)`.
function formatParams(params: unknown): string {
  if (params === undefined || params === null) return '';
  if (typeof params === 'object' && !Array.isArray(params)) {
    const entries = Object.entries(params);
    const [only] = entries;
    if (entries.length === 1 && only !== undefined) return formatValue(only[1]);
    return entries.map(([k, v]) => `${k}=${formatValue(v)}`).join(', ');
  }
  return formatValue(params);
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  if (typeof value === 'function') return describeFunction(value);
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}=${formatValue(v)}`)
      .join(', ')}}`;
  }
  return String(value);
}

/**
 * Whether a transition is drawn from its source's "any state" box rather than from the source.
 *
 * A compound state's transitions apply in each of its descendants. One that leaves the state is
 * drawn from the state's outline; but an arrow from an outline to a state inside it (or one with
 * no target at all) says nothing readable, and repeating it from every descendant buries the
 * chart. Those are drawn once, from a box that stands for "any state in here". The root's
 * transitions (every target is inside the root) are all drawn that way.
 */
export function fromAnyState(chart: Chart, t: ChartTransition): boolean {
  const source = chart.states.get(t.source);
  if (source === undefined || (source.kind !== 'compound' && source.kind !== 'parallel')) {
    return false;
  }
  if (source.parent === undefined || t.targets.length === 0) return true;
  return t.targets.some((id) => {
    const target = chart.states.get(id);
    return target !== undefined && isWithin(target, source);
  });
}

/** The states that get an "any state" box, in document order. */
export function statesWithAnyStateBox(chart: Chart): ChartState[] {
  return [...chart.states.values()].filter((s) =>
    s.transitions.some((t) => fromAnyState(chart, t)),
  );
}

/** What the "any state" box of `state` is called: `any state` for the root, else `any <key> state`. */
export function anyStateLabel(state: ChartState): string {
  return state.parent === undefined ? 'any state' : `any ${state.key} state`;
}

/**
 * The lines written inside a state's box: its targetless transitions (they run actions and
 * change no state, UML's internal transitions) and, when actions are shown, `entry / …`,
 * `exit / …`. For a compound state these belong in its "any state" box.
 */
export function internalLines(state: ChartState, withActions: boolean): string[] {
  const lines: string[] = [];
  if (withActions && state.kind !== 'compound' && state.kind !== 'parallel') {
    if (state.entry.length > 0) lines.push(`entry / ${state.entry.join(', ')}`);
    if (state.exit.length > 0) lines.push(`exit / ${state.exit.join(', ')}`);
  }
  for (const t of state.transitions) {
    if (t.targets.length === 0) lines.push(transitionLabel(t, withActions));
  }
  return lines;
}

/**
 * Where an edge belongs: the deepest state containing both ends as drawn (a state is drawn in
 * its parent; an "any state" box inside its own state). Renderers that nest edges in compound
 * blocks place each edge there.
 */
export function edgeContainer(chart: Chart, t: ChartTransition, target: ChartState): ChartState {
  const source = chart.states.get(t.source);
  if (source === undefined) return chart.root;
  const from = fromAnyState(chart, t) ? source.path : source.path.slice(0, -1);
  const to = target.path.slice(0, -1);
  let depth = 0;
  while (depth < from.length && depth < to.length && from[depth] === to[depth]) depth++;
  let container = chart.root;
  for (const key of from.slice(0, depth)) {
    const next = container.children
      .map((id) => chart.states.get(id))
      .find((child) => child?.key === key);
    if (next === undefined) break;
    container = next;
  }
  return container;
}
