// npm shows README.md on the package's page, but none of the repository's other files: a
// relative link there (`docs/embedding.md`) is dead. So every link of the README to a file of
// this repository is absolute, to its GitHub page on main, and must name a file that exists here
// (and, with an anchor into a Markdown file, a heading of that file); in-page anchors must name
// a heading of the README. Other sites are not fetched.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './npm.js';

const REPOSITORY = 'https://github.com/graph-call-machine/graph-call-machine';
const BRANCH = 'main';

interface Link {
  readonly line: number;
  readonly url: string;
}

const blank = (text: string) => text.replace(/[^\n]/g, ' ');

/** Blanks the fenced code blocks and HTML comments, keeping every offset. */
function withoutBlocks(markdown: string): string {
  const lines = markdown.split('\n');
  let fence: RegExp | undefined;
  const kept = lines.map((line) => {
    if (fence !== undefined) {
      if (fence.test(line)) fence = undefined;
      return blank(line);
    }
    const open = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (open?.[1] !== undefined) {
      fence = new RegExp(`^ {0,3}${open[1][0]}{${open[1].length},}\\s*$`);
      return blank(line);
    }
    return line;
  });
  return kept.join('\n').replace(/<!--[\s\S]*?-->/g, blank);
}

/** Blanks what is not prose (fenced code, HTML comments, code spans), keeping every offset. */
function prose(markdown: string): string {
  return withoutBlocks(markdown).replace(/(`+)(?!`)[\s\S]*?[^`]\1(?!`)/g, blank);
}

/** The links of a Markdown text: inline, reference definitions, autolinks and HTML. */
function links(markdown: string): Link[] {
  const text = prose(markdown);
  const found: { at: number; url: string }[] = [];
  const patterns = [
    /!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g,
    /^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/gm,
    /<((?:https?|mailto):[^>\s]+)>/g,
    /\b(?:href|src)\s*=\s*["']([^"']+)["']/g,
  ];
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) {
      if (match[1] !== undefined) found.push({ at: match.index, url: match[1] });
    }
  }
  return found
    .sort((a, b) => a.at - b.at)
    .map(({ at, url }) => ({ line: text.slice(0, at).split('\n').length, url }));
}

/** GitHub's anchor for a heading's text: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors a Markdown text has: one per heading (repeats numbered), and HTML ids. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const found = new Set<string>();
  for (const line of withoutBlocks(markdown).split('\n')) {
    const heading = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/.exec(line);
    if (heading?.[1] === undefined) continue;
    const base = slug(heading[1]);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    found.add(count === 0 ? base : `${base}-${count}`);
  }
  for (const match of markdown.matchAll(/<a\s[^>]*\b(?:name|id)\s*=\s*["']([^"']+)["']/g)) {
    if (match[1] !== undefined) found.add(match[1]);
  }
  return found;
}

/** What is wrong with one link of the README, or `undefined` when nothing is. */
function problemOf(url: string, readmeAnchors: ReadonlySet<string>): string | undefined {
  if (url.startsWith('#')) {
    const anchor = decodeURIComponent(url.slice(1));
    return readmeAnchors.has(anchor) ? undefined : `no heading of the README has the anchor ${url}`;
  }
  if (!/^[a-z][a-z\d+.-]*:|^\/\//i.test(url)) {
    return `a relative link, dead on npm: link ${REPOSITORY}/blob/${BRANCH}/${url.replace(/^\.\//, '')} instead`;
  }
  if (!url.startsWith(`${REPOSITORY}/`) && !url.startsWith(`${REPOSITORY}#`)) return undefined;
  const rest = url.slice(REPOSITORY.length);
  const page = /^\/(blob|tree)\/([^/]+)\/([^#?]*)(?:\?[^#]*)?(?:#(.*))?$/.exec(rest);
  if (page === null) {
    return /^\/(blob|tree|raw)\//.test(rest) ? 'not a link to a file on a branch' : undefined;
  }
  const [, kind = '', branch = '', path = '', anchor] = page;
  if (branch !== BRANCH) return `links to the branch ${branch}, not ${BRANCH}`;
  const file = join(ROOT, decodeURIComponent(path));
  if (path === '' || !existsSync(file))
    return `names ${path || 'nothing'}, which is not in the repository`;
  const isDirectory = statSync(file).isDirectory();
  if (kind === 'blob' && isDirectory)
    return `names the folder ${path}: link /tree/${BRANCH}/${path}`;
  if (kind === 'tree' && !isDirectory)
    return `names the file ${path}: link /blob/${BRANCH}/${path}`;
  if (anchor !== undefined && anchor !== '' && path.endsWith('.md')) {
    const target = anchors(readFileSync(file, 'utf8'));
    if (!target.has(decodeURIComponent(anchor)))
      return `${path} has no heading with the anchor #${anchor}`;
  }
  return undefined;
}

describe('the README on npm', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const found = links(readme);

  it('links each file of this repository by its absolute GitHub address, and each exists here', () => {
    const readmeAnchors = anchors(readme);
    const problems = found.flatMap(({ line, url }) => {
      const problem = problemOf(url, readmeAnchors);
      return problem === undefined ? [] : [`README.md:${line}: ${url}: ${problem}`];
    });
    expect(problems).toEqual([]);
  });

  it('links the documentation (the walk finds the links it must check)', () => {
    const toRepository = found.filter(({ url }) => url.startsWith(`${REPOSITORY}/blob/`));
    expect(toRepository.length).toBeGreaterThanOrEqual(10);
    expect(toRepository.map(({ url }) => url)).toContain(
      `${REPOSITORY}/blob/${BRANCH}/docs/embedding.md#driving-calls`,
    );
  });
});

describe('the link check', () => {
  it('reads links outside code, and none inside it', () => {
    const markdown = [
      '# Title',
      'See [the docs](docs/a.md), ![a chart](docs/chart.svg "Chart") and <https://example.com/x>.',
      '[`code`](https://example.com/code) and `[not](a-link.md)` in a code span.',
      '<!-- example: docs/examples/x.ts -->',
      '```ts',
      "import { x } from './docs/examples/x.js'; // [not](a-link.md)",
      '```',
      '[ref]: https://example.com/ref',
      '<a href="docs/b.md">b</a>',
    ].join('\n');
    expect(links(markdown)).toEqual([
      { line: 2, url: 'docs/a.md' },
      { line: 2, url: 'docs/chart.svg' },
      { line: 2, url: 'https://example.com/x' },
      { line: 3, url: 'https://example.com/code' },
      { line: 8, url: 'https://example.com/ref' },
      { line: 9, url: 'docs/b.md' },
    ]);
  });

  it("makes GitHub's anchors", () => {
    const markdown = [
      '# graph-call-machine',
      '## A whole bot',
      '### 0.5.0 (unreleased): explaining any call after the fact',
      '## `replay`: the command',
      '## Usage',
      '## Usage',
      '```sh',
      '# not a heading',
      '```',
    ].join('\n');
    expect([...anchors(markdown)]).toEqual([
      'graph-call-machine',
      'a-whole-bot',
      '050-unreleased-explaining-any-call-after-the-fact',
      'replay-the-command',
      'usage',
      'usage-1',
    ]);
  });

  it('says what is wrong with a link', () => {
    const here = new Set(['a-whole-bot']);
    const blob = `${REPOSITORY}/blob/${BRANCH}`;
    expect(problemOf('#a-whole-bot', here)).toBeUndefined();
    expect(problemOf('#nowhere', here)).toMatch(/no heading/);
    expect(problemOf('docs/api.md', here)).toBe(
      `a relative link, dead on npm: link ${blob}/docs/api.md instead`,
    );
    expect(problemOf(`${blob}/docs/api.md`, here)).toBeUndefined();
    expect(problemOf(`${blob}/docs/embedding.md#driving-calls`, here)).toBeUndefined();
    expect(problemOf(`${blob}/docs/embedding.md#no-such-heading`, here)).toMatch(/no heading/);
    expect(problemOf(`${blob}/docs/missing.md`, here)).toMatch(/not in the repository/);
    expect(problemOf(`${REPOSITORY}/blob/master/docs/api.md`, here)).toMatch(/branch master/);
    expect(problemOf(`${blob}/docs`, here)).toMatch(/folder/);
    expect(problemOf(`${REPOSITORY}/tree/${BRANCH}/docs`, here)).toBeUndefined();
    expect(problemOf(`${REPOSITORY}/issues`, here)).toBeUndefined();
    expect(problemOf('https://stately.ai/docs/xstate', here)).toBeUndefined();
  });
});
