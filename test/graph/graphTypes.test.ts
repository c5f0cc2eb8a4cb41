// Keeps this library's wire types in step with Microsoft's published Graph types
// (@microsoft/microsoft-graph-types, a types-only dev dependency, so the published d.ts never
// references it): when Microsoft adds a call state or a change type, this
// file stops compiling and the test below fails, instead of a new value slipping through.
import type * as Graph from '@microsoft/microsoft-graph-types';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type {
  AnswerRequest,
  AppHostedMediaConfig,
  InvitationTarget,
  MediaConfig,
  PlaceCallRequest,
  RedirectRequest,
  RejectRequest,
  ServiceHostedMediaConfig,
  TransferRequest,
} from '../../src/graph/callRequests.js';
import {
  DTMF_TONES,
  type DtmfTone,
  type MediaPrompt,
  type OperationRequests,
  type RecordingStatus,
} from '../../src/graph/operationRequests.js';
import {
  type CallDirection,
  type CallIdentity,
  type CallIdentitySet,
  type CallParticipantInfo,
  type ChangeType,
  GRAPH_CALL_STATES,
  type GraphCallState,
  IDENTITY_KINDS,
  type IdentityKind,
  type ResultInfo,
} from '../../src/index.js';
import type {
  AnswerBody,
  PlaceCallBody,
  RedirectBody,
  RejectBody,
  TransferBody,
} from '../../src/testing/callRequestBodies.js';

describe('Graph types conformance', () => {
  it('agrees with Graph’s types at compile time (tsc checks these lines)', () => {
    // Every state Graph's types name is one of ours; ours adds `ringing`, seen only in beta
    // and 2018-era payloads.
    expectTypeOf<Exclude<Graph.CallState, GraphCallState>>().toEqualTypeOf<never>();
    expectTypeOf<ChangeType>().toEqualTypeOf<Graph.ChangeType>();
    // Our normalised resultInfo fits wherever Graph's is expected.
    expectTypeOf<ResultInfo>().toExtend<Graph.ResultInfo>();
    // Direction, caller and callee: our small types fit where Graph's are expected, and every
    // identity kind we read is one Graph's communicationsIdentitySet names.
    expectTypeOf<CallDirection>().toEqualTypeOf<Graph.CallDirection>();
    expectTypeOf<
      Exclude<IdentityKind, keyof Graph.CommunicationsIdentitySet>
    >().toEqualTypeOf<never>();
    expectTypeOf<CallIdentitySet>().toExtend<Graph.CommunicationsIdentitySet>();
    expectTypeOf<CallIdentity>().toExtend<Graph.CommunicationsUserIdentity>();
    expectTypeOf<CallIdentity>().toExtend<Graph.CommunicationsApplicationInstanceIdentity>();
    expectTypeOf<CallParticipantInfo>().toExtend<Graph.ParticipantInfo>();
  });

  it('sends call-control bodies that fit Graph’s types at compile time (tsc checks these lines)', () => {
    // Our request types are readonly throughout (values, kept in a call's state); Graph's
    // arrays are mutable, and `readonly T[]` does not fit `T[]`. `Writable` strips only that,
    // instead of Omit-ing whole fields, so every field, its type and optionality still count.
    // (A readonly property fits a mutable one; only arrays need it.) Every field fits.
    expectTypeOf<Writable<InvitationTarget>>().toExtend<Graph.InvitationParticipantInfo>();
    expectTypeOf<Writable<ServiceHostedMediaConfig>>().toExtend<Graph.ServiceHostedMediaConfig>();
    expectTypeOf<AppHostedMediaConfig>().toExtend<Graph.AppHostedMediaConfig>();
    expectTypeOf<Writable<MediaConfig>>().toExtend<
      Graph.ServiceHostedMediaConfig | Graph.AppHostedMediaConfig
    >();
    // `@odata.type` names the concrete type, as Graph's abstract mediaConfig requires.
    expectTypeOf<MediaConfig['@odata.type']>().toEqualTypeOf<
      '#microsoft.graph.serviceHostedMediaConfig' | '#microsoft.graph.appHostedMediaConfig'
    >();

    // Creating a call is a POST of Graph's `call` resource.
    expectTypeOf<Writable<PlaceCallRequest>>().toExtend<Graph.Call>();

    // Graph's types have no request bodies for actions (answer, reject, redirect, transfer):
    // these are the parameter tables of the v1.0 reference, each parameter typed with Graph's
    // own type for it.
    expectTypeOf<Writable<AnswerRequest>>().toExtend<GraphAnswerParameters>();
    expectTypeOf<RejectRequest>().toExtend<GraphRejectParameters>();
    expectTypeOf<Writable<RedirectRequest>>().toExtend<GraphRedirectParameters>();
    expectTypeOf<Writable<TransferRequest>>().toExtend<GraphTransferParameters>();
    // What the body's check in the fake Graph takes (its types are built from Graph's too).
    expectTypeOf<Writable<AnswerRequest>>().toExtend<AnswerBody>();
    expectTypeOf<RejectRequest>().toExtend<RejectBody>();
    expectTypeOf<Writable<RedirectRequest>>().toExtend<RedirectBody>();
    expectTypeOf<Writable<TransferRequest>>().toExtend<TransferBody>();
    expectTypeOf<Writable<PlaceCallRequest>>().toExtend<PlaceCallBody>();

    // The checks can fail: a readonly array is refused as long as it is not stripped, and a
    // modality Graph does not know would be refused.
    expectTypeOf<PlaceCallRequest>().not.toExtend<Graph.Call>();
    expectTypeOf<
      { acceptedModalities: 'smell'[] } & Omit<Writable<AnswerRequest>, 'acceptedModalities'>
    >().not.toExtend<GraphAnswerParameters>();
  });

  it('sends operation bodies that fit Graph’s types at compile time (tsc checks these lines)', () => {
    // The parts Graph's types do have: a prompt, a DTMF key, a recording status, an invitation.
    expectTypeOf<MediaPrompt>().toExtend<Graph.MediaPrompt>();
    expectTypeOf<MediaPrompt>().toExtend<Graph.Prompt>();
    expectTypeOf<DtmfTone>().toEqualTypeOf<Graph.Tone>();
    // Graph's adds `unknown` and `unknownFutureValue`, which a bot never reports.
    expectTypeOf<RecordingStatus>().toExtend<Graph.RecordingStatus>();
    expectTypeOf<
      Writable<OperationRequests['invite']['participants'][number]>
    >().toExtend<Graph.InvitationParticipantInfo>();
    // The clientContext each body carries is the one Graph's commsOperation echoes.
    expectTypeOf<
      OperationRequests[Exclude<keyof OperationRequests, 'removeParticipant'>]['clientContext']
    >().toExtend<NonNullable<Graph.CommsOperation['clientContext']>>();

    // Graph's types have no request bodies for actions: as for call control above, these are
    // the parameter tables of the v1.0 reference, each parameter typed with Graph's own type.
    expectTypeOf<Writable<OperationRequests['playPrompt']>>().toExtend<GraphPlayPromptParameters>();
    expectTypeOf<
      Writable<OperationRequests['recordResponse']>
    >().toExtend<GraphRecordResponseParameters>();
    expectTypeOf<OperationRequests['cancelMediaProcessing']>().toExtend<GraphClientContextOnly>();
    expectTypeOf<OperationRequests['subscribeToTone']>().toExtend<GraphClientContextOnly>();
    expectTypeOf<
      Writable<OperationRequests['sendDtmfTones']>
    >().toExtend<GraphSendDtmfTonesParameters>();
    expectTypeOf<OperationRequests['mute']>().toExtend<GraphClientContextOnly>();
    expectTypeOf<OperationRequests['unmute']>().toExtend<GraphClientContextOnly>();
    expectTypeOf<
      OperationRequests['updateRecordingStatus']
    >().toExtend<GraphUpdateRecordingStatusParameters>();
    expectTypeOf<Writable<OperationRequests['invite']>>().toExtend<GraphInviteParameters>();
    // `DELETE …/participants/{id}` has no body: the id is a participant's, a string in Graph's.
    expectTypeOf<OperationRequests['removeParticipant']['participantId']>().toExtend<
      NonNullable<Graph.Participant['id']>
    >();

    // The checks can fail: a key or a status Graph does not know is refused, and so is a
    // readonly array that is not stripped.
    expectTypeOf<
      { tones: ('tone1' | 'tone10')[] } & Omit<
        Writable<OperationRequests['sendDtmfTones']>,
        'tones'
      >
    >().not.toExtend<GraphSendDtmfTonesParameters>();
    expectTypeOf<'paused'>().not.toExtend<Graph.RecordingStatus>();
    expectTypeOf<OperationRequests['playPrompt']>().not.toExtend<GraphPlayPromptParameters>();
  });

  it('lists every DTMF key of @microsoft/microsoft-graph-types', () => {
    const fromGraphTypes: Record<Graph.Tone, true> = {
      tone0: true,
      tone1: true,
      tone2: true,
      tone3: true,
      tone4: true,
      tone5: true,
      tone6: true,
      tone7: true,
      tone8: true,
      tone9: true,
      star: true,
      pound: true,
      a: true,
      b: true,
      c: true,
      d: true,
      flash: true,
    };
    expect([...DTMF_TONES].sort()).toEqual(Object.keys(fromGraphTypes).sort());
  });

  it('reads the identity kinds the docs show for callers and callees, no others', () => {
    const identityKinds: Record<IdentityKind, true> = {
      user: true,
      application: true,
      applicationInstance: true,
      phone: true,
      guest: true,
      encrypted: true,
      onPremises: true,
    };
    expect([...IDENTITY_KINDS].sort()).toEqual(Object.keys(identityKinds).sort());
  });

  it('lists every call state of @microsoft/microsoft-graph-types, plus the beta-only ones', () => {
    const fromGraphTypes: Record<Graph.CallState, true> = {
      incoming: true,
      establishing: true,
      established: true,
      hold: true,
      transferring: true,
      transferAccepted: true,
      redirecting: true,
      terminating: true,
      terminated: true,
      unknownFutureValue: true,
    };
    for (const state of Object.keys(fromGraphTypes)) {
      expect(GRAPH_CALL_STATES).toContain(state);
    }
    expect(GRAPH_CALL_STATES.filter((s) => !(s in fromGraphTypes))).toEqual(['ringing']);
  });
});

/** `T` with every array (at any depth) mutable: the one way our request types differ from Graph's. */
type Writable<T> = T extends readonly (infer U)[]
  ? Writable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Writable<T[K]> }
    : T;

/** `POST /communications/calls/{id}/answer` (call-answer). */
interface GraphAnswerParameters {
  callbackUri: string;
  mediaConfig: Graph.ServiceHostedMediaConfig | Graph.AppHostedMediaConfig;
  acceptedModalities?: Graph.Modality[];
  participantCapacity?: number;
  callOptions?: Graph.IncomingCallOptions;
}

/** `POST /communications/calls/{id}/reject` (call-reject). */
interface GraphRejectParameters {
  reason?: Graph.RejectReason;
  callbackUri?: string;
}

/** `POST /communications/calls/{id}/redirect` (call-redirect). */
interface GraphRedirectParameters {
  targets: Graph.InvitationParticipantInfo[];
  timeout?: number;
  callbackUri?: string;
}

/** `POST /communications/calls/{id}/transfer` (call-transfer). */
interface GraphTransferParameters {
  transferTarget: Graph.InvitationParticipantInfo;
  transferee?: Graph.ParticipantInfo;
}

/**
 * `POST /communications/calls/{id}/playPrompt` (call-playprompt). v1.0 lists `prompts` and
 * `clientContext`; `loop` is beta's.
 */
interface GraphPlayPromptParameters {
  prompts: Graph.MediaPrompt[];
  loop?: boolean;
  clientContext?: string;
}

/** `POST /communications/calls/{id}/recordResponse` (call-record). */
interface GraphRecordResponseParameters {
  prompts?: Graph.MediaPrompt[];
  bargeInAllowed?: boolean;
  initialSilenceTimeoutInSeconds?: number;
  maxSilenceTimeoutInSeconds?: number;
  maxRecordDurationInSeconds?: number;
  playBeep?: boolean;
  stopTones?: string[];
  clientContext?: string;
}

/** `POST …/cancelMediaProcessing`, `…/subscribeToTone`, `…/mute`, `…/unmute`: a clientContext only. */
interface GraphClientContextOnly {
  clientContext?: string;
}

/** `POST /communications/calls/{id}/sendDtmfTones` (call-senddtmftones). */
interface GraphSendDtmfTonesParameters {
  tones: Graph.Tone[];
  delayBetweenTonesMs?: number;
  clientContext?: string;
}

/** `POST /communications/calls/{id}/updateRecordingStatus` (call-updaterecordingstatus). */
interface GraphUpdateRecordingStatusParameters {
  status: Graph.RecordingStatus;
  clientContext: string;
}

/** `POST /communications/calls/{id}/participants/invite` (participant-invite). */
interface GraphInviteParameters {
  participants: Graph.InvitationParticipantInfo[];
  clientContext?: string;
}
