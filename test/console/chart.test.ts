// The console's lifecycle chart is drawn from the machine: every state has a box named by the
// value a flight record gives it, every transition that changes state an edge, and nothing in it
// is styled inline (the page's CSP allows no style attribute).
import { describe, expect, it } from 'vitest';
import { layoutChart } from '../../src/console/chartLayout.js';
import { chartSvgOf, renderChartSvg } from '../../src/console/chartSvg.js';
import { readChart } from '../../src/diagram/chart.js';
import { callMachine } from '../../src/index.js';

const chart = readChart(callMachine);
const layout = layoutChart(chart);
const boxOf = new Map(layout.boxes.map((box) => [box.id, box]));

/** Whether `inner` lies within `outer` (or is it). */
function within(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(`${outer}.`);
}

describe('the console chart', () => {
  it('has a box for every state, named by the value a record gives it', () => {
    for (const state of chart.states.values()) {
      if (state.parent === undefined) continue;
      const box = boxOf.get(state.id);
      expect(box, state.id).toBeDefined();
      expect(box?.state).toBe(state.path.join('.'));
    }
    expect(boxOf.get('call.active.established')?.label).toBe('established');
    expect(boxOf.get('call.active.hist')?.label).toBe('H');
  });

  it('draws each box inside the box of its parent', () => {
    for (const state of chart.states.values()) {
      const parent = state.parent === undefined ? undefined : boxOf.get(state.parent);
      const box = boxOf.get(state.id);
      if (parent === undefined || box === undefined) continue;
      expect(box.x).toBeGreaterThan(parent.x);
      expect(box.y).toBeGreaterThan(parent.y);
      expect(box.x + box.w).toBeLessThan(parent.x + parent.w);
      expect(box.y + box.h).toBeLessThan(parent.y + parent.h);
    }
    for (const box of layout.boxes) {
      expect(box.x + box.w).toBeLessThanOrEqual(layout.width);
      expect(box.y + box.h).toBeLessThanOrEqual(layout.height);
    }
  });

  it('has an edge for every transition that changes state, with its event', () => {
    for (const state of chart.states.values()) {
      for (const t of state.transitions) {
        for (const target of t.targets) {
          if (target === state.id) continue;
          const edge = layout.edges.find(
            (e) =>
              (within(state.id, e.source.replace(/#any$/, '')) || e.source === state.id) &&
              within(target, e.target) &&
              e.events.includes(t.event),
          );
          expect(edge, `${state.id} --${t.event}--> ${target}`).toBeDefined();
        }
      }
    }
  });

  it('is the same every time, and its SVG has no inline style or script', () => {
    expect(layoutChart(readChart(callMachine))).toEqual(layout);
    const svg = renderChartSvg(layout);
    expect(chartSvgOf(callMachine)).toBe(svg);
    expect(svg).not.toMatch(/\sstyle=|<script|\son[a-z]+=/i);
    expect(svg.match(/data-state="[^"]*"/g)?.length).toBe(chart.states.size - 1);
    expect(svg).toContain('data-state="terminating.confirming"');
    expect(svg).toContain('<g class="taken"></g>');
  });
});
