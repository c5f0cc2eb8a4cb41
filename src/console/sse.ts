/**
 * Server-sent events as bytes: `event: update` + `data: {json}` frames, and comment lines.
 * JSON text holds no line break (`JSON.stringify` escapes them in strings), so one `data:` line
 * carries a whole message whatever the calls' ids hold.
 * @internal
 * @module
 */

const encoder = new TextEncoder();

/** A named event whose data is `data` as JSON. */
export function sseEvent(event: string, data: unknown): Uint8Array {
  return encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** A comment line: ignored by `EventSource`, it keeps proxies from closing an idle stream. */
export function sseComment(text: string): Uint8Array {
  return encoder.encode(`: ${text}\n\n`);
}

/** How long a page's `EventSource` waits before it reconnects, in ms. */
export function sseRetry(ms: number): Uint8Array {
  return encoder.encode(`retry: ${ms}\n\n`);
}
