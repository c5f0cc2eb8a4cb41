/**
 * Checks the `Authorization: Bearer <JWT>` that Microsoft puts on every call notification it
 * posts to a bot's webhook, with [jose](https://github.com/panva/jose): signature against
 * Microsoft's published keys, issuer, audience (the bot's app id), lifetime, tenant.
 *
 * The answer says what was wrong, so a failing setup can be fixed from one log line:
 * `401` for a missing, malformed, unsigned, expired or foreign-issuer token; `403` for a genuine
 * token meant for another app (audience) or from a tenant outside `tenants`.
 *
 * Graph sends the same token with many notifications until it expires, so a verified token is
 * remembered ({@link GraphTokenValidatorOptions.cacheSize}) and the next request carrying it
 * costs a map lookup. The keys come from the endpoint of the token's issuer, are refreshed in
 * the background, and outlive an outage of that endpoint
 * ({@link GraphTokenValidatorOptions.maxStaleKeysMs}): Microsoft's key endpoint failing must not
 * make the webhook refuse every notification.
 *
 * @example
 * ```ts
 * import { createGraphTokenValidator, createWebhookHandler } from 'graph-call-machine/webhook';
 *
 * const authenticate = createGraphTokenValidator({
 *   appId: process.env.BOT_APP_ID!,
 *   tenants: [process.env.TENANT_ID!], // optional: only your own tenant's calls
 *   onKeyError: (error, { source }) => log.warn({ source, err: error }, 'signing keys'),
 * });
 * const handler = createWebhookHandler(registry, { authenticate });
 * ```
 * @module
 */
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import type { AuthResult } from './createWebhookHandler.js';
import { CHECK_AUTHORIZATION } from './exchange.js';
import {
  createRemoteKeySource,
  type KeyErrorInfo,
  type KeyFetch,
  type KeyRecoveryInfo,
  type KeySource,
  type KeyStamp,
  type RemoteKeySourceOptions,
  staticKeySource,
  type VerifyKey,
} from './keySource.js';
import { createTokenCache, type Verification } from './tokenCache.js';

export type { KeyErrorInfo, KeyFetch, KeyRecoveryInfo } from './keySource.js';

/**
 * Where the signing keys come from:
 * - a URL (string or `URL`) of a JSON Web Key Set, fetched on the first request that needs it
 *   and kept through outages (see {@link GraphTokenValidatorOptions.maxStaleKeysMs});
 * - `{ openIdConfiguration }`: the URL of an OpenID configuration document whose `jwks_uri`
 *   names the key set, looked up at each refresh;
 * - a key set object `{ keys: [...] }` (`createLocalJWKSet`);
 * - any jose key resolver `(protectedHeader, token) => Promise<key>`.
 */
export type JwksSource =
  | string
  | URL
  | { readonly openIdConfiguration: string | URL }
  | JsonWebKeySet
  | JwksKeyResolver;

// The public types mirror jose's structurally instead of naming them: jose is an ES module
// only, and a CommonJS declaration file (dist/webhook/index.d.cts) that imports its types fails
// to type-check (TS1479) in a `module: node16` project that checks its libraries.

/** A JSON Web Key Set (RFC 7517 §5), as jose's `JSONWebKeySet`: `{ keys: [jwk, …] }`. */
export interface JsonWebKeySet {
  /** The keys, each a JSON Web Key (`kty`, `kid`, `alg`, `use`, `n`, `e`, …). */
  readonly keys: readonly object[];
}

/** The protected header of the token whose key is wanted, as jose passes it. */
export interface JwsKeyLookupHeader {
  readonly alg: string;
  readonly kid?: string;
  readonly [parameter: string]: unknown;
}

/** The token whose key is wanted, as jose's `FlattenedJWSInput`; none of it is verified yet. */
export interface JwsKeyLookupToken {
  readonly payload: string | Uint8Array;
  readonly signature: string;
  readonly protected?: string;
}

/**
 * A key resolver, as jose's `JWTVerifyGetKey` (what `createRemoteJWKSet(url)` and
 * `createLocalJWKSet(keySet)` return): the key that verifies the token, or a rejection.
 */
export type JwksKeyResolver = (
  protectedHeader: JwsKeyLookupHeader,
  token: JwsKeyLookupToken,
) => unknown;

/** Options of {@link createGraphTokenValidator}. */
export interface GraphTokenValidatorOptions {
  /** The bot's Microsoft app id (client id): the audience every token must name. */
  readonly appId: string;
  /**
   * The signing keys, for tokens of every issuer; several sources are asked in order until one
   * has the token's key (a source already holding it is asked first).
   * Default: each issuer's own sources, {@link DEFAULT_GRAPH_JWKS_BY_ISSUER}, so a Graph token
   * never waits on the Bot Framework's endpoint.
   */
  readonly jwks?: JwksSource | readonly JwksSource[] | undefined;
  /** Accepted `iss` values. Default {@link DEFAULT_GRAPH_ISSUERS}. */
  readonly issuers?: readonly string[] | undefined;
  /** When given, only tokens whose tenant id is listed are accepted (case-insensitive); others get `403`. */
  readonly tenants?: readonly string[] | undefined;
  /** Allowed clock skew for `exp` and `nbf`, in seconds. Default 300. */
  readonly clockToleranceSec?: number | undefined;
  /** Accepted signature algorithms. Default `RS256`, `RS384`, `RS512`. */
  readonly algorithms?: readonly string[] | undefined;
  /**
   * How many verified tokens are remembered, so the next notification with the same token is
   * answered without verifying it again; the least recently used is forgotten first. A token is
   * reused until its `exp` (plus `clockToleranceSec`), for at most `cacheMaxAgeMs`, and only
   * while the key that verified it is still published. Refused tokens are never remembered.
   * `0` verifies every request. Default 1000.
   *
   * @example
   * ```ts
   * // A bot serving many tenants at once: room for more tokens (a few KiB each).
   * createGraphTokenValidator({ appId, cacheSize: 10_000 });
   * ```
   */
  readonly cacheSize?: number | undefined;
  /**
   * The longest a verified token is reused without verifying it again, in milliseconds, however
   * far away its expiry. Default 600 000 (10 min).
   *
   * @example
   * ```ts
   * createGraphTokenValidator({ appId, cacheMaxAgeMs: 60_000 });
   * ```
   */
  readonly cacheMaxAgeMs?: number | undefined;
  /**
   * How long one refresh of a key source (its OpenID configuration and key set) may take before
   * it counts as failed, in milliseconds. A request waits for a refresh only when it cannot be
   * answered without one: no keys fetched yet, or a `kid` the keys lack. Default 3000.
   *
   * @example
   * ```ts
   * createGraphTokenValidator({ appId, keyFetchTimeoutMs: 1500 });
   * ```
   */
  readonly keyFetchTimeoutMs?: number | undefined;
  /**
   * How old the keys get before they are fetched again, in milliseconds. The refresh runs in the
   * background: requests go on with the keys held meanwhile. Default 3 600 000 (1 h).
   *
   * @example
   * ```ts
   * createGraphTokenValidator({ appId, keyRefreshIntervalMs: 6 * 3_600_000 });
   * ```
   */
  readonly keyRefreshIntervalMs?: number | undefined;
  /**
   * How long after their last successful fetch the keys go on being used while their endpoint
   * fails, in milliseconds; after that, tokens it signs are refused (`401`, the reason says why)
   * until it answers again. Failed fetches are retried no more than one at a time, first after
   * 1 s, the wait doubling up to 5 min. Default 86 400 000 (24 h).
   *
   * @example
   * ```ts
   * // Stricter: stop trusting keys that could not be checked for 6 hours.
   * createGraphTokenValidator({ appId, maxStaleKeysMs: 6 * 3_600_000 });
   * ```
   */
  readonly maxStaleKeysMs?: number | undefined;
  /**
   * Told when a key source starts failing, once per outage, not per request; told once more if
   * the outage outlasts `maxStaleKeysMs` and the stale keys stop being used. What it throws is
   * ignored. Default: a `console.warn` at those moments.
   *
   * @example
   * ```ts
   * createGraphTokenValidator({
   *   appId,
   *   onKeyError: (error, { source, since, usingStaleKeys }) =>
   *     alerts.raise('graph-signing-keys', { source, since, usingStaleKeys, error: error.message }),
   * });
   * ```
   */
  readonly onKeyError?: ((error: Error, info: KeyErrorInfo) => void) | undefined;
  /**
   * Told once when a failing key source answers again. What it throws is ignored.
   * Default: nothing.
   *
   * @example
   * ```ts
   * createGraphTokenValidator({
   *   appId,
   *   onKeyRecovered: ({ source }) => alerts.resolve('graph-signing-keys', { source }),
   * });
   * ```
   */
  readonly onKeyRecovered?: ((info: KeyRecoveryInfo) => void) | undefined;
  /**
   * The `fetch` used for the key endpoints. Default: the global `fetch`.
   *
   * @example
   * ```ts
   * import { fetch as undiciFetch, ProxyAgent } from 'undici';
   * const dispatcher = new ProxyAgent(process.env.HTTPS_PROXY!);
   * createGraphTokenValidator({ appId, fetch: (url, init) => undiciFetch(url, { ...init, dispatcher }) });
   * ```
   */
  readonly fetch?: KeyFetch | undefined;
  /**
   * The clock, in milliseconds since the epoch: token lifetimes, cache ages, key ages and the
   * backoff between failed fetches are measured with it (the fetch timeout is not).
   * Default `Date.now`.
   *
   * @example
   * ```ts
   * let clock = Date.parse('2026-03-01T10:00:00Z');
   * const authenticate = createGraphTokenValidator({ appId, now: () => clock });
   * clock += 11 * 60_000; // a test moves time on
   * ```
   */
  readonly now?: (() => number) | undefined;
}

/** The issuers of the tokens on call notifications: the Bot Framework and Graph. */
export const DEFAULT_GRAPH_ISSUERS: readonly string[] = [
  'https://api.botframework.com',
  'https://graph.microsoft.com',
];

/**
 * The Bot Framework's signing keys. The OpenID metadata that lists them is
 * https://login.botframework.com/v1/.well-known/openidconfiguration.
 */
export const BOT_FRAMEWORK_JWKS_URL = 'https://login.botframework.com/v1/.well-known/keys';

/**
 * The OpenID configuration Microsoft's own Graph calling samples validate notifications against
 * (`AuthenticationProvider.cs` in microsoftgraph/microsoft-graph-comms-samples): the calling
 * service signs its webhook posts with these keys rather than with Entra ID's.
 */
export const GRAPH_CALLING_OPENID_CONFIGURATION_URL =
  'https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration';

/**
 * Every default key source. Passed as `jwks`, they serve every issuer, asked in this order; the
 * default ({@link DEFAULT_GRAPH_JWKS_BY_ISSUER}) picks them by the token's issuer instead.
 */
export const DEFAULT_GRAPH_JWKS: readonly JwksSource[] = [
  BOT_FRAMEWORK_JWKS_URL,
  { openIdConfiguration: GRAPH_CALLING_OPENID_CONFIGURATION_URL },
];

/**
 * The key sources of each default issuer, used when `jwks` is not given. A Graph token only
 * ever uses the calling platform's keys. A Bot Framework token uses the Bot Framework's, then the
 * calling platform's: Microsoft's calling samples check tokens of both issuers against the
 * calling platform's keys alone, so those must keep verifying them.
 */
export const DEFAULT_GRAPH_JWKS_BY_ISSUER: Readonly<Record<string, readonly JwksSource[]>> = {
  'https://api.botframework.com': DEFAULT_GRAPH_JWKS,
  'https://graph.microsoft.com': [{ openIdConfiguration: GRAPH_CALLING_OPENID_CONFIGURATION_URL }],
};

// 300 s is what both Microsoft validators use: the Bot Framework connector's token validation
// (clockTolerance 5 * 60) and .NET's TokenValidationParameters default (5 min) that the Graph
// calling samples rely on. Tighter would reject genuine posts from a server with a skewed clock.
const DEFAULT_CLOCK_TOLERANCE_SEC = 300;
// The algorithms the Bot Framework accepts for these tokens; all keys Microsoft publishes are RSA.
const DEFAULT_ALGORITHMS: readonly string[] = ['RS256', 'RS384', 'RS512'];
// `tid` today; older tokens (and .NET's claim mapping) used the others.
const TENANT_CLAIMS = [
  'tid',
  'tenantid',
  'tenantId',
  'http://schemas.microsoft.com/identity/claims/tenantid',
];
const DEFAULT_CACHE_SIZE = 1000;
const DEFAULT_CACHE_MAX_AGE_MS = 10 * 60_000;
const DEFAULT_KEY_FETCH_TIMEOUT_MS = 3000;
const DEFAULT_KEY_REFRESH_INTERVAL_MS = 60 * 60_000;
const DEFAULT_MAX_STALE_KEYS_MS = 24 * 60 * 60_000;
const MAX_SHOWN = 120;
// A key source's failure is our own text (URLs, status, timestamps), not the caller's token.
const MAX_SHOWN_FAILURE = 400;

/** Thrown when every key source failed; its message says what each one did. */
class KeyLookupFailed extends Error {
  override readonly name = 'KeyLookupFailed';
}

/** The source and key that verified a token: a remembered verdict lasts as long as they do. */
interface Trust {
  readonly source: KeySource;
  readonly stamp: KeyStamp;
}

/**
 * Creates the `authenticate` function for {@link createWebhookHandler}. Key sets are fetched
 * lazily (on the first request that needs them) and kept; the returned function never throws,
 * and concurrent requests with the same token share one verification.
 *
 * @example
 * ```ts
 * const authenticate = createGraphTokenValidator({ appId: 'b1d3…' });
 * const verdict = await authenticate(request);
 * if (!verdict.ok) console.warn(verdict.status, verdict.reason);
 * // 401 'token expired at 2026-03-01T10:00:00.000Z (now 2026-03-01T10:07:12.000Z, clock tolerance 300 s)'
 * // 403 'audience "5e1f…" is not this app "b1d3…"'
 * ```
 */
export function createGraphTokenValidator(
  options: GraphTokenValidatorOptions,
): (req: Request) => Promise<AuthResult> {
  const { appId } = options;
  if (typeof appId !== 'string' || appId.trim() === '') {
    throw new TypeError('createGraphTokenValidator: appId is required (the bot app id)');
  }
  const issuers = [...(options.issuers ?? DEFAULT_GRAPH_ISSUERS)];
  const tenants =
    options.tenants === undefined
      ? undefined
      : new Set(options.tenants.map((tenant) => tenant.toLowerCase()));
  const clockToleranceSec = options.clockToleranceSec ?? DEFAULT_CLOCK_TOLERANCE_SEC;
  if (!(clockToleranceSec >= 0) || !Number.isFinite(clockToleranceSec)) {
    throw new TypeError(
      `createGraphTokenValidator: clockToleranceSec is ${String(clockToleranceSec)}, expected seconds ≥ 0`,
    );
  }
  const algorithms = [...(options.algorithms ?? DEFAULT_ALGORITHMS)];
  const now = options.now ?? Date.now;
  const sourcesByIssuer = keySourcesByIssuer(issuers, options, now);
  const cache = createTokenCache<AuthResult>({
    maxEntries: count('cacheSize', options.cacheSize, DEFAULT_CACHE_SIZE),
    maxAgeMs: duration('cacheMaxAgeMs', options.cacheMaxAgeMs, DEFAULT_CACHE_MAX_AGE_MS),
    now,
  });
  const context: FailureContext = { appId, issuers, clockToleranceSec, algorithms, now };

  async function verify(token: string): Promise<Verification<AuthResult>> {
    // Read before the signature is checked: the issuer picks the key sources, and a token from
    // an issuer that is not accepted is refused without fetching anything.
    const claimed = claimedIssuer(token, context);
    if (!claimed.ok) return { result: claimed.refusal };
    const sources = sourcesByIssuer.get(claimed.issuer);
    if (sources === undefined) return { result: foreignIssuer(claimed.issuer, context) };
    let trust: Trust | undefined;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(
        token,
        async (header, jws) => {
          const found = await findKey(sources, header, jws);
          trust = found.trust;
          return found.key;
        },
        {
          issuer: issuers,
          audience: appId,
          clockTolerance: clockToleranceSec,
          algorithms,
          // A token without an expiry would be valid forever; Microsoft's always carry one.
          requiredClaims: ['exp'],
          currentDate: new Date(now()),
        },
      ));
    } catch (error) {
      return { result: explainFailure(error, token, context) };
    }
    const result = judgeTenant(payload, tenants);
    if (!result.ok || trust === undefined || typeof payload.exp !== 'number') return { result };
    const { source, stamp } = trust;
    return {
      result,
      reuse: {
        // jose accepts the token while now < exp + tolerance (in whole seconds).
        until: (payload.exp + clockToleranceSec) * 1000,
        stillTrusted: () => source.stillTrusts(stamp),
      },
    };
  }

  async function checkAuthorization(authorization: string | null): Promise<AuthResult> {
    const token = bearerToken(authorization);
    if (!token.ok) return unauthorized(token.reason);
    return cache.get(token.value) ?? cache.verifyOnce(token.value, () => verify(token.value));
  }
  const validateGraphToken = (req: Request): Promise<AuthResult> =>
    checkAuthorization(req.headers.get('authorization'));
  // The webhook finds the header check here and skips building a Request (see exchange.ts).
  return Object.assign(validateGraphToken, { [CHECK_AUTHORIZATION]: checkAuthorization });
}

function judgeTenant(payload: JWTPayload, tenants: ReadonlySet<string> | undefined): AuthResult {
  const tenant = tenantOf(payload);
  if (tenant === undefined) {
    return unauthorized(
      `the token has no tenant id claim (${TENANT_CLAIMS.slice(0, 3).join(', ')})`,
    );
  }
  if (tenants !== undefined && !tenants.has(tenant.toLowerCase())) {
    return {
      ok: false,
      status: 403,
      reason: `tenant ${show(tenant)} is not allowed for this app`,
    };
  }
  // Frozen: a remembered verdict is handed to every request with the same token.
  return Object.freeze({ ok: true, claims: deepFreeze(payload) });
}

type IssuerRead =
  | { readonly ok: true; readonly issuer: string }
  | { readonly ok: false; readonly refusal: AuthResult };

/** The issuer the token claims, unverified. */
function claimedIssuer(token: string, context: FailureContext): IssuerRead {
  let payload: JWTPayload;
  try {
    payload = decodeJwt(token);
  } catch (error) {
    return { ok: false, refusal: explainFailure(error, token, context) };
  }
  const { iss } = payload;
  if (iss === undefined) {
    return { ok: false, refusal: unauthorized('the token has no "iss" claim') };
  }
  if (typeof iss !== 'string') return { ok: false, refusal: foreignIssuer(String(iss), context) };
  return { ok: true, issuer: iss };
}

function foreignIssuer(issuer: string, context: FailureContext): AuthResult {
  return unauthorized(
    `issuer ${show(issuer)} is not one of ${context.issuers.map((i) => show(i)).join(', ')}`,
  );
}

/** Builds each accepted issuer's key sources; a source named twice is one source (one fetch). */
function keySourcesByIssuer(
  issuers: readonly string[],
  options: GraphTokenValidatorOptions,
  now: () => number,
): Map<string, readonly KeySource[]> {
  const onKeyError = options.onKeyError ?? warnOfKeyOutage;
  const remote: Omit<RemoteKeySourceOptions, 'url' | 'discover'> = {
    fetch: options.fetch ?? ((url, init) => fetch(url, init)),
    now,
    timeoutMs: duration(
      'keyFetchTimeoutMs',
      options.keyFetchTimeoutMs,
      DEFAULT_KEY_FETCH_TIMEOUT_MS,
      1,
    ),
    refreshIntervalMs: duration(
      'keyRefreshIntervalMs',
      options.keyRefreshIntervalMs,
      DEFAULT_KEY_REFRESH_INTERVAL_MS,
    ),
    maxStaleMs: duration('maxStaleKeysMs', options.maxStaleKeysMs, DEFAULT_MAX_STALE_KEYS_MS),
    onError: onKeyError,
    onRecovered: options.onKeyRecovered ?? (() => {}),
  };
  const built = new Map<unknown, KeySource>();
  const sourceFor = (source: JwksSource): KeySource => {
    const identity = identityOf(source);
    let keySource = built.get(identity);
    if (keySource === undefined) {
      keySource = toKeySource(source, remote);
      built.set(identity, keySource);
    }
    return keySource;
  };
  const listFor = (sources: JwksSource | readonly JwksSource[]) =>
    (isSourceList(sources) ? sources : [sources]).map(sourceFor);

  const byIssuer = new Map<string, readonly KeySource[]>();
  const everyIssuer = options.jwks === undefined ? undefined : listFor(options.jwks);
  for (const issuer of issuers) {
    const defaults = Object.hasOwn(DEFAULT_GRAPH_JWKS_BY_ISSUER, issuer)
      ? DEFAULT_GRAPH_JWKS_BY_ISSUER[issuer]
      : undefined;
    if (everyIssuer === undefined && defaults === undefined) {
      throw new TypeError(
        `createGraphTokenValidator: issuer ${show(issuer)} has no default key source; give jwks, the keys its tokens are signed with`,
      );
    }
    byIssuer.set(issuer, everyIssuer ?? listFor(defaults ?? []));
  }
  return byIssuer;
}

function toKeySource(
  source: JwksSource,
  remote: Omit<RemoteKeySourceOptions, 'url' | 'discover'>,
): KeySource {
  if (typeof source === 'function') {
    // jose checks what the resolver returns when it verifies with it.
    return staticKeySource('the key resolver', source as JWTVerifyGetKey);
  }
  if (typeof source === 'string' || source instanceof URL) {
    return createRemoteKeySource({ ...remote, url: toUrl(source, 'jwks'), discover: false });
  }
  if ('openIdConfiguration' in source) {
    const url = toUrl(source.openIdConfiguration, 'jwks.openIdConfiguration');
    return createRemoteKeySource({ ...remote, url, discover: true });
  }
  // createLocalJWKSet checks the keys, and throws on a set that is not one.
  const keySet = { keys: [...source.keys] } as JSONWebKeySet;
  return staticKeySource('the configured key set', createLocalJWKSet(keySet));
}

/** URLs are compared by text, so the default lists share the calling platform's source. */
function identityOf(source: JwksSource): unknown {
  if (typeof source === 'string' || source instanceof URL) return `jwks ${String(source)}`;
  if (typeof source === 'object' && 'openIdConfiguration' in source) {
    return `openid ${String(source.openIdConfiguration)}`;
  }
  return source;
}

function warnOfKeyOutage(error: Error, { source, usingStaleKeys }: KeyErrorInfo): void {
  const meanwhile = usingStaleKeys
    ? 'the keys fetched before go on being used, for up to maxStaleKeysMs'
    : 'tokens signed with its keys are refused until it answers';
  console.warn(
    `createGraphTokenValidator: the signing keys at ${source} cannot be fetched (${error.message}); ${meanwhile}. Said once per outage; pass onKeyError to handle it.`,
  );
}

function count(name: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback;
  if (!Number.isSafeInteger(chosen) || chosen < 0) {
    throw new TypeError(
      `createGraphTokenValidator: ${name} is ${String(chosen)}, expected a whole number ≥ 0`,
    );
  }
  return chosen;
}

function duration(name: string, value: number | undefined, fallback: number, least = 0): number {
  const chosen = value ?? fallback;
  if (!Number.isFinite(chosen) || chosen < least) {
    throw new TypeError(
      `createGraphTokenValidator: ${name} is ${String(chosen)}, expected milliseconds ≥ ${least}`,
    );
  }
  return chosen;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

type TokenRead =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly reason: string };

function bearerToken(header: string | null): TokenRead {
  if (header === null || header.trim() === '') {
    return {
      ok: false,
      reason:
        'no Authorization header: Graph sends "Authorization: Bearer <token>" with every notification',
    };
  }
  const text = header.trim();
  const space = text.search(/\s/);
  const scheme = space < 0 ? text : text.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') {
    return {
      ok: false,
      reason: `the Authorization scheme is ${show(scheme)}: expected "Bearer <token>"`,
    };
  }
  const value = space < 0 ? '' : text.slice(space).trim();
  if (value === '')
    return { ok: false, reason: 'the Authorization header has no token after "Bearer"' };
  return { ok: true, value };
}

function tenantOf(payload: JWTPayload): string | undefined {
  for (const claim of TENANT_CLAIMS) {
    const value = payload[claim];
    if (typeof value === 'string' && value.trim() !== '') return value;
  }
  return undefined;
}

interface FailureContext {
  readonly appId: string;
  readonly issuers: readonly string[];
  readonly clockToleranceSec: number;
  readonly algorithms: readonly string[];
  readonly now: () => number;
}

function explainFailure(error: unknown, token: string, context: FailureContext): AuthResult {
  const now = `now ${new Date(context.now()).toISOString()}, clock tolerance ${context.clockToleranceSec} s`;
  if (error instanceof errors.JWTExpired) {
    return unauthorized(`token expired at ${instant(error.payload.exp)} (${now})`);
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const { claim, payload } = error;
    if (error.reason === 'missing') return unauthorized(`the token has no "${claim}" claim`);
    switch (claim) {
      case 'aud': {
        const audience = payload.aud;
        return {
          ok: false,
          status: 403,
          reason: Array.isArray(audience)
            ? `audience ${show(JSON.stringify(audience))} does not include this app ${show(context.appId)}`
            : `audience ${show(String(audience))} is not this app ${show(context.appId)}`,
        };
      }
      case 'iss':
        return foreignIssuer(String(payload.iss), context);
      case 'nbf':
        return unauthorized(`token not valid before ${instant(payload.nbf)} (${now})`);
      default:
        return unauthorized(`claim "${claim}" is invalid: ${error.message}`);
    }
  }
  const header = protectedHeader(token);
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return unauthorized(
      `signature verification failed: the token was not signed by the trusted key${header.kid === undefined ? '' : ` with kid ${show(header.kid)}`}`,
    );
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return unauthorized(
      `algorithm ${show(header.alg ?? 'none')} is not accepted (accepted: ${context.algorithms.join(', ')})`,
    );
  }
  if (error instanceof KeyLookupFailed) return unauthorized(error.message);
  if (error instanceof errors.JWKSNoMatchingKey) {
    return unauthorized(
      `no trusted signing key matches the token (kid ${show(header.kid ?? 'none')}, alg ${show(header.alg ?? 'none')})`,
    );
  }
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid) {
    return unauthorized(`malformed token: ${truncate(error.message)}`);
  }
  return unauthorized(`the token could not be verified: ${messageOf(error)}`);
}

function protectedHeader(token: string): { kid?: string; alg?: string } {
  try {
    const { kid, alg } = decodeProtectedHeader(token);
    return {
      ...(typeof kid === 'string' ? { kid } : {}),
      ...(typeof alg === 'string' ? { alg } : {}),
    };
  } catch {
    return {};
  }
}

function unauthorized(reason: string): AuthResult {
  return { ok: false, status: 401, reason };
}

function isSourceList(value: JwksSource | readonly JwksSource[]): value is readonly JwksSource[] {
  return Array.isArray(value);
}

function toUrl(value: string | URL, option: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new TypeError(`createGraphTokenValidator: ${option} ${show(String(value))} is not a URL`);
  }
}

type KeyRequest = Parameters<JWTVerifyGetKey>;

/**
 * Asks the issuer's sources for the token's key: first one that already holds its `kid`, then
 * each in order. A source that cannot be reached does not stop the others, and failures name
 * their source, so a reason says which endpoint was unreachable.
 */
async function findKey(
  sources: readonly KeySource[],
  ...request: KeyRequest
): Promise<{ readonly key: VerifyKey; readonly trust: Trust }> {
  const { kid } = request[0];
  const ordered =
    sources.length < 2 || kid === undefined
      ? sources
      : [...sources.filter((s) => s.holds(kid)), ...sources.filter((s) => !s.holds(kid))];
  const failures: string[] = [];
  let onlyMissing = true;
  for (const source of ordered) {
    try {
      const { key, stamp } = await source.key(...request);
      return { key, trust: { source, stamp } };
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) onlyMissing = false;
      failures.push(`${source.name}: ${messageOf(error, MAX_SHOWN_FAILURE)}`);
    }
  }
  if (onlyMissing) {
    throw new errors.JWKSNoMatchingKey(`no key matches in ${failures.length} key sources`);
  }
  throw new KeyLookupFailed(
    `no signing key could be found for the token (kid ${show(kid ?? 'none')}): ${failures.join('; ')}`,
  );
}

function instant(seconds: unknown): string {
  return typeof seconds === 'number' && Number.isFinite(seconds)
    ? new Date(seconds * 1000).toISOString()
    : String(seconds);
}

function messageOf(error: unknown, limit = MAX_SHOWN): string {
  if (!(error instanceof Error)) return truncate(String(error), limit);
  const cause =
    error.cause instanceof Error && !error.message.includes(error.cause.message)
      ? ` (${error.cause.message})`
      : '';
  return truncate(`${error.message}${cause}`, limit);
}

function show(text: string): string {
  return JSON.stringify(truncate(text));
}

function truncate(text: string, limit = MAX_SHOWN): string {
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}
