import { describe, expect, it } from 'vitest';
import { type AnyStateNode, createMachine, setup } from 'xstate';
import { toMermaid } from '../../src/diagram/toMermaid.js';
import { callMachine } from '../../src/index.js';
import { mermaidProblems } from './mermaidSyntax.js';

// The expectations below come from walking the machine here, not from src/diagram/chart.ts, so
// a mistake in the renderer's own reading of the chart cannot hide itself.
function nodesOf(node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states).flatMap((child) => nodesOf(child))];
}

function guardName(guard: unknown): string | undefined {
  if (guard === undefined) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && guard !== null && 'type' in guard) {
    const params = 'params' in guard ? guard.params : undefined;
    const values = typeof params === 'object' && params !== null ? Object.values(params) : [];
    return values.length === 0 ? String(guard.type) : `${String(guard.type)}(${values.join(', ')})`;
  }
  throw new Error(`unexpected guard ${String(guard)}`);
}

interface Expected {
  readonly label: string;
  readonly targets: number;
}

/** Every transition of the chart as `event [guard]`, with `[else]` for a fallback. */
function expectedTransitions(): Expected[] {
  const out: Expected[] = [];
  for (const node of nodesOf(callMachine.root)) {
    const lists: [string, NonNullable<AnyStateNode['always']>][] = [
      ...[...node.transitions].map(([event, list]) => [event, list] as [string, typeof list]),
      ['always', node.always ?? []],
    ];
    for (const [event, list] of lists) {
      list.forEach((t, i) => {
        const guard = guardName(t.guard);
        const fallback = guard === undefined && list.slice(0, i).some((x) => x.guard !== undefined);
        const bracket = guard ?? (fallback ? 'else' : undefined);
        out.push({
          label: bracket === undefined ? event : `${event} [${bracket}]`,
          targets: t.target?.length ?? 0,
        });
      });
    }
  }
  return out;
}

const diagram = toMermaid(callMachine);
const lines = diagram.split('\n').map((line) => line.trim());

describe('toMermaid(callMachine)', () => {
  it('is a stateDiagram-v2 that passes the offline syntax check', () => {
    expect(mermaidProblems(diagram)).toEqual([]);
  });

  it('declares every state under its path, history states as H, compound states as composites', () => {
    for (const node of nodesOf(callMachine.root).slice(1)) {
      const id = node.path.join('_');
      const name = node.type === 'history' ? 'H' : node.key;
      const line = `state "${name}" as ${id}`;
      const expected = node.type === 'compound' ? `${line} {` : line;
      expect(lines, `${node.id} is drawn as ${expected}`).toContain(expected);
    }
  });

  it('labels every transition with its event and guard, parameters in parentheses', () => {
    const expected = expectedTransitions();
    const edgeLabels = lines.filter((l) => / --> /.test(l) && l.includes(' : ')).map(labelOf);
    const boxLines = lines.filter((l) => / : /.test(l) && !l.includes('-->')).map(labelOf);
    for (const t of expected) {
      const where = t.targets === 0 ? boxLines : edgeLabels;
      expect(where, `the label "${t.label}"`).toContain(t.label);
    }
    // One edge per transition target, nothing more.
    expect(edgeLabels).toHaveLength(expected.reduce((n, t) => n + t.targets, 0));
    expect(edgeLabels).toContain('notification [appliesAs(established)]');
    expect(edgeLabels).toContain('always [startsIn(incoming)]');
    expect(edgeLabels).toContain('always [else]');
  });

  it('marks initial, final and history states', () => {
    expect(lines).toContain('[*] --> starting');
    expect(lines).toContain('[*] --> setup_establishing');
    expect(lines).toContain('[*] --> active_established');
    expect(lines).toContain('[*] --> terminating_hangingUp');
    expect(lines).toContain('terminated --> [*]');
    expect(lines).toContain('state "H" as setup_hist');
    expect(lines).toContain('terminating_hangingUp --> active_hist : delete.failed [wasActive]');
    expect(lines).toContain('terminating_hangingUp --> setup_hist : delete.failed [else]');
  });

  it("draws the root's transitions once, from an any-state box, not from every state", () => {
    expect(lines).toContain('state "any state" as call_any');
    expect(lines).toContain('call_any : notification [isStale]');
    expect(lines).toContain(
      'call_any --> terminating_confirming : notification [appliesAs(terminating)]',
    );
    const notificationEdges = lines.filter((l) => l.endsWith(': notification [appliesAs(hold)]'));
    expect(notificationEdges).toEqual([
      'call_any --> active_hold : notification [appliesAs(hold)]',
    ]);
    // A compound state's own way out leaves from its frame.
    expect(lines).toContain('setup --> terminating_hangingUp : hangUp');
  });

  it('is deterministic', () => {
    expect(toMermaid(callMachine)).toBe(diagram);
  });

  it('adds actions and descriptions only when asked', () => {
    expect(diagram).not.toContain('/ ');
    expect(diagram).not.toContain('note ');
    const full = toMermaid(callMachine, { actions: true, descriptions: true, direction: 'LR' });
    expect(mermaidProblems(full)).toEqual([]);
    expect(full).toContain(
      'terminating_hangingUp --> terminating_confirming : delete.succeeded / armConfirmDeadline',
    );
    expect(full).toContain('terminating_hangingUp : entry / requestDelete');
    expect(full).toContain('note right of terminating_verifying');
    expect(full).toContain('  direction LR\n');
  });
});

describe('toMermaid on a small machine', () => {
  const door = setup({
    guards: {
      hasKey: () => true,
      isFloor: (_, params: { floor: number }) => params.floor > 0,
    },
    actions: { log: () => {} },
  }).createMachine({
    id: 'door',
    description: 'A door.',
    initial: 'boot',
    on: { 'alarm.fire': { target: '#door.open.wide', actions: 'log' }, ping: { actions: 'log' } },
    states: {
      boot: { always: [{ guard: 'hasKey', target: 'closed' }, { target: 'locked' }] },
      closed: { on: { open: 'open', lock: 'locked' } },
      locked: {
        on: { unlock: { guard: { type: 'isFloor', params: { floor: 2 } }, target: 'closed' } },
      },
      open: {
        initial: 'ajar',
        on: { close: 'closed', 'door.reset': '.ajar' },
        states: {
          ajar: { on: { push: 'wide' } },
          wide: {},
          back: { type: 'history', history: 'deep' },
        },
      },
      broken: { type: 'final' },
    },
  });

  it('renders exactly', () => {
    expect(toMermaid(door)).toBe(
      [
        'stateDiagram-v2',
        '  accTitle: door',
        '  accDescr: A door.',
        '  [*] --> boot',
        '  state "any state" as door_any',
        '  door_any : ping',
        '  state "boot" as boot',
        '  state "closed" as closed',
        '  state "locked" as locked',
        '  state "open" as open {',
        '    [*] --> open_ajar',
        '    state "any open state" as open_any',
        '    state "ajar" as open_ajar',
        '    state "wide" as open_wide',
        '    state "H*" as open_back',
        '    open_any --> open_ajar : door.reset',
        '    open_ajar --> open_wide : push',
        '  }',
        '  state "broken" as broken',
        '  broken --> [*]',
        '  door_any --> open_wide : alarm.fire',
        '  boot --> closed : always [hasKey]',
        '  boot --> locked : always [else]',
        '  closed --> open : open',
        '  closed --> locked : lock',
        '  locked --> closed : unlock [isFloor(2)]',
        '  open --> closed : close',
        '',
      ].join('\n'),
    );
    expect(mermaidProblems(toMermaid(door))).toEqual([]);
  });

  it('makes ids Mermaid-safe and unique', () => {
    const odd = createMachine({
      id: 'odd',
      initial: 'a-b',
      states: {
        'a-b': { on: { go: 'a_b' } },
        a_b: { on: { go: 'defaultish' } },
        defaultish: { on: { go: '1st' } },
        '1st': { initial: 'start', states: { start: {} } },
      },
    });
    const out = toMermaid(odd);
    expect(mermaidProblems(out)).toEqual([]);
    expect(out).toContain('state "a-b" as a_b\n');
    expect(out).toContain('state "a_b" as a_b_2\n');
    expect(out).toContain('state "defaultish" as s_defaultish\n');
    expect(out).toContain('state "1st" as s_1st {');
    // Mermaid names a composite's own [*] markers <id>_start / <id>_end.
    expect(out).toContain('state "start" as s_1st_start_\n');
  });
});

function labelOf(line: string): string {
  return line.slice(line.indexOf(' : ') + 3);
}
