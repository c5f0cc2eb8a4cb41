/** An object from a JSON body: a plain record, never an array. */
export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A field of a received object, read only when it is the object's own: `__proto__` keys and
 * inherited values never read as fields.
 */
export function own(object: JsonObject, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/** Copies the `keys` of `from` that hold text onto `to`; the others are left out. */
export function copyStrings<K extends string>(
  from: JsonObject,
  to: { [P in K]?: string },
  keys: readonly K[],
): void {
  for (const key of keys) {
    const value = own(from, key);
    if (typeof value === 'string') to[key] = value;
  }
}
