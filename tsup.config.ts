import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      'testing/index': 'src/testing/index.ts',
      'redis/index': 'src/redis/index.ts',
      'webhook/index': 'src/webhook/index.ts',
      'diagram/index': 'src/diagram/index.ts',
      'recorder/index': 'src/recorder/index.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: ['**/*', '!cli/**'],
    target: 'node20',
    treeshake: true,
    splitting: true,
    external: ['xstate', 'ioredis'],
  },
  {
    // The `graph-call-machine` command: one ES module, run by node whatever the project's type.
    entry: { 'cli/main': 'src/cli/main.ts' },
    format: ['esm'],
    banner: { js: '#!/usr/bin/env node' },
    sourcemap: true,
    target: 'node20',
    // --inspect loads the inspector only if the user installed it.
    external: ['xstate', 'ioredis', '@statelyai/inspect'],
  },
]);
