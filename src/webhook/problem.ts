/**
 * `application/problem+json` answers (RFC 9457) for the webhook: every non-2xx response the
 * handler and the node adapter give goes through {@link problemAnswer}.
 * @internal
 * @module
 */
import type { WebhookAnswer } from './exchange.js';

/** The problems the webhook answers with; the `code` extension member of the body. */
export type ProblemCode =
  | 'methodNotAllowed'
  | 'unsupportedMediaType'
  | 'unauthorized'
  | 'forbidden'
  | 'bodyTooLarge'
  | 'tooManyItems'
  | 'requestTimeout'
  | 'bodyUnreadable'
  | 'badRequest'
  | 'invalidBody'
  | 'notAnEnvelope'
  | 'internalError';

// `type` stays `about:blank` (RFC 9457 §4.2.1) until the project publishes pages to point at; the
// `code` member carries the machine-readable distinction meanwhile.
const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
};

/** Extra parts of a problem answer. */
export interface ProblemOptions {
  /** Extension members; they never replace `type`, `title`, `status`, `detail` or `code`. */
  readonly extensions?: Readonly<Record<string, unknown>>;
  readonly headers?: Readonly<Record<string, string>>;
}

/** An `application/problem+json` answer for `status`, with `detail` saying what was wrong. */
export function problemAnswer(
  status: number,
  code: ProblemCode,
  detail: string,
  options: ProblemOptions = {},
): WebhookAnswer {
  const body = {
    ...options.extensions,
    type: 'about:blank',
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
  };
  return {
    status,
    headers: {
      ...options.headers,
      'content-type': 'application/problem+json',
      'cache-control': 'no-store',
    },
    body: JSON.stringify(body),
  };
}
