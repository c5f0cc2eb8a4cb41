/**
 * Runs a WHATWG `(Request) => Promise<Response>` handler, such as the one
 * {@link createWebhookHandler} makes, as a `node:http` request listener. Express, Fastify (raw
 * `req`/`res`), Koa and plain `http.createServer` all hand listeners the same pair.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createWebhookHandler, toNodeListener } from 'graph-call-machine';
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
import { finished, PassThrough, Readable } from 'node:stream';
import {
  type BodyRead,
  WEBHOOK_CORE,
  type WebhookAnswer,
  type WebhookCore,
  type WebhookExchange,
} from './exchange.js';
import { problemResponse } from './problem.js';

/** A WHATWG request handler: what {@link createWebhookHandler} returns. */
export type FetchHandler = (req: Request) => Promise<Response>;

// The fetch spec forbids a body on these; every other method may carry one.
const BODYLESS_METHODS = new Set(['GET', 'HEAD']);
// `new Request` throws on these (fetch's forbidden methods); node only passes TRACE and TRACK on.
const UNREPRESENTABLE_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);
// A small unread body (answered 415 or 401 before it arrived) is cheaper to discard than a new
// connection for the client's next request.
const DRAIN_LIMIT_BYTES = 64 * 1024;
const SAFE_HOST = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** Options of {@link toNodeListener}. */
export interface NodeListenerOptions {
  /**
   * Told about errors the listener answered with `500` (the handler threw or rejected) or could
   * not answer at all (writing the response failed). Default: ignored.
   */
  readonly onError?: ((error: unknown) => void) | undefined;
}

/**
 * Adapts `handler` to `(req, res) => void`. The listener:
 *
 * - builds a `Request` from node's request: method; URL from the `Host` header and `req.url`
 *   (`https` on TLS sockets); every header, repeated ones included; the body as a stream (no
 *   buffering here: the handler decides how much to read) for methods that may have one;
 *   a `signal` that aborts when the client goes away;
 * - writes the `Response` back: status, headers (each `Set-Cookie` separately), body streamed
 *   with backpressure;
 * - never leaves a response hanging: an error of the handler or the adapter answers `500`
 *   `application/problem+json` when nothing was sent yet, and otherwise destroys the response;
 *   a request that cannot become a `Request` (`TRACE`) answers `405`;
 * - when the handler answered without reading the whole body (a `413`, a `401`), discards what
 *   is left of a small body (≤ 64 KiB) and keeps the connection; a larger or chunked body still
 *   arriving gets `Connection: close`, so a keep-alive connection is never stuck behind it.
 *
 * @example
 * ```ts
 * const listener = toNodeListener(async (req) => new Response(`${req.method} ${new URL(req.url).pathname}`), {
 *   onError: (error) => console.error('webhook failed', error),
 * });
 * http.createServer(listener).listen(0);
 * ```
 */
export function toNodeListener(
  handler: FetchHandler,
  options: NodeListenerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const report = (error: unknown): void => {
    try {
      options.onError?.(error);
    } catch {
      // A broken reporter must not take the listener down with it.
    }
  };
  const core = (handler as { [WEBHOOK_CORE]?: WebhookCore })[WEBHOOK_CORE];
  if (core !== undefined) {
    return (req, res) => {
      serveCore(core, req, res).catch((error: unknown) => {
        report(error);
        res.destroy();
      });
    };
  }
  return (req, res) => {
    serve(handler, req, res, report).catch((error: unknown) => {
      // serve() answers its own failures; reaching here means even that failed.
      report(error);
      res.destroy();
    });
  };
}

async function serve(
  handler: FetchHandler,
  req: IncomingMessage,
  res: ServerResponse,
  report: (error: unknown) => void,
): Promise<void> {
  const method = req.method ?? 'GET';
  if (UNREPRESENTABLE_METHODS.has(method.toUpperCase())) {
    // No Allow header: only the handler knows its methods, and it cannot be asked.
    await writeResponse(
      req,
      res,
      problemResponse(
        405,
        'methodNotAllowed',
        `${JSON.stringify(method)} cannot be handled here: fetch handlers never see this method`,
      ),
    );
    return;
  }
  const withBody = !BODYLESS_METHODS.has(method.toUpperCase());
  if (withBody && (req.readableDidRead || req.readableEnded)) {
    const misuse = new Error(
      'the request body was consumed before this listener ran: mount it before body parsers such as express.json()',
    );
    report(misuse);
    await writeResponse(req, res, problemResponse(500, 'internalError', misuse.message));
    return;
  }

  const abort = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) abort.abort(new Error('the client closed the connection'));
  });
  const body = withBody ? bridgeBody(req) : undefined;
  try {
    const init: RequestInit & { duplex?: 'half' } = {
      method,
      headers: requestHeaders(req.rawHeaders),
      signal: abort.signal,
    };
    if (body !== undefined) {
      init.body = body.stream;
      // Required by fetch for a streamed body; 'half' is the only mode Node implements.
      init.duplex = 'half';
    }
    let request: Request;
    try {
      request = new Request(requestUrl(req), init);
    } catch (error) {
      await writeResponse(
        req,
        res,
        problemResponse(
          400,
          'badRequest',
          `the request cannot be represented as a fetch Request: ${messageOf(error)}`,
        ),
      );
      return;
    }
    const response = await handler(request);
    await writeResponse(req, res, response);
  } catch (error) {
    report(error);
    if (!res.headersSent && !res.destroyed) {
      await writeResponse(
        req,
        res,
        problemResponse(500, 'internalError', 'the request could not be handled'),
      );
    } else {
      res.destroy();
    }
  } finally {
    body?.release();
  }
}

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 120 ? `${message.slice(0, 120)}…` : message;
}

interface BodyBridge {
  readonly stream: ReadableStream<Uint8Array>;
  /** Detaches the request from the stream and discards whatever of the body is left. */
  release(): void;
}

/**
 * `Readable.toWeb(req)` alone would destroy `req` when the handler cancels the stream (as it does
 * at `maxBodyBytes`), and destroying an `IncomingMessage` destroys its socket: the `413` could
 * never be written. The PassThrough takes that hit instead: `req` is only unpiped and paused,
 * and its socket stays open for the answer.
 */
function bridgeBody(req: IncomingMessage): BodyBridge {
  const shield = new PassThrough();
  // pipe() forwards the end of the body but not a client abort: without this the handler would
  // wait forever for the rest of a body that is never coming.
  const stopWatching = finished(req, (error) => {
    if (error) shield.destroy(error);
  });
  req.pipe(shield);
  // Node's own ReadableStream type and the global one are the same class at runtime.
  const stream = Readable.toWeb(shield) as unknown as ReadableStream<Uint8Array>;
  return {
    stream,
    release() {
      stopWatching();
      req.unpipe(shield);
      shield.destroy();
      if (!req.readableEnded) req.resume();
    },
  };
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

async function writeResponse(
  req: IncomingMessage,
  res: ServerResponse,
  response: Response,
): Promise<void> {
  if (res.destroyed || res.headersSent) {
    await response.body?.cancel().catch(() => {});
    return;
  }
  res.statusCode = response.status;
  if (response.statusText !== '') res.statusMessage = response.statusText;
  for (const [name, value] of response.headers) {
    if (name !== 'set-cookie') res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  if (!drainable(req)) res.setHeader('connection', 'close');

  const body = response.body;
  if (body === null) {
    await endOf(res);
    return;
  }
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) {
        reader.cancel().catch(() => {});
        return;
      }
      if (!res.write(value)) await drainOf(res);
    }
  } catch (error) {
    reader.cancel(error).catch(() => {});
    res.destroy();
    return;
  }
  await endOf(res);
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

function endOf(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    res.once('close', resolve);
    res.end(resolve);
  });
}

function drainOf(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * The fast path for handlers made by `createWebhookHandler`: their logic runs on the node
 * request directly (headers from `req.headers`, the body read from the stream under the same
 * limit), and the answer is written without fetch objects in between.
 */
async function serveCore(
  core: WebhookCore,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  let read = false;
  const exchange: WebhookExchange = {
    method: req.method ?? 'GET',
    header(name) {
      const value = req.headers[name.toLowerCase()];
      if (value === undefined) return null;
      return Array.isArray(value) ? value.join(', ') : value;
    },
    bodyConsumed: () => req.readableDidRead || req.readableEnded,
    readBody(limit) {
      read = true;
      return readNodeBody(req, limit);
    },
    request: () =>
      new Request(requestUrl(req), {
        method: 'POST',
        headers: requestHeaders(req.rawHeaders),
      }),
  };
  const answer = await core(exchange);
  writeAnswer(req, res, answer, read);
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
