/**
 * The console's responses: the security headers every one of them carries, JSON, and
 * `application/problem+json` (RFC 9457) for every refusal, whose `detail` says what was wrong
 * and whose `code` names it for machines.
 * @internal
 * @module
 */

/** The problems the console answers with: the `code` member of the body. */
export type ConsoleProblemCode =
  | 'notFound'
  | 'methodNotAllowed'
  | 'unauthorized'
  | 'forbidden'
  | 'misdirected'
  | 'crossOrigin'
  | 'missingActionHeader'
  | 'unsupportedMediaType'
  | 'bodyTooLarge'
  | 'badRequest'
  | 'unknownCall'
  | 'hangUpFailed'
  | 'tooManyClients'
  | 'closed'
  | 'internalError';

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  421: 'Misdirected Request',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** Sent with every response: no sniffing, no referrer, no caching, no framing. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

// Data is never a document: nothing in it may run or load anything.
const DATA_CSP = "default-src 'none'; frame-ancestors 'none'";

/** The page's policy: its own origin only, inline code only under this response's nonce. */
export function pageSecurityPolicy(nonce: string): string {
  return [
    "default-src 'self'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** A JSON answer. */
export function jsonResponse(
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      ...SECURITY_HEADERS,
      'content-security-policy': DATA_CSP,
      'content-type': 'application/json; charset=utf-8',
      ...headers,
    },
  });
}

/** A problem answer for `status`, with `detail` saying what was wrong. */
export function problemResponse(
  status: number,
  code: ConsoleProblemCode,
  detail: string,
  headers: Readonly<Record<string, string>> = {},
): Response {
  const body = { type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail, code };
  return jsonResponse(status, body, { ...headers, 'content-type': 'application/problem+json' });
}

/** A fresh CSP nonce: 128 random bits, as hex. */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
