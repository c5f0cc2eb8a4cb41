// The root entry and graph-call-machine/diagram run anywhere JavaScript does (a browser, a
// worker, the Stately inspector): nothing they reach, through any chain of imports, may load
// jose, ioredis or a Node builtin. The webhook, the test kit and the Redis store are subpaths
// precisely so that they can.
//
// The walk reads the sources, not the build: every `import … from`, `export … from`, side-effect
// `import '…'` and `import('…')` of a module, relative ones followed (`./x.js` is `./x.ts`),
// type-only ones included (a root whose types need @types/node is not node-free either).
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const NODE_BUILTINS = new Set(builtinModules);
const FORBIDDEN_PACKAGES = new Set(['jose', 'ioredis']);

// Statements start a line; a specifier in a comment (` * import …` in a TSDoc example, `// …`)
// or in the middle of an expression does not. Comment lines are dropped before any search, so
// `import('…')` in a comment does not count either.
const STATIC_SPECIFIERS = [
  /^[ \t]*import[ \t]+(?:type[ \t]+)?(?:[\w$]+[ \t]*,?[ \t]*)?(?:\{[^}]*\}|\*[ \t]+as[ \t]+[\w$]+)?[ \t]*from[ \t]*['"]([^'"]+)['"]/gm,
  /^[ \t]*import[ \t]*['"]([^'"]+)['"]/gm,
  /^[ \t]*export[ \t]+(?:type[ \t]+)?(?:\{[^}]*\}|\*(?:[ \t]+as[ \t]+[\w$]+)?)[ \t]*from[ \t]*['"]([^'"]+)['"]/gm,
];
const DYNAMIC_SPECIFIER = /(?<![\w$.])import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The module specifiers a source file imports or re-exports, in order of appearance. */
function importSpecifiers(source: string): string[] {
  const code = source
    .split('\n')
    .filter((line) => !/^\s*(?:\/\/|\/\*|\*)/.test(line))
    .join('\n');
  const found: { at: number; specifier: string }[] = [];
  for (const pattern of [...STATIC_SPECIFIERS, DYNAMIC_SPECIFIER]) {
    for (const match of code.matchAll(pattern)) {
      if (match[1] !== undefined) found.push({ at: match.index, specifier: match[1] });
    }
  }
  return found.sort((a, b) => a.at - b.at).map((f) => f.specifier);
}

/** Why a specifier may not be reached from a node-free entry, or `undefined` when it may. */
function forbidden(specifier: string): string | undefined {
  if (specifier.startsWith('node:')) return 'a node: module';
  if (NODE_BUILTINS.has(specifier)) return 'a Node builtin';
  const name = specifier.startsWith('@')
    ? specifier.split('/').slice(0, 2).join('/')
    : specifier.split('/')[0];
  if (name !== undefined && FORBIDDEN_PACKAGES.has(name)) return `${name}, a dependency for Node`;
  return undefined;
}

/** `./x.js` from `from` as the source file it names (`./x.ts`, or `./x/index.ts`). */
function resolveRelative(from: string, specifier: string): string | undefined {
  const target = resolve(dirname(from), specifier);
  const candidates = [
    target.replace(/\.js$/, '.ts'),
    target.replace(/\.mjs$/, '.mts'),
    target,
    `${target}.ts`,
    join(target, 'index.ts'),
  ];
  return candidates.find((path) => /\.m?ts$/.test(path) && existsSync(path));
}

interface Violation {
  /** The modules from the entry to the one that imports `specifier`, relative to the root. */
  readonly chain: readonly string[];
  readonly specifier: string;
  readonly why: string;
}

/** Every forbidden import reachable from `entry`, each with the shortest chain that reaches it. */
function forbiddenImports(entry: string): { reached: string[]; violations: Violation[] } {
  const start = join(ROOT, entry);
  const parent = new Map<string, string | undefined>([[start, undefined]]);
  const queue = [start];
  const violations: Violation[] = [];
  const chainTo = (file: string): string[] => {
    const chain: string[] = [];
    for (let at: string | undefined = file; at !== undefined; at = parent.get(at)) {
      chain.unshift(relative(ROOT, at));
    }
    return chain;
  };
  // Breadth first, so the chain named for a module is a shortest one.
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    for (const specifier of importSpecifiers(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.')) {
        const target = resolveRelative(file, specifier);
        if (target === undefined) {
          violations.push({
            chain: chainTo(file),
            specifier,
            why: 'a relative import that names no source file, so the walk cannot follow it',
          });
        } else if (!parent.has(target)) {
          parent.set(target, file);
          queue.push(target);
        }
        continue;
      }
      const why = forbidden(specifier);
      if (why !== undefined) violations.push({ chain: chainTo(file), specifier, why });
    }
  }
  return { reached: [...parent.keys()].map((file) => relative(ROOT, file)), violations };
}

function describeViolation({ chain, specifier, why }: Violation): string {
  return `${[...chain, specifier].join(' → ')}  (${specifier} is ${why})`;
}

describe.each([
  ['graph-call-machine', 'src/index.ts'],
  ['graph-call-machine/diagram', 'src/diagram/index.ts'],
])('%s (%s)', (name, entry) => {
  it('reaches neither jose, nor ioredis, nor a Node builtin through any import', () => {
    const { violations } = forbiddenImports(entry);
    expect(
      violations.map(describeViolation),
      `${name} must load in any JavaScript runtime; move what needs Node to a subpath such as graph-call-machine/webhook`,
    ).toEqual([]);
  });
});

describe('the walk', () => {
  it('follows the whole root entry: the machine, the parser and the registry', () => {
    const { reached } = forbiddenImports('src/index.ts');
    expect(reached).toEqual(
      expect.arrayContaining([
        'src/machine/callMachine.ts',
        'src/graph/parseNotifications.ts',
        'src/runtime/createCallRegistry.ts',
      ]),
    );
    expect(reached.filter((file) => file.startsWith('src/webhook/'))).toEqual([]);
  });

  it('names the chain to a forbidden import: the webhook reaches jose and node:http', () => {
    const found = forbiddenImports('src/webhook/index.ts').violations.map(describeViolation);
    expect(found).toEqual(
      expect.arrayContaining([
        'src/webhook/index.ts → src/webhook/createGraphTokenValidator.ts → jose  (jose is jose, a dependency for Node)',
        'src/webhook/index.ts → src/webhook/toNodeListener.ts → node:http  (node:http is a node: module)',
      ]),
    );
  });

  it('reads import and export statements, not comments, and knows bare builtins', () => {
    const source = [
      '/**',
      ' * @example',
      " * import { readFileSync } from 'node:fs';",
      ' */',
      "// import { x } from 'ioredis';",
      "import { a } from './a.js';",
      "import type { B } from './b.js';",
      "import c, { d } from 'c';",
      "import * as e from 'e';",
      "import 'f';",
      'import {',
      '  g,',
      '  type H,',
      "} from 'g';",
      "export { i } from './i.js';",
      "export type { J } from 'j';",
      "export * from 'k';",
      "export * as l from 'l';",
      "const m = await import('m');",
      'const text = \'import { n } from "n"\';',
    ].join('\n');
    expect(importSpecifiers(source)).toEqual([
      './a.js',
      './b.js',
      'c',
      'e',
      'f',
      'g',
      './i.js',
      'j',
      'k',
      'l',
      'm',
    ]);
    expect(
      ['http', 'crypto', 'fs/promises', 'node:stream', 'jose', 'ioredis'].map(forbidden),
    ).toEqual([
      'a Node builtin',
      'a Node builtin',
      'a Node builtin',
      'a node: module',
      'jose, a dependency for Node',
      'ioredis, a dependency for Node',
    ]);
    expect(['xstate', './http.js', '@statelyai/inspect'].map(forbidden)).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });
});
