import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { toDot } from '../../src/diagram/toDot.js';
import { callMachine } from '../../src/index.js';

const dot = toDot(callMachine);
const hasGraphviz = spawnSync('dot', ['-V']).error === undefined;

describe('toDot(callMachine)', () => {
  it('draws compound states as clusters and every state as a node', () => {
    for (const id of ['setup', 'active', 'terminating']) {
      expect(dot).toContain(`subgraph "cluster_call.${id}" {`);
    }
    for (const id of [
      'call.starting',
      'call.setup.incoming',
      'call.active.hist',
      'call.terminated',
    ]) {
      expect(dot).toMatch(new RegExp(`^\\s*"${id.replace(/\./g, '\\.')}" \\[`, 'm'));
    }
    expect(dot).toContain('"call.active.hist" [shape=circle, fixedsize=true, width=0.3, label="H"');
    expect(dot).toContain('"call.terminated" -> "call.terminated.[final]";');
  });

  it('joins the big fan-outs at a junction and labels the branches with guards', () => {
    expect(dot).toContain('"call.starting" -> "call.starting.(always)" [label="always"];');
    expect(dot).toContain(
      '"call.starting.(always)" -> "call.active.hold" [label="[startsIn(hold)]"];',
    );
    expect(dot).toContain('"call.[any]" -> "call.[any].(notification)"');
    expect(dot).toContain('label="delete.failed\\n[canRetryDelete]"');
  });

  it('leaves a compound state from its border, and does not rank by edges running back', () => {
    expect(dot).toContain(
      '"call.setup.[*]" -> "call.terminating.hangingUp" [ltail="cluster_call.setup", label="hangUp"];',
    );
    expect(dot).toContain(
      '"call.terminating.hangingUp" -> "call.setup.hist" [label="delete.failed\\n[else]", constraint=false];',
    );
  });

  it('is deterministic', () => {
    expect(toDot(callMachine)).toBe(dot);
  });

  it.skipIf(!hasGraphviz)('is valid DOT: Graphviz renders it (skipped without graphviz)', () => {
    const rendered = spawnSync('dot', ['-Tsvg'], { input: toDot(callMachine, { actions: true }) });
    expect(rendered.stderr.toString()).toBe('');
    expect(rendered.status).toBe(0);
    expect(rendered.stdout.toString()).toContain('<svg');
  });
});
