// Writes the generated documentation from the built package (run `npm run build` first;
// `npm run docs` does both):
//   docs/lifecycle.md   renderLifecycleDoc(callMachine, docs/lifecycle.template.md)
//   docs/lifecycle.dot  toDot(callMachine)
//   docs/lifecycle.svg  the .dot drawn by Graphviz, when `dot` is installed
// test/diagram/lifecycleDoc.test.ts fails when the committed .md or .dot is out of date.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderLifecycleDoc, toDot } from '../dist/diagram/index.js';
import { callMachine } from '../dist/index.js';

const docs = (name) => fileURLToPath(new URL(`../docs/${name}`, import.meta.url));

const template = readFileSync(docs('lifecycle.template.md'), 'utf8');
writeFileSync(docs('lifecycle.md'), renderLifecycleDoc(callMachine, template));
console.log('wrote docs/lifecycle.md');

const dot = toDot(callMachine);
writeFileSync(docs('lifecycle.dot'), dot);
console.log('wrote docs/lifecycle.dot');

// Graphviz is a system package, not an npm one: without it the picture is left as it is.
const drawn = spawnSync('dot', ['-Tsvg', '-o', docs('lifecycle.svg')], { input: dot });
if (drawn.error !== undefined) {
  console.warn(
    'docs/lifecycle.svg not redrawn: Graphviz `dot` was not found (apt-get install graphviz, brew install graphviz).',
  );
} else if (drawn.status !== 0) {
  console.error(`dot failed (status ${drawn.status}):\n${drawn.stderr}`);
  process.exitCode = 1;
} else {
  console.log('wrote docs/lifecycle.svg');
}
