/**
 * Microsoft's key endpoints failing, hanging or rotating keys must not become a webhook outage:
 * the validator keeps the last good keys (for up to maxStaleKeysMs), reports an outage once,
 * never has more than one fetch in flight, answers within the fetch timeout, and fetches only
 * the endpoint of the token's issuer. Time is a fake clock, except for the fetch timeout.
 */
import {
  type CryptoKey,
  exportJWK,
  generateKeyPair,
  type JSONWebKeySet,
  type JWK,
  SignJWT,
} from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BOT_FRAMEWORK_JWKS_URL,
  createGraphTokenValidator,
  GRAPH_CALLING_OPENID_CONFIGURATION_URL,
  type GraphTokenValidatorOptions,
  type KeyErrorInfo,
  type KeyFetch,
  type KeyRecoveryInfo,
} from '../../src/webhook/createGraphTokenValidator.js';
import { APP_ID, TENANT, WEBHOOK_URL } from './support.js';

const GRAPH = 'https://graph.microsoft.com';
const BOT_FRAMEWORK = 'https://api.botframework.com';
const APS_KEYS_URL = 'https://keys.aps.test/v1/keys';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

interface Signer {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

let aps: Signer;
let apsNext: Signer;
let botFramework: Signer;
let stranger: Signer;

async function signer(kid: string): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, use: 'sig' } };
}

beforeAll(async () => {
  [aps, apsNext, botFramework, stranger] = await Promise.all([
    signer('aps-1'),
    signer('aps-2'),
    signer('bf-1'),
    signer('stranger'),
  ]);
});

let clock = Date.parse('2026-03-01T10:00:00.000Z');
let serial = 0;

interface TokenOptions {
  readonly by?: Signer;
  readonly kid?: string;
  readonly issuer?: string;
}

/** A fresh token (its own `jti`, so never a cached one), issued now by the fake clock. */
async function token({ by = aps, kid = by.kid, issuer = GRAPH }: TokenOptions = {}) {
  const iat = Math.floor(clock / 1000);
  serial += 1;
  return new SignJWT({ tid: TENANT, jti: `n${serial}` })
    .setProtectedHeader({ alg: 'RS256', kid })
    .setIssuer(issuer)
    .setAudience(APP_ID)
    .setIssuedAt(iat)
    .setExpirationTime(iat + 3600)
    .sign(by.privateKey);
}

function bearer(jwt: string): Request {
  return new Request(WEBHOOK_URL, { method: 'POST', headers: { authorization: `Bearer ${jwt}` } });
}

type Mode = 'answer' | 'fail' | 'hang' | 'hangDeaf';

/**
 * Microsoft's two key endpoints, faked: the Bot Framework's key set, and the calling platform's
 * OpenID configuration naming its key set. `mode` says how every endpoint answers.
 */
function keyEndpoints() {
  const documents = new Map<string, unknown>([
    [BOT_FRAMEWORK_JWKS_URL, { keys: [botFramework.jwk] }],
    [GRAPH_CALLING_OPENID_CONFIGURATION_URL, { issuer: GRAPH, jwks_uri: APS_KEYS_URL }],
    [APS_KEYS_URL, { keys: [aps.jwk] }],
  ]);
  const endpoints = {
    mode: 'answer' as Mode,
    calls: [] as string[],
    inFlight: 0,
    mostInFlight: 0,
    aborted: 0,
    /** Answers still to come from a fetch that ignores its abort signal. */
    late: [] as Promise<unknown>[],
    publish(url: string, keys: readonly JWK[]): void {
      documents.set(url, { keys: [...keys] } satisfies JSONWebKeySet);
    },
    fetch: (async (url, init) => {
      endpoints.calls.push(url.href);
      endpoints.inFlight += 1;
      endpoints.mostInFlight = Math.max(endpoints.mostInFlight, endpoints.inFlight);
      try {
        return await answer(url, init);
      } finally {
        endpoints.inFlight -= 1;
      }
    }) satisfies KeyFetch,
  };
  function answer(url: URL, init: RequestInit): Promise<Response> {
    switch (endpoints.mode) {
      case 'fail':
        return Promise.resolve(new Response('unavailable', { status: 500 }));
      case 'hang':
        return new Promise((_, reject) => {
          init.signal?.addEventListener('abort', () => {
            endpoints.aborted += 1;
            reject(init.signal?.reason);
          });
        });
      case 'hangDeaf': {
        const late = new Promise<Response>((resolve) =>
          setTimeout(() => resolve(new Response('late', { status: 500 })), 300),
        );
        endpoints.late.push(late);
        return late;
      }
      case 'answer': {
        const document = documents.get(url.href);
        return Promise.resolve(
          document === undefined ? new Response('', { status: 404 }) : Response.json(document),
        );
      }
    }
  }
  return endpoints;
}

/** A validator on the default key sources, the fake endpoints and the fake clock. */
function validator(
  endpoints: ReturnType<typeof keyEndpoints>,
  options: Partial<GraphTokenValidatorOptions> = {},
) {
  const errors: { message: string; info: KeyErrorInfo }[] = [];
  const recoveries: KeyRecoveryInfo[] = [];
  const authenticate = createGraphTokenValidator({
    appId: APP_ID,
    fetch: endpoints.fetch,
    now: () => clock,
    onKeyError: (error, info) => errors.push({ message: error.message, info }),
    onKeyRecovered: (info) => recoveries.push(info),
    ...options,
  });
  return { authenticate, errors, recoveries };
}

/** Lets background refreshes (whose fetches answer at once) finish. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('the key endpoint fails after keys were fetched', () => {
  it('keeps accepting valid tokens for 11 minutes of 500s, reporting the outage once', async () => {
    const endpoints = keyEndpoints();
    const { authenticate, errors, recoveries } = validator(endpoints);
    expect(await authenticate(bearer(await token()))).toMatchObject({ ok: true });
    expect(endpoints.calls).toEqual([GRAPH_CALLING_OPENID_CONFIGURATION_URL, APS_KEYS_URL]);

    endpoints.mode = 'fail';
    clock += HOUR; // the keys are due for a refresh
    const outageStart = clock;
    const verdicts: boolean[] = [];
    for (let second = 0; second < 11 * 60; second += 10) {
      verdicts.push((await authenticate(bearer(await token()))).ok);
      await settle();
      clock += 10_000;
    }
    expect(verdicts.every(Boolean)).toBe(true);
    expect(errors).toEqual([
      {
        message: `${GRAPH_CALLING_OPENID_CONFIGURATION_URL} answered 500`,
        info: {
          source: GRAPH_CALLING_OPENID_CONFIGURATION_URL,
          since: outageStart,
          usingStaleKeys: true,
        },
      },
    ]);
    // 66 requests, but retries back off (1 s, 2 s, 4 s … doubling): the endpoint is not hammered.
    const attempts = endpoints.calls.length - 2;
    expect(attempts).toBeGreaterThanOrEqual(5);
    expect(attempts).toBeLessThanOrEqual(11);
    expect(recoveries).toEqual([]);
  });

  it('still refuses a forged token with the stale keys', async () => {
    const endpoints = keyEndpoints();
    const { authenticate } = validator(endpoints);
    expect(await authenticate(bearer(await token()))).toMatchObject({ ok: true });
    endpoints.mode = 'fail';
    clock += HOUR + 11 * MINUTE;

    const underTrustedKid = await authenticate(bearer(await token({ by: stranger, kid: aps.kid })));
    expect(underTrustedKid).toEqual({
      ok: false,
      status: 401,
      reason: `signature verification failed: the token was not signed by the trusted key with kid "${aps.kid}"`,
    });
    const underOwnKid = await authenticate(bearer(await token({ by: stranger })));
    expect(underOwnKid).toMatchObject({
      ok: false,
      status: 401,
      reason: expect.stringContaining('no trusted signing key matches the token (kid "stranger"'),
    });
    await settle();
  });

  it('stops using the keys after maxStaleKeysMs, says why, and reports that once more', async () => {
    const endpoints = keyEndpoints();
    const { authenticate, errors } = validator(endpoints, { maxStaleKeysMs: 2 * HOUR });
    const fetchedAt = clock;
    const remembered = await token();
    expect(await authenticate(bearer(remembered))).toMatchObject({ ok: true });
    endpoints.mode = 'fail';
    clock += HOUR;
    expect(await authenticate(bearer(await token()))).toMatchObject({ ok: true });
    await settle();

    clock = fetchedAt + 2 * HOUR + 1;
    const late = await authenticate(bearer(await token()));
    expect(late).toMatchObject({ ok: false, status: 401 });
    if (late.ok) return;
    expect(late.reason).toContain(
      `${GRAPH_CALLING_OPENID_CONFIGURATION_URL} answered 500 (the keys fetched at ${new Date(fetchedAt).toISOString()} are older than maxStaleKeysMs (7200000 ms)`,
    );
    // A token verified before is not taken on trust either once its keys are too old.
    expect(await authenticate(bearer(remembered))).toMatchObject({ ok: false, status: 401 });
    expect(errors.map(({ info }) => info.usingStaleKeys)).toEqual([true, false]);
  });

  it('reports the recovery once when the endpoint answers again', async () => {
    const endpoints = keyEndpoints();
    const { authenticate, errors, recoveries } = validator(endpoints);
    await authenticate(bearer(await token()));
    endpoints.mode = 'fail';
    clock += HOUR;
    const since = clock;
    await authenticate(bearer(await token()));
    await settle();
    clock += 5_000;
    await authenticate(bearer(await token()));
    await settle();

    endpoints.mode = 'answer';
    clock += 10_000;
    for (let i = 0; i < 3; i++) {
      expect(await authenticate(bearer(await token()))).toMatchObject({ ok: true });
      await settle();
    }
    expect(errors).toHaveLength(1);
    expect(recoveries).toEqual([
      { source: GRAPH_CALLING_OPENID_CONFIGURATION_URL, since, failures: 2 },
    ]);
  });

  it('takes an empty key set for a failure, going on with the keys held', async () => {
    const endpoints = keyEndpoints();
    const { authenticate, errors } = validator(endpoints);
    await authenticate(bearer(await token()));
    endpoints.publish(APS_KEYS_URL, []);
    clock += HOUR;
    await authenticate(bearer(await token()));
    await settle();
    expect(await authenticate(bearer(await token()))).toMatchObject({ ok: true });
    expect(errors).toEqual([
      {
        message: `${APS_KEYS_URL} answered an empty key set`,
        info: expect.objectContaining({ usingStaleKeys: true }),
      },
    ]);
  });

  it('ignores what onKeyError throws', async () => {
    const endpoints = keyEndpoints();
    endpoints.mode = 'fail';
    const { authenticate } = validator(endpoints, {
      onKeyError: () => {
        throw new Error('the alerting is down too');
      },
    });
    expect(await authenticate(bearer(await token()))).toMatchObject({
      ok: false,
      status: 401,
      reason: expect.stringContaining('answered 500 (no keys yet; failing since'),
    });
  });
});

describe('the key endpoint hangs', () => {
  it('answers every request within the fetch timeout, with one fetch in flight', async () => {
    const endpoints = keyEndpoints();
    endpoints.mode = 'hang';
    const { authenticate, errors } = validator(endpoints, { keyFetchTimeoutMs: 50 });
    const tokens = await Promise.all(Array.from({ length: 25 }, () => token()));

    const started = performance.now();
    const verdicts = await Promise.all(tokens.map((jwt) => authenticate(bearer(jwt))));
    const elapsed = performance.now() - started;

    expect(elapsed).toBeGreaterThanOrEqual(45);
    expect(elapsed).toBeLessThan(1000);
    expect(endpoints.calls).toEqual([GRAPH_CALLING_OPENID_CONFIGURATION_URL]);
    expect(endpoints.mostInFlight).toBe(1);
    expect(endpoints.aborted).toBe(1);
    for (const verdict of verdicts) {
      expect(verdict).toMatchObject({
        ok: false,
        status: 401,
        reason: expect.stringContaining(
          `${GRAPH_CALLING_OPENID_CONFIGURATION_URL} did not answer within 50 ms (keyFetchTimeoutMs)`,
        ),
      });
    }
    expect(errors).toHaveLength(1);

    // Within the backoff a request is refused at once, without fetching.
    const duringBackoff = await token();
    const during = performance.now();
    expect(await authenticate(bearer(duringBackoff))).toMatchObject({ ok: false, status: 401 });
    expect(performance.now() - during).toBeLessThan(45);
    expect(endpoints.calls).toHaveLength(1);

    clock += 1000;
    await authenticate(bearer(await token()));
    expect(endpoints.calls).toHaveLength(2);
    expect(errors).toHaveLength(1);
  });

  it('gives up at the timeout even when the fetch ignores its abort signal', async () => {
    const endpoints = keyEndpoints();
    endpoints.mode = 'hangDeaf';
    const { authenticate } = validator(endpoints, { keyFetchTimeoutMs: 50 });
    const jwt = await token();
    const started = performance.now();
    const verdict = await authenticate(bearer(jwt));
    expect(performance.now() - started).toBeLessThan(250);
    expect(verdict).toMatchObject({
      ok: false,
      reason: expect.stringContaining('did not answer within 50 ms'),
    });
    await Promise.all(endpoints.late);
  });

  it('does not delay requests while a background refresh hangs', async () => {
    const endpoints = keyEndpoints();
    const { authenticate, errors } = validator(endpoints, { keyFetchTimeoutMs: 50 });
    await authenticate(bearer(await token()));
    endpoints.mode = 'hang';
    clock += HOUR;

    const tokens = await Promise.all(Array.from({ length: 20 }, () => token()));
    const verdicts = await Promise.all(tokens.map((jwt) => authenticate(bearer(jwt))));
    expect(verdicts.every((verdict) => verdict.ok)).toBe(true);
    // Answered while the refresh was still hanging: it was neither awaited nor repeated.
    expect(endpoints.aborted).toBe(0);
    expect(endpoints.calls).toHaveLength(3);

    await expect.poll(() => endpoints.aborted).toBe(1);
    await settle();
    expect(errors).toEqual([
      expect.objectContaining({
        info: expect.objectContaining({ usingStaleKeys: true }),
      }),
    ]);
  });
});

describe('keys are chosen by the token issuer', () => {
  it('never fetches the Bot Framework keys for a Graph token', async () => {
    const endpoints = keyEndpoints();
    const { authenticate } = validator(endpoints);
    expect(await authenticate(bearer(await token({ issuer: GRAPH })))).toMatchObject({ ok: true });
    expect(endpoints.calls).toEqual([GRAPH_CALLING_OPENID_CONFIGURATION_URL, APS_KEYS_URL]);
  });

  it('never fetches the calling platform keys for a Bot Framework token signed by its keys', async () => {
    const endpoints = keyEndpoints();
    const { authenticate } = validator(endpoints);
    const verdict = await authenticate(
      bearer(await token({ issuer: BOT_FRAMEWORK, by: botFramework })),
    );
    expect(verdict).toMatchObject({ ok: true });
    expect(endpoints.calls).toEqual([BOT_FRAMEWORK_JWKS_URL]);
  });

  it('keeps Graph tokens working while the Bot Framework endpoint is down', async () => {
    const endpoints = keyEndpoints();
    const { authenticate, errors } = validator(endpoints);
    await authenticate(bearer(await token({ issuer: GRAPH })));
    endpoints.mode = 'fail';
    clock += 30 * MINUTE;
    expect(await authenticate(bearer(await token({ issuer: GRAPH })))).toMatchObject({ ok: true });
    expect(endpoints.calls).not.toContain(BOT_FRAMEWORK_JWKS_URL);
    expect(errors).toEqual([]);
  });

  it('verifies a Bot Framework token signed with the calling platform keys, then goes there first', async () => {
    // Microsoft's calling samples check tokens of both issuers against the calling platform's keys.
    const endpoints = keyEndpoints();
    const { authenticate } = validator(endpoints);
    const first = await authenticate(bearer(await token({ issuer: BOT_FRAMEWORK, by: aps })));
    expect(first).toMatchObject({ ok: true });
    expect(endpoints.calls).toEqual([
      BOT_FRAMEWORK_JWKS_URL,
      GRAPH_CALLING_OPENID_CONFIGURATION_URL,
      APS_KEYS_URL,
    ]);
    clock += 5 * MINUTE;
    const next = await authenticate(bearer(await token({ issuer: BOT_FRAMEWORK, by: aps })));
    expect(next).toMatchObject({ ok: true });
    expect(endpoints.calls).toHaveLength(3);
  });

  it('refuses a token of an issuer that is not accepted without fetching anything', async () => {
    const endpoints = keyEndpoints();
    const { authenticate } = validator(endpoints);
    const verdict = await authenticate(
      bearer(await token({ issuer: 'https://sts.windows.net/evil/' })),
    );
    expect(verdict).toMatchObject({ ok: false, status: 401 });
    expect(endpoints.calls).toEqual([]);
  });
});

describe('a kid the keys lack', () => {
  it('fetches the keys again for a key Microsoft has just published', async () => {
    const endpoints = keyEndpoints();
    const { authenticate } = validator(endpoints);
    await authenticate(bearer(await token()));
    endpoints.publish(APS_KEYS_URL, [aps.jwk, apsNext.jwk]);
    clock += MINUTE;
    expect(await authenticate(bearer(await token({ by: apsNext })))).toMatchObject({ ok: true });
    expect(endpoints.calls).toHaveLength(4);
  });

  it('fetches at most once per 30 s for tokens naming unknown kids', async () => {
    const endpoints = keyEndpoints();
    const { authenticate } = validator(endpoints);
    await authenticate(bearer(await token()));
    clock += MINUTE;
    for (let i = 0; i < 40; i++) {
      const verdict = await authenticate(bearer(await token({ by: stranger, kid: `rogue-${i}` })));
      expect(verdict).toMatchObject({ ok: false, status: 401 });
      clock += 1000;
    }
    // 40 requests in 40 s: one refetch (configuration and keys) at the first, one 30 s later.
    expect(endpoints.calls).toHaveLength(2 + 2 * 2);
  });
});
