// graph-call-machine: the public surface, grouped by concern.

// The wire format (src/graph): states, phases, etags, resource paths, notifications.
export type {
  CallPhase,
  GraphCallState,
  KnownCallState,
  NormalizedCallState,
} from './graph/callState.js';
export {
  CALL_PHASES,
  comparePhases,
  GRAPH_CALL_STATES,
  isGraphCallState,
  normalizeCallState,
  phaseOf,
  setupRank,
} from './graph/callState.js';
export type { Etag, NumericEtag, OpaqueEtag } from './graph/etag.js';
export { compareEtags, parseEtag, sameEtag } from './graph/etag.js';
export type {
  CallNotification,
  ChangeType,
  ParsedNotifications,
  RawNotification,
  RejectedNotification,
  RejectionCode,
  ResultInfo,
} from './graph/notification.js';
export { parseNotifications } from './graph/parseNotifications.js';
export type {
  CallResourceKind,
  CallResourcePath,
  ResourcePathError,
  ResourcePathResult,
} from './graph/resourcePath.js';
export { parseResourcePath } from './graph/resourcePath.js';

// The statechart (src/machine): pure, xstate v5.
export { callMachine } from './machine/callMachine.js';
export { getCallView } from './machine/callView.js';
export type { ReconcileView } from './machine/classifyNotification.js';
export { classifyNotification } from './machine/classifyNotification.js';
export type { PersistedCallSnapshot } from './machine/persistCallSnapshot.js';
export { persistCallSnapshot } from './machine/persistCallSnapshot.js';
export type { CallSnapshot, CallStep } from './machine/stepCall.js';
export { startCall, stepCall } from './machine/stepCall.js';
export type {
  CallContext,
  CallDeadline,
  CallEmitted,
  CallEvent,
  CallInput,
  CallOptions,
  CallOutcome,
  CallOutcomeReason,
  CallStateChange,
  CallView,
  GraphError,
  HangUpProgress,
  NotificationVerdict,
  ResolvedCallOptions,
} from './machine/types.js';

// The runtime (src/runtime): Graph client, registry, stores, clock.
export { CALL_RECORD_SCHEMA_VERSION } from './runtime/callRecords.js';
export type { Clock, TimerHandle } from './runtime/clock.js';
export { systemClock } from './runtime/clock.js';
export type { CallRegistryOptions } from './runtime/createCallRegistry.js';
export { createCallRegistry } from './runtime/createCallRegistry.js';
export type {
  SharedCallRegistry,
  SharedCallRegistryOptions,
} from './runtime/createSharedCallRegistry.js';
export { createSharedCallRegistry } from './runtime/createSharedCallRegistry.js';
export type { RestoreFailure } from './runtime/errors.js';
export {
  CallError,
  HangUpFailedError,
  RegistryClosedError,
  RestoreError,
  StoreConflictError,
  UnknownCallError,
  WaitTimeoutError,
} from './runtime/errors.js';
export type { GraphClientOptions, GraphFetch } from './runtime/graphClient.js';
export { createGraphClient } from './runtime/graphClient.js';
export { MemoryCallStore } from './runtime/memoryCallStore.js';
export { parseRetryAfter } from './runtime/retryAfter.js';
export type { CommitResult, DueChange, SharedCallStore } from './runtime/sharedCallStore.js';
export { isSharedCallStore } from './runtime/sharedCallStore.js';
export type { IngestFailure } from './runtime/sharedErrors.js';
export { IngestIncompleteError, SharedStoreConflictError } from './runtime/sharedErrors.js';
export type {
  CallPredicate,
  CallRecord,
  CallRegistry,
  CallStore,
  GetCallResult,
  GraphClient,
  GraphResult,
  IngestReport,
  RegistryEvent,
  RegistryEventType,
} from './runtime/types.js';

// The webhook (src/webhook): WHATWG handler, node:http adapter, inbound token validation.
export type {
  GraphTokenValidatorOptions,
  JwksSource,
} from './webhook/createGraphTokenValidator.js';
export {
  BOT_FRAMEWORK_JWKS_URL,
  createGraphTokenValidator,
  DEFAULT_GRAPH_ISSUERS,
  DEFAULT_GRAPH_JWKS,
  GRAPH_CALLING_OPENID_CONFIGURATION_URL,
} from './webhook/createGraphTokenValidator.js';
export type {
  AuthResult,
  WebhookAcceptedBody,
  WebhookOptions,
} from './webhook/createWebhookHandler.js';
export { createWebhookHandler } from './webhook/createWebhookHandler.js';
export type { ProblemCode } from './webhook/problem.js';
export type { FetchHandler, NodeListenerOptions } from './webhook/toNodeListener.js';
export { toNodeListener } from './webhook/toNodeListener.js';

// Diagrams and the generated lifecycle document (src/diagram).
export type { LifecycleDocOptions } from './diagram/renderLifecycleDoc.js';
export { renderLifecycleDoc } from './diagram/renderLifecycleDoc.js';
export type { DotOptions } from './diagram/toDot.js';
export { toDot } from './diagram/toDot.js';
export type { MermaidOptions } from './diagram/toMermaid.js';
export { toMermaid } from './diagram/toMermaid.js';
