import type { AnyStateMachine } from 'xstate';
import {
  anyStateLabel,
  type Chart,
  type ChartState,
  type ChartTransition,
  fromAnyState,
  guardText,
  internalLines,
  readChart,
  statesWithAnyStateBox,
} from './chart.js';

/** How {@link toDot} draws a machine. */
export interface DotOptions {
  /** Append actions to transition labels and list entry and exit actions in states. Default `false`. */
  readonly actions?: boolean;
  /** Graphviz `rankdir`. Default `LR`: a lifecycle's phases read left to right. */
  readonly rankdir?: 'TB' | 'LR';
}

/**
 * Draws an xstate machine as a Graphviz DOT digraph, for rendering to SVG or PNG
 * (`dot -Tsvg lifecycle.dot -o lifecycle.svg`).
 *
 * It follows the same conventions as {@link toMermaid}: compound states are clusters with a
 * filled dot marking the initial state, a final state leads to a bullseye, a history state is a
 * circled `H`, transitions read `event` over `[guard]`, and a compound state's transitions that
 * stay inside it (all of the root's) leave one dashed `any state` box. Where five or more
 * transitions leave one place on one event, they meet at a junction (a diamond): the event is
 * written once, each branch carries only its guard. Each state's description becomes its
 * tooltip, so an SVG explains a state on hover. Laid out left to right by default; an edge that
 * runs back to an earlier top-level state (a failed hang-up returning to history) does not rank
 * the states, so it cannot pull an earlier phase after a later one.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { callMachine } from 'graph-call-machine';
 * import { toDot } from 'graph-call-machine/diagram';
 *
 * writeFileSync('lifecycle.dot', toDot(callMachine));
 * // then: dot -Tsvg lifecycle.dot -o lifecycle.svg
 * ```
 */
export function toDot(machine: AnyStateMachine, options: DotOptions = {}): string {
  const chart = readChart(machine);
  const withActions = options.actions === true;
  const anyBoxes = new Set(statesWithAnyStateBox(chart).map((s) => s.id));
  const out: string[] = [
    `digraph ${quote(chart.root.id)} {`,
    `  graph [compound=true, rankdir=${options.rankdir ?? 'LR'}, fontname="Helvetica", fontsize=12, nodesep=0.3, ranksep=0.45];`,
    '  node [fontname="Helvetica", fontsize=11, shape=box, style=rounded, height=0.35];',
    '  edge [fontname="Helvetica", fontsize=9, arrowsize=0.7, color="#333333"];',
  ];
  if (chart.root.description !== undefined) {
    out.push(`  tooltip=${quote(chart.root.description)};`);
  }
  writeCluster(chart, chart.root, anyBoxes, withActions, '  ', out);
  for (const state of chart.states.values()) {
    for (const edge of edgesOf(chart, state, withActions)) {
      if (edge.junction !== undefined) {
        out.push(
          `  ${quote(edge.to)} [shape=diamond, label="", width=0.18, height=0.18, style=filled, fillcolor="${edge.junction}", color="${edge.junction}"];`,
        );
      }
      out.push(`  ${quote(edge.from)} -> ${quote(edge.to)} [${edge.attrs.join(', ')}];`);
    }
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}

const initialId = (state: ChartState): string => `${state.id}.[*]`;
const finalId = (state: ChartState): string => `${state.id}.[final]`;
const anyId = (state: ChartState): string => `${state.id}.[any]`;
const isCluster = (state: ChartState): boolean =>
  state.kind === 'compound' || state.kind === 'parallel';

function writeCluster(
  chart: Chart,
  block: ChartState,
  anyBoxes: ReadonlySet<string>,
  withActions: boolean,
  pad: string,
  out: string[],
): void {
  if (block.initial !== undefined) {
    out.push(`${pad}${quote(initialId(block))} [shape=point, width=0.12, label=""];`);
    out.push(`${pad}${quote(initialId(block))} -> ${quote(block.initial)};`);
  }
  if (anyBoxes.has(block.id)) {
    const lines = internalLines(block, withActions);
    out.push(
      `${pad}${quote(anyId(block))} [style="rounded,dashed", color="#666666", label=${boxLabel(anyStateLabel(block), lines)}, tooltip=${quote(`Transitions of ${block.id} that apply in every state inside it.`)}];`,
    );
  }
  const children = block.children.flatMap((id) => chart.states.get(id) ?? []);
  for (const child of children) {
    const tooltip = child.description === undefined ? '' : `, tooltip=${quote(child.description)}`;
    if (isCluster(child)) {
      out.push(`${pad}subgraph ${quote(`cluster_${child.id}`)} {`);
      out.push(
        `${pad}  label=${quote(child.key)}; style=${child.kind === 'parallel' ? '"rounded,dashed"' : 'rounded'}; color="#888888"; fontname="Helvetica-Bold"${tooltip === '' ? '' : `; tooltip=${quote(child.description ?? '')}`};`,
      );
      writeCluster(chart, child, anyBoxes, withActions, `${pad}  `, out);
      out.push(`${pad}}`);
    } else if (child.kind === 'history') {
      const name = child.history === 'deep' ? 'H*' : 'H';
      out.push(
        `${pad}${quote(child.id)} [shape=circle, fixedsize=true, width=0.3, label=${quote(name)}${tooltip}];`,
      );
    } else {
      const lines = internalLines(child, withActions);
      const labelAttr = lines.length === 0 ? quote(child.key) : boxLabel(child.key, lines);
      out.push(`${pad}${quote(child.id)} [label=${labelAttr}${tooltip}];`);
      if (child.kind === 'final') {
        out.push(
          `${pad}${quote(finalId(child))} [shape=doublecircle, style=filled, fillcolor=black, width=0.1, label=""];`,
        );
        out.push(`${pad}${quote(child.id)} -> ${quote(finalId(child))};`);
      }
    }
  }
}

interface DrawnEdge {
  readonly from: string;
  readonly to: string;
  readonly attrs: readonly string[];
  /** Set on the edge into a junction: the junction's colour, so it is declared first. */
  readonly junction?: string;
}

/**
 * The edges of one state's transitions. Five or more transitions from one place on one event
 * meet at a junction (UML's choice, a small diamond): one edge carries the event, each branch
 * only its guard, which keeps fan-outs such as `starting`'s or the root's `notification` legible.
 */
function edgesOf(chart: Chart, state: ChartState, withActions: boolean): DrawnEdge[] {
  const groups = new Map<string, ChartTransition[]>();
  for (const t of state.transitions) {
    if (t.targets.length === 0) continue;
    const key = `${fromAnyState(chart, t) ? 'any' : 'self'} ${t.event}`;
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  const edges: DrawnEdge[] = [];
  for (const group of groups.values()) {
    const [first] = group;
    if (first === undefined) continue;
    const tail = tailOf(chart, state, first);
    const branchCount = group.reduce((n, t) => n + t.targets.length, 0);
    if (branchCount < JUNCTION_AT) {
      for (const t of group) edges.push(...branchEdges(chart, tail, t, edgeLabel(t, withActions)));
      continue;
    }
    const junction = `${tail.from}.(${first.event})`;
    edges.push({
      from: tail.from,
      to: junction,
      attrs: [...tail.attrs, `label=${quote(first.event)}`],
      junction: tail.viaAny === true ? GREY : INK,
    });
    const junctionTail: Tail = {
      from: junction,
      attrs: tail.attrs.filter((a) => !a.startsWith('ltail=')),
      order: tail.order,
    };
    for (const t of group) {
      edges.push(...branchEdges(chart, junctionTail, t, guardLabel(t, withActions)));
    }
  }
  return edges;
}

const JUNCTION_AT = 5;
const GREY = '#999999';
const INK = '#333333';

interface Tail {
  readonly from: string;
  readonly attrs: readonly string[];
  /** The top-level position of the source, to tell edges that run back against the phases. */
  readonly order: number;
  readonly viaAny?: boolean;
}

function tailOf(chart: Chart, state: ChartState, t: ChartTransition): Tail {
  const order = topLevelOrder(chart, state);
  if (fromAnyState(chart, t)) {
    return {
      from: anyId(state),
      attrs: ['style=dashed', `color="${GREY}"`, 'fontcolor="#666666"'],
      order,
      viaAny: true,
    };
  }
  if (isCluster(state)) {
    // An edge leaves a cluster from a node inside it, clipped at the cluster's border.
    return {
      from: anchorOf(chart, state),
      attrs: [`ltail=${quote(`cluster_${state.id}`)}`],
      order,
    };
  }
  return { from: state.id, attrs: [], order };
}

function branchEdges(chart: Chart, tail: Tail, t: ChartTransition, label: string): DrawnEdge[] {
  return t.targets.flatMap((targetId) => {
    const target = chart.states.get(targetId);
    if (target === undefined) return [];
    const attrs = [...tail.attrs];
    if (label !== '') attrs.push(`label=${quote(label)}`);
    if (isCluster(target)) attrs.push(`lhead=${quote(`cluster_${target.id}`)}`);
    // An edge back to an earlier phase (a failed hang-up returning to history) would pull
    // that phase after the later one; it is drawn but does not rank the states.
    if (topLevelOrder(chart, target) < tail.order) attrs.push('constraint=false');
    return [
      { from: tail.from, to: isCluster(target) ? anchorOf(chart, target) : target.id, attrs },
    ];
  });
}

// The index, among the root's children, of the one holding `state` (-1 for the root itself).
function topLevelOrder(chart: Chart, state: ChartState): number {
  const [top] = state.path;
  if (top === undefined) return -1;
  return chart.root.children.findIndex((id) => chart.states.get(id)?.key === top);
}

// A node inside a cluster for edges to attach to: its initial dot, else its first child.
function anchorOf(chart: Chart, cluster: ChartState): string {
  if (cluster.initial !== undefined) return initialId(cluster);
  const first = cluster.children.map((id) => chart.states.get(id)).find((s) => s !== undefined);
  if (first === undefined) return cluster.id;
  return isCluster(first) ? anchorOf(chart, first) : first.id;
}

function edgeLabel(t: ChartTransition, withActions: boolean): string {
  const guard = guardLabel(t, withActions);
  return guard === '' ? t.event : `${t.event}\n${guard}`;
}

function guardLabel(t: ChartTransition, withActions: boolean): string {
  const lines: string[] = [];
  const guard = guardText(t);
  if (guard !== undefined) lines.push(`[${guard}]`);
  if (withActions && t.actions.length > 0) lines.push(`/ ${t.actions.join(', ')}`);
  return lines.join('\n');
}

// A box with a bold title over a rule and left-aligned lines: UML's internal transitions.
function boxLabel(title: string, lines: readonly string[]): string {
  const rows = lines.map((line) => `<tr><td align="left">${html(line)}</td></tr>`).join('');
  return `<<table border="0" cellborder="0" cellspacing="0" cellpadding="2"><tr><td><b>${html(title)}</b></td></tr><hr/>${rows}</table>>`;
}

function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function html(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
