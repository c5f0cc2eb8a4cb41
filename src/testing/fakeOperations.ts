/**
 * The media and participant operations of a fake call, answered and reported as the Graph
 * reference shows them (graph-corpus sequences.md §7–9): `200` with a `commsOperation`, then,
 * for those Graph answers `running` (playPrompt, recordResponse, sendDtmfTones, invite), one
 * `deleted` notification on `…/calls/{id}/operations/{opId}` with the final status. The others
 * are `completed` in their answer; mute and unmute are followed by the roster, an invite's
 * completion by the roster with the invited participants.
 *
 * How each reporting operation ends is its {@link OperationOutcome}: scripted per call, else
 * drawn from the seeded faults, else `completes`. Once the call is over, Graph says nothing
 * more about its operations, except those scripted to complete after the end.
 * @module
 */
import type { Clock, TimerHandle } from '../runtime/clock.js';
import { participantJson } from './callParties.js';
import type { Checked, InvitationBody } from './callRequestBodies.js';
import type { MutableCall } from './fakeCallFlows.js';
import type { Answer } from './fakeGraphHttp.js';
import { isRecord } from './fakeGraphHttp.js';
import type {
  FakeOperation,
  FakeOperationKind,
  IdentitySetSpec,
  OperationOutcome,
  OperationOutcomeSpec,
  ParticipantInfoSpec,
} from './fakeGraphTypes.js';
import {
  type CommsNotification,
  type DtmfTone,
  type LegacyShape,
  type NotifyResultInfo,
  type OperationStatus,
  operation,
  tone as toneNotification,
} from './notify.js';
import {
  checkClientContextOnly,
  checkInvite,
  checkPlayPrompt,
  checkRecordResponse,
  checkSendDtmfTones,
  checkUpdateRecordingStatus,
  type InviteBody,
  type OperationBody,
  type PlayPromptBody,
  type RecordResponseBody,
  type SendDtmfTonesBody,
  type UpdateRecordingStatusBody,
} from './operationRequestBodies.js';
import type { SeededRandom } from './random.js';
import type { OperationFaults } from './resolveFaults.js';

/** An operation as the fake keeps it; {@link FakeOperation} is its public view. */
export interface MutableOperation extends FakeOperation {
  status: OperationStatus;
  outcome?: OperationOutcome;
  /** The completion armed for later (an outcome with `afterMs`). */
  timer?: { readonly handle: TimerHandle };
  /** Who an invite invites. */
  invited?: readonly InvitationBody[];
}

/** A checked operation request: its kind and its body. */
export type OperationRequest =
  | { readonly kind: 'playPrompt'; readonly body: PlayPromptBody }
  | { readonly kind: 'recordResponse'; readonly body: RecordResponseBody }
  | { readonly kind: 'sendDtmfTones'; readonly body: SendDtmfTonesBody }
  | { readonly kind: 'updateRecordingStatus'; readonly body: UpdateRecordingStatusBody }
  | { readonly kind: 'invite'; readonly body: InviteBody }
  | {
      readonly kind: 'cancelMediaProcessing' | 'subscribeToTone' | 'mute' | 'unmute';
      readonly body: OperationBody;
    };

/** What the operations need of the fake around them. */
export interface OperationHost {
  readonly clock: Clock;
  /** Put an `@odata.etag` on operation notifications, as the docs' examples have. */
  readonly etags: boolean;
  readonly legacy: LegacyShape | undefined;
  enqueue(item: CommsNotification): void;
  newOperationId(): string;
  /** How an operation nothing scripted ends: drawn from the seeded faults. */
  drawOutcome(): OperationOutcome;
}

/** What a report carries besides its status. */
interface Report {
  /** `null`: none, as the docs' sendDtmfTones and invite completions show. */
  readonly resultInfo: NotifyResultInfo | null;
  readonly data?: Readonly<Record<string, unknown>>;
}

interface KindSpec {
  /** The `@odata.type` of the operation. */
  readonly type: string;
  /** Answered `running` and reported later; otherwise `completed` in the answer. */
  readonly reports: boolean;
  /** The docs' playPrompt and record notifications spell the id in the path without dashes, in capitals. */
  readonly compactPath?: boolean;
  /** More fields of the `running` answer. */
  readonly answer?: (op: MutableOperation) => Readonly<Record<string, unknown>>;
  readonly completed?: (op: MutableOperation) => Report;
  /** More fields of a failed (or cancelled) report. */
  readonly failed?: Readonly<Record<string, unknown>>;
}

const COMPLETED: NotifyResultInfo = {
  code: 200,
  subcode: 0,
  message: 'Action completed successfully.',
};
const MAX_RECORD_DURATION: NotifyResultInfo = {
  code: 200,
  subcode: 8515,
  message: 'Action completed, max record duration reached.',
};
const CANCELLED: NotifyResultInfo = {
  code: 400,
  subcode: 8508,
  message: 'Action failed, the operation was cancelled.',
};
const FAILED: NotifyResultInfo = {
  code: 500,
  subcode: 9999,
  message: 'Action failed, an unknown error occurred.',
};

const invitedJson = (op: MutableOperation): Record<string, unknown>[] =>
  (op.invited ?? []).map((p) =>
    participantJson(p as unknown as ParticipantInfoSpec, 'invitationParticipantInfo'),
  );

const KINDS: Readonly<Record<FakeOperationKind, KindSpec>> = {
  playPrompt: {
    type: '#microsoft.graph.playPromptOperation',
    reports: true,
    compactPath: true,
    completed: () => ({ resultInfo: COMPLETED }),
  },
  recordResponse: {
    type: '#microsoft.graph.recordOperation',
    reports: true,
    compactPath: true,
    answer: () => ({ recordingLocation: null }),
    completed: (op) => ({
      resultInfo: MAX_RECORD_DURATION,
      data: {
        recordingLocation: `https://recordings.fake-graph.invalid/${op.id}.wav`,
        recordingAccessToken: `fake-recording-access-token-${op.id}`,
        completionReason: 'maxRecordDurationReached',
      },
    }),
    failed: { recordingLocation: '', recordingAccessToken: '' },
  },
  sendDtmfTones: {
    type: '#microsoft.graph.sendDtmfTonesOperation',
    reports: true,
    completed: () => ({ resultInfo: null, data: { completionReason: 'completedSuccessfully' } }),
  },
  invite: {
    type: '#microsoft.graph.inviteParticipantsOperation',
    reports: true,
    answer: (op) => ({ participants: invitedJson(op) }),
    completed: (op) => ({ resultInfo: null, data: { participants: invitedJson(op) } }),
  },
  cancelMediaProcessing: {
    type: '#microsoft.graph.cancelMediaProcessingOperation',
    reports: false,
  },
  subscribeToTone: { type: '#microsoft.graph.subscribeToToneOperation', reports: false },
  mute: { type: '#microsoft.graph.muteParticipantOperation', reports: false },
  unmute: { type: '#microsoft.graph.unmuteParticipantOperation', reports: false },
  updateRecordingStatus: {
    type: '#microsoft.graph.updateRecordingStatusOperation',
    reports: false,
  },
};

/** Every operation the fake answers. */
export const FAKE_OPERATION_KINDS = Object.keys(KINDS) as readonly FakeOperationKind[];

/** The operations `cancelMediaProcessing` cancels (call-cancelmediaprocessing). */
const MEDIA: ReadonlySet<FakeOperationKind> = new Set(['playPrompt', 'recordResponse']);

/** The path after the call id, lower-cased, of each operation. */
const ACTIONS: ReadonlyMap<string, FakeOperationKind> = new Map(
  FAKE_OPERATION_KINDS.map((kind) => [
    kind === 'invite' ? 'participants/invite' : kind.toLowerCase(),
    kind,
  ]),
);

/** Operations whose every parameter is optional: they may come without a body. */
const BODYLESS: ReadonlySet<FakeOperationKind> = new Set([
  'cancelMediaProcessing',
  'subscribeToTone',
  'mute',
  'unmute',
]);

const OUTCOMES = ['completes', 'fails', 'neverCompletes', 'completesAfterEnd'] as const;

/**
 * The operation a path after the call id names (`playPrompt`, `participants/invite`, also
 * namespace-qualified as the sendDtmfTones docs write it: `microsoft.graph.sendDtmfTones`).
 */
export function operationKindOf(action: string): FakeOperationKind | undefined {
  return ACTIONS.get(action.toLowerCase().replace(/^microsoft\.graph\./, ''));
}

/** Whether the operation may come without a body (all its parameters are optional). */
export function mayOmitBody(kind: FakeOperationKind): boolean {
  return BODYLESS.has(kind);
}

/** Checks an operation's body as Graph does. */
export function checkOperation(kind: FakeOperationKind, body: unknown): Checked<OperationRequest> {
  const as = <B>(
    checked: Checked<B>,
    wrap: (b: B) => OperationRequest,
  ): Checked<OperationRequest> => (checked.ok ? { ok: true, body: wrap(checked.body) } : checked);
  switch (kind) {
    case 'playPrompt':
      return as(checkPlayPrompt(body), (b) => ({ kind, body: b }));
    case 'recordResponse':
      return as(checkRecordResponse(body), (b) => ({ kind, body: b }));
    case 'sendDtmfTones':
      return as(checkSendDtmfTones(body), (b) => ({ kind, body: b }));
    case 'updateRecordingStatus':
      return as(checkUpdateRecordingStatus(body), (b) => ({ kind, body: b }));
    case 'invite':
      return as(checkInvite(body), (b) => ({ kind, body: b }));
    default:
      return as(checkClientContextOnly(kind, body), (b) => ({ kind, body: b }));
  }
}

/** Checks an outcome a test gave; throws a `TypeError` naming the ones that exist. */
export function checkOperationOutcome(outcome: unknown, where: string): OperationOutcome {
  if ((OUTCOMES as readonly unknown[]).includes(outcome)) return outcome as OperationOutcome;
  const afterMs = isRecord(outcome) ? outcome.afterMs : undefined;
  if (
    isRecord(outcome) &&
    (outcome.result === 'completes' || outcome.result === 'fails') &&
    (afterMs === undefined ||
      (typeof afterMs === 'number' && Number.isFinite(afterMs) && afterMs >= 0))
  ) {
    return outcome as unknown as OperationOutcomeSpec;
  }
  throw new TypeError(
    `fake Graph: ${where} must be ${OUTCOMES.map((o) => `'${o}'`).join(', ')} or { result: 'completes' | 'fails', afterMs? (ms >= 0), resultInfo?, completionReason? }, got ${JSON.stringify(outcome)}.`,
  );
}

/** How an operation nothing scripted ends: one draw, shared out by the seeded faults. */
export function drawOperationOutcome(
  faults: OperationFaults,
  random: SeededRandom,
): OperationOutcome {
  const { fail, neverComplete, completeAfterEnd } = faults;
  // No draw when no fault is asked for, so the stream stays where it was.
  if (fail + neverComplete + completeAfterEnd === 0) return 'completes';
  const draw = random.next();
  if (draw < fail) return 'fails';
  if (draw < fail + neverComplete) return 'neverCompletes';
  if (draw < fail + neverComplete + completeAfterEnd) return 'completesAfterEnd';
  return 'completes';
}

/** The operations of every call of one fake. */
export class FakeOperations {
  private readonly armed = new Set<MutableOperation>();
  private etag = 0;

  constructor(private readonly host: OperationHost) {}

  /**
   * Performs a checked request on a call that may take it (established, or on hold), and
   * answers it: `200` with the operation, and a `Location` under `operations` (the operations
   * path of the call, as requested).
   */
  start(call: MutableCall, request: OperationRequest, operations: string): Answer {
    const spec = KINDS[request.kind];
    const { clientContext } = request.body;
    const op: MutableOperation = {
      id: this.host.newOperationId(),
      kind: request.kind,
      status: spec.reports ? 'running' : 'completed',
      ...(clientContext !== undefined && { clientContext }),
    };
    call.operations.push(op);
    switch (request.kind) {
      case 'subscribeToTone':
        call.toneSubscribed = true;
        break;
      case 'updateRecordingStatus':
        call.recordingStatus = request.body.status;
        break;
      case 'mute':
      case 'unmute':
        call.roster.update(call.myParticipantId, { isMuted: request.kind === 'mute' });
        this.host.enqueue(call.roster.notification(this.host.legacy));
        break;
      case 'cancelMediaProcessing':
        for (const running of call.operations) {
          if (running.status === 'running' && MEDIA.has(running.kind)) {
            this.finish(call, running, 'cancelled');
          }
        }
        break;
      default:
        if (request.kind === 'invite') op.invited = request.body.participants;
        op.outcome = call.scriptedOperations.shift() ?? this.host.drawOutcome();
        this.schedule(call, op);
    }
    const body = {
      '@odata.type': spec.type,
      id: op.id,
      status: spec.reports ? 'running' : 'completed',
      ...(clientContext !== undefined && { clientContext }),
      resultInfo: null,
      ...spec.answer?.(op),
    };
    return {
      status: 200,
      body,
      headers: { location: `${operations}/${op.id}` },
      operationId: op.id,
    };
  }

  /** The call ended: what was still running is reported no more, but for `completesAfterEnd`. */
  callEnded(call: MutableCall): void {
    for (const op of call.operations) {
      if (op.status !== 'running') continue;
      this.disarm(op);
      if (op.outcome === 'completesAfterEnd') this.finish(call, op, 'completed', true);
    }
  }

  /** A key press on a call whose bot subscribed to tones; returns its sequence id. */
  pressTone(call: MutableCall, pressed: DtmfTone): number {
    if (!call.toneSubscribed) {
      throw new Error(
        `fake Graph: pressTone(${call.id}): the bot has not subscribed to tones (POST …/subscribeToTone), so Graph would send it none.`,
      );
    }
    call.toneSequence += 1;
    // The docs' tone notification has neither @odata.id nor an etag: the call did not change.
    this.host.enqueue(
      toneNotification(call.id, pressed, {
        sequenceId: call.toneSequence,
        state: call.state,
        odataId: false,
        ...(this.host.legacy !== undefined && { legacy: this.host.legacy }),
      }),
    );
    return call.toneSequence;
  }

  /** Disarms every completion armed for later. */
  close(): void {
    for (const op of this.armed) this.disarm(op);
  }

  private schedule(call: MutableCall, op: MutableOperation): void {
    const outcome = op.outcome;
    if (outcome === 'neverCompletes' || outcome === 'completesAfterEnd') return;
    const result = typeof outcome === 'object' ? outcome.result : outcome;
    const ending = result === 'fails' ? 'failed' : 'completed';
    const afterMs = typeof outcome === 'object' ? (outcome.afterMs ?? 0) : 0;
    if (afterMs <= 0) {
      this.finish(call, op, ending);
      return;
    }
    const handle = this.host.clock.setTimeout(() => {
      this.armed.delete(op);
      delete op.timer;
      this.finish(call, op, ending);
    }, afterMs);
    op.timer = { handle };
    this.armed.add(op);
  }

  private disarm(op: MutableOperation): void {
    if (op.timer === undefined) return;
    this.host.clock.clearTimeout(op.timer.handle);
    delete op.timer;
    this.armed.delete(op);
  }

  private finish(
    call: MutableCall,
    op: MutableOperation,
    ending: 'completed' | 'failed' | 'cancelled',
    afterEnd = false,
  ): void {
    if (op.status !== 'running' || (call.ended && !afterEnd)) return;
    this.disarm(op);
    op.status = ending === 'completed' ? 'completed' : 'failed';
    this.host.enqueue(this.report(call, op, ending));
    if (op.kind === 'invite' && ending === 'completed' && !call.ended) {
      for (const invited of op.invited ?? []) {
        call.roster.add(
          {
            identity: invited.identity as IdentitySetSpec,
            endpointType: (invited.endpointType ?? 'default') as NonNullable<
              ParticipantInfoSpec['endpointType']
            >,
          },
          {},
        );
      }
      this.host.enqueue(call.roster.notification(this.host.legacy));
    }
  }

  private report(
    call: MutableCall,
    op: MutableOperation,
    ending: 'completed' | 'failed' | 'cancelled',
  ): CommsNotification {
    const spec = KINDS[op.kind];
    const chosen = typeof op.outcome === 'object' ? op.outcome : undefined;
    let report: Report;
    if (ending === 'cancelled') {
      report = {
        resultInfo: CANCELLED,
        data: { ...spec.failed, completionReason: 'operationCanceled' },
      };
    } else if (ending === 'failed') {
      report = { resultInfo: FAILED, ...(spec.failed !== undefined && { data: spec.failed }) };
    } else {
      report = spec.completed?.(op) ?? { resultInfo: COMPLETED };
    }
    if (ending !== 'cancelled' && chosen !== undefined) {
      report = {
        resultInfo: chosen.resultInfo ?? report.resultInfo,
        data: {
          ...report.data,
          ...(chosen.completionReason !== undefined && {
            completionReason: chosen.completionReason,
          }),
        },
      };
    }
    const legacy = this.host.legacy;
    if (this.host.etags) this.etag += 1;
    const pathId = spec.compactPath ? op.id.replace(/-/g, '').toUpperCase() : op.id;
    return operation(call.id, pathId, op.status, {
      type: spec.type,
      resultInfo: report.resultInfo,
      ...(op.clientContext !== undefined && { clientContext: op.clientContext }),
      ...(this.host.etags && { etag: this.etag }),
      data: { id: op.id, ...report.data },
      ...(legacy !== undefined && { legacy }),
    });
  }
}
