// The package's types as its users' compilers see them: the packed tarball installed, with
// TypeScript, xstate, ioredis and @types/node, into a fresh CommonJS project (`module: node16`)
// and a fresh ES-module one (`module: nodenext`), both with `skipLibCheck: false`, so every
// declaration file the seven entry points reach is checked too; then each entry point loaded by
// node, with `require` and with `import`.
//
// It needs `npm run build` first (`npm run check` builds before the tests); without a build the
// file says so and skips. The install needs the npm registry (or its cache): when it cannot
// reach it, the test fails and says so rather than passing on nothing.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT, npm, pack, run } from './npm.js';

if (!BUILT) {
  console.warn('test/package/consumers.test.ts skipped: dist/ is missing; run npm run build first');
}

const ENTRY_POINTS = [
  'graph-call-machine',
  'graph-call-machine/webhook',
  'graph-call-machine/testing',
  'graph-call-machine/redis',
  'graph-call-machine/recorder',
  'graph-call-machine/diagram',
  'graph-call-machine/console',
] as const;

// What the users' projects install besides the package: the versions this repository builds
// and tests with.
const WITH = ['typescript@~5.9.3', 'xstate@~5.33.0', 'ioredis', '@types/node@20'];

interface Project {
  readonly name: string;
  readonly manifest: object;
  readonly tsconfig: object;
  readonly source: string;
}

// A CommonJS project's TypeScript, written the two ways such projects write it: `import … from`
// (emitted as require) and `import x = require(…)`.
const COMMONJS: Project = {
  name: 'commonjs',
  manifest: { name: 'commonjs-consumer', private: true, type: 'commonjs' },
  tsconfig: {
    compilerOptions: {
      module: 'node16',
      moduleResolution: 'node16',
      strict: true,
      skipLibCheck: false,
      noEmit: true,
    },
    files: ['index.ts'],
  },
  source: `import { type CallRegistry, createCallRegistry, parseNotifications } from 'graph-call-machine';
import webhook = require('graph-call-machine/webhook');
import { createFakeGraph } from 'graph-call-machine/testing';
import redis = require('graph-call-machine/redis');
import { createFileRecorder } from 'graph-call-machine/recorder';
import diagram = require('graph-call-machine/diagram');
import { createCallConsole } from 'graph-call-machine/console';

const registry: CallRegistry = createCallRegistry({ graph: { getToken: async () => 'token' } });
const authenticate = webhook.createGraphTokenValidator({ appId: 'app', jwks: { keys: [] } });
export const handler = webhook.createWebhookHandler(registry, { authenticate });
export const count: number = parseNotifications({ value: [] }).notifications.length;
export const used = [createFakeGraph, redis.createRedisCallStore, createFileRecorder, diagram.toMermaid];
export const listener = createCallConsole(registry, { redact: true }).listener;
`,
};

// An ES-module project; it hands the validator jose's own key sets, as users do. (Not with
// `exactOptionalPropertyTypes`: xstate's own declarations fail it when libraries are checked.)
const ES_MODULE: Project = {
  name: 'esm',
  manifest: { name: 'esm-consumer', private: true, type: 'module' },
  tsconfig: {
    compilerOptions: {
      module: 'nodenext',
      moduleResolution: 'nodenext',
      strict: true,
      skipLibCheck: false,
      noEmit: true,
    },
    files: ['index.ts'],
  },
  source: `import { createCallRegistry, parseNotifications } from 'graph-call-machine';
import {
  createGraphTokenValidator,
  createWebhookHandler,
  type JwksSource,
} from 'graph-call-machine/webhook';
import { createFakeGraph } from 'graph-call-machine/testing';
import { createRedisCallStore } from 'graph-call-machine/redis';
import { createFileRecorder } from 'graph-call-machine/recorder';
import { toMermaid } from 'graph-call-machine/diagram';
import { createCallConsole, type CallConsole } from 'graph-call-machine/console';
import { createLocalJWKSet, createRemoteJWKSet } from 'jose';

const jwks: JwksSource[] = [
  createRemoteJWKSet(new URL('https://login.example.com/keys')),
  createLocalJWKSet({ keys: [] }),
  { keys: [{ kty: 'RSA', kid: 'k1', alg: 'RS256', use: 'sig', n: 'AQAB', e: 'AQAB' }] },
  { openIdConfiguration: 'https://login.example.com/.well-known/openid-configuration' },
];
const registry = createCallRegistry({ graph: { getToken: async () => 'token' } });
const authenticate = createGraphTokenValidator({ appId: 'app', jwks, algorithms: ['RS256'] });
export const handler = createWebhookHandler(registry, { authenticate });
export const count: number = parseNotifications({ value: [] }).notifications.length;
export const used = [createFakeGraph, createRedisCallStore, createFileRecorder, toMermaid];
export const callConsole: CallConsole = createCallConsole(registry);
`,
};

// What docs/console.md tells a bot to write: the console in three lines, over a registry that
// runs a call through the fake Graph. The page and the call list are read over HTTP, offline.
const CONSOLE_IN_THREE_LINES = `import { createServer } from 'node:http';
import { createCallRegistry } from 'graph-call-machine';
import { createFakeGraph } from 'graph-call-machine/testing';
import { createCallConsole } from 'graph-call-machine/console';

const fake = createFakeGraph();
const registry = createCallRegistry({ graph: { fetch: fake.fetch, baseUrl: fake.baseUrl, getToken: async () => 'token' } });
fake.connect(registry);

const callConsole = createCallConsole(registry);
const server = createServer(callConsole.listener);
server.listen(0, '127.0.0.1');

await new Promise((resolve) => server.once('listening', resolve));
const url = 'http://127.0.0.1:' + server.address().port + '/';
const callId = fake.incomingCall();
await fake.settle();
const page = await (await fetch(url)).text();
const calls = await (await fetch(url + 'calls')).json();
const external = page.match(/(?:src|href)=["']?(?:https?:)?\\/\\/[^"' >]+/g) ?? [];
console.log(JSON.stringify({ html: page.startsWith('<!doctype html>'), listed: calls.rows.map((row) => row.id).includes(callId), external }));
await callConsole.close();
server.close();
await registry.close();
await fake.close();
`;

let dir = '';

async function typecheck(project: Project): Promise<{ code: number; output: string }> {
  const tsc = join(dir, 'node_modules/typescript/bin/tsc');
  const result = await run(process.execPath, [tsc, '-p', '.', '--pretty', 'false'], {
    cwd: join(dir, project.name),
  });
  return { code: result.code, output: `${result.stdout}${result.stderr}`.trim() };
}

describe.skipIf(!BUILT)('the packed package in a user project', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gcm-consumers-'));
    const { filename } = await pack(dir);
    const manifest = { name: 'consumers', private: true };
    await writeFile(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    // One install at the top; each project is a folder below it with its own package.json (its
    // module kind) and tsconfig.json, resolving the packages from the folder above.
    await npm(
      'npm install of the tarball',
      ['install', join(dir, filename), ...WITH, '--no-audit', '--no-fund', '--prefer-offline'],
      dir,
    );
    for (const project of [COMMONJS, ES_MODULE]) {
      const cwd = join(dir, project.name);
      await mkdir(cwd);
      await writeFile(join(cwd, 'package.json'), `${JSON.stringify(project.manifest, null, 2)}\n`);
      await writeFile(join(cwd, 'tsconfig.json'), `${JSON.stringify(project.tsconfig, null, 2)}\n`);
      await writeFile(join(cwd, 'index.ts'), project.source);
    }
  }, 180_000);

  afterAll(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('type-checks in a CommonJS project (module node16, skipLibCheck false)', async () => {
    const { code, output } = await typecheck(COMMONJS);
    expect(
      output,
      'the package must type-check for a CommonJS user who checks libraries; TS1479 means a .d.cts imports the types of jose, an ES module only',
    ).toBe('');
    expect(code).toBe(0);
  }, 60_000);

  it('type-checks in an ES-module project (module nodenext, skipLibCheck false)', async () => {
    const { code, output } = await typecheck(ES_MODULE);
    expect(output).toBe('');
    expect(code).toBe(0);
  }, 60_000);

  it('loads every entry point with require, without a warning', async () => {
    const script = `for (const name of ${JSON.stringify(ENTRY_POINTS)}) {
      const loaded = require(name);
      if (Object.keys(loaded).length === 0) throw new Error(name + ' exports nothing');
    }`;
    const result = await run(process.execPath, ['-e', script], { cwd: join(dir, COMMONJS.name) });
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
  }, 60_000);

  it('serves the console of a registry from the three lines of docs/console.md, offline', async () => {
    await writeFile(join(dir, ES_MODULE.name, 'console.mjs'), CONSOLE_IN_THREE_LINES);
    const result = await run(process.execPath, ['console.mjs'], { cwd: join(dir, ES_MODULE.name) });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ html: true, listed: true, external: [] });
    expect(result.code).toBe(0);
  }, 60_000);

  it('loads every entry point with import, without a warning', async () => {
    const script = `for (const name of ${JSON.stringify(ENTRY_POINTS)}) {
      const loaded = await import(name);
      if (Object.keys(loaded).length === 0) throw new Error(name + ' exports nothing');
    }`;
    const result = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: join(dir, ES_MODULE.name),
    });
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
  }, 60_000);
});
