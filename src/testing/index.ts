// graph-call-machine/testing: helpers for tests of the library and of the bots that embed it.

export type { CallNotificationOptions } from './callNotification.js';
export { callNotification } from './callNotification.js';
export { callTestEvents, TEST_CALL_ID, TEST_EVENT_AT } from './callTestEvents.js';
export { createFakeGraph } from './createFakeGraph.js';
export type { ManualClock } from './createManualClock.js';
export { createManualClock } from './createManualClock.js';
export type {
  CallModality,
  FakeCall,
  FakeGraph,
  FakeGraphDeliver,
  FakeGraphFaults,
  FakeGraphMethod,
  FakeGraphOptions,
  FakeGraphServer,
  FakeMediaStream,
  FakeOperation,
  FakeOperationKind,
  FakeParticipant,
  FakeParticipantSpec,
  FakeRecordingStatus,
  IdentitySetSpec,
  IdentitySpec,
  IncomingCallOptions,
  NotificationTarget,
  OperationOutcome,
  OperationOutcomeSpec,
  ParticipantChanges,
  ParticipantInfoSpec,
  PlaceCallOptions,
  RecordedDelivery,
  RecordedRequest,
  SetStateOptions,
  TransferOutcome,
  TransferOutcomeSpec,
} from './fakeGraphTypes.js';
export type { CallPath, CallPathOptions, CallPathStep } from './getCallPaths.js';
export {
  allStateChangingTransitions,
  callTestInputs,
  getCallPaths,
  transitionKey,
  transitionsTaken,
} from './getCallPaths.js';
export type {
  CommsNotification,
  CommsNotifications,
  DeletedOptions,
  DtmfTone,
  GraphResourceData,
  LegacyShape,
  NotifyOptions,
  NotifyResultInfo,
  NotifyState,
  OperationOptions,
  OperationStatus,
  ParticipantSpec,
  ParticipantsOptions,
  ToneOptions,
} from './notify.js';
export { notify } from './notify.js';
