// docs/api.md lists every export of every entry point of the package, and nothing else: an
// export added without a line there (or a line left behind by a removed export) fails here.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT, read } from './markdown.js';

// The source of each subpath package.json may export.
const SOURCES: Readonly<Record<string, string>> = {
  '.': 'src/index.ts',
  './testing': 'src/testing/index.ts',
  './redis': 'src/redis/index.ts',
  './webhook': 'src/webhook/index.ts',
  './diagram': 'src/diagram/index.ts',
  './recorder': 'src/recorder/index.ts',
  './console': 'src/console/index.ts',
};

/** The names a barrel file exports, read from its syntax (the barrels are explicit lists). */
function exportedNames(path: string): string[] {
  const source = ts.createSourceFile(path, read(path), ts.ScriptTarget.Latest, true);
  const names: string[] = [];
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement)) {
      const clause = statement.exportClause;
      if (clause === undefined || !ts.isNamedExports(clause)) {
        throw new Error(`${path}: \`export *\` hides what is exported; list the names instead`);
      }
      for (const element of clause.elements) names.push(element.name.text);
    } else if (
      ts.canHaveModifiers(statement) &&
      ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
    ) {
      if (ts.isVariableStatement(statement)) {
        for (const d of statement.declarationList.declarations) names.push(d.name.getText());
      } else if ('name' in statement && statement.name !== undefined) {
        names.push((statement.name as ts.Identifier).text);
      }
    }
  }
  return names.sort();
}

/** The names documented under each `## \`graph-call-machine…\`` heading of api.md. */
function documentedNames(): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of read('docs/api.md').split('\n')) {
    const heading = /^## `(graph-call-machine(?:\/[\w-]+)?)`\s*$/.exec(line);
    if (heading?.[1] !== undefined) {
      current = [];
      sections.set(heading[1], current);
      continue;
    }
    if (/^## /.test(line)) current = undefined;
    const entry = /^- \*\*`([A-Za-z_$][\w$]*)`\*\*/.exec(line);
    if (entry?.[1] !== undefined) current?.push(entry[1]);
  }
  return sections;
}

const entryPoints = Object.keys(
  (JSON.parse(read('package.json')) as { exports: Record<string, unknown> }).exports,
).filter((subpath) => subpath !== './package.json');

describe('docs/api.md', () => {
  const documented = documentedNames();

  it.each(entryPoints)('lists every export of %s, each once', (subpath) => {
    const source = SOURCES[subpath];
    expect(source, `add the source file of ${subpath} to SOURCES`).toBeDefined();
    if (source === undefined || !existsSync(join(ROOT, source))) return;
    const section = `graph-call-machine${subpath === '.' ? '' : subpath.slice(1)}`;
    const names = documented.get(section) ?? [];
    expect(names.length, `docs/api.md needs a "## \`${section}\`" section`).toBeGreaterThan(0);
    const exported = exportedNames(source);
    expect({
      undocumented: exported.filter((name) => !names.includes(name)),
      notExported: names.filter((name) => !exported.includes(name)),
      listedTwice: names.filter((name, i) => names.indexOf(name) !== i),
    }).toEqual({ undocumented: [], notExported: [], listedTwice: [] });
  });

  it('documents only entry points the package exports', () => {
    const exported = new Set(
      entryPoints.map((subpath) => `graph-call-machine${subpath === '.' ? '' : subpath.slice(1)}`),
    );
    expect([...documented.keys()].filter((section) => !exported.has(section))).toEqual([]);
    expect(entryPoints).toEqual(expect.arrayContaining(['.', './testing']));
  });
});
