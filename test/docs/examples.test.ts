// Runs docs/examples/checks/examples.check.ts: the example programs of the documentation,
// exercised. The examples import `graph-call-machine` as a user would; here that name maps to
// the sources.
// A computed name, so tsconfig.json's program (which does not map `graph-call-machine` to the
// sources) does not follow it; samples.test.ts type-checks the file, with that mapping.
const checks = 'examples.check.js';
await import(/* @vite-ignore */ `../../docs/examples/checks/${checks}`);
