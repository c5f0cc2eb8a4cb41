/**
 * The webhook's protocol logic works on this neutral exchange, not on a transport: the WHATWG
 * handler and the node:http adapter each adapt their own request to it. The node adapter
 * therefore never builds a fetch Request and streams for a POST it can read directly, which
 * is most of the cost of a webhook call.
 * @internal
 * @module
 */

/** How reading a body under a size limit ended. */
export type BodyRead =
  | { readonly kind: 'ok'; readonly bytes: Uint8Array }
  | { readonly kind: 'tooLarge'; readonly received: number }
  | { readonly kind: 'unreadable'; readonly reason: string };

/** One inbound request, as the webhook logic needs it. */
export interface WebhookExchange {
  readonly method: string;
  header(name: string): string | null;
  /** Whether something read the body before the webhook. */
  bodyConsumed(): boolean;
  /** Reads the body, stopping at the first chunk that crosses `limit`. */
  readBody(limit: number): Promise<BodyRead>;
  /** A fetch Request for `authenticate`, built only when one is configured. */
  request(): Request;
}

/** The webhook's answer, before any transport writes it. */
export interface WebhookAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The transport-free webhook: what the node adapter serves. */
export type WebhookCore = (exchange: WebhookExchange) => Promise<WebhookAnswer>;

/**
 * Where a handler made by `createWebhookHandler` keeps its core. Registered (`Symbol.for`), so
 * a handler from the package's CommonJS build still works with the ES module's `toNodeListener`.
 */
export const WEBHOOK_CORE: unique symbol = Symbol.for('graph-call-machine.webhookCore');

/** A WHATWG Response for an answer. */
export function toResponse(answer: WebhookAnswer): Response {
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}

/**
 * Where the library's own token validator keeps its check of an `Authorization` header, so the
 * webhook asks it with the header alone rather than build a fetch Request for every POST (a
 * cost larger than checking a cached token). Registered, like {@link WEBHOOK_CORE}.
 */
export const CHECK_AUTHORIZATION: unique symbol = Symbol.for(
  'graph-call-machine.checkAuthorization',
);

/** The shape of that check: it answers an `AuthResult`. */
export type AuthorizationCheck = (authorization: string | null) => Promise<unknown>;
