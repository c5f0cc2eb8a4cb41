/**
 * Checks the `Authorization: Bearer <JWT>` that Microsoft puts on every call notification it
 * posts to a bot's webhook, with [jose](https://github.com/panva/jose): signature against
 * Microsoft's published keys, issuer, audience (the bot's app id), lifetime, tenant.
 *
 * The answer says what was wrong, so a failing setup can be fixed from one log line:
 * `401` for a missing, malformed, unsigned, expired or foreign-issuer token; `403` for a genuine
 * token meant for another app (audience) or from a tenant outside `tenants`.
 *
 * @example
 * ```ts
 * import { createGraphTokenValidator, createWebhookHandler } from 'graph-call-machine/webhook';
 *
 * const authenticate = createGraphTokenValidator({
 *   appId: process.env.BOT_APP_ID!,
 *   tenants: [process.env.TENANT_ID!], // optional: only your own tenant's calls
 * });
 * const handler = createWebhookHandler(registry, { authenticate });
 * ```
 * @module
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  type JSONWebKeySet,
  type JWSAlgorithm,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import type { AuthResult } from './createWebhookHandler.js';

/**
 * Where the signing keys come from:
 * - a URL (string or `URL`) of a JSON Web Key Set, fetched and cached by jose's
 *   `createRemoteJWKSet`;
 * - `{ openIdConfiguration }`: the URL of an OpenID configuration document whose `jwks_uri` is
 *   then used the same way (discovered once, on the first request);
 * - a key set object `{ keys: [...] }` (`createLocalJWKSet`);
 * - any jose key resolver `(protectedHeader, token) => Promise<key>`.
 */
export type JwksSource =
  | string
  | URL
  | { readonly openIdConfiguration: string | URL }
  | JSONWebKeySet
  | JWTVerifyGetKey;

/** Options of {@link createGraphTokenValidator}. */
export interface GraphTokenValidatorOptions {
  /** The bot's Microsoft app id (client id): the audience every token must name. */
  readonly appId: string;
  /**
   * The signing keys; several sources are tried in order until one has the token's key.
   * Default {@link DEFAULT_GRAPH_JWKS}: the Bot Framework keys, then the keys of the calling
   * platform's OpenID configuration.
   */
  readonly jwks?: JwksSource | readonly JwksSource[] | undefined;
  /** Accepted `iss` values. Default {@link DEFAULT_GRAPH_ISSUERS}. */
  readonly issuers?: readonly string[] | undefined;
  /** When given, only tokens whose tenant id is listed are accepted (case-insensitive); others get `403`. */
  readonly tenants?: readonly string[] | undefined;
  /** Allowed clock skew for `exp` and `nbf`, in seconds. Default 300. */
  readonly clockToleranceSec?: number | undefined;
  /** Accepted signature algorithms. Default `RS256`, `RS384`, `RS512`. */
  readonly algorithms?: readonly JWSAlgorithm[] | undefined;
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

/** The default key sources, tried in this order. */
export const DEFAULT_GRAPH_JWKS: readonly JwksSource[] = [
  BOT_FRAMEWORK_JWKS_URL,
  { openIdConfiguration: GRAPH_CALLING_OPENID_CONFIGURATION_URL },
];

// 300 s is what both Microsoft validators use: the Bot Framework connector's token validation
// (clockTolerance 5 * 60) and .NET's TokenValidationParameters default (5 min) that the Graph
// calling samples rely on. Tighter would reject genuine posts from a server with a skewed clock.
const DEFAULT_CLOCK_TOLERANCE_SEC = 300;
// The algorithms the Bot Framework accepts for these tokens; all keys Microsoft publishes are RSA.
const DEFAULT_ALGORITHMS: readonly JWSAlgorithm[] = ['RS256', 'RS384', 'RS512'];
// `tid` today; older tokens (and .NET's claim mapping) used the others.
const TENANT_CLAIMS = [
  'tid',
  'tenantid',
  'tenantId',
  'http://schemas.microsoft.com/identity/claims/tenantid',
];
const DISCOVERY_TIMEOUT_MS = 5000;
const MAX_SHOWN = 120;

type KeyResolver = JWTVerifyGetKey;
interface NamedResolver {
  readonly name: string;
  readonly resolve: KeyResolver;
}

/** Thrown when every key source failed; its message says what each one did. */
class KeyLookupFailed extends Error {
  override readonly name = 'KeyLookupFailed';
}

/**
 * Creates the `authenticate` function for {@link createWebhookHandler}. Key sets are fetched
 * lazily (on the first request) and cached; the returned function never throws.
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
  const sources = options.jwks ?? DEFAULT_GRAPH_JWKS;
  const resolvers = (isSourceList(sources) ? sources : [sources]).map(toResolver);
  const keys = anyOf(resolvers);
  const context: FailureContext = { appId, issuers, clockToleranceSec, algorithms };

  return async function validateGraphToken(req: Request): Promise<AuthResult> {
    const token = bearerToken(req.headers.get('authorization'));
    if (!token.ok) return unauthorized(token.reason);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token.value, keys, {
        issuer: issuers,
        audience: appId,
        clockTolerance: clockToleranceSec,
        algorithms,
        // A token without an expiry would be valid forever; Microsoft's always carry one.
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      return explainFailure(error, token.value, context);
    }
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
    return { ok: true, claims: payload };
  };
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
}

function explainFailure(error: unknown, token: string, context: FailureContext): AuthResult {
  const now = `now ${new Date().toISOString()}, clock tolerance ${context.clockToleranceSec} s`;
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
        return unauthorized(
          `issuer ${show(String(payload.iss))} is not one of ${context.issuers.map((i) => show(i)).join(', ')}`,
        );
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

function toResolver(source: JwksSource): NamedResolver {
  if (typeof source === 'function') return { name: 'the key resolver', resolve: source };
  if (typeof source === 'string' || source instanceof URL) {
    const url = toUrl(source, 'jwks');
    return { name: url.href, resolve: createRemoteJWKSet(url) };
  }
  if ('openIdConfiguration' in source) {
    const url = toUrl(source.openIdConfiguration, 'jwks.openIdConfiguration');
    return { name: url.href, resolve: discoveredKeys(url) };
  }
  return { name: 'the configured key set', resolve: createLocalJWKSet(source) };
}

function toUrl(value: string | URL, option: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new TypeError(`createGraphTokenValidator: ${option} ${show(String(value))} is not a URL`);
  }
}

/**
 * Resolves keys through an OpenID configuration's `jwks_uri`. The document is fetched once; a
 * failed fetch is forgotten so the next request tries again instead of failing forever.
 */
function discoveredKeys(configUrl: URL): KeyResolver {
  let keySet: Promise<KeyResolver> | undefined;
  const discover = async (): Promise<KeyResolver> => {
    const response = await fetch(configUrl, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`${configUrl.href} answered ${response.status}`);
    const document: unknown = await response.json();
    const jwksUri =
      typeof document === 'object' && document !== null && 'jwks_uri' in document
        ? document.jwks_uri
        : undefined;
    if (typeof jwksUri !== 'string') throw new Error(`${configUrl.href} has no jwks_uri`);
    return createRemoteJWKSet(new URL(jwksUri));
  };
  return async (header, token) => {
    if (keySet === undefined) {
      const pending = discover();
      keySet = pending;
      pending.catch(() => {
        if (keySet === pending) keySet = undefined;
      });
    }
    const resolve = await keySet;
    return resolve(header, token);
  };
}

/**
 * Tries each source until one has the token's key. A source that cannot be reached does not stop
 * the others: one of Microsoft's key endpoints being down must not reject every notification.
 * Failures name their source, so a reason says which endpoint was unreachable.
 */
function anyOf(resolvers: readonly NamedResolver[]): KeyResolver {
  return async (header, token) => {
    const failures: string[] = [];
    let onlyMissing = true;
    for (const { name, resolve } of resolvers) {
      try {
        return await resolve(header, token);
      } catch (error) {
        if (!(error instanceof errors.JWKSNoMatchingKey)) onlyMissing = false;
        failures.push(`${name}: ${messageOf(error)}`);
      }
    }
    if (onlyMissing) {
      throw new errors.JWKSNoMatchingKey(`no key matches in ${failures.length} key sources`);
    }
    throw new KeyLookupFailed(
      `no signing key could be found for the token (kid ${show(header.kid ?? 'none')}): ${failures.join('; ')}`,
    );
  };
}

function instant(seconds: unknown): string {
  return typeof seconds === 'number' && Number.isFinite(seconds)
    ? new Date(seconds * 1000).toISOString()
    : String(seconds);
}

function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return truncate(String(error));
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return truncate(`${error.message}${cause}`);
}

function show(text: string): string {
  return JSON.stringify(truncate(text));
}

function truncate(text: string): string {
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}
