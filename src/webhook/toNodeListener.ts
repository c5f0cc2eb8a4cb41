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
import { problemAnswer } from './problem.js';

// A small unread body (answered 415 or 401 before it arrived) is cheaper to discard than a new
// connection for the client's next request.
const DRAIN_LIMIT_BYTES = 64 * 1024;
const SAFE_HOST = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** Options of {@link toNodeListener}. */
export interface NodeListenerOptions {
  /**
   * Told about failures of the listener itself: the webhook's core rejected (answered `500`), or
   * the answer could not be written (the response is destroyed). Failures of the webhook's own
   * server side (`authenticate` threw, `registry.ingest` rejected) go to the `onError` of
   * `createWebhookHandler`. Default: ignored.
   */
  readonly onError?: ((error: unknown) => void) | undefined;
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
 * - when the answer came before the whole body (a `415`, a `401`, a `413`), discards what is
 *   left of a small body (≤ 64 KiB declared) and keeps the connection; a larger or chunked body
 *   still arriving gets `Connection: close`, so a keep-alive connection is never stuck behind it.
 *
 * @throws TypeError when `handler` was not made by `createWebhookHandler` (a plain
 * `(Request) => Promise<Response>` function has no core to serve).
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
  const report = (error: unknown): void => {
    try {
      options.onError?.(error);
    } catch {
      // A broken reporter must not take the listener down with it.
    }
  };
  return (req, res) => {
    serve(core, req, res, report).catch((error: unknown) => {
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
): Promise<void> {
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
      return readNodeBody(req, limit);
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
  writeAnswer(req, res, answer, bodyRead);
}

function readNodeBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const settle = (result: BodyRead): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
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
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

function writeAnswer(
  req: IncomingMessage,
  res: ServerResponse,
  answer: WebhookAnswer,
  bodyRead: boolean,
): void {
  if (res.destroyed || res.headersSent) return;
  const complete = req.readableEnded || req.complete;
  const headers: Record<string, string> = { ...answer.headers };
  if (!complete) {
    // Answered before the whole body came (a 415, a 401, a 413): a small rest is read and
    // dropped to keep the connection; anything else closes it.
    if (!bodyRead && drainable(req)) req.resume();
    else headers.connection = 'close';
  }
  res.writeHead(answer.status, headers);
  res.end(answer.body, () => {
    if (!req.readableEnded && headers.connection === 'close') req.destroy();
  });
}

/**
 * Whether what is left of the request body is small enough to read and discard, keeping the
 * connection alive. A body still arriving in chunks, or a large one, could take any time: the
 * answer closes the connection instead, so no later request waits behind it.
 */
function drainable(req: IncomingMessage): boolean {
  if (req.complete) return true;
  const declared = Number(req.headers['content-length']);
  return Number.isSafeInteger(declared) && declared <= DRAIN_LIMIT_BYTES;
}

function requestHeaders(rawHeaders: readonly string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    const value = rawHeaders[i + 1];
    // HTTP/2 pseudo-headers (:path, :authority) are already in the method and URL.
    if (name === undefined || value === undefined || name.startsWith(':')) continue;
    try {
      headers.append(name, value);
    } catch {
      // node accepts a few bytes WHATWG Headers refuse; dropping that header beats failing the request.
    }
  }
  return headers;
}

function requestUrl(req: IncomingMessage): string {
  const encrypted = 'encrypted' in req.socket && req.socket.encrypted === true;
  const protocol = encrypted ? 'https' : 'http';
  const hostHeader = req.headers.host;
  // A Host that is not a plain host[:port] (userinfo, a path, spaces) must not rewrite the URL.
  const host = hostHeader !== undefined && SAFE_HOST.test(hostHeader) ? hostHeader : 'localhost';
  return `${protocol}://${host}${requestPath(req.url)}`;
}

function requestPath(url: string | undefined): string {
  if (url === undefined) return '/';
  if (url.startsWith('/')) return url;
  try {
    // absolute-form request target (`POST http://host/path HTTP/1.1`), as proxies send.
    const absolute = new URL(url);
    return `${absolute.pathname}${absolute.search}`;
  } catch {
    return '/';
  }
}
