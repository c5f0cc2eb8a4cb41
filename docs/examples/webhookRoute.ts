// webhookRoute.ts: the webhook in a framework that hands routes node's (req, res), as Express,
// Fastify's raw routes and Koa do. Express itself is not needed here: only its shape.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallRegistry } from 'graph-call-machine';
import { type AuthResult, createWebhookHandler, toNodeListener } from 'graph-call-machine/webhook';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** What this needs of an Express app or router. */
export interface RouterLike {
  post(path: string, ...handlers: Listener[]): unknown;
}

/**
 * Mounts the webhook as a raw handler. Mount it before any body parser: `express.json()`
 * would read the body first, and the handler answers 500 saying so.
 */
export function mountWebhook(
  app: RouterLike,
  registry: CallRegistry,
  authenticate: (req: Request) => Promise<AuthResult>,
): void {
  app.post('/api/calls', toNodeListener(createWebhookHandler(registry, { authenticate })));
}

/**
 * When a body parser has to run first (say `express.raw({ type: 'application/json' })`, which leaves the
 * bytes in `req.body`), build the WHATWG request from those bytes instead.
 */
export function rawBodyWebhook(
  registry: CallRegistry,
  authenticate: (req: Request) => Promise<AuthResult>,
): (req: IncomingMessage & { body?: unknown }, res: ServerResponse) => Promise<void> {
  const webhook = createWebhookHandler(registry, { authenticate });
  return async (req, res) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      for (const one of Array.isArray(value) ? value : [value]) {
        if (one !== undefined) headers.append(name, one);
      }
    }
    const body = Buffer.isBuffer(req.body) ? req.body : undefined;
    const response = await webhook(
      new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, {
        method: req.method ?? 'POST',
        headers,
        ...(body !== undefined && { body }),
      }),
    );
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  };
}
