/**
 * Who is on a call, as far as a bot needs to know: Graph's `participantInfo` and its
 * `communicationsIdentitySet`, reduced to small, typed, JSON-safe objects of strings. Used by
 * {@link parseNotifications} for a call's `source` (the caller) and `targets` (the callee side).
 *
 * These are the library's own types, so the root entry needs nothing from
 * `@microsoft/microsoft-graph-types` at runtime; test/graph/graphTypes.test.ts checks that they
 * fit Graph's `ParticipantInfo` and `CommunicationsIdentitySet`.
 *
 * @example
 * ```ts
 * import { readParticipantInfo } from 'graph-call-machine';
 *
 * const caller = readParticipantInfo({
 *   identity: { user: { id: '8a34a46b-…', displayName: 'Test User', tenantId: '6328…' } },
 *   region: 'westus',
 *   languageId: 'en-US',
 * });
 * caller?.identity.user?.displayName; // 'Test User'
 * caller?.region; // 'westus'
 * ```
 * @module
 */
import { isJsonObject, type JsonObject, own } from './jsonObject.js';

/**
 * The identity kinds a bot reads from an identity set, in the order a caller is best named by:
 * a person, an app, a phone number, a guest, then the rarer kinds. The docs' notifications
 * show `user` (callers), `application` and `applicationInstance` (bots and their phone-number
 * resource accounts), `phone` (call routes), `guest` (rosters) and `encrypted` (`answeredBy`);
 * `onPremises` is documented on `communicationsIdentitySet`. Any other kind (`device`,
 * `assertedIdentity`, `azureCommunicationServicesUser`, …) is ignored here and stays in the
 * notification's `raw`.
 */
export const IDENTITY_KINDS = [
  'user',
  'application',
  'applicationInstance',
  'phone',
  'guest',
  'encrypted',
  'onPremises',
] as const;

/** One of {@link IDENTITY_KINDS}. */
export type IdentityKind = (typeof IDENTITY_KINDS)[number];

/**
 * One identity of an identity set: the fields that are strings, verbatim. An identity with none
 * of them is left out of its set.
 */
export interface CallIdentity {
  /** The user's AAD object id, the app's id, the phone number (`+14258828080`), … */
  readonly id?: string;
  readonly displayName?: string;
  /** Sent for `user` and `applicationInstance` identities of a tenant. */
  readonly tenantId?: string;
}

/** The identities of a `communicationsIdentitySet` this library reads, by kind; usually one. */
export type CallIdentitySet = { readonly [K in IdentityKind]?: CallIdentity };

/** A `participantInfo` (the caller of a call, for one) reduced to what a bot uses. */
export interface CallParticipantInfo {
  /** The identities read; `{}` when the identity set held none of {@link IDENTITY_KINDS}. */
  readonly identity: CallIdentitySet;
  /** The participant's home region (`westus`, `amer`). */
  readonly region?: string;
  /** The language culture (`en-US`). */
  readonly languageId?: string;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Reads a Graph `participantInfo` (or `invitationParticipantInfo`) from any value. Pure, and
 * never throws for JSON-shaped input. Only own properties are read, only strings are kept:
 * a field of the wrong type is left out, alone.
 *
 * Returns `undefined` when the value is not an object, or holds neither a known identity nor a
 * `region` nor a `languageId`.
 *
 * @example
 * ```ts
 * import { readParticipantInfo } from 'graph-call-machine';
 *
 * readParticipantInfo({ identity: { phone: { id: '+14258828080' } }, region: 42 });
 * // { identity: { phone: { id: '+14258828080' } } }
 * readParticipantInfo('Test User'); // undefined
 * ```
 */
export function readParticipantInfo(value: unknown): CallParticipantInfo | undefined {
  if (!isJsonObject(value)) return undefined;
  const rawIdentity = own(value, 'identity');
  const region = own(value, 'region');
  let languageId = own(value, 'languageId');
  // 2018 payloads (the `callState` generation) had no participantInfo.languageId: the
  // language sat on the endpointIdentity itself (`identity.user.language`).
  if (typeof languageId !== 'string' && isJsonObject(rawIdentity)) {
    languageId = legacyLanguage(rawIdentity);
  }
  const identity = readIdentitySet(rawIdentity);
  if (identity === undefined && typeof region !== 'string' && typeof languageId !== 'string') {
    return undefined;
  }
  const info: Mutable<CallParticipantInfo> = { identity: identity ?? {} };
  if (typeof region === 'string') info.region = region;
  if (typeof languageId === 'string') info.languageId = languageId;
  return info;
}

/**
 * Reads a Graph identity set (`identitySet` or `communicationsIdentitySet`) from any value: for
 * each kind of {@link IDENTITY_KINDS} present as an object, its `id`, `displayName` and
 * `tenantId` when they are strings. Pure, and never throws for JSON-shaped input.
 *
 * Returns `undefined` when the value is not an object or holds no identity of a known kind.
 *
 * @example
 * ```ts
 * import { readIdentitySet } from 'graph-call-machine';
 *
 * readIdentitySet({
 *   '@odata.type': '#microsoft.graph.identitySet',
 *   applicationInstance: { id: '7629bdce-…', displayName: 'PstnAppInstance', hidden: false },
 *   azureCommunicationServicesUser: { id: '8:acs:…' },
 * });
 * // { applicationInstance: { id: '7629bdce-…', displayName: 'PstnAppInstance' } }
 * ```
 */
export function readIdentitySet(value: unknown): CallIdentitySet | undefined {
  if (!isJsonObject(value)) return undefined;
  let set: Mutable<CallIdentitySet> | undefined;
  for (const kind of IDENTITY_KINDS) {
    const identity = readIdentity(own(value, kind));
    if (identity === undefined) continue;
    set ??= {};
    set[kind] = identity;
  }
  return set;
}

function readIdentity(value: unknown): CallIdentity | undefined {
  if (!isJsonObject(value)) return undefined;
  let identity: Mutable<CallIdentity> | undefined;
  const id = own(value, 'id');
  if (typeof id === 'string') identity = { id };
  const displayName = own(value, 'displayName');
  if (typeof displayName === 'string') {
    identity ??= {};
    identity.displayName = displayName;
  }
  const tenantId = own(value, 'tenantId');
  if (typeof tenantId === 'string') {
    identity ??= {};
    identity.tenantId = tenantId;
  }
  return identity;
}

function legacyLanguage(identitySet: JsonObject): string | undefined {
  for (const kind of IDENTITY_KINDS) {
    const identity = own(identitySet, kind);
    if (!isJsonObject(identity)) continue;
    const language = own(identity, 'language');
    if (typeof language === 'string') return language;
  }
  return undefined;
}
