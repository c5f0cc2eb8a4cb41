/**
 * The fake Graph's side of the wire: which call endpoint a URL names, and answers shaped like
 * Graph's (OData error bodies with `innerError`, `request-id`, `Retry-After`).
 * @module
 */

/** What the fake decided to answer, before it becomes a `Response`. */
export interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly fault?: 'throttle' | 'fail';
  /** The operation the request started, for the record. */
  readonly operationId?: string;
}

/** The call endpoint a request names. */
export interface Route {
  readonly callId?: string;
  /**
   * What follows the call id, as requested: one segment (`keepAlive`, `playPrompt`, …),
   * `participants/invite`, or `participants` (with `participantId` for one of them).
   */
  readonly action?: string;
  readonly participantId?: string;
  /** The origin and version segment as requested, for `@odata.context`. */
  readonly origin: string;
  readonly version: string;
}

const ERROR_CODES: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'InvalidAuthenticationToken',
  403: 'Forbidden',
  404: 'itemNotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

/** Turns an {@link Answer} into a `Response` with Graph's headers and error-body ids. */
export function respond(
  answer: Answer,
  requestId: string,
  clientRequestId: string | undefined,
  at: number,
): Response {
  const headers = new Headers(answer.headers);
  headers.set('request-id', requestId);
  if (clientRequestId !== undefined) headers.set('client-request-id', clientRequestId);
  if (answer.body === undefined) return new Response(null, { status: answer.status, headers });
  let body = answer.body;
  if (answer.status >= 400 && isRecord(body) && isRecord(body.error)) {
    // Graph's error body carries the ids support asks for; they are only known here.
    body = {
      error: {
        ...body.error,
        // Graph echoes the client's id, or repeats its own when the client sent none.
        innerError: {
          date: new Date(at).toISOString().slice(0, 19),
          'request-id': requestId,
          'client-request-id': clientRequestId ?? requestId,
        },
      },
    };
  }
  headers.set('content-type', 'application/json');
  return new Response(JSON.stringify(body), { status: answer.status, headers });
}

/**
 * The call endpoint of a URL: `…/calls`, `…/calls/{id}`, `…/calls/{id}/{action}`,
 * `…/calls/{id}/participants[/{participantId}]` or `…/calls/{id}/participants/invite`, under
 * `/communications` or `/app`, with or without a version segment. Which actions exist is the
 * handler's business.
 */
export function routeOf(url: URL): Route | undefined {
  const segments = url.pathname.split('/').filter((s) => s !== '');
  let version = '';
  const first = segments[0]?.toLowerCase();
  if (first === 'v1.0' || first === 'beta') {
    version = segments.shift() ?? '';
  }
  const root = segments[0]?.toLowerCase();
  if ((root !== 'communications' && root !== 'app') || segments[1]?.toLowerCase() !== 'calls') {
    return undefined;
  }
  const [rawId, action, sub, ...beyond] = segments.slice(2);
  const { origin } = url;
  if (rawId === undefined) return { origin, version };
  const callId = safeDecode(rawId);
  if (action === undefined) return { origin, version, callId };
  if (beyond.length > 0) return undefined;
  if (action.toLowerCase() !== 'participants') {
    return sub === undefined ? { origin, version, callId, action } : undefined;
  }
  if (sub === undefined) return { origin, version, callId, action };
  if (sub.toLowerCase() === 'invite') {
    return { origin, version, callId, action: `${action}/${sub}` };
  }
  return { origin, version, callId, action, participantId: safeDecode(sub) };
}

/**
 * An error answer with Graph's body, `{ error: { code, message } }` (`respond` adds
 * `innerError`). The code defaults to the one Graph uses for the status (`BadRequest`,
 * `itemNotFound`, …).
 */
export function errorAnswer(
  status: number,
  message: string,
  headers?: Readonly<Record<string, string>>,
  code: string = ERROR_CODES[status] ?? `HttpError${status}`,
): Answer {
  const body = { error: { code, message } };
  return headers === undefined ? { status, body } : { status, body, headers };
}

export function retryAfterHeader(
  seconds: number | undefined,
): Readonly<Record<string, string>> | undefined {
  return seconds === undefined ? undefined : { 'retry-after': String(seconds) };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
