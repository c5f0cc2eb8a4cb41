/**
 * The console page's stylesheet, inlined under the response's CSP nonce. It colours the chart's
 * SVG too (the SVG has no style attributes, which the CSP would refuse).
 * @internal
 * @module
 */

export const PAGE_STYLE = `
:root {
  color-scheme: light dark;
  --bg: #f6f7f9;
  --panel: #fff;
  --ink: #1d2330;
  --muted: #6b7382;
  --line: #dde1e7;
  --accent: #2563eb;
  --setup: #b45309;
  --active: #15803d;
  --terminating: #b91c1c;
  --terminated: #6b7382;
  --lit: #fde68a;
  --visited: #dbeafe;
  font: 13px/1.4 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #111418;
    --panel: #1a1f26;
    --ink: #e6e9ee;
    --muted: #9aa3b2;
    --line: #2c333d;
    --accent: #60a5fa;
    --setup: #f59e0b;
    --active: #4ade80;
    --terminating: #f87171;
    --terminated: #9aa3b2;
    --lit: #a16207;
    --visited: #1e3a5f;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 6px 18px; padding: 10px 16px; background: var(--panel); border-bottom: 1px solid var(--line); }
h1 { font-size: 16px; margin: 0; }
h2 { font-size: 13px; margin: 14px 0 6px; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); }
#status { font-weight: 600; }
#status::before { content: '●'; margin-right: 4px; }
#status[data-status='live'] { color: var(--active); }
#status[data-status='waiting'] { color: var(--setup); }
#status[data-status='closed'] { color: var(--terminating); }
.counters { display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: baseline; }
.counters > div { display: flex; gap: 6px; align-items: baseline; }
.counters .label { color: var(--muted); }
.count { white-space: nowrap; }
#k-phase, #k-verdict, #k-status { display: inline-flex; flex-wrap: wrap; gap: 2px 10px; }
.muted { color: var(--muted); }
main { display: grid; grid-template-columns: minmax(560px, 5fr) 7fr; gap: 12px; padding: 12px 16px; height: calc(100vh - 64px); min-height: 480px; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; min-width: 0; }
#calls { display: flex; flex-direction: column; overflow: hidden; }
.filters { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; padding: 8px; border-bottom: 1px solid var(--line); }
.filters input[type='search'] { flex: 1; min-width: 140px; }
select, input, button { font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line); border-radius: 4px; padding: 3px 6px; }
button { cursor: pointer; }
#list { flex: 1; overflow: auto; }
.row { display: grid; grid-template-columns: minmax(0, 1.5fr) minmax(0, 1.25fr) minmax(0, 1.05fr) minmax(0, 0.9fr) minmax(0, 2.1fr) minmax(0, 1.4fr); gap: 6px; padding: 3px 8px; border-bottom: 1px solid var(--line); content-visibility: auto; contain-intrinsic-size: auto 23px; cursor: pointer; white-space: nowrap; }
.row > span { overflow: hidden; text-overflow: ellipsis; }
.row.head { position: sticky; top: 0; z-index: 1; background: var(--panel); font-weight: 600; cursor: default; content-visibility: visible; }
.row:hover { background: var(--bg); }
.row.selected { background: var(--visited); }
.row:focus-visible { outline: 2px solid var(--accent); outline-offset: -2px; }
.c-id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.row[data-phase='setup'] .c-state { color: var(--setup); }
.row[data-phase='active'] .c-state { color: var(--active); }
.row[data-phase='terminating'] .c-state { color: var(--terminating); }
.row[data-phase='terminated'] { color: var(--muted); }
.group { padding: 4px 8px; background: var(--bg); color: var(--muted); font-weight: 600; border-bottom: 1px solid var(--line); }
#detail-pane { overflow: auto; padding: 10px 14px; }
#d-id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 14px; margin: 0 0 6px; word-break: break-all; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; word-break: break-word; }
#chart { overflow-x: auto; }
#chart svg { display: block; width: 100%; max-width: 1000px; height: auto; font: 12px system-ui, sans-serif; }
.box rect { fill: var(--panel); stroke: var(--muted); stroke-width: 1; }
.box text { fill: var(--ink); }
.box.compound > rect { fill: var(--bg); }
.box.compound > text { font-weight: 600; fill: var(--muted); }
.box.any rect { stroke-dasharray: 4 3; }
.box.final rect.inner { fill: none; }
.box.visited > rect { fill: var(--visited); }
.box.within > rect { stroke: var(--accent); stroke-width: 1.5; }
.box.current > rect { fill: var(--lit); stroke: var(--ink); stroke-width: 2; }
.box.current > text { font-weight: 700; }
.edge { fill: none; stroke: var(--line); stroke-width: 1.2; }
.edge:hover { stroke: var(--accent); }
.arrowhead { fill: var(--muted); }
.taken-edge { fill: none; stroke: var(--accent); stroke-width: 2; opacity: 0.85; }
.arrowhead-taken { fill: var(--accent); }
.taken-step { fill: var(--accent); font-size: 10px; font-weight: 700; text-anchor: middle; }
table { border-collapse: collapse; width: 100%; }
td { padding: 2px 6px; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num { color: var(--muted); white-space: nowrap; text-align: right; }
td.kind { color: var(--muted); white-space: nowrap; }
td.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.v-apply { color: var(--active); }
.v-stale { color: var(--setup); }
.v-late { color: #9333ea; }
.v-subresource { color: var(--accent); }
.bad, .op-failed { color: var(--terminating); }
.op-completed { color: var(--active); }
.note { color: var(--muted); font-weight: normal; text-transform: none; letter-spacing: 0; margin-left: 8px; }
#hang-up { margin: 8px 0; border-color: var(--terminating); color: var(--terminating); }
#no-call { color: var(--muted); margin: 8px 0; }
@media (max-width: 900px) {
  main { grid-template-columns: 1fr; height: auto; }
  #list { max-height: 50vh; }
}
`;
