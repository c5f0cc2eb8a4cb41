/**
 * Serves a WHATWG `(Request) => Promise<Response>` handler over `node:http` on 127.0.0.1, so a
 * bot that calls Graph with its own HTTP stack can be pointed at the fake.
 * @module
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running loopback server. */
export interface LoopbackServer {
  /** `http://127.0.0.1:{port}` */
  readonly origin: string;
  readonly port: number;
  /** Stops listening and drops open connections (keep-alive ones included), so tests end promptly. */
  close(): Promise<void>;
}

export async function serveOnLoopback(
  handle: (request: Request) => Promise<Response>,
  port: number,
): Promise<LoopbackServer> {
  let origin = '';
  const server = createServer((req, res) => {
    void answer(handle, req, res, origin);
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const bound = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${bound}`;
  let closing: Promise<void> | undefined;
  return {
    origin,
    port: bound,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function answer(
  handle: (request: Request) => Promise<Response>,
  req: IncomingMessage,
  res: ServerResponse,
  origin: string,
): Promise<void> {
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      headers.append(req.rawHeaders[i] ?? '', req.rawHeaders[i + 1] ?? '');
    }
    const method = req.method ?? 'GET';
    const hasBody = chunks.length > 0 && method !== 'GET' && method !== 'HEAD';
    const request = new Request(new URL(req.url ?? '/', origin), {
      method,
      headers,
      ...(hasBody && { body: Buffer.concat(chunks) }),
    });
    const response = await handle(request);
    const body = Buffer.from(await response.arrayBuffer());
    res.statusCode = response.status;
    response.headers.forEach((value, name) => {
      res.setHeader(name, value);
    });
    res.end(body.length > 0 ? body : undefined);
  } catch (reason) {
    // The fake's handler answers every request itself; reaching here is a bug in it, and the
    // 500 says so rather than leaving the client waiting.
    if (!res.headersSent) res.statusCode = 500;
    res.end(`fake Graph failed: ${reason instanceof Error ? reason.message : String(reason)}`);
  }
}
