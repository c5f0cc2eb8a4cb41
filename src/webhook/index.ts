// graph-call-machine/webhook: the endpoint Graph posts to, its node adapter, its token check.

export type {
  GraphTokenValidatorOptions,
  JsonWebKeySet,
  JwksKeyResolver,
  JwksSource,
  JwsKeyLookupHeader,
  JwsKeyLookupToken,
  KeyErrorInfo,
  KeyFetch,
  KeyRecoveryInfo,
} from './createGraphTokenValidator.js';
export {
  BOT_FRAMEWORK_JWKS_URL,
  createGraphTokenValidator,
  DEFAULT_GRAPH_ISSUERS,
  DEFAULT_GRAPH_JWKS,
  DEFAULT_GRAPH_JWKS_BY_ISSUER,
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
