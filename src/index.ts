// graph-call-machine: the pure machine, the notification parser and the registry, grouped by
// concern. Nothing here loads jose or a node: module; the rest has entry points of its own:
//
//   import { createCallRegistry } from 'graph-call-machine';
//   import { createWebhookHandler, toNodeListener } from 'graph-call-machine/webhook';
//   import { toMermaid } from 'graph-call-machine/diagram';
//   import { createFakeGraph, notify } from 'graph-call-machine/testing';
//   import { createRedisCallStore } from 'graph-call-machine/redis';

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
  isKnownCallState,
  normalizeCallState,
  phaseOf,
  setupRank,
} from './graph/callState.js';
export type {
  AnswerRequest,
  AppHostedMediaConfig,
  CallControlRequests,
  CallControlVerb,
  InvitationTarget,
  MediaConfig,
  MediaInfo,
  Modality,
  PlaceCallRequest,
  RedirectRequest,
  RejectReason,
  RejectRequest,
  ServiceHostedMediaConfig,
  TransferRequest,
} from './graph/callRequests.js';
export type { Etag, NumericEtag, OpaqueEtag } from './graph/etag.js';
export { compareEtags, parseEtag, sameEtag } from './graph/etag.js';
export type {
  CallDirection,
  CallNotification,
  ChangeType,
  ParsedNotifications,
  RawNotification,
  RejectedNotification,
  RejectionCode,
  ResultInfo,
  ToneInfo,
} from './graph/notification.js';
export type {
  GraphOperationStatus,
  OperationReport,
} from './graph/operationReport.js';
export { operationIdKey, readOperationReport } from './graph/operationReport.js';
export type {
  DtmfTone,
  MediaPrompt,
  OperationKind,
  OperationRequest,
  OperationRequests,
  RecordingStatus,
  RecordResponseOptions,
} from './graph/operationRequests.js';
export { DTMF_TONES, OPERATION_KINDS } from './graph/operationRequests.js';
export type {
  Participant,
  ParticipantMediaStream,
  RosterEntry,
  RosterReport,
} from './graph/participant.js';
export { readRoster } from './graph/participant.js';
export { callIdProblem, isValidCallId, MAX_CALL_ID_LENGTH } from './graph/callId.js';
export { parseNotifications } from './graph/parseNotifications.js';
export type {
  CallIdentity,
  CallIdentitySet,
  CallParticipantInfo,
  IdentityKind,
} from './graph/participantInfo.js';
export { IDENTITY_KINDS, readIdentitySet, readParticipantInfo } from './graph/participantInfo.js';
export { parseRetryAfter } from './graph/retryAfter.js';
export type {
  CallResourceKind,
  CallResourcePath,
  ResourcePathError,
  ResourcePathResult,
} from './graph/resourcePath.js';
export { parseResourcePath } from './graph/resourcePath.js';

// The statechart (src/machine): pure, xstate v5.
export { callMachine } from './machine/callMachine.js';
export {
  commandStatusOf,
  dueAtOf,
  isHangUpPending,
  operationOf,
  participantsOf,
  verdictOfStep,
} from './machine/callQueries.js';
export { getCallView } from './machine/callView.js';
export type { ReconcileView } from './machine/classifyNotification.js';
export { classifyNotification } from './machine/classifyNotification.js';
export type { PersistedCallSnapshot } from './machine/persistCallSnapshot.js';
export { persistCallSnapshot } from './machine/persistCallSnapshot.js';
export type { CallSnapshot, CallStep } from './machine/stepCall.js';
export { restoreCall, startCall, stepCall } from './machine/stepCall.js';
export type {
  CallContext,
  CallDeadline,
  CallEmitted,
  CallEvent,
  CallInput,
  CallOptions,
  CallOutcome,
  CallOperation,
  CallOutcomeReason,
  CallStateChange,
  CallView,
  CommandEmitted,
  CommandFailedType,
  CommandProgress,
  CommandSucceededType,
  GraphError,
  HangUpProgress,
  NotificationVerdict,
  OperationFailure,
  OperationProgress,
  OperationStatus,
  ResolvedCallOptions,
  RosterState,
  ToneLog,
} from './machine/types.js';

// The runtime (src/runtime): one registry over one store contract, the Graph client, the clock.
export { CALL_RECORD_SCHEMA_VERSION } from './runtime/callRecords.js';
export type { CallRecord, CallStore, CommitResult, DueChange } from './runtime/callStore.js';
export type { Clock, TimerHandle } from './runtime/clock.js';
export { systemClock } from './runtime/clock.js';
export type { PromptSpec } from './runtime/checkOperations.js';
export type { CallRegistryOptions } from './runtime/createCallRegistry.js';
export type { RegistryTelemetryOptions } from './runtime/telemetryTypes.js';
export type {
  FlightPosition,
  FlightRecord,
  FlightRecorder,
  FlightRecorderOptions,
} from './runtime/flightRecord.js';
export { FLIGHT_RECORD_VERSION } from './runtime/flightRecord.js';
export type { ReplayDifference, ReplayedCall, ReplayOptions } from './runtime/replayRecords.js';
export { replayRecords } from './runtime/replayRecords.js';
export { createCallRegistry } from './runtime/createCallRegistry.js';
export type { IngestFailure, RestoreFailure } from './runtime/errors.js';
export {
  CallError,
  CallVanishedError,
  CapacityError,
  CommandFailedError,
  CommandRejectedError,
  HangUpFailedError,
  IngestIncompleteError,
  InvalidCallIdError,
  OperationFailedError,
  OperationRejectedError,
  RegistryClosedError,
  RestoreError,
  StoreConflictError,
  UnknownCallError,
  WaitTimeoutError,
} from './runtime/errors.js';
export type { GraphClientOptions, GraphFetch } from './runtime/graphClient.js';
export { createGraphClient } from './runtime/graphClient.js';
export type { CallInspector } from './machine/inspectionFeed.js';
export type { MemoryCallStoreOptions } from './runtime/memoryCallStore.js';
export { MemoryCallStore } from './runtime/memoryCallStore.js';
export type {
  CallPredicate,
  CallRegistry,
  GetCallResult,
  GraphClient,
  GraphResult,
  IngestReport,
  OperationResult,
  PlaceCallResult,
  PlacedCall,
  RegistryEvent,
  RegistryEventType,
} from './runtime/types.js';
