// The complete example of docs/model-based-testing.md runs as part of this suite, exactly as a
// user would copy it: its `graph-call-machine` imports resolve to the sources here.
// A computed name, so tsconfig.json's program (which does not map `graph-call-machine` to the
// sources) does not follow it; samples.test.ts type-checks the file, with that mapping.
const example = 'callLifecycle.test.js';
await import(/* @vite-ignore */ `../../docs/examples/${example}`);
