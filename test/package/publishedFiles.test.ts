// What `npm install graph-call-machine` puts on a user's disk, read from `npm pack --dry-run` of
// the built package: the licence, the README, the manifest and dist/, nothing else, no source
// map (tsup.config.ts says why), and a bounded size. It needs `npm run build` first
// (`npm run check` builds before the tests); without a build the file says so and skips.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILT, type Packed, pack, ROOT } from './npm.js';

// 1.36 MB at 0.1.0 without source maps (3.70 MB with them, 2.4 MB of which were maps). Room to
// grow, but a map, a stray folder or a bundled dependency crosses it.
const MAX_UNPACKED_BYTES = 2_000_000;
const REPOSITORY = 'https://github.com/graph-call-machine/graph-call-machine';

if (!BUILT) {
  console.warn(
    'test/package/publishedFiles.test.ts skipped: dist/ is missing; run npm run build first',
  );
}

interface Manifest {
  readonly license: string;
  readonly repository: { readonly type: string; readonly url: string };
  readonly homepage: string;
  readonly bugs: { readonly url: string };
  readonly main: string;
  readonly module: string;
  readonly types: string;
  readonly typesVersions: Record<string, Record<string, readonly string[]>>;
  readonly exports: unknown;
  readonly bin: Record<string, string>;
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;

/** Every file path the manifest names (main, module, types, typesVersions, exports, bin). */
function namedFiles(): string[] {
  const found: string[] = [manifest.main, manifest.module, manifest.types];
  for (const paths of Object.values(manifest.typesVersions)) {
    for (const list of Object.values(paths)) found.push(...list);
  }
  const walk = (node: unknown): void => {
    if (typeof node === 'string') found.push(node);
    else if (typeof node === 'object' && node !== null) Object.values(node).forEach(walk);
  };
  walk(manifest.exports);
  found.push(...Object.values(manifest.bin));
  return [...new Set(found.map((path) => path.replace(/^\.\//, '')))].sort();
}

let packed: Packed;
let paths: string[] = [];

describe.skipIf(!BUILT)('the published files', () => {
  beforeAll(async () => {
    packed = await pack();
    paths = packed.files.map((file) => file.path);
  }, 60_000);

  it('are the licence, the README, the manifest and dist/, nothing else', () => {
    expect(paths).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json']));
    expect(paths.some((path) => path.startsWith('dist/'))).toBe(true);
    const others = paths.filter(
      (path) => !['LICENSE', 'README.md', 'package.json'].includes(path) && !/^dist\//.test(path),
    );
    expect(others, 'files outside dist/ in the package').toEqual([]);
  });

  it('hold every file the manifest names', () => {
    const missing = namedFiles().filter((path) => !paths.includes(path));
    expect(missing, 'named in package.json but not in the package').toEqual([]);
  });

  it('hold no source map, and no reference to one', () => {
    expect(paths.filter((path) => path.endsWith('.map'))).toEqual([]);
    // A map left out of `files` but still named by its module would make bundlers warn.
    const referencing = paths.filter(
      (path) =>
        /\.(c|m)?js$/.test(path) &&
        /^\/\/# sourceMappingURL=/m.test(readFileSync(join(ROOT, path), 'utf8')),
    );
    expect(referencing).toEqual([]);
  });

  it(`unpack to less than ${MAX_UNPACKED_BYTES.toLocaleString('en')} bytes`, () => {
    const largest = [...packed.files]
      .sort((a, b) => b.size - a.size)
      .slice(0, 5)
      .map((file) => `${file.path} ${file.size}`)
      .join(', ');
    expect(packed.unpackedSize, `largest: ${largest}`).toBeLessThan(MAX_UNPACKED_BYTES);
  });
});

describe('the manifest and the licence', () => {
  it('say where the project lives and under which licence', () => {
    expect(manifest.repository).toEqual({ type: 'git', url: `git+${REPOSITORY}.git` });
    expect(manifest.homepage).toBe(`${REPOSITORY}#readme`);
    expect(manifest.bugs).toEqual({ url: `${REPOSITORY}/issues` });
    expect(manifest.license).toBe('MIT');
    const licence = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    expect(licence).toMatch(
      /^MIT License\n\nCopyright \(c\) \d{4} graph-call-machine contributors\n/,
    );
    expect(licence).toContain('THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND');
  });
});
