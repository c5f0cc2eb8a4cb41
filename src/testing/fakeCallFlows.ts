/**
 * The notifications the fake Graph sends for each flow of a call, as the Graph reference
 * shows them (graph-corpus sequences.md §1–6): answer, reject, redirect, transfer (completed
 * or failed, blind or consultative), hang-up and a remote hang-up. Each flow moves a call
 * through {@link Advance}, which the fake implements: one state change, one etag, one
 * notification through the faults.
 * @module
 */
import type { GraphCallState } from '../graph/callState.js';
import type { ChangeType } from '../graph/notification.js';
import { participantJson } from './callParties.js';
import type {
  CallModality,
  FakeRecordingStatus,
  OperationOutcome,
  ParticipantInfoSpec,
  TransferOutcome,
  TransferOutcomeSpec,
} from './fakeGraphTypes.js';
import type { MutableOperation } from './fakeOperations.js';
import type { Roster } from './fakeRoster.js';
import type { LegacyShape, NotifyResultInfo } from './notify.js';

/** A call as the fake keeps it; `FakeCall` is its public, read-only view. */
export interface MutableCall {
  id: string;
  direction: 'incoming' | 'outgoing';
  state: GraphCallState;
  states: GraphCallState[];
  etag: number;
  ended: boolean;
  resultInfo?: NotifyResultInfo;
  callbackUri?: string;
  source: ParticipantInfoSpec;
  targets: readonly ParticipantInfoSpec[];
  myParticipantId: string;
  requestedModalities: readonly CallModality[];
  mediaConfig?: unknown;
  /** How a transfer ends when none is scripted. */
  transfer: TransferOutcome;
  /** Outcomes of the next transfers, one each. */
  scriptedTransfers: TransferOutcome[];
  /** Who is in the call. */
  roster: Roster;
  /** Every operation asked for, in order. */
  operations: MutableOperation[];
  /** Outcomes of the next operations that report later, one each. */
  scriptedOperations: OperationOutcome[];
  toneSubscribed: boolean;
  /** The `sequenceId` of the last tone sent. */
  toneSequence: number;
  recordingStatus?: FakeRecordingStatus;
}

/** What a change carries besides its state. */
export interface ChangeDetails {
  readonly resultInfo?: NotifyResultInfo;
  readonly terminationReason?: string;
  readonly data?: Readonly<Record<string, unknown>>;
  /** `null`: the notification carries no state (a reject). */
  readonly wireState?: null;
  /** Shape details of this notification, over the fake's `legacy` option. */
  readonly legacy?: LegacyShape;
}

/** Moves a call to `state` and notifies it. */
export type Advance = (
  call: MutableCall,
  state: GraphCallState,
  changeType: ChangeType,
  details?: ChangeDetails,
) => void;

export const HANG_UP_RESULT: NotifyResultInfo = {
  code: 200,
  subcode: 5001,
  message: 'The conversation has ended.',
};
// From the call-end reasons Microsoft lists for call-delete: the peer left a P2P call.
export const REMOTE_HANG_UP_RESULT: NotifyResultInfo = {
  code: 200,
  subcode: 18503,
  message: 'The other participant in peer-to-peer call, left the conversation.',
};
const TRANSFER_DONE_RESULT: NotifyResultInfo = {
  code: 0,
  subcode: 7015,
  message: 'GracefulTransferCompleted',
};
const TRANSFER_FAILED_RESULT: NotifyResultInfo = {
  code: 500,
  subcode: 7000,
  message: 'The transfer failed.',
};
// The consultative examples of call-transfer fail with 7700 rather than 7000.
const CONSULTATIVE_TRANSFER_FAILED_RESULT: NotifyResultInfo = {
  code: 500,
  subcode: 7700,
  message: 'The consultative transfer failed.',
};

/** The call resource's own fields, as the `created incoming` and redirect notifications carry them. */
export function callResourceData(call: MutableCall): Record<string, unknown> {
  return {
    direction: call.direction,
    ...(call.callbackUri !== undefined && { callbackUri: call.callbackUri }),
    source: participantJson(call.source, 'participantInfo'),
    targets: call.targets.map((target) => participantJson(target, 'invitationParticipantInfo')),
    requestedModalities: [...call.requestedModalities],
    myParticipantId: call.myParticipantId,
    id: call.id,
  };
}

/** `created` with state `incoming` and the whole call: who calls whom. */
export function announceIncoming(advance: Advance, call: MutableCall): void {
  advance(call, 'incoming', 'created', { data: callResourceData(call) });
}

/** Answer: `establishing`, then `established`. */
export function answerCall(advance: Advance, call: MutableCall): void {
  advance(call, 'establishing', 'updated');
  advance(call, 'established', 'updated');
}

/** Reject: a bare `deleted`, no state, nothing but the call's type and id. */
export function rejectCall(advance: Advance, call: MutableCall): void {
  advance(call, 'terminated', 'deleted', { wireState: null });
}

/** Redirect: `deleted` `terminated`, repeating the whole call resource, myParticipantId included. */
export function redirectCall(advance: Advance, call: MutableCall): void {
  advance(call, 'terminated', 'deleted', { data: callResourceData(call) });
}

/** The bot's DELETE: `terminating`, then `deleted` `terminated` with 200/5001. */
export function hangUpCall(advance: Advance, call: MutableCall): void {
  advance(call, 'terminating', 'updated');
  advance(call, 'terminated', 'deleted', { resultInfo: HANG_UP_RESULT });
}

/** The other side leaves: `terminating`, then `deleted` `terminated` (200/18503 unless given). */
export function remoteHangUpCall(
  advance: Advance,
  call: MutableCall,
  resultInfo: NotifyResultInfo = REMOTE_HANG_UP_RESULT,
): void {
  advance(call, 'terminating', 'updated');
  advance(call, 'terminated', 'deleted', { resultInfo });
}

/** The outcome of the call's next transfer: the next scripted one, else the call's own. */
export function nextTransferOutcome(call: MutableCall): TransferOutcome {
  return call.scriptedTransfers.shift() ?? call.transfer;
}

/**
 * Transfer: `transferring`, `transferAccepted`, then the end `outcome` says. A consultative
 * transfer (the request replaced another call) completes with `AppTransferred` and fails
 * with 7700, as the docs' consultative examples do.
 */
export function transferCall(
  advance: Advance,
  call: MutableCall,
  outcome: TransferOutcome,
  consultativeRequest: boolean,
): void {
  const spec: TransferOutcomeSpec = typeof outcome === 'string' ? { result: outcome } : outcome;
  const consultative = spec.consultative ?? consultativeRequest;
  const { resultInfo } = spec;
  advance(call, 'transferring', 'updated');
  advance(call, 'transferAccepted', 'updated');
  if (spec.result === 'failed') {
    const failed =
      resultInfo ?? (consultative ? CONSULTATIVE_TRANSFER_FAILED_RESULT : TRANSFER_FAILED_RESULT);
    // The docs' failed transfers spell the key `subCode`.
    advance(call, 'established', 'updated', { resultInfo: failed, legacy: { subCodeKey: true } });
  } else if (consultative && resultInfo === undefined) {
    advance(call, 'terminated', 'deleted', { terminationReason: 'AppTransferred' });
  } else {
    advance(call, 'terminated', 'deleted', { resultInfo: resultInfo ?? TRANSFER_DONE_RESULT });
  }
}
