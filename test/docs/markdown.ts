// Reads the code blocks of the Markdown documentation, for the tests that keep every sample
// compiling (samples.test.ts) and every export documented (api.test.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** README.md and every docs/*.md, as paths relative to the repository root. */
export function markdownFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

/** Every docs/examples/*.ts, relative to the repository root. */
export function exampleFiles(): string[] {
  return readdirSync(join(ROOT, 'docs/examples'))
    .filter((name) => name.endsWith('.ts'))
    .sort()
    .map((name) => `docs/examples/${name}`);
}

/** Every docs/examples/checks/*.ts: the tests that run the examples. */
export function checkFiles(): string[] {
  return readdirSync(join(ROOT, 'docs/examples/checks'))
    .filter((name) => name.endsWith('.ts'))
    .sort()
    .map((name) => `docs/examples/checks/${name}`);
}

export function read(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

export interface CodeBlock {
  /** The Markdown file, relative to the root. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The first word of the info string (`ts`, `sh`, …), lower-cased; '' when none. */
  readonly lang: string;
  /** The other words of the info string, e.g. `fragment`. */
  readonly flags: readonly string[];
  /** The code, without the fences, with a final newline. */
  readonly code: string;
  /** `<!-- example: docs/examples/x.ts -->` on the line above: the file this block shows. */
  readonly example?: string;
  /** Offsets of the code in the Markdown text, to replace it. */
  readonly start: number;
  readonly end: number;
}

const OPEN = /^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/;
const EXAMPLE = /^<!--\s*example:\s*(\S+)\s*-->$/;

/** The fenced code blocks of a Markdown text, in order. */
export function codeBlocks(file: string, text: string): CodeBlock[] {
  const lines = text.split('\n');
  const offsets: number[] = [];
  let offset = 0;
  for (const line of lines) {
    offsets.push(offset);
    offset += line.length + 1;
  }
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = OPEN.exec(lines[i] ?? '');
    if (open === null) continue;
    const [, indent = '', fence = '', lang = '', rest = ''] = open;
    const close = new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    let j = i + 1;
    while (j < lines.length && !close.test(lines[j] ?? '')) j++;
    const body = lines
      .slice(i + 1, j)
      .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l));
    let above = i - 1;
    while (above >= 0 && (lines[above] ?? '').trim() === '') above--;
    const marker = EXAMPLE.exec((lines[above] ?? '').trim());
    const start = offsets[i + 1] ?? text.length;
    const end = offsets[j] ?? text.length;
    blocks.push({
      file,
      line: i + 1,
      lang: lang.toLowerCase(),
      flags: rest.split(/\s+/).filter((flag) => flag !== ''),
      code: body.length === 0 ? '' : `${body.join('\n')}\n`,
      ...(marker?.[1] !== undefined && { example: marker[1] }),
      start,
      end,
    });
    i = j;
  }
  return blocks;
}

/**
 * What the inline samples of a file take as given (`callId`, `getToken`, …), from its
 * `<!-- sample-context: declare const callId: string; -->` comments.
 */
export function sampleContext(text: string): string {
  return [...text.matchAll(/<!--\s*sample-context:([\s\S]*?)-->/g)]
    .map((match) => (match[1] ?? '').trim())
    .join(' ');
}

export function fromRoot(path: string): string {
  return relative(ROOT, path).split('\\').join('/');
}
