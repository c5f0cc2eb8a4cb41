/**
 * Serves the webhook {@link createWebhookHandler} makes as a `node:http` request listener.
 * Express, Fastify (raw `req`/`res`), Koa and plain `http.createServer` all hand listeners the
 * same pair.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createWebhookHandler, toNodeListener } from 'graph-call-machine/webhook';
 *
 * const listener = toNodeListener(createWebhookHandler(registry, { authenticate }));
 * createServer(listener).listen(3978);
 *
 * // Express: mount it before any body parser (express.json() would consume the body first).
 * app.post('/api/calls', listener);
 * ```
 *
 * A listener only sees requests: the server's own timeouts (how long headers and a whole request
 * may take) are the server's settings, which {@link createWebhookServer} sets for an endpoint on
 * the internet. The listener bounds the body itself (`bodyTimeoutMs`), whatever the server.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebhookHandler } from './createWebhookHandler.js';
import {
  type BodyRead,
  WEBHOOK_CORE,
  type WebhookAnswer,
  type WebhookCore,
  type WebhookExchange,
} from './exchange.js';
import { requestHeaders, requestUrl } from './nodeRequest.js';
import { problemAnswer } from './problem.js';

const DEFAULT_BODY_TIMEOUT_MS = 10_000;
// A small unread body (answered 415 or 401 before it arrived) is cheaper to discard, under the
// body deadline, than a new connection for the client's next request.
const DRAIN_LIMIT_BYTES = 64 * 1024;
// The longest delay a timer takes; a longer one would fire at once.
const MAX_TIMER_DELAY_MS = 2_147_483_647;

/** Options of {@link toNodeListener}. */
export interface NodeListenerOptions {
  /**
   * Told about failures of the listener itself: the webhook's core rejected (answered `500`), or
   * the answer could not be written (the response is destroyed). Failures of the webhook's own
   * server side (`authenticate` threw, `registry.ingest` rejected) go to the `onError` of
   * `createWebhookHandler`. Default: ignored.
   */
  readonly onError?: ((error: unknown) => void) | undefined;
  /**
   * How long a request's body may take to arrive, in milliseconds from when the listener got the
   * request (its headers were read). A body still incomplete then is answered `408`
   * `application/problem+json` (code `requestTimeout`) and the connection closed, whatever the
   * webhook is doing, so a client sending a byte a second cannot hold a connection for minutes
   * (node's own `requestTimeout` is 300 s unless the server sets it). `Infinity` turns it off.
   * Default 10 000.
   *
   * @example
   * ```ts
   * // Graph posts small bodies at once: a few seconds is plenty.
   * http.createServer(toNodeListener(webhook, { bodyTimeoutMs: 5_000 })).listen(3978);
   * ```
   */
  readonly bodyTimeoutMs?: number | undefined;
}

/**
 * Adapts the webhook to `(req, res) => void`. The webhook's logic runs on node's request
 * directly (headers from `req.headers`, the body read from the stream under `maxBodyBytes`) and
 * its answer is written without fetch objects in between; a fetch `Request` is only built for
 * `authenticate`, from the `Host` header and `req.url` (`https` on TLS sockets) with every header.
 * The listener:
 *
 * - answers as {@link createWebhookHandler} does (`202`, `400`, `401`, `403`, `405`, `413`,
 *   `415`, `500`), and `500` when a body parser read the body before it ran;
 * - never leaves a response hanging: a failure of the webhook answers `500`
 *   `application/problem+json` when nothing was sent yet, and otherwise destroys the response;
 * - answers `408` and closes the connection when the body has not all arrived `bodyTimeoutMs`
 *   after the request did;
 * - when the answer came before the whole body (a `405`, `415`, `401`, `403` or `413`), discards
 *   what is left of a small body (≤ 64 KiB declared) until `bodyTimeoutMs` and keeps the
 *   connection; a larger or chunked body gets `Connection: close` and its connection is closed
 *   once the answer was sent, so a large or slow body is never read and holds nothing.
 *
 * @throws TypeError when `handler` was not made by `createWebhookHandler` (a plain
 * `(Request) => Promise<Response>` function has no core to serve), or when `bodyTimeoutMs` is
 * not a positive number of milliseconds.
 * @example
 * ```ts
 * const listener = toNodeListener(createWebhookHandler(registry, { authenticate }), {
 *   onError: (error) => console.error('webhook listener failed', error),
 * });
 * http.createServer(listener).listen(0);
 * ```
 */
export function toNodeListener(
  handler: WebhookHandler,
  options: NodeListenerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const core: WebhookCore | undefined = handler[WEBHOOK_CORE];
  if (typeof core !== 'function') {
    throw new TypeError(
      'toNodeListener: the handler was not made by createWebhookHandler; pass what createWebhookHandler(registry, options) returns',
    );
  }
  const bodyTimeoutMs = options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  if (!(bodyTimeoutMs > 0 && (bodyTimeoutMs <= MAX_TIMER_DELAY_MS || bodyTimeoutMs === Infinity))) {
    throw new TypeError(
      `toNodeListener: bodyTimeoutMs is ${String(bodyTimeoutMs)}, expected milliseconds > 0 (at most ${MAX_TIMER_DELAY_MS}) or Infinity`,
    );
  }
  const report = (error: unknown): void => {
    try {
      options.onError?.(error);
    } catch {
      // A broken reporter must not take the listener down with it.
    }
  };
  return (req, res) => {
    serve(core, req, res, report, bodyTimeoutMs).catch((error: unknown) => {
      // serve() answers the core's failures; reaching here means writing the answer failed.
      report(error);
      res.destroy();
    });
  };
}

async function serve(
  core: WebhookCore,
  req: IncomingMessage,
  res: ServerResponse,
  report: (error: unknown) => void,
  bodyTimeoutMs: number,
): Promise<void> {
  const deadline = new BodyDeadline(req, res, bodyTimeoutMs, report);
  let bodyRead = false;
  const exchange: WebhookExchange = {
    method: req.method ?? 'GET',
    header(name) {
      const value = req.headers[name.toLowerCase()];
      if (value === undefined) return null;
      return Array.isArray(value) ? value.join(', ') : value;
    },
    bodyConsumed: () => req.readableDidRead || req.readableEnded,
    readBody(limit) {
      bodyRead = true;
      return readNodeBody(req, limit, deadline);
    },
    request: () =>
      new Request(requestUrl(req), {
        method: 'POST',
        headers: requestHeaders(req.rawHeaders),
      }),
  };
  let answer: WebhookAnswer;
  try {
    answer = await core(exchange);
  } catch (error) {
    report(error);
    answer = problemAnswer(500, 'internalError', 'the request could not be handled');
  }
  try {
    writeAnswer(req, res, answer, !bodyRead);
  } finally {
    deadline.settle(req);
  }
}

/**
 * The body's deadline: if the body has not all arrived `timeoutMs` after the request did, a read
 * under way stops (`onExpire`) and the request is answered `408` with its connection closed, or
 * the connection is closed at once when the answer was sent already (a refused request whose rest
 * was being discarded). A plain object rather than an AbortController: one is made per request,
 * and an EventTarget with its listeners costs more than the rest of the listener's own work.
 */
class BodyDeadline {
  expired = false;
  /** Told once, when the deadline passes during a read. */
  onExpire: (() => void) | undefined = undefined;
  readonly #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    timeoutMs: number,
    report: (error: unknown) => void,
  ) {
    if (timeoutMs === Infinity) return;
    this.#timer = setTimeout(() => {
      if (req.complete) return; // the body is all here: only the webhook is taking its time
      this.expired = true;
      this.onExpire?.();
      if (res.headersSent) {
        req.destroy();
        return;
      }
      const late = problemAnswer(
        408,
        'requestTimeout',
        `the body did not arrive within ${timeoutMs} ms of the request (bodyTimeoutMs)`,
        { extensions: { bodyTimeoutMs: timeoutMs } },
      );
      try {
        writeAnswer(req, res, late, false);
      } catch (error) {
        // A timer has nobody to throw to: the process would go down with it.
        report(error);
        res.destroy();
      }
    }, timeoutMs);
  }

  /**
   * Once the answer is written: a body all here needs the deadline no more. A rest still coming
   * (a refusal answered early) keeps it until the request closes, so a slow rest is cut off.
   */
  settle(req: IncomingMessage): void {
    if (this.#timer === undefined) return;
    if (req.complete || req.destroyed) {
      clearTimeout(this.#timer);
      return;
    }
    req.once('close', () => clearTimeout(this.#timer));
  }
}

function readNodeBody(
  req: IncomingMessage,
  limit: number,
  deadline: BodyDeadline,
): Promise<BodyRead> {
  if (deadline.expired) return Promise.resolve(LATE);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const settle = (result: BodyRead): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      deadline.onExpire = undefined;
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.byteLength;
      if (received > limit) {
        // Stop reading at once; the answer closes the connection instead of draining the rest.
        req.pause();
        settle({ kind: 'tooLarge', received });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      const bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received);
      settle({ kind: 'ok', bytes });
    };
    const onError = (error: Error): void => settle({ kind: 'unreadable', reason: error.message });
    const onAborted = (): void =>
      settle({ kind: 'unreadable', reason: 'the client closed the connection' });
    const onLate = (): void => {
      req.pause();
      settle(LATE);
    };
    deadline.onExpire = onLate;
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

// What a read asked for after the deadline gets; the 408 has been sent by then.
const LATE: BodyRead = { kind: 'unreadable', reason: 'the body did not arrive in time' };

function writeAnswer(
  req: IncomingMessage,
  res: ServerResponse,
  answer: WebhookAnswer,
  mayDrain: boolean,
): void {
  if (res.destroyed || res.headersSent) return;
  // A flat list of names and values: node writes it as is, without a header object to fill.
  const headers: string[] = ['content-length', String(Buffer.byteLength(answer.body))];
  for (const name in answer.headers) headers.push(name, answer.headers[name] as string);
  // Answered before the whole body came (a refusal, a 413, a 408): a small rest is read and
  // dropped to keep the connection (the body deadline still holds); anything else is never read
  // and the connection closes, so a large or slow body cannot hold it.
  const close = !req.complete && !(mayDrain && drainable(req));
  if (close) headers.push('connection', 'close');
  else if (!req.complete) req.resume();
  res.writeHead(answer.status, headers);
  res.end(answer.body, () => {
    if (close) req.destroy();
  });
}

/** Whether the rest of an unread body was declared small enough to read and discard. */
function drainable(req: IncomingMessage): boolean {
  const declared = Number(req.headers['content-length']);
  return Number.isSafeInteger(declared) && declared <= DRAIN_LIMIT_BYTES;
}
