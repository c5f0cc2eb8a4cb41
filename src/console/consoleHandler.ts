/**
 * The console's HTTP side, as a WHATWG handler. Below `basePath`:
 *
 * | path | method | answer |
 * | --- | --- | --- |
 * | `` (the base itself) | GET, HEAD | the page (`text/html`, CSP with a nonce per response) |
 * | `events` | GET | the event stream (`text/event-stream`); `503` past `maxClients` |
 * | `calls` | GET | every row and the counters, as JSON |
 * | `calls/{id}` | GET | one call's detail, as JSON; `404` when the console does not hold it |
 * | `actions/hang-up` | POST | only with `allowActions`: hangs the call up |
 *
 * Checked first, in order: the console is open (`503`), the path is the console's (`404`; the
 * base without its trailing `/` is redirected to it), the `Host` is allowed (`421`), and
 * `authorize` lets the request in (`401`/`403`). A known path with another method is `405`
 * with `Allow`. Every refusal is `application/problem+json`.
 * @internal
 * @module
 */
import { callIdProblem, MAX_CALL_ID_LENGTH } from '../graph/callId.js';
import type { CallView } from '../machine/types.js';
import {
  CallVanishedError,
  HangUpFailedError,
  RegistryClosedError,
  UnknownCallError,
} from '../runtime/errors.js';
import { isAllowedHost } from './allowedHost.js';
import type { ConsoleHub } from './consoleHub.js';
import type { ConsoleModel } from './consoleModel.js';
import type { ResolvedConsoleOptions } from './consoleOptions.js';
import {
  jsonResponse,
  newNonce,
  pageSecurityPolicy,
  problemResponse,
  SECURITY_HEADERS,
} from './consoleResponses.js';
import type { ConsoleCallDetail, ConsoleSnapshot } from './consoleTypes.js';
import { renderPage } from './renderPage.js';

/** What the handler serves from. */
export interface ConsoleBackend {
  readonly model: ConsoleModel;
  readonly hub: ConsoleHub;
  readonly frozen: boolean;
  readonly chart: string;
  now(): number;
  detail(callId: string): ConsoleCallDetail | undefined;
  /** Present when the console may hang calls up. */
  readonly hangUp?: ((callId: string) => Promise<CallView>) | undefined;
  isClosed(): boolean;
}

/** The header the hang-up button sends; a page of another origin cannot add it unasked. */
export const ACTION_HEADER = 'x-call-console';
const MAX_ACTION_BODY_BYTES = 4 * 1024;
const RETRY_AFTER_FULL_S = '5';

type Handler = (request: Request) => Promise<Response>;

export function createConsoleHandler(
  backend: ConsoleBackend,
  options: ResolvedConsoleOptions,
): Handler {
  const base = options.basePath;
  const routes: Readonly<Record<string, { readonly allow: string; readonly serve: Handler }>> = {
    '': { allow: 'GET, HEAD', serve: async (request) => page(request) },
    events: { allow: 'GET', serve: async () => events() },
    calls: { allow: 'GET', serve: async () => jsonResponse(200, snapshot()) },
    ...(options.allowActions && backend.hangUp !== undefined
      ? { 'actions/hang-up': { allow: 'POST', serve: (request: Request) => hangUp(request) } }
      : {}),
  };

  function page(request: Request): Response {
    const nonce = newNonce();
    const html = renderPage({
      nonce,
      title: options.title,
      actions: routes['actions/hang-up'] !== undefined,
      chart: backend.chart,
    });
    return new Response(request.method === 'HEAD' ? null : html, {
      status: 200,
      headers: {
        ...SECURITY_HEADERS,
        'content-security-policy': pageSecurityPolicy(nonce),
        'content-type': 'text/html; charset=utf-8',
      },
    });
  }

  function events(): Response {
    // `close()` may have come while `authorize` was deciding.
    if (backend.isClosed()) return problemResponse(503, 'closed', 'the console is closed');
    const stream = backend.hub.connect();
    if (stream === undefined) {
      return problemResponse(
        503,
        'tooManyClients',
        `the console already serves ${options.maxClients} pages (maxClients); close one, or try again later`,
        { 'retry-after': RETRY_AFTER_FULL_S },
      );
    }
    return new Response(stream, {
      status: 200,
      headers: {
        ...SECURITY_HEADERS,
        'cache-control': 'no-store, no-transform',
        'content-type': 'text/event-stream',
        'x-accel-buffering': 'no',
      },
    });
  }

  function snapshot(): ConsoleSnapshot {
    return {
      now: backend.now(),
      frozen: backend.frozen,
      rows: backend.model.rows(),
      counters: backend.model.counters(),
    };
  }

  function detail(encoded: string): Response {
    // Percent-encoded, an acceptable id takes at most 9 characters per UTF-16 code unit.
    let callId = '';
    if (encoded.length <= MAX_CALL_ID_LENGTH * 9) {
      try {
        callId = decodeURIComponent(encoded);
      } catch {
        // Not UTF-8 once decoded: no call has that id.
      }
    }
    const found = callIdProblem(callId) === undefined ? backend.detail(callId) : undefined;
    if (found === undefined) {
      return problemResponse(404, 'unknownCall', 'the console holds no call by that id');
    }
    return jsonResponse(200, found);
  }

  async function hangUp(request: Request): Promise<Response> {
    const refused = refuseCrossSite(request);
    if (refused !== undefined) return refused;
    const callId = await readCallId(request);
    if (callId instanceof Response) return callId;
    if (backend.model.row(callId) === undefined || backend.hangUp === undefined) {
      return problemResponse(404, 'unknownCall', 'the console holds no call by that id');
    }
    try {
      const view = await backend.hangUp(callId);
      return jsonResponse(200, { callId, state: view.state, phase: view.phase });
    } catch (error) {
      return hangUpProblem(error, options.onError);
    }
  }

  return async (request) => {
    if (backend.isClosed()) return problemResponse(503, 'closed', 'the console is closed');
    const url = new URL(request.url);
    const path = url.pathname;
    if (!path.startsWith(base)) {
      if (`${path}/` === base) {
        // Relative URLs resolve against the base only with its trailing slash.
        const last = base.split('/').at(-2) ?? '';
        return new Response(null, {
          status: 308,
          headers: { ...SECURITY_HEADERS, location: `${last}/${url.search}` },
        });
      }
      return problemResponse(404, 'notFound', 'nothing is served at this path');
    }
    if (!isAllowedHost(request.headers.get('host') ?? url.host, options.allowedHosts)) {
      return problemResponse(
        421,
        'misdirected',
        'the console does not answer to this host name (allowedHosts); open it by a loopback address, or list the name in allowedHosts',
      );
    }
    const denied = await authorize(request);
    if (denied !== undefined) return denied;
    const rest = path.slice(base.length);
    const route = routes[rest];
    const isDetail = route === undefined && rest.startsWith('calls/') && rest.length > 6;
    if (route === undefined && !isDetail) {
      return problemResponse(404, 'notFound', 'nothing is served at this path');
    }
    const allow = route?.allow ?? 'GET';
    if (!allow.split(', ').includes(request.method)) {
      return problemResponse(
        405,
        'methodNotAllowed',
        `${request.method} is not served here; use ${allow}`,
        { allow },
      );
    }
    return route === undefined ? detail(rest.slice(6)) : route.serve(request);
  };

  async function authorize(request: Request): Promise<Response | undefined> {
    if (options.authorize === undefined) return undefined;
    let verdict: Awaited<ReturnType<NonNullable<ResolvedConsoleOptions['authorize']>>>;
    try {
      verdict = await options.authorize(request);
    } catch (error) {
      options.onError(error);
      return problemResponse(500, 'internalError', 'authorize failed');
    }
    if (verdict === true) return undefined;
    if (verdict === false || typeof verdict !== 'object' || verdict === null) {
      return problemResponse(403, 'forbidden', 'authorize refused this request');
    }
    const reason = verdict.reason ?? 'authorize refused this request';
    if (verdict.status === 401) {
      const challenge = verdict.challenge;
      return problemResponse(
        401,
        'unauthorized',
        reason,
        challenge === undefined ? {} : { 'www-authenticate': challenge },
      );
    }
    return problemResponse(403, 'forbidden', reason);
  }
}

/**
 * A hang-up must come from the console's own page: its `Origin` is the console's, and it carries
 * the action header (which a cross-site form cannot send, and a cross-site script only after a
 * CORS preflight that the console never approves).
 */
function refuseCrossSite(request: Request): Response | undefined {
  const origin = request.headers.get('origin');
  const own = new URL(request.url).origin;
  if (origin === null || origin !== own) {
    return problemResponse(
      403,
      'crossOrigin',
      `actions are taken only from the console's own page: Origin must be ${own}`,
    );
  }
  const site = request.headers.get('sec-fetch-site');
  if (site !== null && site !== 'same-origin') {
    return problemResponse(403, 'crossOrigin', 'actions are taken only from the same origin');
  }
  if (request.headers.get(ACTION_HEADER) !== 'hang-up') {
    return problemResponse(
      403,
      'missingActionHeader',
      `an action must carry the header ${ACTION_HEADER}: hang-up`,
    );
  }
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    return problemResponse(415, 'unsupportedMediaType', 'send the action as application/json');
  }
  return undefined;
}

/** The `callId` of an action's JSON body, or the problem with the body. */
async function readCallId(request: Request): Promise<string | Response> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_ACTION_BODY_BYTES) {
    return problemResponse(
      413,
      'bodyTooLarge',
      `an action's body is at most ${MAX_ACTION_BODY_BYTES} bytes`,
    );
  }
  const text = await readText(request, MAX_ACTION_BODY_BYTES);
  if (text === undefined) {
    return problemResponse(
      413,
      'bodyTooLarge',
      `an action's body is at most ${MAX_ACTION_BODY_BYTES} bytes`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return problemResponse(400, 'badRequest', 'the body is not JSON; send {"callId": "…"}');
  }
  const callId =
    typeof body === 'object' && body !== null && 'callId' in body ? body.callId : undefined;
  if (typeof callId !== 'string' || callId === '') {
    return problemResponse(
      400,
      'badRequest',
      'the body must be {"callId": "…"} with the call\'s id',
    );
  }
  return callId;
}

/** The body as text, or `undefined` once it grows past `limit` bytes (reading stops there). */
async function readText(request: Request, limit: number): Promise<string | undefined> {
  if (request.body === null) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

function hangUpProblem(error: unknown, onError: (error: unknown) => void): Response {
  if (error instanceof UnknownCallError || error instanceof CallVanishedError) {
    return problemResponse(404, 'unknownCall', 'the registry holds no call by that id any more');
  }
  if (error instanceof HangUpFailedError) {
    return problemResponse(502, 'hangUpFailed', error.message);
  }
  if (error instanceof RegistryClosedError) {
    return problemResponse(503, 'closed', 'the registry is closed');
  }
  onError(error);
  return problemResponse(500, 'internalError', 'the hang-up failed');
}
