import { isJsonObject, own } from './jsonObject.js';
import type { ResultInfo } from './notification.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Reads a Graph `resultInfo`, whichever way the payload spelled its codes (`"200"` or `200`,
 * `subcode` or `subCode`). A code that is not a number is left out.
 */
export function readResultInfo(value: unknown): ResultInfo | undefined {
  if (!isJsonObject(value)) return undefined;
  const info: Mutable<ResultInfo> = {};
  const code = readCode(own(value, 'code'));
  if (code !== undefined) info.code = code;
  const subcodeValue = own(value, 'subcode');
  const subcode = readCode(subcodeValue === undefined ? own(value, 'subCode') : subcodeValue);
  if (subcode !== undefined) info.subcode = subcode;
  const message = own(value, 'message');
  if (typeof message === 'string') info.message = message;
  return info;
}

/** A number, or a string of decimal digits with an optional sign (`"200"`, `"-1"`). */
export function readCode(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  const start = text.charCodeAt(0) === 45 /* - */ || text.charCodeAt(0) === 43 /* + */ ? 1 : 0;
  if (text.length === start || text.length - start > 15) return undefined;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  return Number(text);
}
