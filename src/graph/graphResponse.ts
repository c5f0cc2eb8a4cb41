/**
 * What Graph answers a request with, read as data: its OData error body (`graphErrorOf`) and the
 * state in a call it returns (`callStateOf`). Pure: the Graph client in src/runtime does the I/O.
 * @module
 */
import { type GraphCallState, normalizeCallState } from './callState.js';

/** Graph's JSON error body, as far as the failing response carried one. */
export interface GraphError {
  /** `error.code`, e.g. `ThrottledRequest`, `Forbidden`. */
  readonly code?: string;
  readonly message?: string;
  /** `error.innerError['request-id']` (or `x-ms-ag-diagnostic`/`request-id` header): what Microsoft support asks for. */
  readonly requestId?: string;
  readonly clientRequestId?: string;
  readonly date?: string;
}

// Proxies and gateways answer with HTML or plain text: that much of it is kept as the message.
const MESSAGE_LIMIT = 200;

/**
 * Graph's OData error body: `{ error: { code, message, innerError: { 'request-id', date,
 * 'client-request-id' } } }`. Older services spell `innererror`; proxies and gateways answer
 * with HTML or plain text, which is kept (trimmed to 200 characters) as the message.
 */
export function graphErrorOf(
  response: Pick<Response, 'status' | 'statusText' | 'headers'>,
  text: string,
  clientRequestId: string,
  fallbackMessage?: string,
): GraphError {
  const parsed = parseJson(text);
  const body = isRecord(parsed) ? parsed.error : undefined;
  let code: string | undefined;
  let message: string | undefined;
  let requestId: string | undefined;
  let date: string | undefined;
  if (isRecord(body)) {
    code = stringOf(body.code);
    message = stringOf(body.message);
    const inner = isRecord(body.innerError)
      ? body.innerError
      : isRecord(body.innererror)
        ? body.innererror
        : undefined;
    requestId = stringOf(inner?.['request-id']);
    date = stringOf(inner?.date);
  } else if (typeof body === 'string' && body !== '') {
    message = body;
  } else {
    message = stringOf(text.trim().slice(0, MESSAGE_LIMIT));
  }
  code ??= `HttpError${response.status}`;
  message ??= fallbackMessage ?? stringOf(response.statusText);
  requestId ??= stringOf(response.headers.get('request-id'));
  date ??= stringOf(response.headers.get('date'));
  return {
    code,
    ...(message !== undefined && { message }),
    ...(requestId !== undefined && { requestId }),
    clientRequestId,
    ...(date !== undefined && { date }),
  };
}

export function callStateOf(text: string): GraphCallState | undefined {
  const call = parseJson(text);
  if (!isRecord(call)) return undefined;
  // Early payloads name the field `callState`; the current one is `state`.
  const raw = typeof call.state === 'string' ? call.state : call.callState;
  return typeof raw === 'string' ? normalizeCallState(raw).state : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
