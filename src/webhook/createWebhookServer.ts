/**
 * A `node:http` server for the webhook with timeouts fit for an endpoint on the internet. Node's
 * defaults let a client hold a connection for 300 s by sending its request a byte at a time;
 * this server cuts off slow headers after 10 s, a slow body after 10 s ({@link toNodeListener}'s
 * `bodyTimeoutMs`) and any request after 30 s.
 *
 * @example
 * ```ts
 * import { createCallRegistry } from 'graph-call-machine';
 * import { createGraphTokenValidator, createWebhookHandler, createWebhookServer } from 'graph-call-machine/webhook';
 *
 * const registry = createCallRegistry({ graph: { getToken } });
 * const webhook = createWebhookHandler(registry, {
 *   authenticate: createGraphTokenValidator({ appId: process.env.BOT_APP_ID! }),
 * });
 * createWebhookServer(webhook).listen(3978);
 * ```
 * @module
 */
import { createServer, type Server } from 'node:http';
import type { WebhookHandler } from './createWebhookHandler.js';
import { type NodeListenerOptions, toNodeListener } from './toNodeListener.js';

/** Options of {@link createWebhookServer}: the listener's, and the server's timeouts. */
export interface WebhookServerOptions extends NodeListenerOptions {
  /**
   * How long a whole request (headers and body) may take to arrive, in milliseconds; node answers
   * a late one `408` and closes its connection. `0` turns it off. Default 30 000 (node's: 300 000).
   */
  readonly requestTimeoutMs?: number | undefined;
  /**
   * How long a request's headers may take to arrive, in milliseconds from the connection or the
   * previous request on it; node answers a late one `408` and closes its connection. At most
   * `requestTimeoutMs`; `0` turns it off. Default 10 000 (node's: 60 000).
   */
  readonly headersTimeoutMs?: number | undefined;
  /** How long an idle keep-alive connection stays open, in milliseconds. Default 5 000 (node's). */
  readonly keepAliveTimeoutMs?: number | undefined;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;
// Node checks the request and headers deadlines of its connections every this often (its own
// default is 30 s, which would let a 10 s deadline run to 40 s).
const MAX_CHECK_INTERVAL_MS = 1_000;

/**
 * Creates a `node:http` server (not listening yet) that serves the webhook through
 * {@link toNodeListener}, with `requestTimeout`, `headersTimeout` and `keepAliveTimeout` set for
 * an endpoint anyone can reach, and node's check of them run every second instead of every 30 s.
 * TLS is usually ended in front of the bot (Graph only posts to `https` URLs); to serve TLS
 * directly, pass {@link toNodeListener} to `https.createServer` with the same settings.
 *
 * @throws TypeError when a timeout is not a whole number of milliseconds ≥ 0, when
 * `headersTimeoutMs` is over `requestTimeoutMs`, or for what {@link toNodeListener} refuses.
 * @example
 * ```ts
 * const server = createWebhookServer(createWebhookHandler(registry, { authenticate }), {
 *   requestTimeoutMs: 20_000,
 *   bodyTimeoutMs: 5_000,
 *   onError: (error) => log.error(error),
 * });
 * server.listen(3978);
 * // On shutdown: stop taking requests, then let the registry finish.
 * server.close();
 * await registry.close();
 * ```
 */
export function createWebhookServer(
  handler: WebhookHandler,
  options: WebhookServerOptions = {},
): Server {
  const requestTimeout = timeout(options, 'requestTimeoutMs', DEFAULT_REQUEST_TIMEOUT_MS);
  const headersTimeout = timeout(options, 'headersTimeoutMs', DEFAULT_HEADERS_TIMEOUT_MS);
  const keepAliveTimeout = timeout(options, 'keepAliveTimeoutMs', DEFAULT_KEEP_ALIVE_TIMEOUT_MS);
  if (requestTimeout > 0 && headersTimeout > requestTimeout) {
    throw new TypeError(
      `createWebhookServer: headersTimeoutMs (${headersTimeout}) is over requestTimeoutMs (${requestTimeout}): the headers are part of the request`,
    );
  }
  const listener = toNodeListener(handler, options);
  const deadlines = [requestTimeout, headersTimeout].filter((ms) => ms > 0);
  const server = createServer(
    {
      requestTimeout,
      headersTimeout,
      connectionsCheckingInterval: Math.max(
        10,
        Math.min(MAX_CHECK_INTERVAL_MS, ...deadlines.map((ms) => Math.floor(ms / 2))),
      ),
    },
    listener,
  );
  server.keepAliveTimeout = keepAliveTimeout;
  return server;
}

function timeout(
  options: WebhookServerOptions,
  name: 'requestTimeoutMs' | 'headersTimeoutMs' | 'keepAliveTimeoutMs',
  fallback: number,
): number {
  const ms = options[name] ?? fallback;
  if (!(Number.isSafeInteger(ms) && ms >= 0)) {
    throw new TypeError(
      `createWebhookServer: ${name} is ${String(ms)}, expected a whole number of milliseconds ≥ 0`,
    );
  }
  return ms;
}
