/**
 * The bodies of the call-control requests a bot sends to Graph: answer, reject, redirect,
 * transfer, and placing a call. JSON-safe, so a request in flight is kept in the call's
 * persisted state and can be sent again by whichever instance retries it.
 *
 * These are the library's own types, so the published declarations need nothing from
 * `@microsoft/microsoft-graph-types`; test/graph/graphTypes.test.ts checks at compile time that
 * each one fits where Graph's own type (`Call`, `InvitationParticipantInfo`, …) is expected.
 *
 * @example
 * ```ts
 * import type { AnswerRequest, TransferRequest } from 'graph-call-machine';
 *
 * const answer: AnswerRequest = {
 *   callbackUri: 'https://bot.example.com/api/calls',
 *   mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
 *   acceptedModalities: ['audio'],
 * };
 * const transfer: TransferRequest = {
 *   transferTarget: { identity: { user: { id: '550fae72-d251-43ec-868c-373732c2704f' } } },
 * };
 * ```
 * @module
 */
import type { CallIdentitySet, CallParticipantInfo } from './participantInfo.js';

/** A kind of media a call carries. */
export type Modality = 'audio' | 'video' | 'videoBasedScreenSharing' | 'data';

/** A prompt file Graph fetches before media starts (`mediaInfo`). */
export interface MediaInfo {
  readonly uri: string;
  readonly resourceId?: string;
}

/** Media handled by Graph's service (prompts, DTMF, recording through operations). */
export interface ServiceHostedMediaConfig {
  readonly '@odata.type': '#microsoft.graph.serviceHostedMediaConfig';
  readonly preFetchMedia?: readonly MediaInfo[];
}

/** Media handled by the bot's own media platform: `blob` is the platform's media configuration. */
export interface AppHostedMediaConfig {
  readonly '@odata.type': '#microsoft.graph.appHostedMediaConfig';
  readonly blob: string;
}

/** How the bot takes part in the call's media. */
export type MediaConfig = ServiceHostedMediaConfig | AppHostedMediaConfig;

/** A party to invite, redirect or transfer to (`invitationParticipantInfo`). */
export interface InvitationTarget {
  readonly identity: CallIdentitySet;
  readonly endpointType?:
    | 'default'
    | 'voicemail'
    | 'skypeForBusiness'
    | 'skypeForBusinessVoipPhone';
  /** Consultative transfer: the call that replaces this one. */
  readonly replacesCallId?: string;
  readonly hidden?: boolean;
  readonly participantId?: string;
}

/** `POST /communications/calls/{id}/answer`. */
export interface AnswerRequest {
  /** Where Graph sends this call's notifications from now on (https). */
  readonly callbackUri: string;
  readonly mediaConfig: MediaConfig;
  readonly acceptedModalities?: readonly Exclude<Modality, 'data'>[];
  /** For policy-based recording bots: how many concurrent calls the bot takes. */
  readonly participantCapacity?: number;
  readonly callOptions?: { readonly isContentSharingNotificationEnabled?: boolean };
}

/** Why the bot turns down an incoming call. */
export type RejectReason = 'none' | 'busy' | 'forbidden';

/** `POST /communications/calls/{id}/reject`. */
export interface RejectRequest {
  readonly reason?: RejectReason;
  readonly callbackUri?: string;
}

/** `POST /communications/calls/{id}/redirect`. */
export interface RedirectRequest {
  /** One target, or several to ring at once (simultaneous ring). */
  readonly targets: readonly InvitationTarget[];
  /** How long to ring, in seconds: 15 to 90. */
  readonly timeout?: number;
  readonly callbackUri?: string;
}

/** `POST /communications/calls/{id}/transfer`. */
export interface TransferRequest {
  readonly transferTarget: InvitationTarget;
  /** In a group call: the participant to transfer. */
  readonly transferee?: CallParticipantInfo;
}

/** `POST /communications/calls`: a peer-to-peer call (`targets`) or a meeting join (`meetingInfo`, `chatInfo`). */
export interface PlaceCallRequest {
  readonly callbackUri: string;
  readonly requestedModalities: readonly Modality[];
  readonly mediaConfig: MediaConfig;
  readonly targets?: readonly InvitationTarget[];
  /** The bot's own identity (and, for PSTN, the resource account it calls from). */
  readonly source?: CallParticipantInfo;
  readonly subject?: string;
  readonly tenantId?: string;
  /** Graph's `meetingInfo` and `chatInfo` for a meeting join, passed through as given. */
  readonly meetingInfo?: Readonly<Record<string, unknown>>;
  readonly chatInfo?: Readonly<Record<string, unknown>>;
  readonly callOptions?: Readonly<Record<string, unknown>>;
}

/** The call-control verbs the machine judges, each a request on an existing call. */
export type CallControlVerb = 'answer' | 'reject' | 'redirect' | 'transfer';

/** The body each verb sends. */
export interface CallControlRequests {
  readonly answer: AnswerRequest;
  readonly reject: RejectRequest;
  readonly redirect: RedirectRequest;
  readonly transfer: TransferRequest;
}
