import { describe, expect, it } from 'vitest';
import {
  CALL_PHASES,
  comparePhases,
  GRAPH_CALL_STATES,
  type GraphCallState,
  isGraphCallState,
  normalizeCallState,
  phaseOf,
  setupRank,
} from '../../src/graph/callState.js';

describe('GRAPH_CALL_STATES', () => {
  it('lists every state Graph documents, once, ending with the unknown sentinel', () => {
    expect(new Set(GRAPH_CALL_STATES).size).toBe(GRAPH_CALL_STATES.length);
    expect([...GRAPH_CALL_STATES].sort()).toEqual(
      [
        'incoming',
        'ringing',
        'redirecting',
        'establishing',
        'established',
        'hold',
        'transferring',
        'transferAccepted',
        'terminating',
        'terminated',
        'unknownFutureValue',
      ].sort(),
    );
    expect(GRAPH_CALL_STATES.at(-1)).toBe('unknownFutureValue');
  });
});

describe('phaseOf', () => {
  it.each<[GraphCallState, string]>([
    ['incoming', 'setup'],
    ['ringing', 'setup'],
    ['redirecting', 'setup'],
    ['establishing', 'setup'],
    ['established', 'active'],
    ['hold', 'active'],
    ['transferring', 'active'],
    ['transferAccepted', 'active'],
    ['terminating', 'terminating'],
    ['terminated', 'terminated'],
  ])('%s is in phase %s', (state, phase) => {
    expect(phaseOf(state)).toBe(phase);
  });

  it('gives no phase to unknownFutureValue, so callers must decide what an unknown state means', () => {
    expect(phaseOf('unknownFutureValue')).toBeUndefined();
  });

  it('lists the states in lifecycle order: their phases never go backwards', () => {
    const ranks = GRAPH_CALL_STATES.flatMap((s) => {
      const phase = phaseOf(s);
      return phase === undefined ? [] : [CALL_PHASES.indexOf(phase)];
    });
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  });
});

describe('comparePhases', () => {
  it('orders setup < active < terminating < terminated', () => {
    for (let i = 0; i < CALL_PHASES.length; i++) {
      for (let j = 0; j < CALL_PHASES.length; j++) {
        const a = CALL_PHASES[i];
        const b = CALL_PHASES[j];
        if (a === undefined || b === undefined) throw new Error('unreachable');
        expect(Math.sign(comparePhases(a, b))).toBe(Math.sign(i - j));
      }
    }
  });
});

describe('setupRank', () => {
  it('orders incoming < ringing = redirecting < establishing', () => {
    expect(setupRank('incoming')).toBe(0);
    expect(setupRank('ringing')).toBe(1);
    expect(setupRank('redirecting')).toBe(1);
    expect(setupRank('establishing')).toBe(2);
  });

  it.each<GraphCallState>([
    'established',
    'hold',
    'transferring',
    'transferAccepted',
    'terminating',
    'terminated',
    'unknownFutureValue',
  ])('has no rank for %s, which is outside setup', (state) => {
    expect(setupRank(state)).toBeUndefined();
  });
});

describe('normalizeCallState', () => {
  it.each(GRAPH_CALL_STATES)('reads %s as itself', (state) => {
    expect(normalizeCallState(state)).toEqual({ state, known: true });
  });

  it.each<[string, GraphCallState]>([
    ['transfer-accepted', 'transferAccepted'],
    ['transfer_accepted', 'transferAccepted'],
    ['Transfer Accepted', 'transferAccepted'],
    ['TRANSFERACCEPTED', 'transferAccepted'],
    ['Established', 'established'],
    ['TERMINATED', 'terminated'],
    [' hold ', 'hold'],
  ])('reads the legacy spelling %j as %s', (text, state) => {
    expect(normalizeCallState(text)).toEqual({ state, known: true });
  });

  it.each(['parked', '', 'establishedd', 'terminat', '__proto__', 'constructor', 'toString'])(
    'maps the unrecognised %j to unknownFutureValue with known: false',
    (text) => {
      expect(normalizeCallState(text)).toEqual({ state: 'unknownFutureValue', known: false });
    },
  );
});

describe('isGraphCallState', () => {
  it('accepts exactly the documented spellings', () => {
    for (const s of GRAPH_CALL_STATES) expect(isGraphCallState(s)).toBe(true);
  });

  it.each([
    'Hold',
    'transfer-accepted',
    '',
    ' established',
    null,
    undefined,
    3,
    { state: 'hold' },
    ['hold'],
  ])('rejects %j', (value) => {
    expect(isGraphCallState(value)).toBe(false);
  });
});
