// The library as its users run it: the built package in dist/, not the TypeScript sources. Run
// through tsx, the sources carry what tsx adds to them (a `__name` call for every function a
// closure creates, to keep its name), which made the webhook 15–25% slower than the build that
// is published. The types are the sources': dist/ is built from them. (The webhook figures'
// servers load dist/ themselves: bench/webhookServers.mjs.)
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist = (entry: string) =>
  fileURLToPath(new URL(`../dist/${entry}/index.js`, import.meta.url));

for (const entry of ['.', 'recorder']) {
  if (!existsSync(dist(entry))) {
    throw new Error(`bench: ${dist(entry)} is missing; build the package first (npm run build)`);
  }
}

const load = (entry: string) => import(pathToFileURL(dist(entry)).href);

export const lib = (await load('.')) as typeof import('../src/index.js');
export const recorder = (await load('recorder')) as typeof import('../src/recorder/index.js');
