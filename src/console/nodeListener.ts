/**
 * Serves the console's WHATWG handler as a `node:http` listener, streaming: the event stream is
 * written as it is produced, at the pace the socket takes it (a page that stops reading stops
 * the reads, so its updates pile up in its bounded queue and it is dropped, and its connection
 * with it), and a closed connection cancels its stream. Once the console closes, a page that
 * has not taken the end of its stream within a second loses its connection, so that a server's
 * own `close()` is not held up by a page that stopped reading. The webhook's `toNodeListener`
 * runs the webhook's own core and answers whole bodies only; this adapter is the console's.
 * @internal
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestHeaders, requestUrl } from '../webhook/nodeRequest.js';
import { problemResponse } from './consoleResponses.js';

// The console's requests are small: a hang-up is `{"callId": "…"}`.
const MAX_BODY_BYTES = 64 * 1024;
const BODY_TIMEOUT_MS = 10_000;
// How long a page may take to read the end of its stream once the console closed.
const CLOSE_GRACE_MS = 1_000;

/**
 * Tells the responses being written that the console closed. Not an `AbortSignal`: every page
 * listens at once, and an `EventTarget` warns past ten listeners.
 */
export interface ConsoleClosing {
  readonly closed: boolean;
  /** Calls `listener` once, when the console closes; returns what stops it from being called. */
  onClose(listener: () => void): () => void;
}

/** A {@link ConsoleClosing} and what closes it. */
export function createConsoleClosing(): ConsoleClosing & { close(): void } {
  const listeners = new Set<() => void>();
  let closed = false;
  return {
    get closed() {
      return closed;
    },
    onClose(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      if (closed) return;
      closed = true;
      for (const listener of [...listeners]) listener();
      listeners.clear();
    },
  };
}

/** Adapts `handler` to `(req, res) => void`; failures of the handler answer `500`. */
export function toStreamingListener(
  handler: (request: Request) => Promise<Response>,
  onError: (error: unknown) => void,
  closing?: ConsoleClosing,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    serve(handler, req, res, onError, closing).catch((error: unknown) => {
      onError(error);
      res.destroy();
    });
  };
}

async function serve(
  handler: (request: Request) => Promise<Response>,
  req: IncomingMessage,
  res: ServerResponse,
  onError: (error: unknown) => void,
  closing: ConsoleClosing | undefined,
): Promise<void> {
  const method = req.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  const body = hasBody ? await readBody(req) : undefined;
  let response: Response;
  if (body === 'tooLarge' || body === 'late') {
    response =
      body === 'tooLarge'
        ? problemResponse(413, 'bodyTooLarge', `a request body is at most ${MAX_BODY_BYTES} bytes`)
        : problemResponse(400, 'badRequest', 'the body did not arrive whole, or in time');
    res.setHeader('connection', 'close');
  } else {
    const closed = new AbortController();
    res.once('close', () => closed.abort());
    const request = new Request(requestUrl(req), {
      method,
      headers: requestHeaders(req.rawHeaders),
      signal: closed.signal,
      ...(body === undefined || body.byteLength === 0 ? {} : { body }),
    });
    try {
      response = await handler(request);
    } catch (error) {
      onError(error);
      response = problemResponse(500, 'internalError', 'the console failed to answer');
    }
  }
  await writeResponse(res, response, method === 'HEAD', closing);
}

async function writeResponse(
  res: ServerResponse,
  response: Response,
  head: boolean,
  closing: ConsoleClosing | undefined,
): Promise<void> {
  if (res.destroyed) {
    await response.body?.cancel().catch(() => {});
    return;
  }
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  res.writeHead(response.status, headers);
  const body = response.body;
  if (body === null || head) {
    await body?.cancel().catch(() => {});
    res.end();
    return;
  }
  res.socket?.setNoDelay(true);
  res.flushHeaders();
  const reader = body.getReader();
  const cancel = (): void => {
    reader.cancel().catch(() => {});
  };
  res.once('close', cancel);
  // A stream ended on the server side (a page too far behind) ends the connection at once, even
  // while a write waits for the socket to drain (which a page that does not read never does).
  reader.closed.catch(() => res.destroy());
  // Once the console closed, what is left to write is its end: a page that has not taken it
  // (written out to the socket) within the grace loses the connection.
  const giveUp = (): void => {
    const grace = setTimeout(() => {
      if (!res.writableFinished) res.destroy();
    }, CLOSE_GRACE_MS);
    (grace as { unref?: () => void }).unref?.();
    res.once('close', () => clearTimeout(grace));
  };
  let stopListening = (): void => {};
  if (closing?.closed === true) giveUp();
  else if (closing !== undefined) stopListening = closing.onClose(giveUp);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) return;
      if (!res.write(value)) await drained(res);
    }
    res.end();
  } catch {
    // The stream was ended on the server side (a page too far behind): drop the connection,
    // the page's EventSource reconnects.
    res.destroy();
  } finally {
    res.off('close', cancel);
    stopListening();
  }
}

function drained(res: ServerResponse): Promise<void> {
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

function readBody(req: IncomingMessage): Promise<Uint8Array | 'tooLarge' | 'late'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => settle('late'), BODY_TIMEOUT_MS);
    const settle = (result: Uint8Array | 'tooLarge' | 'late'): void => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (result !== 'late' && !(result instanceof Uint8Array)) req.pause();
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES) settle('tooLarge');
      else chunks.push(chunk);
    };
    const onEnd = (): void => settle(new Uint8Array(Buffer.concat(chunks, size)));
    const onError = (): void => settle('late');
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
