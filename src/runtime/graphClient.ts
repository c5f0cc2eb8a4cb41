/**
 * The default {@link GraphClient}, over `fetch`: the requests the runtime makes to Microsoft
 * Graph on `/communications/calls/{id}` (`DELETE`, `GET`, `POST …/keepAlive`), the call-control
 * requests on a call (`POST …/answer`, `…/reject`, `…/redirect`, `…/transfer`, with a JSON
 * body), the operations on a call (`POST …/playPrompt`, `…/recordResponse`,
 * `…/cancelMediaProcessing`, `…/subscribeToTone`, `…/sendDtmfTones`, `…/mute`, `…/unmute`,
 * `…/updateRecordingStatus`, `…/participants/invite`, with a JSON body, and
 * `DELETE …/participants/{participantId}`), and placing a call (`POST /communications/calls`).
 *
 * Every outcome is a value: HTTP failures keep their status, Graph's error body and
 * `Retry-After`; a network error, a timeout, a token that could not be had, a call or
 * participant id that cannot be sent or a body that cannot be written as JSON are `status: 0`.
 * Each request has one hard deadline (`timeoutMs`) covering the token, the response and its
 * body, which holds even when `getToken` or `fetch` never settle. The client never throws or
 * rejects once created, so the runtime can feed each result straight back into the machine as
 * an event.
 *
 * @example
 * ```ts
 * import { createGraphClient, createCallRegistry } from 'graph-call-machine';
 *
 * const graph = createGraphClient({
 *   getToken: () => credential.getToken('https://graph.microsoft.com/.default').then((t) => t.token),
 *   timeoutMs: 5_000,
 * });
 * const result = await graph.deleteCall(callId);
 * if (!result.ok && result.status !== 404) console.warn(result.status, result.error);
 *
 * const placed = await graph.placeCall({
 *   callbackUri: 'https://bot.example.com/api/calls',
 *   requestedModalities: ['audio'],
 *   mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
 *   targets: [{ identity: { user: { id: '550fae72-d251-43ec-868c-373732c2704f' } } }],
 * });
 * if (placed.ok) console.log(placed.call.id, placed.call.state); // '…', 'establishing'
 * const registry = createCallRegistry({ graph });
 * ```
 * @module
 */
import { callIdProblem } from '../graph/callId.js';
import { callStateOf, graphErrorOf, placedCallOf } from '../graph/graphResponse.js';
import { type OperationReport, readOperationReport } from '../graph/operationReport.js';
import { OPERATION_KINDS, type OperationRequest } from '../graph/operationRequests.js';
import { parseRetryAfter } from '../graph/retryAfter.js';
import type { GraphError } from '../machine/types.js';
import { systemClock, type TimerHandle } from './clock.js';
import type {
  GetCallResult,
  GraphClient,
  GraphResult,
  OperationResult,
  PlaceCallResult,
} from './types.js';

/** The part of `fetch` the client uses; `globalThis.fetch` fits, and so does a fake Graph. */
export type GraphFetch = (url: string, init: RequestInit) => Promise<Response>;

/** How {@link createGraphClient} reaches Graph. */
export interface GraphClientOptions {
  /**
   * An access token for Graph (application permission `Calls.*`). Called before every request;
   * the client never caches or stores the token, so expiry and rotation stay with the provider
   * (MSAL and `@azure/identity` cache for you). Bounded by `timeoutMs`, which counts from this
   * call: a token that has not arrived by then gives `status: 0`, code `Timeout`, and no request
   * is sent, even if the token arrives later. A rejection, or something that is not a token,
   * becomes `status: 0`, code `TokenUnavailable`, and no request is sent.
   */
  getToken(): Promise<string>;
  /**
   * The Graph root, e.g. a proxy or a fake Graph in tests. Default
   * `https://graph.microsoft.com/{apiVersion}`. A trailing slash is tolerated.
   */
  readonly baseUrl?: string;
  /** Selects the default `baseUrl`. Default `v1.0`. */
  readonly apiVersion?: 'v1.0' | 'beta';
  /**
   * `communications` → `/communications/calls/{id}` (default). `app` → `/app/calls/{id}`, the
   * deprecated beta path: accepted only with `apiVersion: 'beta'` (or a `baseUrl` that does
   * not end in `/v1.0`).
   */
  readonly callsPath?: 'communications' | 'app';
  /**
   * One deadline per request, from asking for the token to the last byte of the body. Past it
   * the result is `status: 0`, code `Timeout`, whether or not `getToken`, `fetch` or the body
   * ever settle; the request's abort signal fires at the same moment. Default 10 000.
   */
  readonly timeoutMs?: number;
  /** Sent as `User-Agent`. Microsoft asks callers to identify themselves for support cases. */
  readonly userAgent?: string;
  /** Extra headers on every request. `Authorization` and `client-request-id` are the client's own. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Default `globalThis.fetch`, looked up on each request. It should honour `init.signal`, so
   * that a request past its deadline stops using a socket; one that does not is still cut off
   * at `timeoutMs`, but keeps whatever it holds until it settles.
   */
  readonly fetch?: GraphFetch;
  /** The clock an HTTP-date `Retry-After` is measured against. Default `Date.now`. */
  readonly now?: () => number;
}

type Failure = Extract<GraphResult, { ok: false }>;

type Exchange =
  | { readonly kind: 'failed'; readonly result: Failure }
  | {
      readonly kind: 'answered';
      readonly response: Response;
      readonly body: BodyRead;
      readonly clientRequestId: string;
    };

type BodyRead =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly error: GraphError };

/** A request body before it is written as JSON, and what to call it if it cannot be. */
interface Payload {
  /** e.g. `The answer request`: the start of the message when it cannot be sent. */
  readonly what: string;
  readonly value: unknown;
}

/** Where an operation is sent: the method, the path after `…/calls/{id}`, and its body, if any. */
interface OperationRoute {
  readonly method: 'POST' | 'DELETE';
  readonly suffix: string;
  readonly payload?: Payload;
}

/**
 * How far a request got, so a deadline can say what it was waiting for: the token (no
 * `clientRequestId` yet), the response, or the body of a `response` that arrived.
 */
interface Progress {
  waiting: string;
  clientRequestId?: string;
  response?: Response;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** The longest participant id sent, in UTF-16 code units; Graph's are GUIDs (36). */
const MAX_PARTICIPANT_ID_LENGTH = 256;
// The client sets these per request; letting `headers` override them would send a stale token
// or break the correlation between a failure and Microsoft's logs.
const RESERVED_HEADERS = new Set(['authorization', 'client-request-id']);

/**
 * Creates a {@link GraphClient} over `fetch`. Throws a `TypeError` only here, for options that
 * cannot work; the client's methods never throw or reject.
 *
 * Results: 2xx → `{ ok: true, status }` (204 to a DELETE, 200 to a GET or keepAlive, 202 to
 * answer, reject, redirect and transfer). Anything else → `{ ok: false, status, retryAfterMs?,
 * error }`, with Graph's error code, message, `request-id` and date when the body carried them,
 * and always the `client-request-id` the client sent. A 404 is passed on as it is: the machine
 * decides that it means the call is gone. Redirects are not followed, so the bearer token
 * never travels to another URL.
 *
 * The call-control verbs and `placeCall` send their request as a JSON body
 * (`content-type: application/json`); one that `JSON.stringify` cannot write (a cycle, a
 * `BigInt`, a throwing `toJSON`) is `status: 0`, code `InvalidRequest`, and nothing is sent.
 * `placeCall` answers `{ ok: true, status: 201, call }` with the call read from Graph's body;
 * a 2xx whose body names no usable call id is a failure that keeps the 2xx status (code
 * `InvalidResponse`, or `Timeout`/`NetworkError` when the body broke off), because Graph may
 * have created a call all the same: placing it again could ring the callee twice.
 *
 * `runOperation` sends each operation's body as JSON to its action (`POST …/calls/{id}/playPrompt`,
 * `…/participants/invite`, …), except `removeParticipant`: `DELETE
 * …/calls/{id}/participants/{participantId}`, without a body. Any 2xx is `{ ok: true, status }`,
 * with `operation`, Graph's `commsOperation` as {@link readOperationReport} reads it, when the
 * body is JSON; an empty body (the 204 to a removal), one that is not JSON or one that broke off
 * leaves `operation` out, since Graph took the request all the same. A participant id that
 * cannot be one segment of the URL (empty, longer than 256, `.`/`..`, control characters, a lone
 * surrogate) is `status: 0`, code `InvalidRequest`, and nothing is sent.
 *
 * @example
 * ```ts
 * const graph = createGraphClient({ getToken, apiVersion: 'beta', callsPath: 'app' });
 * await graph.keepAlive(callId);       // POST https://graph.microsoft.com/beta/app/calls/{id}/keepAlive
 * const { state } = await graph.getCall(callId); // 'established', 'terminated', …
 * await graph.rejectCall(callId, { reason: 'busy' }); // POST …/calls/{id}/reject → { ok: true, status: 202 }
 * const played = await graph.runOperation(callId, {
 *   kind: 'playPrompt',
 *   request: { prompts: [{ mediaInfo: { uri: 'https://bot.example.com/hello.wav' } }], clientContext: 'k1' },
 * }); // POST …/calls/{id}/playPrompt → { ok: true, status: 200, operation: { id: '…', status: 'running', … } }
 * ```
 */
export function createGraphClient(options: GraphClientOptions): GraphClient {
  const base = resolveBase(options);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!(timeoutMs > 0 && Number.isFinite(timeoutMs))) {
    throw new TypeError(
      `createGraphClient: timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}.`,
    );
  }
  if (typeof options.getToken !== 'function') {
    throw new TypeError(
      'createGraphClient: getToken must be a function that resolves to an access token for Graph.',
    );
  }
  const fixedHeaders = resolveHeaders(options);
  const doFetch: GraphFetch = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const now = options.now ?? Date.now;

  /**
   * One request: on the call `callId` (with `suffix`, e.g. `/keepAlive`), or on the calls
   * collection when `callId` is `undefined` (placing a call).
   */
  async function exchange(
    method: string,
    callId: string | undefined,
    suffix: string,
    payload: Payload | undefined,
  ): Promise<Exchange> {
    let url = `${base}/calls`;
    if (callId !== undefined) {
      // Checked before anything else: encodeURIComponent throws URIError on a lone surrogate,
      // and `..` would address another resource.
      const problem = callIdProblem(callId);
      if (problem !== undefined) {
        return failed({
          code: 'InvalidCallId',
          message: `Invalid call id: ${problem}. No request was sent.`,
        });
      }
      url += `/${encodeURIComponent(callId)}${suffix}`;
    }
    let body: string | undefined;
    if (payload !== undefined) {
      // Written before the token is asked for: a body that cannot be sent needs no credential.
      const written = writeJson(payload);
      if (typeof written !== 'string') return failed(written);
      body = written;
    }
    const controller = new AbortController();
    const progress: Progress = { waiting: 'getToken() did not settle' };
    let timer: TimerHandle | undefined;
    // The signal alone is not a deadline: a fetch may ignore it, and nothing can abort a
    // getToken() that never settles. Racing a timer bounds the request whatever they do.
    const deadline = new Promise<Exchange>((resolve) => {
      timer = systemClock.setTimeout(() => {
        resolve(expired(progress, timeoutMs));
        controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError'));
      }, timeoutMs);
    });
    // send() is async, so even a synchronous throw in it arrives here as a rejection; catching
    // it keeps a failure that lands after the deadline from becoming an unhandled rejection.
    const sending = send(method, url, body, controller.signal, progress).catch((reason: unknown) =>
      failed(clientError(method, reason)),
    );
    try {
      return await Promise.race([sending, deadline]);
    } finally {
      systemClock.clearTimeout(timer);
    }
  }

  async function send(
    method: string,
    url: string,
    body: string | undefined,
    signal: AbortSignal,
    progress: Progress,
  ): Promise<Exchange> {
    let token: unknown;
    try {
      token = await options.getToken();
    } catch (reason) {
      return failed({
        code: 'TokenUnavailable',
        message: `getToken() failed: ${describeError(reason)}. No request was sent.`,
      });
    }
    // Past the deadline the caller already has its answer; a late token must not send anything.
    if (signal.aborted) return expired(progress, timeoutMs);
    if (typeof token !== 'string' || token === '') {
      return failed({
        code: 'TokenUnavailable',
        message: `getToken() resolved to ${token === '' ? 'an empty string' : typeof token}, not a token. No request was sent.`,
      });
    }

    const describe = `${method} ${url}`;
    const clientRequestId = globalThis.crypto.randomUUID();
    const headers = new Headers(fixedHeaders);
    try {
      headers.set('authorization', `Bearer ${token}`);
    } catch {
      // Never echo the token: it is a credential, and this message ends up in logs.
      return failed({
        code: 'TokenUnavailable',
        message:
          'getToken() resolved to text that cannot be sent in an Authorization header (a line break or other forbidden character). No request was sent.',
      });
    }
    headers.set('client-request-id', clientRequestId);
    if (body !== undefined) headers.set('content-type', 'application/json');

    progress.waiting = `${describe} got no response`;
    progress.clientRequestId = clientRequestId;
    let response: Response;
    try {
      // No body on the keepAlive POST: fetch then sends `Content-Length: 0` and no content type.
      response = await doFetch(url, {
        method,
        headers,
        signal,
        redirect: 'manual',
        ...(body !== undefined && { body }),
      });
    } catch (reason) {
      return failed(
        transportError(reason, signal, timeoutMs, `${describe} got no response`, clientRequestId),
      );
    }
    if (signal.aborted) {
      // A fetch that ignored the signal answered too late; release its body rather than read it.
      response.body?.cancel().catch(() => undefined);
      return expired(progress, timeoutMs);
    }
    const waiting = `${describe} answered ${response.status} but its body did not arrive`;
    progress.waiting = waiting;
    progress.response = response;
    let read: BodyRead;
    try {
      // Read to the end even when unused: a drained body lets the connection be reused.
      read = { ok: true, text: await response.text() };
    } catch (reason) {
      read = {
        ok: false,
        error: transportError(reason, signal, timeoutMs, waiting, clientRequestId),
      };
    }
    return { kind: 'answered', response, body: read, clientRequestId };
  }

  function answer(sent: Exchange): GraphResult {
    if (sent.kind === 'failed') return sent.result;
    const { response } = sent;
    // A 204/200 means Graph took the request; a body cut short afterwards changes nothing.
    if (response.ok) return { ok: true, status: response.status };
    return httpFailure(sent, now());
  }

  function readCall(sent: Exchange): GetCallResult {
    if (sent.kind === 'failed' || !sent.response.ok) return answer(sent);
    // Unlike DELETE, a GET is only worth its body: without it the state is unknown, which is a
    // failure to verify, not a success.
    if (!sent.body.ok) return { ok: false, status: 0, error: sent.body.error };
    const state = callStateOf(sent.body.text);
    const status = sent.response.status;
    return state === undefined ? { ok: true, status } : { ok: true, status, state };
  }

  function readPlaced(sent: Exchange): PlaceCallResult {
    if (sent.kind === 'failed') return sent.result;
    const { response, body, clientRequestId } = sent;
    if (!response.ok) return httpFailure(sent, now());
    // From here on Graph has taken the request and a call may exist: the failures keep the
    // 2xx status, so that a caller does not read them as "nothing happened" and place it again.
    const status = response.status;
    if (!body.ok) return { ok: false, status, error: body.error };
    const placed = placedCallOf(body.text);
    if (placed.ok) return { ok: true, status, call: placed.call };
    const requestId = response.headers.get('request-id');
    const date = response.headers.get('date');
    return {
      ok: false,
      status,
      error: {
        code: 'InvalidResponse',
        message: `POST ${base}/calls answered ${status}, but ${placed.problem}: the call Graph may have created cannot be addressed.`,
        ...(requestId !== null && requestId !== '' && { requestId }),
        clientRequestId,
        ...(date !== null && date !== '' && { date }),
      },
    };
  }

  function readOperation(sent: Exchange): OperationResult {
    if (sent.kind === 'failed' || !sent.response.ok) return answer(sent);
    // Graph took the operation: a body that is missing, cut short or not JSON loses only the
    // report, and the operation's notifications (matched by clientContext) still follow.
    const status = sent.response.status;
    const operation = sent.body.ok ? operationOf(sent.body.text) : undefined;
    return operation === undefined ? { ok: true, status } : { ok: true, status, operation };
  }

  // The last net under "never throws": reading the answer runs caller code too (`now`).
  async function settle<R extends GraphResult | PlaceCallResult | OperationResult>(
    method: string,
    callId: string | undefined,
    suffix: string,
    read: (sent: Exchange) => R,
    payload?: Payload,
  ): Promise<R | Failure> {
    try {
      return read(await exchange(method, callId, suffix, payload));
    } catch (reason) {
      return { ok: false, status: 0, error: clientError(method, reason) };
    }
  }

  return {
    deleteCall: (callId) => settle('DELETE', callId, '', answer),
    keepAlive: (callId) => settle('POST', callId, '/keepAlive', answer),
    getCall: (callId) => settle('GET', callId, '', readCall),
    answerCall: (callId, request) =>
      settle('POST', callId, '/answer', answer, { what: 'The answer request', value: request }),
    rejectCall: (callId, request) =>
      settle('POST', callId, '/reject', answer, { what: 'The reject request', value: request }),
    redirectCall: (callId, request) =>
      settle('POST', callId, '/redirect', answer, { what: 'The redirect request', value: request }),
    transferCall: (callId, request) =>
      settle('POST', callId, '/transfer', answer, { what: 'The transfer request', value: request }),
    placeCall: (request) =>
      settle('POST', undefined, '', readPlaced, { what: 'The call to place', value: request }),
    runOperation: async (callId, operation) => {
      let route: OperationRoute | GraphError;
      try {
        route = routeOf(operation);
      } catch (reason) {
        // A getter on the operation threw: plain JavaScript can hand over anything.
        return { ok: false, status: 0, error: clientError('runOperation', reason) };
      }
      if (!('method' in route)) return { ok: false, status: 0, error: route };
      return settle(route.method, callId, route.suffix, readOperation, route.payload);
    },
  };
}

/**
 * Where an operation goes, or why it cannot be sent. The switch names every kind, so a new one
 * does not compile until it has a route; the `default` is for plain JavaScript callers only.
 */
function routeOf(operation: OperationRequest): OperationRoute | GraphError {
  // Plain JavaScript can pass anything here; the client never throws.
  if (typeof operation !== 'object' || operation === null) {
    return {
      code: 'InvalidRequest',
      message: `The operation cannot be sent: it is ${operation === null ? 'null' : typeof operation}, not an object. No request was sent.`,
    };
  }
  const post = (suffix: string): OperationRoute => ({
    method: 'POST',
    suffix,
    payload: { what: `The ${operation.kind} request`, value: operation.request },
  });
  switch (operation.kind) {
    case 'playPrompt':
    case 'recordResponse':
    case 'cancelMediaProcessing':
    case 'subscribeToTone':
    case 'sendDtmfTones':
    case 'mute':
    case 'unmute':
    case 'updateRecordingStatus':
      return post(`/${operation.kind}`);
    case 'invite':
      return post('/participants/invite');
    case 'removeParticipant': {
      const { request } = operation;
      const participantId: unknown =
        typeof request === 'object' && request !== null ? request.participantId : undefined;
      const problem = participantIdProblem(participantId);
      if (problem !== undefined) {
        return {
          code: 'InvalidRequest',
          message: `The removeParticipant request cannot be sent: ${problem}. No request was sent.`,
        };
      }
      // Checked above, so encoding cannot throw and the id stays one segment of the path.
      return {
        method: 'DELETE',
        suffix: `/participants/${encodeURIComponent(participantId as string)}`,
      };
    }
    default: {
      const unknown: never = operation;
      return {
        code: 'InvalidRequest',
        message: `The operation cannot be sent: its kind ${describeKind(unknown)} is none of ${OPERATION_KINDS.join(', ')}. No request was sent.`,
      };
    }
  }
}

/**
 * What keeps a participant id from being one segment of `…/participants/{participantId}`, or
 * `undefined`. Never repeats the id, so the answer is safe to log.
 */
function participantIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'string') {
    return `the participant id is ${id === null ? 'null' : typeof id}, not text`;
  }
  if (id === '') return 'the participant id is empty';
  if (id.length > MAX_PARTICIPANT_ID_LENGTH) {
    return `the participant id is ${id.length} UTF-16 code units long, more than the ${MAX_PARTICIPANT_ID_LENGTH} accepted (Graph participant ids are about 36)`;
  }
  // encodeURIComponent leaves dots alone and a URL resolves these segments:
  // `DELETE …/calls/{id}/participants/..` would address the call itself.
  if (id === '.' || id === '..') {
    return `the participant id "${id}" is a relative path segment: a URL would resolve it to another resource`;
  }
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) {
      return `the participant id holds the control character U+${c.toString(16).toUpperCase().padStart(4, '0')} at index ${i}`;
    }
  }
  try {
    encodeURIComponent(id);
  } catch {
    return 'the participant id is not well-formed UTF-16 (it holds an unpaired surrogate)';
  }
  return undefined;
}

function describeKind(operation: object): string {
  const kind: unknown = (operation as { readonly kind?: unknown }).kind;
  return typeof kind === 'string' ? JSON.stringify(kind) : typeof kind;
}

/** Graph's `commsOperation` from a 2xx body, when the body is a JSON object. */
function operationOf(text: string): OperationReport | undefined {
  if (text.trim() === '') return undefined;
  try {
    return readOperationReport(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** What a deadline answers, given how far the request had got. */
function expired({ waiting, clientRequestId, response }: Progress, timeoutMs: number): Exchange {
  if (clientRequestId === undefined) {
    return failed({
      code: 'Timeout',
      message: `${waiting} within the ${timeoutMs} ms timeout (timeoutMs). No request was sent.`,
    });
  }
  const error = timedOut(waiting, timeoutMs, clientRequestId);
  // When the status and headers did arrive, the caller decides what a missing body means, as it
  // does when the body breaks off (a 204 to DELETE is still taken).
  return response === undefined
    ? failed(error)
    : { kind: 'answered', response, body: { ok: false, error }, clientRequestId };
}

function timedOut(what: string, timeoutMs: number, clientRequestId: string): GraphError {
  return {
    code: 'Timeout',
    message: `${what} within the ${timeoutMs} ms timeout (timeoutMs).`,
    clientRequestId,
  };
}

function clientError(method: string, reason: unknown): GraphError {
  return {
    code: 'ClientError',
    message: `${method} failed inside the Graph client: ${describeError(reason)}. The request may not have been sent.`,
  };
}

/**
 * The body as JSON text, or why it cannot be sent. Callers in plain JavaScript can pass
 * anything, and Graph takes an object for every one of these requests.
 */
function writeJson({ what, value }: Payload): string | GraphError {
  const refuse = (why: string): GraphError => ({
    code: 'InvalidRequest',
    message: `${what} cannot be sent: ${why}. No request was sent.`,
  });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    return refuse(`it is ${kind}, not an object`);
  }
  try {
    // An object always stringifies to text, unless a toJSON returns something that does not.
    const text: string | undefined = JSON.stringify(value);
    return text === undefined ? refuse('JSON.stringify gave no text for it') : text;
  } catch (reason) {
    return refuse(`JSON.stringify failed on it: ${describeError(reason)}`);
  }
}

function failed(error: GraphError): Exchange {
  return { kind: 'failed', result: { ok: false, status: 0, error } };
}

function resolveBase(options: GraphClientOptions): string {
  const { apiVersion = 'v1.0', callsPath = 'communications' } = options;
  if (apiVersion !== 'v1.0' && apiVersion !== 'beta') {
    throw new TypeError(
      `createGraphClient: apiVersion must be 'v1.0' or 'beta', got ${JSON.stringify(apiVersion)}.`,
    );
  }
  if (callsPath !== 'communications' && callsPath !== 'app') {
    throw new TypeError(
      `createGraphClient: callsPath must be 'communications' or 'app', got ${JSON.stringify(callsPath)}.`,
    );
  }
  const root = (options.baseUrl ?? `https://graph.microsoft.com/${apiVersion}`).replace(/\/+$/, '');
  let parsed: URL;
  try {
    parsed = new URL(root);
  } catch {
    throw new TypeError(
      `createGraphClient: baseUrl must be an absolute URL such as https://graph.microsoft.com/v1.0, got ${JSON.stringify(options.baseUrl)}.`,
    );
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new TypeError(
      `createGraphClient: baseUrl must be an http(s) URL, got ${JSON.stringify(options.baseUrl)}.`,
    );
  }
  const isV1 = options.apiVersion === 'v1.0' || /\/v1\.0$/i.test(parsed.pathname);
  const impliedV1 = options.apiVersion === undefined && options.baseUrl === undefined;
  if (callsPath === 'app' && (isV1 || impliedV1)) {
    throw new TypeError(
      "createGraphClient: callsPath 'app' (/app/calls/{id}) exists only in the beta API, where it is deprecated. " +
        "Use callsPath 'communications' (the default), or set apiVersion: 'beta' to keep the old path.",
    );
  }
  return `${root}/${callsPath}`;
}

function resolveHeaders(options: GraphClientOptions): Headers {
  let headers: Headers;
  try {
    headers = new Headers(options.headers);
  } catch (reason) {
    throw new TypeError(`createGraphClient: headers are not valid: ${describeError(reason)}.`);
  }
  for (const name of RESERVED_HEADERS) {
    if (headers.has(name)) {
      throw new TypeError(
        `createGraphClient: the ${name} header is set by the client on every request; remove it from headers (the token comes from getToken).`,
      );
    }
  }
  headers.set('accept', 'application/json');
  if (options.userAgent !== undefined) headers.set('user-agent', options.userAgent);
  return headers;
}

function transportError(
  reason: unknown,
  signal: AbortSignal,
  timeoutMs: number,
  what: string,
  clientRequestId: string,
): GraphError {
  // An injected fetch may reject with its own TimeoutError without using the signal.
  if (signal.aborted || nameOf(reason) === 'TimeoutError') {
    return timedOut(what, timeoutMs, clientRequestId);
  }
  return { code: 'NetworkError', message: `${what}: ${describeError(reason)}.`, clientRequestId };
}

function httpFailure(sent: Extract<Exchange, { kind: 'answered' }>, nowMs: number): Failure {
  const { response, body, clientRequestId } = sent;
  // A body cut short still leaves the status and headers to report; its message says why the
  // body is missing.
  const error = body.ok
    ? graphErrorOf(response, body.text, clientRequestId)
    : graphErrorOf(response, '', clientRequestId, body.error.message);
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), nowMs);
  return retryAfterMs === undefined
    ? { ok: false, status: response.status, error }
    : { ok: false, status: response.status, retryAfterMs, error };
}

function nameOf(value: unknown): string | undefined {
  const name = (value as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : undefined;
}

// undici reports every transport failure as `TypeError: fetch failed` and puts what happened
// (ECONNREFUSED, ENOTFOUND, a TLS error) in `cause`; without it the message says nothing.
function describeError(reason: unknown): string {
  // What an injected fetch or getToken throws is arbitrary (an object without a prototype, a
  // throwing getter); describing it must not become a second failure.
  try {
    if (!(reason instanceof Error)) return String(reason);
    const cause: unknown = reason.cause;
    return cause instanceof Error && cause.message !== ''
      ? `${reason.message} (${cause.message})`
      : reason.message;
  } catch {
    return 'an error that cannot be described';
  }
}
