import { defineConfig } from 'tsup';

// No source maps in the published package. They were 64% of the install (2.4 of 3.7 MB
// unpacked): every module is built twice (ESM and CommonJS) and each map embeds the TypeScript
// it came from. What they would buy a user is small: the build is not minified, so a stack
// trace into dist/ already names the real functions in readable code. Publishing the maps
// without their `sourcesContent` still costs 0.8 MB and points at ../src files that are not in
// the package, and keeping them out of `files` would leave a `//# sourceMappingURL` in every
// file (tsup always writes it) that bundlers and dev servers warn about. Our own debugging runs
// on the sources (vitest, tsx), so nothing here needs them; `npx tsup --sourcemap` builds a
// mapped dist/ for a one-off session (test/package fails on a .map file, so it cannot ship).
const sourcemap = false;

export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      'testing/index': 'src/testing/index.ts',
      'redis/index': 'src/redis/index.ts',
      'webhook/index': 'src/webhook/index.ts',
      'diagram/index': 'src/diagram/index.ts',
      'recorder/index': 'src/recorder/index.ts',
      'console/index': 'src/console/index.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap,
    clean: ['**/*', '!cli/**'],
    target: 'node20',
    treeshake: true,
    splitting: true,
    external: ['xstate', 'ioredis'],
  },
  {
    // The `graph-call-machine` command: one ES module, run by node whatever the project's type.
    // Its own folder, cleaned by this build alone (the build above leaves cli/ alone, as the two
    // run at once), so no file of an earlier build (a map) stays behind in the package.
    entry: { main: 'src/cli/main.ts' },
    outDir: 'dist/cli',
    clean: true,
    format: ['esm'],
    banner: { js: '#!/usr/bin/env node' },
    sourcemap,
    target: 'node20',
    // --inspect loads the inspector only if the user installed it.
    external: ['xstate', 'ioredis', '@statelyai/inspect'],
  },
]);
