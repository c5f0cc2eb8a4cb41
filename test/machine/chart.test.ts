import { describe, expect, it } from 'vitest';
import { callMachine } from '../../src/index.js';
import { allStateNodes } from '../support/stateNodes.js';

const guardNames = Object.keys(callMachine.implementations.guards);
const actionNames = Object.keys(callMachine.implementations.actions);

function nameOf(ref: unknown): string | undefined {
  if (typeof ref === 'string') return ref;
  if (typeof ref === 'object' && ref !== null && 'type' in ref && typeof ref.type === 'string') {
    return ref.type;
  }
  return undefined;
}

describe('the chart reads like documentation', () => {
  it('every state has a description', () => {
    for (const node of allStateNodes()) {
      expect(node.description, node.id).toMatch(/\w{3,}/);
    }
  });

  it('every guard and action is named and implemented in setup()', () => {
    const usedGuards = new Set<string>();
    const usedActions = new Set<string>();
    for (const node of allStateNodes()) {
      const transitions = [...node.transitions.values()].flat().concat(node.always ?? []);
      for (const t of transitions) {
        if (t.guard !== undefined) {
          const name = nameOf(t.guard);
          expect(name, `inline guard on ${node.id} ${t.eventType}`).toBeDefined();
          expect(guardNames).toContain(name);
          usedGuards.add(name as string);
        }
        for (const action of t.actions) {
          const name = nameOf(action);
          expect(name, `inline action on ${node.id} ${t.eventType}`).toBeDefined();
          expect(actionNames).toContain(name);
          usedActions.add(name as string);
        }
      }
      for (const action of [...node.entry, ...node.exit]) {
        const name = nameOf(action);
        expect(name, `inline entry/exit action on ${node.id}`).toBeDefined();
        expect(actionNames).toContain(name);
        usedActions.add(name as string);
      }
    }
    // Nothing implemented but unused: the setup() list is the chart's vocabulary.
    expect([...usedGuards].sort()).toEqual([...guardNames].sort());
    expect([...usedActions].sort()).toEqual([...actionNames].sort());
  });

  it('tags the phases: setup, active, terminating', () => {
    expect(callMachine.root.states.setup?.tags).toEqual(['setup']);
    expect(callMachine.root.states.active?.tags).toEqual(['active']);
    expect(callMachine.root.states.terminating?.tags).toEqual(['terminating']);
    expect(callMachine.root.states.terminated?.type).toBe('final');
  });
});
