/**
 * Loads the vendored Graph notification corpus (`test/fixtures/graph-corpus`): every call
 * notification example the Microsoft Graph docs show, current (`*.json`) and historical
 * (`history/*.json`). See the corpus README for provenance and the file format.
 *
 * @example
 * ```ts
 * import { corpusFile, loadCorpus } from '../support/corpus.js';
 *
 * for (const file of loadCorpus()) parseNotifications(file.body);
 * const terminated = corpusFile('v1.0_call-delete__2').body;
 * ```
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The corpus directory, absolute. */
export const CORPUS_DIR = fileURLToPath(new URL('../fixtures/graph-corpus/', import.meta.url));

/** One example from the docs. */
export interface CorpusFile {
  /** The path below the corpus directory without `.json`: `v1.0_call-delete__2`, `history/beta_call-delete__6`. */
  readonly name: string;
  /** The doc the example comes from (`path@commit` for the history set). */
  readonly source: string;
  /** The doc heading over the example, e.g. `Notification - terminated`. */
  readonly heading: string;
  /** The example as the doc shows it: an object, or the raw text when the doc's JSON was not strict. */
  readonly payload: unknown;
  /** When `payload` is text: the object with only the doc's typos (comments, trailing commas) removed. */
  readonly repaired?: unknown;
  /** What a webhook would have received: `repaired` when present, else `payload`. */
  readonly body: unknown;
}

let cache: readonly CorpusFile[] | undefined;

/**
 * Every corpus file, the main set first, then `history/`, each in document order
 * (`__2` before `__10`). Read once and cached; treat the bodies as read-only.
 */
export function loadCorpus(): CorpusFile[] {
  cache ??= [...readSet(''), ...readSet('history/')];
  return [...cache];
}

/**
 * One corpus file by name (`'v1.0_call-delete__2'`, `'history/beta_call-transfer__9'`; a trailing
 * `.json` is ignored). Throws when there is no such file, naming close matches.
 */
export function corpusFile(name: string): CorpusFile {
  const wanted = name.endsWith('.json') ? name.slice(0, -'.json'.length) : name;
  const files = loadCorpus();
  const found = files.find((f) => f.name === wanted);
  if (found !== undefined) return found;
  const stem = wanted.replace(/__\d+$/, '');
  const near = files.filter((f) => f.name.startsWith(stem)).map((f) => f.name);
  throw new Error(
    `no corpus file "${wanted}" in ${CORPUS_DIR}${near.length > 0 ? `; did you mean ${near.slice(0, 5).join(', ')}?` : ''}`,
  );
}

/** The files of one sequence, in order: `corpusSequence('v1.0_call-delete', 1, 2)`. */
export function corpusSequence(stem: string, ...numbers: number[]): CorpusFile[] {
  return numbers.map((n) => corpusFile(`${stem}__${n}`));
}

const collator = new Intl.Collator('en', { numeric: true });

function readSet(prefix: '' | 'history/'): CorpusFile[] {
  const dir = `${CORPUS_DIR}${prefix}`;
  return readdirSync(dir)
    .filter((entry) => entry.endsWith('.json'))
    .sort(collator.compare)
    .map((entry) => readOne(`${prefix}${entry.slice(0, -'.json'.length)}`, `${dir}${entry}`));
}

function readOne(name: string, path: string): CorpusFile {
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`corpus file ${path} is not a JSON object`);
  }
  const record = parsed as Record<string, unknown>;
  const { source, heading, payload } = record;
  if (typeof source !== 'string' || typeof heading !== 'string' || !('payload' in record)) {
    throw new Error(`corpus file ${path} lacks a string "source", a string "heading" or "payload"`);
  }
  if ('repaired' in record) {
    return { name, source, heading, payload, repaired: record.repaired, body: record.repaired };
  }
  return { name, source, heading, payload, body: payload };
}
