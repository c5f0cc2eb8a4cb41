/**
 * The webhook Graph posts call notifications to, as a WHATWG `(Request) => Promise<Response>`
 * handler: it runs wherever `Request`/`Response` exist (Node 20 with {@link toNodeListener},
 * Deno, Bun, workers, Next.js route handlers, Hono).
 *
 * The answers, in the order the checks run:
 *
 * | status | when |
 * | --- | --- |
 * | `405` | the method is not `POST` (with `Allow: POST`) |
 * | `415` | `Content-Type` is missing or not JSON (`application/json`, `application/*+json`; charset UTF-8) |
 * | `413` | `Content-Length` is over `maxBodyBytes` (nothing is read) |
 * | `401` / `403` | `authenticate` refused the request: no or bad token / a token for another app or tenant |
 * | `413` | the body grew over `maxBodyBytes` while it was read (reading stops there) |
 * | `413` | the envelope's `value` holds more than `maxItems` items (nothing is applied) |
 * | `400` | the body could not be read, or it is not a notification envelope |
 * | `202` | the envelope was taken: valid items applied, invalid ones rejected one by one and counted |
 * | `500` | `authenticate` threw or `registry.ingest` rejected: a fault of the server, not the request |
 *
 * Every non-2xx answer is `application/problem+json` (RFC 9457) whose `detail` says what was
 * wrong and whose `code` names it for machines. Nothing reaches the registry before
 * `authenticate` accepted the request.
 *
 * @example
 * ```ts
 * import { createCallRegistry } from 'graph-call-machine';
 * import { createGraphTokenValidator, createWebhookHandler } from 'graph-call-machine/webhook';
 *
 * const registry = createCallRegistry({ graph: { getToken } });
 * const handler = createWebhookHandler(registry, {
 *   authenticate: createGraphTokenValidator({ appId: process.env.BOT_APP_ID! }),
 * });
 *
 * // A Next.js route handler, a Hono route, Deno.serve, Bun.serve …
 * export const POST = (req: Request) => handler(req);
 * ```
 * @module
 */
import { isJsonObject, own } from '../graph/jsonObject.js';
import type { RejectedNotification } from '../graph/notification.js';
import { yieldToEventLoop } from '../runtime/clock.js';
import type { CallRegistry, IngestReport } from '../runtime/types.js';
import {
  type AuthorizationCheck,
  type BodyRead,
  CHECK_AUTHORIZATION,
  toResponse,
  WEBHOOK_CORE,
  type WebhookAnswer,
  type WebhookCore,
  type WebhookExchange,
} from './exchange.js';
import { problemAnswer } from './problem.js';

/** What `authenticate` decided about a request. */
export type AuthResult =
  | {
      readonly ok: true;
      /** The verified token's claims, for callers that want them (tenant, issuer, …). */
      readonly claims?: Record<string, unknown>;
    }
  | {
      readonly ok: false;
      /** `401`: no token or an invalid one. `403`: a valid token for another app or tenant. */
      readonly status: 401 | 403;
      /** What was wrong, sent to the caller as the problem `detail`; no secrets in it. */
      readonly reason: string;
    };

/** Options of {@link createWebhookHandler}. */
export interface WebhookOptions {
  /**
   * Decides whether the request comes from Graph, before its body is read. Usually
   * `createGraphTokenValidator({ appId })`. **Without it every request is accepted**: only leave
   * it out behind something else that authenticates (a gateway) or in tests. It must not read
   * the body (it is read once, afterwards, under the size limit); one that needs it can read
   * `req.clone()`.
   */
  readonly authenticate?: ((req: Request) => Promise<AuthResult>) | undefined;
  /** The largest body accepted, in bytes. Default 1 MiB (1 048 576). */
  readonly maxBodyBytes?: number | undefined;
  /**
   * The most items an envelope's `value` may hold. A larger envelope is answered `413` (code
   * `tooManyItems`, naming the count and the limit) and nothing in it is applied. With
   * `maxBodyBytes` it bounds the work one POST can ask for: a 1 MiB body holds 500 000 tiny items
   * or 18 000 new calls, where Graph posts a few items at a time. Default 10 000.
   *
   * @example
   * ```ts
   * // A bot that never sees more than a handful of notifications per POST.
   * createWebhookHandler(registry, { authenticate, maxItems: 1_000 });
   * ```
   */
  readonly maxItems?: number | undefined;
  /**
   * Told about failures of the server's own side (`authenticate` threw, `registry.ingest`
   * rejected), which are answered `500` without their message. Default: ignored.
   */
  readonly onError?: ((error: unknown) => void) | undefined;
}

/** The JSON body of a `202 Accepted`: the counts of the {@link IngestReport}, without the rejected items. */
export type WebhookAcceptedBody = Omit<IngestReport, 'rejections'>;

/**
 * What {@link createWebhookHandler} returns: a WHATWG `(Request) => Promise<Response>` handler
 * that also carries its transport-free core, which {@link toNodeListener} serves straight from
 * node's request, without building a fetch `Request` or `Response`.
 *
 * @example
 * ```ts
 * import { createWebhookHandler, toNodeListener, type WebhookHandler } from 'graph-call-machine/webhook';
 *
 * const webhook: WebhookHandler = createWebhookHandler(registry, { authenticate });
 * export const POST = (req: Request) => webhook(req); // Next.js, Hono, Deno.serve, Bun.serve …
 * createServer(toNodeListener(webhook)).listen(3978); // node:http, Express, Koa …
 * ```
 */
export interface WebhookHandler {
  (req: Request): Promise<Response>;
  /**
   * The handler's logic on a neutral request, for {@link toNodeListener}; not for calling directly.
   * @internal
   */
  readonly [WEBHOOK_CORE]: WebhookCore;
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const DEFAULT_MAX_ITEMS = 10_000;
const LARGE_BODY_BYTES = 64 * 1024;
const MAX_SHOWN = 80;
const JSON_CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii']);

/**
 * Creates the webhook handler for a registry (anything with `ingest`).
 *
 * The body is read as bytes, never buffered past `maxBodyBytes`, decoded and parsed as JSON once
 * (to count its items against `maxItems`) and handed to `registry.ingest` parsed; a body that is
 * not UTF-8 JSON is handed as the bytes it was, for the registry's parser to reject with its
 * reason. A body the parser rejects as a whole (a rejection with `index: null`: not JSON, not
 * UTF-8, not an envelope) answers `400`; otherwise the envelope was taken and the answer is
 * `202`, whatever became of the items inside it. The handler never throws. A large body does not
 * take the event loop from other requests: its JSON parse and the registry's work on its items
 * are separate turns, and the registry applies many items in slices of about 10 ms.
 *
 * @example
 * ```ts
 * const handler = createWebhookHandler(registry, { authenticate, maxBodyBytes: 256 * 1024 });
 * const res = await handler(
 *   new Request('https://bot.example/api/calls', {
 *     method: 'POST',
 *     headers: { 'content-type': 'application/json', authorization: `Bearer ${jwt}` },
 *     body: JSON.stringify({ value: [] }),
 *   }),
 * );
 * res.status; // 202
 * await res.json(); // { applied: 0, unchanged: 0, stale: 0, late: 0, subresource: 0, rejected: 0, unknownCalls: 0 }
 * ```
 */
export function createWebhookHandler(
  registry: Pick<CallRegistry, 'ingest'>,
  options: WebhookOptions = {},
): WebhookHandler {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!isLimit(maxBodyBytes)) {
    throw new TypeError(
      `createWebhookHandler: maxBodyBytes is ${String(maxBodyBytes)}, expected a whole number of bytes ≥ 0`,
    );
  }
  const maxItems = options.maxItems ?? DEFAULT_MAX_ITEMS;
  if (!isLimit(maxItems)) {
    throw new TypeError(
      `createWebhookHandler: maxItems is ${String(maxItems)}, expected a whole number of items ≥ 0`,
    );
  }
  const { authenticate, onError } = options;

  function serverFault(error: unknown, detail: string): WebhookAnswer {
    try {
      onError?.(error);
    } catch {
      // A throwing error reporter must not turn a 500 into an unhandled rejection.
    }
    return problemAnswer(500, 'internalError', detail);
  }

  async function handle(req: WebhookExchange): Promise<WebhookAnswer> {
    if (req.method !== 'POST') {
      return problemAnswer(
        405,
        'methodNotAllowed',
        `${show(req.method)} is not allowed here: Graph delivers call notifications with POST`,
        { headers: { allow: 'POST' } },
      );
    }

    const mediaFault = contentTypeFault(req.header('content-type'));
    if (mediaFault !== undefined) {
      return problemAnswer(415, 'unsupportedMediaType', mediaFault, {
        extensions: { accept: 'application/json' },
      });
    }

    const declaredLength = contentLength(req.header('content-length'));
    if (declaredLength !== undefined && declaredLength > maxBodyBytes) {
      return tooLarge(`the body is ${declaredLength} bytes (Content-Length)`, maxBodyBytes);
    }

    if (authenticate !== undefined) {
      let verdict: AuthResult;
      try {
        const byHeader = (authenticate as { [CHECK_AUTHORIZATION]?: AuthorizationCheck })[
          CHECK_AUTHORIZATION
        ];
        verdict =
          typeof byHeader === 'function'
            ? ((await byHeader(req.header('authorization'))) as AuthResult)
            : await authenticate(req.request());
      } catch (error) {
        return serverFault(
          error,
          'authenticate threw instead of answering: the request could not be checked',
        );
      }
      if (!verdict.ok) {
        const forbidden = verdict.status === 403;
        return problemAnswer(
          forbidden ? 403 : 401,
          forbidden ? 'forbidden' : 'unauthorized',
          verdict.reason,
          forbidden ? {} : { headers: { 'www-authenticate': 'Bearer' } },
        );
      }
    }

    if (req.bodyConsumed()) {
      return serverFault(
        new Error('the request body was read before the webhook handler'),
        'the request body was already read before the webhook handler saw it: mount the webhook before body parsers such as express.json()',
      );
    }
    const read = await req.readBody(maxBodyBytes);
    if (read.kind === 'tooLarge') {
      return tooLarge(`the body grew past ${read.received} bytes while it was read`, maxBodyBytes);
    }
    if (read.kind === 'unreadable') {
      return problemAnswer(400, 'bodyUnreadable', `the body could not be read: ${read.reason}`);
    }

    const json = parseJson(read.bytes);
    const items = json === undefined ? undefined : itemCount(json.value);
    if (items !== undefined && items > maxItems) {
      return problemAnswer(
        413,
        'tooManyItems',
        `the envelope holds ${items} items, over the limit of ${maxItems} (maxItems): none was applied`,
        { extensions: { maxItems, items } },
      );
    }
    // Parsing a large body is a block of its own (about 5 ms a MiB); the registry's work on its
    // items comes after the event loop turned once, not in the same block.
    if (read.bytes.byteLength > LARGE_BODY_BYTES) await yieldToEventLoop();

    let report: IngestReport;
    try {
      report = await registry.ingest(json === undefined ? read.bytes : json.value);
    } catch (error) {
      return serverFault(
        error,
        'the registry failed while applying the notifications; nothing was wrong with the request',
      );
    }

    // The parser rejects a body as a whole only before reading any item, so a body-level
    // rejection means nothing was taken. Checking the counts too keeps a 400 truthful even if
    // a registry reported both.
    const bodyFaults = report.rejections.filter((r) => r.index === null);
    const taken =
      report.applied + report.unchanged + report.stale + report.late + report.subresource;
    const [first] = bodyFaults;
    if (first !== undefined && taken === 0) {
      return problemAnswer(
        400,
        first.code === 'invalidBody' ? 'invalidBody' : 'notAnEnvelope',
        first.message,
        {
          extensions: { rejections: bodyFaults.map(withoutRaw) },
        },
      );
    }
    return accepted(report);
  }

  const runCore: WebhookCore = async (exchange) => {
    try {
      return await handle(exchange);
    } catch (error) {
      return serverFault(error, 'the webhook handler failed unexpectedly');
    }
  };
  const handleWebhook = async (req: Request): Promise<Response> =>
    toResponse(await runCore(fetchExchange(req)));
  // toNodeListener serves node requests through this, without building fetch objects.
  return Object.assign(handleWebhook, { [WEBHOOK_CORE]: runCore });
}

function fetchExchange(req: Request): WebhookExchange {
  return {
    method: req.method,
    header: (name) => req.headers.get(name),
    bodyConsumed: () => req.bodyUsed || req.body?.locked === true,
    readBody: (limit) => readBody(req.body, limit),
    request: () => req,
  };
}

function isLimit(value: number): boolean {
  return value >= 0 && (Number.isSafeInteger(value) || value === Infinity);
}

// The decoding the registry's parser applies (UTF-8, fatal, a BOM dropped), done here once so the
// items can be counted before anything is applied; the parsed value is what ingest gets.
const utf8 = new TextDecoder('utf-8', { fatal: true });

function parseJson(bytes: Uint8Array): { readonly value: unknown } | undefined {
  try {
    return { value: JSON.parse(utf8.decode(bytes)) };
  } catch {
    return undefined;
  }
}

/** How many items an envelope's `value` holds, or `undefined` for anything else (the parser says what). */
function itemCount(body: unknown): number | undefined {
  if (!isJsonObject(body)) return undefined;
  const value = own(body, 'value');
  return Array.isArray(value) ? value.length : undefined;
}

function tooLarge(what: string, maxBodyBytes: number): WebhookAnswer {
  return problemAnswer(
    413,
    'bodyTooLarge',
    `${what}, over the limit of ${maxBodyBytes} bytes (maxBodyBytes)`,
    { extensions: { maxBodyBytes } },
  );
}

const ACCEPTED_HEADERS = Object.freeze({
  'content-type': 'application/json',
  'cache-control': 'no-store',
});

function accepted(report: IngestReport): WebhookAnswer {
  // Whole numbers only, so the body is written out rather than serialised: every POST answers.
  const body: Record<keyof WebhookAcceptedBody, number> = report;
  return {
    status: 202,
    headers: ACCEPTED_HEADERS,
    body: `{"applied":${body.applied},"unchanged":${body.unchanged},"stale":${body.stale},"late":${body.late},"subresource":${body.subresource},"rejected":${body.rejected},"unknownCalls":${body.unknownCalls}}`,
  };
}

// The raw body can be a megabyte of bytes, and echoing input back is never needed to explain it.
function withoutRaw(rejection: RejectedNotification): Omit<RejectedNotification, 'raw'> {
  const { raw: _raw, ...rest } = rejection;
  return rest;
}

/** Why a `Content-Type` is not one the handler reads, or `undefined` when it is. */
function contentTypeFault(header: string | null): string | undefined {
  // What Graph sends, answered before any parsing.
  if (header === 'application/json' || header === 'application/json; charset=utf-8') {
    return undefined;
  }
  const expected = 'expected application/json (Graph posts JSON)';
  if (header === null || header.trim() === '')
    return `the request has no Content-Type: ${expected}`;
  const [mediaType = '', ...parameters] = header.split(';');
  const [type, subtype, extra] = mediaType.trim().toLowerCase().split('/');
  const json =
    type === 'application' &&
    extra === undefined &&
    subtype !== undefined &&
    (subtype === 'json' || (subtype.endsWith('+json') && subtype.length > 5));
  if (!json) return `Content-Type ${show(header)} is not JSON: ${expected}`;
  for (const parameter of parameters) {
    const eq = parameter.indexOf('=');
    if (eq < 0 || parameter.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    const charset = unquote(parameter.slice(eq + 1).trim()).toLowerCase();
    if (!JSON_CHARSETS.has(charset)) {
      return `charset ${show(charset)} is not supported: JSON is read as UTF-8 (RFC 8259 §8.1)`;
    }
  }
  return undefined;
}

function contentLength(header: string | null): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  // Anything but plain digits is left to the streaming limit, which holds whatever the header says.
  return /^\d{1,16}$/.test(text) ? Number(text) : undefined;
}

/**
 * Reads the body chunk by chunk, and cancels the stream at the first chunk that crosses the
 * limit, so a sender can never make the handler hold more than `limit` bytes plus one chunk.
 */
async function readBody(body: ReadableStream<Uint8Array> | null, limit: number): Promise<BodyRead> {
  if (body === null) return { kind: 'ok', bytes: new Uint8Array(0) };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!(value instanceof Uint8Array)) {
        stop(reader, 'the body stream produced something other than bytes');
        return {
          kind: 'unreadable',
          reason: 'the body stream produced something other than bytes',
        };
      }
      received += value.byteLength;
      if (received > limit) {
        stop(reader, `the body is over the limit of ${limit} bytes`);
        return { kind: 'tooLarge', received };
      }
      chunks.push(value);
    }
  } catch (error) {
    return {
      kind: 'unreadable',
      reason: truncate(error instanceof Error ? error.message : String(error)),
    };
  }
  return { kind: 'ok', bytes: concat(chunks, received) };
}

// Not awaited: a source's cancel() may never settle, and the answer must not wait for it.
function stop(reader: ReadableStreamDefaultReader<Uint8Array>, reason: string): void {
  reader.cancel(new Error(reason)).catch(() => {});
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function unquote(text: string): string {
  return text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
}

function show(text: string): string {
  return JSON.stringify(truncate(text));
}

function truncate(text: string): string {
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}
