import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CryptoKey,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type JSONWebKeySet,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createGraphTokenValidator,
  DEFAULT_GRAPH_ISSUERS,
  type GraphTokenValidatorOptions,
} from '../../src/webhook/createGraphTokenValidator.js';
import { createWebhookHandler } from '../../src/webhook/createWebhookHandler.js';
import {
  APP_ID,
  envelope,
  jsonPost,
  OTHER_TENANT,
  problemOf,
  recordingRegistry,
  TENANT,
  WEBHOOK_URL,
} from './support.js';

const OTHER_APP = '5e1f7c3b-0000-4a77-9b8e-2f6d0c1e3a45';
const KID = 'graph-test-key';

let signingKey: CryptoKey;
let strangerKey: CryptoKey;
let keySet: JSONWebKeySet;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  signingKey = pair.privateKey;
  strangerKey = (await generateKeyPair('RS256')).privateKey;
  keySet = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'RS256', use: 'sig' }] };
});

const now = (): number => Math.floor(Date.now() / 1000);

interface TokenOptions {
  readonly claims?: JWTPayload;
  readonly issuer?: string | null;
  readonly audience?: string | string[] | null;
  readonly exp?: number | null;
  readonly nbf?: number;
  readonly key?: CryptoKey;
  readonly kid?: string;
}

/** A token as Microsoft would sign it, with the parts a test wants changed. */
async function token(options: TokenOptions = {}): Promise<string> {
  const jwt = new SignJWT({ tid: TENANT, ...options.claims })
    .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? KID, typ: 'JWT' })
    .setIssuedAt(now() - 60);
  if (options.issuer !== null) jwt.setIssuer(options.issuer ?? 'https://api.botframework.com');
  if (options.audience !== null) jwt.setAudience(options.audience ?? APP_ID);
  if (options.exp !== null) jwt.setExpirationTime(options.exp ?? now() + 3600);
  if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
  return jwt.sign(options.key ?? signingKey);
}

function withAuthorization(authorization?: string): Request {
  return new Request(WEBHOOK_URL, {
    method: 'POST',
    headers: authorization === undefined ? {} : { authorization },
  });
}

function validator(options: Partial<GraphTokenValidatorOptions> = {}) {
  return createGraphTokenValidator({ appId: APP_ID, jwks: keySet, ...options });
}

async function reasonFor(
  tokenText: string,
  options: Partial<GraphTokenValidatorOptions> = {},
): Promise<{ status: number; reason: string }> {
  const result = await validator(options)(withAuthorization(`Bearer ${tokenText}`));
  if (result.ok) throw new Error('expected the token to be refused');
  return { status: result.status, reason: result.reason };
}

describe('accepted tokens', () => {
  it.each(DEFAULT_GRAPH_ISSUERS)(
    'accepts a valid token issued by %s, with its claims',
    async (iss) => {
      const result = await validator()(withAuthorization(`Bearer ${await token({ issuer: iss })}`));
      expect(result).toEqual({
        ok: true,
        claims: expect.objectContaining({ iss, aud: APP_ID, tid: TENANT }),
      });
    },
  );

  it('reads the Bearer scheme case-insensitively and tolerates extra spaces', async () => {
    const result = await validator()(withAuthorization(`bearer   ${await token()}  `));
    expect(result.ok).toBe(true);
  });

  it('accepts a token expired less than the default 300 s clock tolerance ago', async () => {
    const result = await validator()(
      withAuthorization(`Bearer ${await token({ exp: now() - 120 })}`),
    );
    expect(result.ok).toBe(true);
  });

  it.each(['tenantid', 'tenantId', 'http://schemas.microsoft.com/identity/claims/tenantid'])(
    'takes the tenant from the older claim %s',
    async (claim) => {
      const jwt = await token({ claims: { tid: undefined, [claim]: TENANT } });
      const result = await validator({ tenants: [TENANT] })(withAuthorization(`Bearer ${jwt}`));
      expect(result.ok).toBe(true);
    },
  );

  it('matches allowed tenants case-insensitively', async () => {
    const result = await validator({ tenants: [TENANT.toUpperCase()] })(
      withAuthorization(`Bearer ${await token()}`),
    );
    expect(result.ok).toBe(true);
  });

  it('accepts a jose key resolver function as jwks', async () => {
    const result = await validator({ jwks: createLocalJWKSet(keySet) })(
      withAuthorization(`Bearer ${await token()}`),
    );
    expect(result.ok).toBe(true);
  });
});

describe('401: no token, or not a valid one', () => {
  it('refuses a request without Authorization', async () => {
    const result = await validator()(withAuthorization());
    expect(result).toEqual({
      ok: false,
      status: 401,
      reason: expect.stringContaining('no Authorization header'),
    });
  });

  it('refuses a scheme other than Bearer, naming it', async () => {
    const result = await validator()(withAuthorization('Basic dXNlcjpwYXNz'));
    expect(result).toEqual({
      ok: false,
      status: 401,
      reason: 'the Authorization scheme is "Basic": expected "Bearer <token>"',
    });
  });

  it('refuses "Bearer" without a token', async () => {
    const result = await validator()(withAuthorization('Bearer'));
    expect(result).toMatchObject({ status: 401, reason: expect.stringContaining('no token') });
  });

  it('refuses an expired token, saying when it expired', async () => {
    const exp = now() - 3600;
    const { status, reason } = await reasonFor(await token({ exp }));
    expect(status).toBe(401);
    expect(reason).toContain(`token expired at ${new Date(exp * 1000).toISOString()}`);
    expect(reason).toContain('clock tolerance 300 s');
  });

  it('honours a tighter clockToleranceSec', async () => {
    const { status, reason } = await reasonFor(await token({ exp: now() - 120 }), {
      clockToleranceSec: 30,
    });
    expect(status).toBe(401);
    expect(reason).toMatch(/^token expired at \d{4}-\d\d-\d\dT/);
  });

  it('refuses a token that is not valid yet, saying from when', async () => {
    const nbf = now() + 3600;
    const { status, reason } = await reasonFor(await token({ nbf }));
    expect(status).toBe(401);
    expect(reason).toContain(`token not valid before ${new Date(nbf * 1000).toISOString()}`);
  });

  it('refuses a token from another issuer, naming it and the accepted ones', async () => {
    const { status, reason } = await reasonFor(
      await token({ issuer: 'https://sts.windows.net/evil/' }),
    );
    expect(status).toBe(401);
    expect(reason).toBe(
      'issuer "https://sts.windows.net/evil/" is not one of "https://api.botframework.com", "https://graph.microsoft.com"',
    );
  });

  it('refuses a token without an issuer', async () => {
    const { status, reason } = await reasonFor(await token({ issuer: null }));
    expect(status).toBe(401);
    expect(reason).toBe('the token has no "iss" claim');
  });

  it('refuses a token signed by another key under the trusted kid', async () => {
    const { status, reason } = await reasonFor(await token({ key: strangerKey }));
    expect(status).toBe(401);
    expect(reason).toBe(
      `signature verification failed: the token was not signed by the trusted key with kid "${KID}"`,
    );
  });

  it('refuses a token whose kid no trusted key has', async () => {
    const { status, reason } = await reasonFor(await token({ key: strangerKey, kid: 'rogue' }));
    expect(status).toBe(401);
    expect(reason).toContain('no trusted signing key matches the token (kid "rogue"');
  });

  it('refuses a token signed with a shared secret (HS256)', async () => {
    const jwt = await new SignJWT({ tid: TENANT })
      .setProtectedHeader({ alg: 'HS256', kid: KID })
      .setIssuer('https://api.botframework.com')
      .setAudience(APP_ID)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('a shared secret long enough for HS256!!'));
    const { status, reason } = await reasonFor(jwt);
    expect(status).toBe(401);
    expect(reason).toBe('algorithm "HS256" is not accepted (accepted: RS256, RS384, RS512)');
  });

  it('refuses a token without a tenant id claim', async () => {
    const { status, reason } = await reasonFor(await token({ claims: { tid: undefined } }));
    expect(status).toBe(401);
    expect(reason).toContain('no tenant id claim');
  });

  it('refuses a token without an expiry', async () => {
    const { status, reason } = await reasonFor(await token({ exp: null }));
    expect(status).toBe(401);
    expect(reason).toBe('the token has no "exp" claim');
  });

  it('refuses a token without an audience as malformed (401, not 403)', async () => {
    const { status, reason } = await reasonFor(await token({ audience: null }));
    expect(status).toBe(401);
    expect(reason).toBe('the token has no "aud" claim');
  });

  it.each(['not-a-jwt', 'a.b.c', '....'])('refuses the malformed token %j', async (text) => {
    const { status, reason } = await reasonFor(text);
    expect(status).toBe(401);
    expect(reason).toMatch(/^malformed token: /);
  });
});

describe('403: a genuine token meant for someone else', () => {
  it('refuses a token for another app, naming both', async () => {
    const { status, reason } = await reasonFor(await token({ audience: OTHER_APP }));
    expect(status).toBe(403);
    expect(reason).toBe(`audience "${OTHER_APP}" is not this app "${APP_ID}"`);
  });

  it('refuses a token from a tenant outside the allow-list', async () => {
    const { status, reason } = await reasonFor(await token({ claims: { tid: OTHER_TENANT } }), {
      tenants: [TENANT],
    });
    expect(status).toBe(403);
    expect(reason).toBe(`tenant "${OTHER_TENANT}" is not allowed for this app`);
  });

  it('answers through the webhook handler: 403 with the reason, and the body never ingested', async () => {
    const registry = recordingRegistry();
    const handler = createWebhookHandler(registry, {
      authenticate: validator({ tenants: [TENANT] }),
    });
    const foreign = await token({ claims: { tid: OTHER_TENANT } });
    const refused = await handler(jsonPost(envelope(), { authorization: `Bearer ${foreign}` }));
    expect(refused.status).toBe(403);
    expect((await problemOf(refused)).detail).toContain('is not allowed for this app');
    expect(registry.bodies).toEqual([]);

    const taken = await handler(jsonPost(envelope(), { authorization: `Bearer ${await token()}` }));
    expect(taken.status).toBe(202);
    expect(registry.bodies).toHaveLength(1);
  });
});

describe('configuration', () => {
  it('refuses to be created without an app id', () => {
    expect(() => createGraphTokenValidator({ appId: ' ' })).toThrow(/appId is required/);
  });

  it('refuses a jwks string that is not a URL', () => {
    expect(() => createGraphTokenValidator({ appId: APP_ID, jwks: 'keys.json' })).toThrow(
      /jwks "keys.json" is not a URL/,
    );
  });

  it('fetches nothing until the first request (default key sources)', () => {
    // Creating it must work offline: the default sources are remote.
    expect(() => createGraphTokenValidator({ appId: APP_ID })).not.toThrow();
  });

  it('refuses an issuer that has no default key source when jwks is not given', () => {
    expect(() =>
      createGraphTokenValidator({ appId: APP_ID, issuers: ['https://sts.windows.net/x/'] }),
    ).toThrow(/issuer "https:\/\/sts.windows.net\/x\/" has no default key source; give jwks/);
  });

  it.each([
    ['cacheSize', -1, /cacheSize is -1, expected a whole number ≥ 0/],
    ['cacheSize', 1.5, /cacheSize is 1.5/],
    ['cacheMaxAgeMs', Number.NaN, /cacheMaxAgeMs is NaN, expected milliseconds ≥ 0/],
    ['keyFetchTimeoutMs', 0, /keyFetchTimeoutMs is 0, expected milliseconds ≥ 1/],
    ['keyRefreshIntervalMs', -5, /keyRefreshIntervalMs is -5/],
    ['maxStaleKeysMs', Number.POSITIVE_INFINITY, /maxStaleKeysMs is Infinity/],
  ] as const)('refuses %s = %s', (option, value, message) => {
    expect(() => createGraphTokenValidator({ appId: APP_ID, [option]: value })).toThrow(message);
  });
});

describe('remote key sets on a loopback server', () => {
  let server: Server;
  let base = '';
  const hits: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url === '/keys') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(keySet));
      } else if (req.url === '/.well-known/openid-configuration') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ issuer: 'https://api.botframework.com', jwks_uri: `${base}/keys` }),
        );
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('verifies against a JWKS URL, fetching it once', async () => {
    hits.length = 0;
    const authenticate = validator({ jwks: `${base}/keys` });
    expect(hits).toEqual([]);
    for (let i = 0; i < 3; i++) {
      expect(await authenticate(withAuthorization(`Bearer ${await token()}`))).toMatchObject({
        ok: true,
      });
    }
    expect(hits).toEqual(['/keys']);
  });

  it('finds the key set through an OpenID configuration document', async () => {
    hits.length = 0;
    const authenticate = validator({
      jwks: { openIdConfiguration: `${base}/.well-known/openid-configuration` },
    });
    expect(await authenticate(withAuthorization(`Bearer ${await token()}`))).toMatchObject({
      ok: true,
    });
    expect(await authenticate(withAuthorization(`Bearer ${await token()}`))).toMatchObject({
      ok: true,
    });
    expect(hits).toEqual(['/.well-known/openid-configuration', '/keys']);
  });

  it('goes on to the next source when one cannot be fetched, and reports the failing one', async () => {
    const failures: string[] = [];
    const result = await validator({
      jwks: [`${base}/gone`, new URL(`${base}/keys`)],
      onKeyError: (error, { source }) => failures.push(`${source}: ${error.message}`),
    })(withAuthorization(`Bearer ${await token()}`));
    expect(result.ok).toBe(true);
    expect(failures).toEqual([`${base}/gone: ${base}/gone answered 404`]);
  });

  it('says which source failed and how when none has the key', async () => {
    const failures: string[] = [];
    const { status, reason } = await reasonFor(await token(), {
      jwks: [`${base}/gone`, { openIdConfiguration: `${base}/missing-config` }],
      onKeyError: (_error, { source }) => failures.push(source),
    });
    expect(status).toBe(401);
    expect(reason).toContain(`${base}/gone: ${base}/gone answered 404 (no keys yet; failing since`);
    expect(reason).toContain(
      `${base}/missing-config: ${base}/missing-config answered 404 (no keys yet;`,
    );
    expect(failures).toEqual([`${base}/gone`, `${base}/missing-config`]);
  });

  it('warns once per outage through console.warn when no onKeyError is given', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const authenticate = validator({ jwks: `${base}/gone` });
      for (let i = 0; i < 3; i++) {
        expect(await authenticate(withAuthorization(`Bearer ${await token()}`))).toMatchObject({
          ok: false,
          status: 401,
        });
      }
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn).toHaveBeenCalledWith(
        expect.stringContaining(`the signing keys at ${base}/gone cannot be fetched`),
      );
    } finally {
      warn.mockRestore();
    }
  });
});
