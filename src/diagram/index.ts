// graph-call-machine/diagram: a machine drawn in Mermaid or Graphviz DOT; the lifecycle document.

export type { LifecycleDocOptions } from './renderLifecycleDoc.js';
export { renderLifecycleDoc } from './renderLifecycleDoc.js';
export type { DotOptions } from './toDot.js';
export { toDot } from './toDot.js';
export type { MermaidOptions } from './toMermaid.js';
export { toMermaid } from './toMermaid.js';
