/**
 * A small, deterministic layout of a machine's chart for the console, computed from
 * {@link readChart} (no Graphviz at runtime): the root's children side by side in declaration
 * order, each compound state a box with its children stacked inside, history states as small
 * `H` boxes. Each transition that changes state is an edge; the transitions of one source to
 * three or more children of one compound are drawn as one edge to that compound, and those a
 * compound takes from any of its states start at its "any state" box, as the diagram renderers
 * draw them. Which events an edge stands for is kept for its tooltip.
 *
 * @example
 * ```ts
 * const layout = layoutChart(readChart(callMachine));
 * layout.boxes.find((box) => box.state === 'active.established'); // { x, y, w, h, … }
 * ```
 * @internal
 * @module
 */
import {
  anyStateLabel,
  type Chart,
  type ChartState,
  type ChartStateKind,
  fromAnyState,
} from '../diagram/chart.js';

/** A box of the layout: a state, or the "any state" box of a compound state (or of the root). */
export interface LayoutBox {
  /** The chart id (`call.setup.incoming`), or `<id>#any` for an "any state" box. */
  readonly id: string;
  /** The state as a snapshot value reads (`setup.incoming`); `''` for an "any state" box. */
  readonly state: string;
  readonly label: string;
  readonly kind: ChartStateKind | 'any';
  readonly description: string | undefined;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** An edge: the transitions of one source to one target, with the events that take them. */
export interface LayoutEdge {
  /** Box ids. */
  readonly source: string;
  readonly target: string;
  readonly events: readonly string[];
  /** SVG path data, ending at the target's border. */
  readonly path: string;
}

export interface ChartLayout {
  readonly width: number;
  readonly height: number;
  /** Outer boxes before the boxes inside them. */
  readonly boxes: readonly LayoutBox[];
  readonly edges: readonly LayoutEdge[];
}

const ATOM_W = 116;
const ATOM_H = 28;
const HISTORY_W = 28;
const HISTORY_H = 22;
const PAD = 10;
const HEADER = 22;
const GAP = 8;
const COLUMN_GAP = 44;
const MARGIN = 16;
const LANE_STEP = 7;
const CORNER = 5;
// One source sending to this many children of one compound gets one edge to the compound.
const MERGE_AT = 3;

interface Sized {
  readonly id: string;
  readonly state: ChartState | undefined; // undefined: an "any state" box
  readonly owner: ChartState;
  readonly w: number;
  readonly h: number;
  readonly children: readonly Sized[];
  /** Boxes stacked in one column without a box around them. */
  readonly stack?: true;
}

/** Lays the chart out. Pure: the same chart gives the same layout. */
export function layoutChart(chart: Chart): ChartLayout {
  const needsAnyBox = new Set(
    [...chart.states.values()]
      .filter((s) => s.transitions.some((t) => t.targets.length > 0 && fromAnyState(chart, t)))
      .map((s) => s.id),
  );
  const size = (state: ChartState): Sized => {
    const children = state.children.flatMap((id) => {
      const child = chart.states.get(id);
      return child === undefined ? [] : [size(child)];
    });
    if (needsAnyBox.has(state.id) && state.parent !== undefined) children.unshift(anyBox(state));
    if (children.length === 0) {
      const small = state.kind === 'history';
      return {
        id: state.id,
        state,
        owner: state,
        w: small ? HISTORY_W : ATOM_W,
        h: small ? HISTORY_H : ATOM_H,
        children,
      };
    }
    const w = Math.max(...children.map((c) => c.w)) + 2 * PAD;
    const h =
      HEADER + children.reduce((sum, c) => sum + c.h, 0) + GAP * (children.length - 1) + PAD;
    return { id: state.id, state, owner: state, w, h, children };
  };
  const anyBox = (state: ChartState): Sized => ({
    id: `${state.id}#any`,
    state: undefined,
    owner: state,
    w: ATOM_W,
    h: ATOM_H,
    children: [],
  });

  const columns: Sized[] = chart.root.children.flatMap((id) => {
    const state = chart.states.get(id);
    return state === undefined ? [] : [size(state)];
  });
  // The root's "any state" box goes above the first column rather than in a column of its own.
  const [first] = columns;
  if (needsAnyBox.has(chart.root.id) && first !== undefined) {
    const any = anyBox(chart.root);
    columns[0] = {
      id: `${chart.root.id}#column`,
      state: undefined,
      owner: chart.root,
      w: Math.max(any.w, first.w),
      h: any.h + GAP * 4 + first.h,
      children: [any, first],
      stack: true,
    };
  }
  const tallest = Math.max(...columns.map((c) => c.h));

  const boxes: LayoutBox[] = [];
  const columnOf = new Map<string, number>();
  let column = 0;
  const place = (sized: Sized, x: number, y: number): void => {
    columnOf.set(sized.id, column);
    if (sized.stack === true) {
      let stackY = y;
      for (const child of sized.children) {
        place(child, x + (sized.w - child.w) / 2, stackY);
        stackY += child.h + GAP * 4;
      }
      return;
    }
    const { state } = sized;
    boxes.push({
      id: sized.id,
      state: state === undefined ? '' : state.path.join('.'),
      label:
        state === undefined
          ? anyStateLabel(sized.owner)
          : state.kind === 'history'
            ? historyLabel(state)
            : state.key,
      kind: state === undefined ? 'any' : state.kind,
      description: state?.description,
      x,
      y,
      w: sized.w,
      h: sized.h,
    });
    let childY = y + HEADER;
    for (const child of sized.children) {
      place(child, x + (sized.w - child.w) / 2, childY);
      childY += child.h + GAP;
    }
  };
  let x = MARGIN;
  for (const sized of columns) {
    place(sized, x, (tallest - sized.h) / 2);
    x += sized.w + COLUMN_GAP;
    column += 1;
  }
  const byId = new Map(boxes.map((box) => [box.id, box]));
  const { edges, above, below } = routeEdges(chart, byId, columnOf, needsAnyBox);
  // Shift everything down past the lanes above the boxes.
  const dy = MARGIN + above;
  return {
    width: x - COLUMN_GAP + MARGIN,
    height: dy + tallest + below + MARGIN,
    boxes: boxes.map((box) => ({ ...box, y: box.y + dy })),
    edges: edges.map((edge) => ({ ...edge, path: shiftPath(edge.path, dy) })),
  };
}

function historyLabel(state: ChartState): string {
  return state.history === 'deep' ? 'H*' : 'H';
}

/** Which events lead from which box to which box, merged as the module comment says. */
function edgeTargets(
  chart: Chart,
  boxes: ReadonlyMap<string, LayoutBox>,
  anyBoxes: ReadonlySet<string>,
) {
  const events = new Map<string, Map<string, Set<string>>>(); // source → target → events
  for (const state of chart.states.values()) {
    for (const t of state.transitions) {
      if (t.targets.length === 0) continue;
      const source =
        fromAnyState(chart, t) && anyBoxes.has(state.id) ? `${state.id}#any` : state.id;
      if (!boxes.has(source)) continue;
      for (const target of t.targets) {
        if (target === source || !boxes.has(target)) continue;
        const targets = events.get(source) ?? new Map<string, Set<string>>();
        events.set(source, targets);
        const names = targets.get(target) ?? new Set<string>();
        targets.set(target, names);
        names.add(t.event);
      }
    }
  }
  for (const targets of events.values()) {
    const byParent = new Map<string, string[]>();
    for (const target of targets.keys()) {
      const parent = chart.states.get(target)?.parent;
      if (parent === undefined || parent === chart.root.id) continue;
      byParent.set(parent, [...(byParent.get(parent) ?? []), target]);
    }
    for (const [parent, children] of byParent) {
      if (children.length < MERGE_AT) continue;
      const merged = targets.get(parent) ?? new Set<string>();
      for (const child of children) {
        for (const name of targets.get(child) ?? []) merged.add(name);
        targets.delete(child);
      }
      targets.set(parent, merged);
    }
  }
  return events;
}

function routeEdges(
  chart: Chart,
  boxes: ReadonlyMap<string, LayoutBox>,
  columnOf: ReadonlyMap<string, number>,
  anyBoxes: ReadonlySet<string>,
): { edges: LayoutEdge[]; above: number; below: number } {
  type Route = { s: LayoutBox; t: LayoutBox; source: string; target: string; events: string[] };
  const routes: Route[] = [];
  for (const [source, targets] of edgeTargets(chart, boxes, anyBoxes)) {
    const s = boxes.get(source);
    for (const [target, names] of targets) {
      const t = boxes.get(target);
      if (s !== undefined && t !== undefined)
        routes.push({ s, t, source, target, events: [...names] });
    }
  }
  const top = Math.min(...[...boxes.values()].map((b) => b.y));
  const bottom = Math.max(...[...boxes.values()].map((b) => b.y + b.h));
  let above = 0;
  let below = 0;
  let beside = 0;
  const edges = routes.map(({ s, t, source, target, events }): LayoutEdge => {
    const from = columnOf.get(source) ?? 0;
    const to = columnOf.get(target) ?? 0;
    let path: string;
    if (to === from + 1) {
      // Into the next column: right side to left side.
      const [sx, sy, ex, ey] = [s.x + s.w, s.y + s.h / 2, t.x, t.y + t.h / 2];
      const dx = Math.max(16, (ex - sx) / 2);
      path = `M${r(sx)},${r(sy)} C${r(sx + dx)},${r(sy)} ${r(ex - dx)},${r(ey)} ${r(ex)},${r(ey)}`;
    } else if (to > from) {
      // Further right: over the top, in a lane of its own.
      above += 1;
      const lane = top - LANE_STEP * above;
      const nudge = ((above % 5) - 2) * 5;
      path = orthogonal(s.x + s.w / 2 + nudge, s.y, lane, t.x + t.w / 2 + nudge, t.y);
    } else if (to < from) {
      // Back to the left: under the bottom, in a lane of its own.
      below += 1;
      const lane = bottom + LANE_STEP * below;
      const nudge = ((below % 5) - 2) * 5;
      path = orthogonal(s.x + s.w / 2 + nudge, s.y + s.h, lane, t.x + t.w / 2 + nudge, t.y + t.h);
    } else {
      // Within one column (states of one compound): an arc on the right.
      beside += 1;
      const [sx, sy, ex, ey] = [s.x + s.w, s.y + s.h / 2, t.x + t.w, t.y + t.h / 2];
      const out = Math.max(sx, ex) + 12 + (beside % 4) * 6;
      path = `M${r(sx)},${r(sy)} C${r(out)},${r(sy)} ${r(out)},${r(ey)} ${r(ex)},${r(ey)}`;
    }
    return { source, target, events, path };
  });
  return { edges, above: above * LANE_STEP, below: below * LANE_STEP };
}

/** Vertical, horizontal along `lane`, vertical, with rounded corners. */
function orthogonal(sx: number, sy: number, lane: number, ex: number, ey: number): string {
  const down = lane > sy ? 1 : -1;
  const dir = ex > sx ? 1 : -1;
  const c = Math.min(CORNER, Math.abs(ex - sx) / 2);
  return [
    `M${r(sx)},${r(sy)}`,
    `L${r(sx)},${r(lane - down * c)}`,
    `Q${r(sx)},${r(lane)} ${r(sx + dir * c)},${r(lane)}`,
    `L${r(ex - dir * c)},${r(lane)}`,
    `Q${r(ex)},${r(lane)} ${r(ex)},${r(lane - down * c)}`,
    `L${r(ex)},${r(ey)}`,
  ].join(' ');
}

/** Moves every point of a path made by this module down by `dy`. */
function shiftPath(path: string, dy: number): string {
  return path.replace(
    /(-?[\d.]+),(-?[\d.]+)/g,
    (_, x: string, y: string) => `${x},${r(Number(y) + dy)}`,
  );
}

function r(n: number): string {
  return String(Math.round(n * 10) / 10);
}
