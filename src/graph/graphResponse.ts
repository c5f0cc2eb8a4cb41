/**
 * What Graph answers a request with, read as data: its OData error body (`graphErrorOf`), the
 * state in a call it returns (`callStateOf`), and the call it created (`placedCallOf`). Pure:
 * the Graph client in src/runtime does the I/O.
 * @module
 */
import { callIdProblem } from './callId.js';
import { type GraphCallState, normalizeCallState } from './callState.js';
import { isJsonObject, type JsonObject, own } from './jsonObject.js';
import type { CallDirection } from './notification.js';

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
  const body = isJsonObject(parsed) ? parsed.error : undefined;
  let code: string | undefined;
  let message: string | undefined;
  let requestId: string | undefined;
  let date: string | undefined;
  if (isJsonObject(body)) {
    code = stringOf(body.code);
    message = stringOf(body.message);
    const inner = isJsonObject(body.innerError)
      ? body.innerError
      : isJsonObject(body.innererror)
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
  return isJsonObject(call) ? stateOf(call) : undefined;
}

/** The call in the body of a `201 Created` to `POST /communications/calls`. */
export interface PlacedCallBody {
  readonly id: string;
  readonly state?: GraphCallState;
  readonly etag?: string;
  readonly direction?: CallDirection;
  readonly myParticipantId?: string;
  /** The body as received. */
  readonly resource: Readonly<Record<string, unknown>>;
}

/** What {@link placedCallOf} read: the call, or why the body names none (safe to log). */
export type PlacedCallRead =
  | { readonly ok: true; readonly call: PlacedCallBody }
  | { readonly ok: false; readonly problem: string };

/**
 * Reads the call Graph created from the body of its answer to `POST /communications/calls`.
 * Without an `id` that could address the call later (see `callIdProblem`), the bot cannot hang
 * up, track or even find the call it placed, so that is the one field that must be there; the
 * others are read when they are well-formed and left out otherwise.
 *
 * @example
 * ```ts
 * placedCallOf(JSON.stringify({ id: '57dab8b1-894c-409a-b240-bd8beae78896', state: 'Establishing', '@odata.etag': 'W/"1"' }));
 * // { ok: true, call: { id: '57dab8b1-…', state: 'establishing', etag: 'W/"1"', resource: { id: …, state: …, … } } }
 * placedCallOf('{"state":"establishing"}'); // { ok: false, problem: 'the body names no call id' }
 * ```
 */
export function placedCallOf(text: string): PlacedCallRead {
  const body = parseJson(text);
  if (body === undefined) {
    return {
      ok: false,
      problem: text.trim() === '' ? 'the body is empty' : 'the body is not JSON',
    };
  }
  if (!isJsonObject(body)) return { ok: false, problem: 'the body is not a JSON object' };
  const id = own(body, 'id');
  if (typeof id !== 'string') {
    return {
      ok: false,
      problem:
        id === undefined ? 'the body names no call id' : `the body's id is ${kindOf(id)}, not text`,
    };
  }
  const problem = callIdProblem(id);
  if (problem !== undefined) return { ok: false, problem };
  const state = stateOf(body);
  const etag = stringOf(own(body, '@odata.etag'));
  const direction = own(body, 'direction');
  const myParticipantId = stringOf(own(body, 'myParticipantId'));
  return {
    ok: true,
    call: {
      id,
      ...(state !== undefined && { state }),
      ...(etag !== undefined && { etag }),
      ...((direction === 'incoming' || direction === 'outgoing') && { direction }),
      ...(myParticipantId !== undefined && { myParticipantId }),
      resource: body,
    },
  };
}

function stateOf(call: JsonObject): GraphCallState | undefined {
  // Early payloads name the field `callState`; the current one is `state`.
  const current = own(call, 'state');
  const raw = typeof current === 'string' ? current : own(call, 'callState');
  return typeof raw === 'string' ? normalizeCallState(raw).state : undefined;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
