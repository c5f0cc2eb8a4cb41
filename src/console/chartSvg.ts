/**
 * The console's lifecycle chart as inline SVG, drawn from the machine (see
 * {@link layoutChart}). Every state's box carries `data-state="active.established"` (the value
 * a flight record names), every edge `data-source` and `data-target`, so the page lights the
 * current state and the states a call went through by class, and draws the path it took over
 * the chart. No style attributes: the page's stylesheet colours it.
 * @internal
 * @module
 */
import type { AnyStateMachine } from 'xstate';
import { readChart } from '../diagram/chart.js';
import { type ChartLayout, type LayoutBox, layoutChart } from './chartLayout.js';
import { escapeHtml } from './escapeHtml.js';

/** The SVG of a laid-out chart. */
export function renderChartSvg(layout: ChartLayout): string {
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${layout.width} ${layout.height}" width="${layout.width}" height="${layout.height}" role="img" aria-label="Lifecycle chart">`,
    '<defs>',
    '<marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path class="arrowhead" d="M0,0 L8,4 L0,8 z"/></marker>',
    '<marker id="arrow-taken" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path class="arrowhead-taken" d="M0,0 L8,4 L0,8 z"/></marker>',
    '</defs>',
    // Compound boxes under the edges (an edge may end inside one), the others over them.
    '<g class="boxes">',
    ...layout.boxes.filter(isCompound).map(renderBox),
    '</g>',
    '<g class="edges">',
  ];
  for (const edge of layout.edges) {
    out.push(
      `<path class="edge" d="${edge.path}" data-source="${escapeHtml(edge.source)}" data-target="${escapeHtml(edge.target)}" marker-end="url(#arrow)"><title>${escapeHtml(edge.events.join(', '))}</title></path>`,
    );
  }
  out.push('</g>', '<g class="boxes">');
  for (const box of layout.boxes) if (!isCompound(box)) out.push(renderBox(box));
  out.push('</g>', '<g class="taken"></g>', '</svg>');
  return out.join('');
}

function isCompound(box: LayoutBox): boolean {
  return box.kind === 'compound' || box.kind === 'parallel';
}

function renderBox(box: LayoutBox): string {
  const compound = isCompound(box);
  const data =
    box.kind === 'any'
      ? `data-any="${escapeHtml(box.id)}"`
      : `data-state="${escapeHtml(box.state)}"`;
  const rx = box.kind === 'history' ? box.h / 2 : 6;
  const textY = compound ? box.y + 15 : box.y + box.h / 2 + 4;
  const textX = compound ? box.x + 8 : box.x + box.w / 2;
  const anchor = compound ? 'start' : 'middle';
  const title = box.description === undefined ? box.label : `${box.label}: ${box.description}`;
  const inner =
    box.kind === 'final'
      ? `<rect class="inner" x="${box.x + 3}" y="${box.y + 3}" width="${box.w - 6}" height="${box.h - 6}" rx="4"/>`
      : '';
  return [
    `<g class="box ${box.kind}" ${data}>`,
    `<title>${escapeHtml(title)}</title>`,
    `<rect x="${box.x}" y="${box.y}" width="${box.w}" height="${box.h}" rx="${rx}"/>`,
    inner,
    `<text x="${textX}" y="${textY}" text-anchor="${anchor}">${escapeHtml(box.label)}</text>`,
    '</g>',
  ].join('');
}

const drawn = new WeakMap<AnyStateMachine, string>();

/** The chart of `machine` as SVG, computed once per machine. */
export function chartSvgOf(machine: AnyStateMachine): string {
  let svg = drawn.get(machine);
  if (svg === undefined) {
    svg = renderChartSvg(layoutChart(readChart(machine)));
    drawn.set(machine, svg);
  }
  return svg;
}
