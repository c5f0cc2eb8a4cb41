import type { AnyStateMachine } from 'xstate';
import {
  anyStateLabel,
  type Chart,
  type ChartState,
  edgeContainer,
  fromAnyState,
  internalLines,
  readChart,
  statesWithAnyStateBox,
  transitionLabel,
} from './chart.js';

/** How {@link toMermaid} draws a machine. */
export interface MermaidOptions {
  /**
   * Append actions to transition labels (`event [guard] / a, b`) and list entry and exit actions
   * in atomic states' boxes. Default `false`: events and guards only, so labels stay short.
   */
  readonly actions?: boolean;
  /** Add each atomic state's `description` as a note beside it. Default `false`. */
  readonly descriptions?: boolean;
  /** Layout direction. Default: Mermaid's own (top to bottom). */
  readonly direction?: 'TB' | 'BT' | 'LR' | 'RL';
}

const INDENT = '  ';
const NOTE_WIDTH = 48;

/**
 * Draws an xstate machine as a Mermaid `stateDiagram-v2`.
 *
 * - Compound states are composite states, each with its initial marker (`[*] --> …`); a final
 *   state gets `--> [*]`; a history state is a state labelled `H` (deep history: `H*`).
 * - Transitions are labelled `event [guard]`; a parameterized guard reads `appliesAs(established)`,
 *   an eventless transition `always [guard]`, and an unguarded fallback after guarded ones `[else]`.
 * - Transitions of a compound state that stay inside it (all of the root's do) are drawn once,
 *   from a box labelled `any state` (`any setup state` for a nested one), not from every state.
 *   Targetless transitions (actions only) are listed inside the box they belong to.
 * - Ids are the state's path joined by `_` (`setup_incoming`), made safe for Mermaid.
 *
 * The output depends only on the machine's structure, in declaration order, so it can be
 * committed and compared byte for byte.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * import { callMachine } from 'graph-call-machine';
 * import { toMermaid } from 'graph-call-machine/diagram';
 *
 * const diagram = toMermaid(callMachine);
 * // stateDiagram-v2
 * //   accTitle: call
 * //   …
 * //   terminating_hangingUp --> terminating_confirming : delete.succeeded
 * //   terminating_hangingUp --> terminating_retryWait : delete.failed [canRetryDelete]
 * writeFileSync('call.mmd', diagram);
 *
 * // With actions on the arrows and each state's description in a note:
 * toMermaid(callMachine, { actions: true, descriptions: true, direction: 'LR' });
 * ```
 */
export function toMermaid(machine: AnyStateMachine, options: MermaidOptions = {}): string {
  const chart = readChart(machine);
  const ids = mermaidIds(chart);
  const withActions = options.actions === true;
  const out: string[] = ['stateDiagram-v2'];
  if (options.direction !== undefined) out.push(`${INDENT}direction ${options.direction}`);
  out.push(`${INDENT}accTitle: ${text(chart.root.key)}`);
  if (chart.root.description !== undefined) {
    out.push(`${INDENT}accDescr: ${text(chart.root.description)}`);
  }
  writeBlock(chart, chart.root, ids, options, withActions, 1, out);
  return `${out.join('\n')}\n`;
}

interface MermaidIds {
  /** The id a state is drawn under (not the root, which is not drawn). */
  readonly state: ReadonlyMap<string, string>;
  /** The id of a state's "any state" box. */
  readonly anyState: ReadonlyMap<string, string>;
}

function writeBlock(
  chart: Chart,
  block: ChartState,
  ids: MermaidIds,
  options: MermaidOptions,
  withActions: boolean,
  depth: number,
  out: string[],
): void {
  const pad = INDENT.repeat(depth);
  const idOf = (stateId: string): string => ids.state.get(stateId) ?? stateId;

  if (block.initial !== undefined) out.push(`${pad}[*] --> ${idOf(block.initial)}`);
  const anyId = ids.anyState.get(block.id);
  if (anyId !== undefined) {
    out.push(`${pad}state "${label(anyStateLabel(block))}" as ${anyId}`);
    for (const line of internalLines(block, withActions))
      out.push(`${pad}${anyId} : ${text(line)}`);
  }

  const children = block.children.flatMap((id) => chart.states.get(id) ?? []);
  children.forEach((child, i) => {
    // Mermaid separates the regions of a parallel state with `--`.
    if (block.kind === 'parallel' && i > 0) out.push(`${pad}--`);
    const id = idOf(child.id);
    if (child.kind === 'compound' || child.kind === 'parallel') {
      out.push(`${pad}state "${label(child.key)}" as ${id} {`);
      writeBlock(chart, child, ids, options, withActions, depth + 1, out);
      out.push(`${pad}}`);
      return;
    }
    const name = child.kind === 'history' ? (child.history === 'deep' ? 'H*' : 'H') : child.key;
    out.push(`${pad}state "${label(name)}" as ${id}`);
    for (const line of internalLines(child, withActions)) out.push(`${pad}${id} : ${text(line)}`);
    if (options.descriptions === true && child.description !== undefined) {
      out.push(`${pad}note right of ${id}`);
      for (const line of wrap(text(child.description), NOTE_WIDTH))
        out.push(`${pad}${INDENT}${line}`);
      out.push(`${pad}end note`);
    }
  });
  for (const child of children) {
    if (child.kind === 'final') out.push(`${pad}${idOf(child.id)} --> [*]`);
  }

  // Every edge is written in the innermost block that holds both of its ends, after the states
  // it names: Mermaid places a state where it first meets it.
  for (const state of chart.states.values()) {
    for (const t of state.transitions) {
      const from = fromAnyState(chart, t) ? ids.anyState.get(state.id) : ids.state.get(state.id);
      if (from === undefined) continue;
      for (const targetId of t.targets) {
        const target = chart.states.get(targetId);
        if (target === undefined || edgeContainer(chart, t, target) !== block) continue;
        out.push(`${pad}${from} --> ${idOf(targetId)} : ${text(transitionLabel(t, withActions))}`);
      }
    }
  }
}

// Mermaid ids: letters, digits and `_`; not starting with `default` (a keyword its lexer matches
// even as a prefix) or a digit; not ending in `_start`/`_end` (names it gives its own markers).
function mermaidIds(chart: Chart): MermaidIds {
  const taken = new Set<string>();
  const claim = (wanted: string): string => {
    let id = wanted.replace(/[^A-Za-z0-9_]/g, '_');
    if (/^(\d|default)/i.test(id)) id = `s_${id}`;
    if (/_(start|end)$/.test(id)) id = `${id}_`;
    let unique = id;
    for (let n = 2; taken.has(unique); n++) unique = `${id}_${n}`;
    taken.add(unique);
    return unique;
  };
  const state = new Map<string, string>();
  for (const s of chart.states.values()) {
    if (s.parent !== undefined) state.set(s.id, claim(s.path.join('_')));
  }
  const anyState = new Map<string, string>();
  for (const s of statesWithAnyStateBox(chart)) {
    anyState.set(s.id, claim(`${s.parent === undefined ? s.key : s.path.join('_')}_any`));
  }
  return { state, anyState };
}

// Text after a colon ends at `:`, `;` or a newline, and `%%` starts a comment.
function text(value: string): string {
  return value
    .replace(/\s+/g, ' ')
    .replace(/:/g, '∶')
    .replace(/;/g, ',')
    .replace(/%%/g, '%')
    .trim();
}

// A quoted state label ends at the next `"`.
function label(value: string): string {
  return text(value).replace(/"/g, "'");
}

function wrap(value: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of value.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  // `end note` on a line of its own would close the note early.
  return lines.map((l) => (l.trim() === 'end note' ? `${l}.` : l));
}
