// Runs docs/examples/checks/ivrBot.check.ts: the IVR of docs/media-and-participants.md, against
// the fake Graph. A computed name, as in examples.test.ts: samples.test.ts type-checks the file.
const check = 'ivrBot.check.js';
await import(/* @vite-ignore */ `../../docs/examples/checks/${check}`);
