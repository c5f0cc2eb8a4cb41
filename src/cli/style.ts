/**
 * Colours for a terminal and plain text for anything else (a pipe, a file, a CI log, or anyone
 * who set `NO_COLOR`, https://no-color.org), through node:util `styleText`: built into Node
 * (≥ 20.12), so the command needs no colour library.
 * @module
 */
import { stripVTControlCharacters, styleText } from 'node:util';

type Format = Parameters<typeof styleText>[0];

/** A way to paint text; the identity when colours are off. */
export type Paint = (text: string) => string;

export interface Style {
  readonly bold: Paint;
  readonly dim: Paint;
  readonly red: Paint;
  readonly green: Paint;
  readonly yellow: Paint;
  readonly cyan: Paint;
  readonly magenta: Paint;
}

/** Whether to colour what goes to `stream`: only a terminal, and only when `NO_COLOR` is unset. */
export function colorEnabled(
  stream: { readonly isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}

/** The colours, or none when `enabled` is false. */
export function createStyle(enabled: boolean): Style {
  // The choice is made here (colorEnabled): newer Nodes would otherwise check process.stdout
  // themselves, which is not the stream a test or a caller writes to.
  const paint =
    (format: Format): Paint =>
    (text) =>
      enabled ? styleText(format, text, { validateStream: false }) : text;
  return {
    bold: paint('bold'),
    dim: paint('dim'),
    red: paint('red'),
    green: paint('green'),
    yellow: paint('yellow'),
    cyan: paint('cyan'),
    magenta: paint('magenta'),
  };
}

export function visibleLength(text: string): number {
  return stripVTControlCharacters(text).length;
}

/** Pads to `width` visible characters, colour codes ignored. */
export function padEnd(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - visibleLength(text)));
}

/** Pads on the left to `width` visible characters, colour codes ignored. */
export function padStart(text: string, width: number): string {
  return ' '.repeat(Math.max(0, width - visibleLength(text))) + text;
}
