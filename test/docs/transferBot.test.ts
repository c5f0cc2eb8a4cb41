// Runs docs/examples/checks/transferBot.check.ts: the whole bot of the README, against the fake
// Graph. A computed name, as in examples.test.ts: samples.test.ts type-checks the file.
const check = 'transferBot.check.js';
await import(/* @vite-ignore */ `../../docs/examples/checks/${check}`);
