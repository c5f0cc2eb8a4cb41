// graph-call-machine/webhook: the endpoint Graph posts to, its node adapter, its token check.

export type {
  GraphTokenValidatorOptions,
  JwksSource,
} from './createGraphTokenValidator.js';
export {
  BOT_FRAMEWORK_JWKS_URL,
  createGraphTokenValidator,
  DEFAULT_GRAPH_ISSUERS,
  DEFAULT_GRAPH_JWKS,
  GRAPH_CALLING_OPENID_CONFIGURATION_URL,
} from './createGraphTokenValidator.js';
export type {
  AuthResult,
  WebhookAcceptedBody,
  WebhookHandler,
  WebhookOptions,
} from './createWebhookHandler.js';
export { createWebhookHandler } from './createWebhookHandler.js';
export type { WebhookServerOptions } from './createWebhookServer.js';
export { createWebhookServer } from './createWebhookServer.js';
export type { ProblemCode } from './problem.js';
export type { NodeListenerOptions } from './toNodeListener.js';
export { toNodeListener } from './toNodeListener.js';
