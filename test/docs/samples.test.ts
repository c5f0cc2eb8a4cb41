// Every code sample in README.md and docs/*.md is compiled, so none can rot.
//
// - A block under `<!-- example: docs/examples/x.ts -->` must equal that file, byte for byte.
//   The files are real modules: type-checked here, and run by examples.test.ts and
//   modelBasedExample.test.ts. `UPDATE_DOC_EXAMPLES=1 npx vitest run test/docs` copies the
//   files into the Markdown after an edit (or after `biome check --write` reformatted one).
// - Every other ```ts block is type-checked as a module of its own, against the sources
//   (`graph-call-machine` maps to src/index.ts), with the strict options of tsconfig.json. What
//   a sample takes as given is declared in a `<!-- sample-context: … -->` comment of its file.
// - ```ts fragment marks a deliberately partial block: not compiled, and kept rare.
// - Shell blocks may only name npm scripts and files that exist.
import { existsSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import {
  type CodeBlock,
  checkFiles,
  codeBlocks,
  exampleFiles,
  markdownFiles,
  ROOT,
  read,
  sampleContext,
} from './markdown.js';

// Files whose owners have not added `sample-context` comments yet: what their samples assume.
const CONTEXT_OF: Readonly<Record<string, string>> = {
  'README.md':
    'declare const callId: string; declare const GRAPH: string; declare const headers: Record<string, string>; declare const webhookBody: unknown; declare function getToken(): Promise<string>;',
  'docs/notifications.md':
    "import { parseNotifications } from 'graph-call-machine'; declare const request: Request; declare const log: { warn(message: string): void };",
  'docs/lifecycle.template.md': 'declare const callId: string;',
  'docs/lifecycle.md': 'declare const callId: string;',
};

const TS = new Set(['ts', 'typescript', 'tsx', 'mts']);
const SHELL = new Set(['sh', 'bash', 'shell', 'console']);
// Not code a test can check, or checked elsewhere (the mermaid chart by test/diagram).
const UNCHECKED = new Set(['', 'text', 'txt', 'mermaid', 'dot', 'http', 'diff']);
const MAX_FRAGMENTS = 3;

const UPDATE = process.env.UPDATE_DOC_EXAMPLES === '1';

interface Doc {
  readonly file: string;
  readonly text: string;
  readonly blocks: readonly CodeBlock[];
}

const docs: Doc[] = markdownFiles().map((file) => {
  const text = read(file);
  return { file, text, blocks: codeBlocks(file, text) };
});
const allBlocks = docs.flatMap((doc) => doc.blocks);
const where = (block: CodeBlock) => `${block.file}:${block.line}`;

describe('documentation samples', () => {
  it('shows each docs/examples file exactly as it is', () => {
    const stale: string[] = [];
    for (const doc of docs) {
      let text = doc.text;
      // From the end, so the offsets of earlier blocks stay right while replacing.
      for (const block of [...doc.blocks].reverse()) {
        if (block.example === undefined) continue;
        const path = block.example;
        if (!existsSync(join(ROOT, path))) {
          stale.push(`${where(block)} shows ${path}, which does not exist`);
          continue;
        }
        const file = read(path);
        if (block.code === file) continue;
        if (UPDATE) text = text.slice(0, block.start) + file + text.slice(block.end);
        else stale.push(`${where(block)} differs from ${path}`);
      }
      if (UPDATE && text !== doc.text) writeFileSync(join(ROOT, doc.file), text);
    }
    expect(
      stale,
      'run `UPDATE_DOC_EXAMPLES=1 npx vitest run test/docs` to copy the example files into the Markdown',
    ).toEqual([]);
  });

  it('shows every docs/examples file somewhere', () => {
    const shown = new Set(allBlocks.flatMap((block) => block.example ?? []));
    expect(exampleFiles().filter((path) => !shown.has(path))).toEqual([]);
  });

  it('type-checks every example file and every other TypeScript block', () => {
    const problems = typecheck(allBlocks.filter((b) => TS.has(b.lang)));
    expect(problems).toEqual([]);
  }, 120_000);

  it('uses only languages it can check, and few fragments', () => {
    const unknown = allBlocks
      .filter(
        (b) => !TS.has(b.lang) && !SHELL.has(b.lang) && !UNCHECKED.has(b.lang) && b.lang !== 'json',
      )
      .map((b) => `${where(b)}: \`\`\`${b.lang} is not checked; use ts (or sh, json)`);
    expect(unknown).toEqual([]);
    const fragments = allBlocks.filter((b) => TS.has(b.lang) && b.flags.includes('fragment'));
    expect(fragments.length, fragments.map(where).join(', ')).toBeLessThanOrEqual(MAX_FRAGMENTS);
    for (const block of allBlocks.filter((b) => b.lang === 'json')) {
      expect(() => JSON.parse(block.code), where(block)).not.toThrow();
    }
  });

  it('names only npm scripts and files that exist in shell blocks', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> })
      .scripts;
    const problems: string[] = [];
    for (const block of allBlocks.filter((b) => SHELL.has(b.lang))) {
      for (const line of block.code.split('\n')) {
        const command = line.replace(/^\s*\$\s*/, '').trim();
        const script = /^npm run (\S+)/.exec(command)?.[1];
        if (script !== undefined && scripts[script] === undefined) {
          problems.push(`${where(block)}: no npm script "${script}"`);
        }
        const file = /^(?:npx tsx|tsx|node)\s+(?:--\S+\s+)*(\S+\.(?:ts|js|mjs))/.exec(command)?.[1];
        if (file !== undefined && !existsSync(join(ROOT, file))) {
          problems.push(`${where(block)}: no file ${file}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

/**
 * One program for all samples: example files as they are, inline blocks as virtual modules
 * next to their Markdown file (never written to disk). Returns `file:line: message` for each error.
 */
function typecheck(blocks: readonly CodeBlock[]): string[] {
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  const options: ts.CompilerOptions = {
    ...parsed.options,
    noEmit: true,
    baseUrl: ROOT,
    // What a user imports, resolved to the sources so no build is needed.
    paths: {
      'graph-call-machine': ['src/index.ts'],
      'graph-call-machine/testing': ['src/testing/index.ts'],
      'graph-call-machine/redis': ['src/redis/index.ts'],
      'graph-call-machine/webhook': ['src/webhook/index.ts'],
      'graph-call-machine/diagram': ['src/diagram/index.ts'],
      'graph-call-machine/recorder': ['src/recorder/index.ts'],
      'graph-call-machine/console': ['src/console/index.ts'],
    },
  };

  const virtual = new Map<string, { text: string; block: CodeBlock; preludeLines: number }>();
  const contexts = new Map(docs.map((doc) => [doc.file, sampleContext(doc.text)]));
  for (const block of blocks) {
    if (block.example !== undefined || block.flags.includes('fragment')) continue;
    const context = [contexts.get(block.file), CONTEXT_OF[block.file]].filter(Boolean).join(' ');
    const prelude = context === '' ? '' : `${context}\n`;
    // `export {}` makes every sample a module: its names stay its own, top-level await works.
    const text = `${prelude}${block.code}export {};\n`;
    // Next to its Markdown file, so a relative import in a sample means what it says there.
    const name = join(
      ROOT,
      dirname(block.file),
      `.sample-${basename(block.file, '.md')}-${block.line}.ts`,
    );
    virtual.set(name, { text, block, preludeLines: prelude === '' ? 0 : 1 });
  }
  // The example files, and the checks that run them (docs/examples/checks).
  const examples = [...exampleFiles(), ...checkFiles()].map((path) => join(ROOT, path));

  const host = ts.createCompilerHost(options, true);
  const realSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, languageVersion, onError, shouldCreate) => {
    const entry = virtual.get(name);
    return entry === undefined
      ? realSourceFile(name, languageVersion, onError, shouldCreate)
      : ts.createSourceFile(name, entry.text, languageVersion, true);
  };
  const realFileExists = host.fileExists.bind(host);
  host.fileExists = (name) => virtual.has(name) || realFileExists(name);
  const realReadFile = host.readFile.bind(host);
  host.readFile = (name) => virtual.get(name)?.text ?? realReadFile(name);

  const program = ts.createProgram([...examples, ...virtual.keys()], options, host);
  const problems: string[] = [];
  for (const diagnostic of program.getOptionsDiagnostics()) {
    problems.push(`tsconfig: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
  }
  for (const name of [...examples, ...virtual.keys()]) {
    const source = program.getSourceFile(name);
    if (source === undefined) {
      problems.push(`${name}: not part of the program`);
      continue;
    }
    const diagnostics = [
      ...program.getSyntacticDiagnostics(source),
      ...program.getSemanticDiagnostics(source),
    ];
    for (const diagnostic of diagnostics) {
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      const { line } = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      const entry = virtual.get(name);
      problems.push(
        entry === undefined
          ? `${name.slice(ROOT.length)}:${line + 1}: ${message}`
          : `${entry.block.file}:${entry.block.line + line + 1 - entry.preludeLines}: ${message}${
              /Cannot find name/.test(message)
                ? ' (complete the sample, or declare what it assumes in a <!-- sample-context: … --> comment)'
                : ''
            }`,
      );
    }
  }
  return problems;
}
