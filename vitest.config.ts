import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    // The docs' examples import the package by name, as a bot would: the tests run them against
    // the sources, so `npm run test:unit` needs no build (the built package is checked by
    // publint and attw in `npm test`).
    alias: [
      { find: /^graph-call-machine$/, replacement: src('index.ts') },
      {
        find: /^graph-call-machine\/(testing|webhook|diagram|redis|recorder|console)$/,
        replacement: src('$1/index.ts'),
      },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // A test that prints through console.warn/console.error, or leaves a rejection unhandled,
    // fails (see the files).
    setupFiles: ['test/setup/failOnWarnings.ts', 'test/setup/failOnUnhandledRejections.ts'],
    // The JSON report is what .ci/run reads to print its "N passed, M failed" line.
    reporters: ['default', 'json'],
    outputFile: { json: 'reports/vitest.json' },
  },
});
