/**
 * The verified-token cache: Graph sends the same token with many notifications, so it is
 * verified once; a remembered token ends at its expiry, at cacheMaxAgeMs, and with its key.
 * Verifications are counted through a jose key resolver given as `jwks` (jwtVerify asks it once
 * per verification). Time is a fake clock.
 */
import {
  type CryptoKey,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type JSONWebKeySet,
  type JWK,
  type JWTVerifyGetKey,
  SignJWT,
} from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createGraphTokenValidator,
  type GraphTokenValidatorOptions,
  type KeyFetch,
} from '../../src/webhook/createGraphTokenValidator.js';
import { createTokenCache, type Verification } from '../../src/webhook/tokenCache.js';
import { APP_ID, OTHER_TENANT, TENANT, WEBHOOK_URL } from './support.js';

const KEYS_URL = 'https://keys.test/v1/keys';
const MINUTE = 60_000;

interface Signer {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

let first: Signer;
let second: Signer;
let third: Signer;

async function signer(kid: string): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256' } };
}

beforeAll(async () => {
  [first, second, third] = await Promise.all([signer('k1'), signer('k2'), signer('k3')]);
});

let clock = Date.parse('2026-03-01T10:00:00.000Z');
let serial = 0;

interface TokenOptions {
  readonly by?: Signer;
  readonly lifetimeSec?: number;
  readonly tenant?: string;
}

async function token({ by = first, lifetimeSec = 3600, tenant = TENANT }: TokenOptions = {}) {
  const iat = Math.floor(clock / 1000);
  serial += 1;
  return new SignJWT({ tid: tenant, jti: `t${serial}` })
    .setProtectedHeader({ alg: 'RS256', kid: by.kid })
    .setIssuer('https://graph.microsoft.com')
    .setAudience(APP_ID)
    .setIssuedAt(iat)
    .setExpirationTime(iat + lifetimeSec)
    .sign(by.privateKey);
}

function bearer(jwt: string): Request {
  return new Request(WEBHOOK_URL, { method: 'POST', headers: { authorization: `Bearer ${jwt}` } });
}

/** A validator over a fixed key set that counts its verifications (its key lookups). */
function counted(options: Partial<GraphTokenValidatorOptions> = {}) {
  const keys = createLocalJWKSet({ keys: [first.jwk, second.jwk] });
  const counter = { verifications: 0 };
  const jwks: JWTVerifyGetKey = (header, jws) => {
    counter.verifications += 1;
    return keys(header, jws);
  };
  const authenticate = createGraphTokenValidator({
    appId: APP_ID,
    jwks,
    now: () => clock,
    ...options,
  });
  return { authenticate, counter };
}

describe('the same token', () => {
  it('is verified once for many requests, one after another or at once', async () => {
    const { authenticate, counter } = counted();
    const jwt = await token();
    const one = await authenticate(bearer(jwt));
    for (let i = 0; i < 50; i++) expect(await authenticate(bearer(jwt))).toBe(one);
    expect(counter.verifications).toBe(1);

    const other = await token({ by: second });
    const together = await Promise.all(
      Array.from({ length: 50 }, () => authenticate(bearer(other))),
    );
    expect(counter.verifications).toBe(2);
    expect(new Set(together).size).toBe(1);
    expect(together[0]).toEqual({ ok: true, claims: expect.objectContaining({ tid: TENANT }) });
  });

  it('gives exactly what verification gave, frozen so no request can change it for the next', async () => {
    const { authenticate } = counted();
    const jwt = await token();
    const verified = await authenticate(bearer(jwt));
    const reused = await authenticate(bearer(jwt));
    expect(reused).toBe(verified);
    expect(Object.isFrozen(verified)).toBe(true);
    if (!verified.ok) throw new Error('expected the token to be accepted');
    expect(Object.isFrozen(verified.claims)).toBe(true);
  });

  it('is verified again, and refused, once it has expired (exp + clock tolerance)', async () => {
    const { authenticate, counter } = counted({ clockToleranceSec: 60 });
    const jwt = await token({ lifetimeSec: 120 });
    const expiresAt = Math.floor(clock / 1000) * 1000 + 120_000;
    expect(await authenticate(bearer(jwt))).toMatchObject({ ok: true });

    clock = expiresAt + 60_000 - 1;
    expect(await authenticate(bearer(jwt))).toMatchObject({ ok: true });
    expect(counter.verifications).toBe(1);

    clock = expiresAt + 60_000;
    expect(await authenticate(bearer(jwt))).toMatchObject({
      ok: false,
      status: 401,
      reason: expect.stringContaining(`token expired at ${new Date(expiresAt).toISOString()}`),
    });
    expect(counter.verifications).toBe(2);
  });

  it('is verified again after cacheMaxAgeMs, however far away its expiry', async () => {
    const { authenticate, counter } = counted({ cacheMaxAgeMs: 10 * MINUTE });
    const jwt = await token({ lifetimeSec: 24 * 3600 });
    await authenticate(bearer(jwt));
    clock += 10 * MINUTE - 1;
    await authenticate(bearer(jwt));
    expect(counter.verifications).toBe(1);
    clock += 1;
    expect(await authenticate(bearer(jwt))).toMatchObject({ ok: true });
    expect(counter.verifications).toBe(2);
  });
});

describe('refusals are not remembered', () => {
  it('verifies a token from a tenant outside the allow-list each time (403)', async () => {
    const { authenticate, counter } = counted({ tenants: [TENANT] });
    const jwt = await token({ tenant: OTHER_TENANT });
    for (let i = 0; i < 3; i++) {
      expect(await authenticate(bearer(jwt))).toMatchObject({ ok: false, status: 403 });
    }
    expect(counter.verifications).toBe(3);
  });

  it('verifies a forged token each time (401)', async () => {
    const { authenticate, counter } = counted();
    const forged = await token({ by: { ...third, kid: first.kid } });
    for (let i = 0; i < 3; i++) {
      expect(await authenticate(bearer(forged))).toMatchObject({ ok: false, status: 401 });
    }
    expect(counter.verifications).toBe(3);
  });
});

describe('cacheSize', () => {
  it('forgets the least recently used token beyond its bound', async () => {
    const { authenticate, counter } = counted({ cacheSize: 2 });
    const [a, b, c] = await Promise.all([token(), token(), token()]);
    await authenticate(bearer(a));
    await authenticate(bearer(b));
    await authenticate(bearer(a)); // a is now the most recently used
    expect(counter.verifications).toBe(2);
    await authenticate(bearer(c)); // evicts b
    await authenticate(bearer(a));
    expect(counter.verifications).toBe(3);
    await authenticate(bearer(b));
    expect(counter.verifications).toBe(4);
  });

  it('0 verifies every request, still sharing one verification among concurrent ones', async () => {
    const { authenticate, counter } = counted({ cacheSize: 0 });
    const jwt = await token();
    await authenticate(bearer(jwt));
    await authenticate(bearer(jwt));
    expect(counter.verifications).toBe(2);
    await Promise.all(Array.from({ length: 10 }, () => authenticate(bearer(jwt))));
    expect(counter.verifications).toBe(3);
  });
});

describe('key rotation', () => {
  interface KeyEndpoint {
    document: JSONWebKeySet;
    calls: number;
    readonly fetch: KeyFetch;
  }

  function keyEndpoint(keys: JWK[]): KeyEndpoint {
    const endpoint: KeyEndpoint = {
      document: { keys },
      calls: 0,
      fetch: async () => {
        endpoint.calls += 1;
        return Response.json(endpoint.document);
      },
    };
    return endpoint;
  }

  it('drops remembered tokens whose key is no longer published, keeping the others', async () => {
    const endpoint = keyEndpoint([first.jwk, second.jwk]);
    const authenticate = createGraphTokenValidator({
      appId: APP_ID,
      jwks: KEYS_URL,
      fetch: endpoint.fetch,
      now: () => clock,
    });
    const byFirst = await token({ by: first });
    const bySecond = await token({ by: second });
    expect(await authenticate(bearer(byFirst))).toMatchObject({ ok: true });
    expect(await authenticate(bearer(bySecond))).toMatchObject({ ok: true });

    endpoint.document = { keys: [second.jwk, third.jwk] };
    clock += 61 * MINUTE; // the keys are due for a refresh; the tokens are still remembered
    // Answered from the cache at once, while the refresh runs in the background.
    expect(await authenticate(bearer(byFirst))).toMatchObject({ ok: true });
    await expect.poll(() => endpoint.calls).toBe(2);

    await expect
      .poll(async () => authenticate(bearer(byFirst)))
      .toMatchObject({
        ok: false,
        status: 401,
        reason: expect.stringContaining('no trusted signing key matches the token (kid "k1"'),
      });
    expect(await authenticate(bearer(bySecond))).toMatchObject({ ok: true });
    expect(await authenticate(bearer(await token({ by: third })))).toMatchObject({ ok: true });
  });
});

describe('createTokenCache', () => {
  const accepted = (until: number, stillTrusted = () => true): Verification<string> => ({
    result: 'accepted',
    reuse: { until, stillTrusted },
  });

  it('remembers only verdicts that may be reused, until `until` and the maximum age', async () => {
    let now = 0;
    const cache = createTokenCache<string>({ maxEntries: 10, maxAgeMs: 100, now: () => now });
    await cache.verifyOnce('refused', async () => ({ result: 'refused' }));
    await cache.verifyOnce('short', async () => accepted(50));
    await cache.verifyOnce('long', async () => accepted(1000));
    expect(cache.get('refused')).toBeUndefined();
    expect(cache.size).toBe(2);
    now = 49;
    expect([cache.get('short'), cache.get('long')]).toEqual(['accepted', 'accepted']);
    now = 50;
    expect([cache.get('short'), cache.get('long')]).toEqual([undefined, 'accepted']);
    now = 100;
    expect(cache.get('long')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('drops a verdict whose key is no longer trusted', async () => {
    let trusted = true;
    const cache = createTokenCache<string>({ maxEntries: 10, maxAgeMs: 100, now: () => 0 });
    await cache.verifyOnce('t', async () => accepted(1000, () => trusted));
    expect(cache.get('t')).toBe('accepted');
    trusted = false;
    expect(cache.get('t')).toBeUndefined();
    trusted = true;
    expect(cache.get('t')).toBeUndefined();
  });

  it('shares a verification in flight and forgets it once settled, even when it fails', async () => {
    const cache = createTokenCache<string>({ maxEntries: 10, maxAgeMs: 100, now: () => 0 });
    let runs = 0;
    let fail = true;
    const verify = async (): Promise<Verification<string>> => {
      runs += 1;
      await new Promise((resolve) => setImmediate(resolve));
      if (fail) throw new Error('the verification broke');
      return accepted(1000);
    };
    const failing = [cache.verifyOnce('t', verify), cache.verifyOnce('t', verify)];
    await expect(Promise.all(failing)).rejects.toThrow('the verification broke');
    await Promise.allSettled(failing);
    expect(runs).toBe(1);
    fail = false;
    expect(
      await Promise.all([cache.verifyOnce('t', verify), cache.verifyOnce('t', verify)]),
    ).toEqual(['accepted', 'accepted']);
    expect(runs).toBe(2);
    expect(cache.get('t')).toBe('accepted');
  });
});
