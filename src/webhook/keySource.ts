/**
 * Where the token validator gets a signing key from: a fixed key set or resolver, or one of
 * Microsoft's key endpoints, fetched on demand and kept through its outages.
 *
 * A remote source is driven by the requests themselves: it has no timer of its own. Its states,
 * from the keys it holds and how its last fetch went:
 *
 * ```text
 *   no keys ──fetched──▶ fresh ──older than refreshIntervalMs──▶ due ──fetched──▶ fresh
 *      │                                                          │
 *    failed                                                    failed
 *      ▼                                                          ▼
 *   unavailable: requests refused,                 stale: the last good keys go on being used,
 *   fetch retried with backoff                     fetch retried with backoff
 *                                                                 │ keys older than maxStaleMs
 *                                                                 ▼
 *                                                  unavailable: the stale keys are not used
 * ```
 *
 * Only one fetch is in flight at a time, and a request waits for one only when it cannot be
 * answered without it: no usable keys yet, or a `kid` the keys lack (at most once per 30 s).
 * Every other refresh runs in the background. A failed fetch is retried after 1 s, the wait
 * doubling with each failure up to 5 min.
 * @module
 */
import { createLocalJWKSet, type JWTVerifyGetKey } from 'jose';

/** A key jose can verify with. */
export type VerifyKey = Awaited<ReturnType<JWTVerifyGetKey>>;
type KeyRequest = Parameters<JWTVerifyGetKey>;

/** The `fetch` a remote key source uses: the global one, or a test's. */
export type KeyFetch = (url: URL, init: RequestInit) => Promise<Response>;

/** What the validator's `onKeyError` is told besides the error. */
export interface KeyErrorInfo {
  /** The key source's URL. */
  readonly source: string;
  /** When (ms since the epoch, by the validator's clock) its fetches started failing. */
  readonly since: number;
  /** Whether keys fetched before the outage are still being used (until `maxStaleKeysMs`). */
  readonly usingStaleKeys: boolean;
}

/** What the validator's `onKeyRecovered` is told. */
export interface KeyRecoveryInfo {
  /** The key source's URL. */
  readonly source: string;
  /** When its fetches started failing (ms since the epoch). */
  readonly since: number;
  /** How many fetches failed in a row. */
  readonly failures: number;
}

/** Which keys verified a token, so a verdict reused from a cache can be dropped with its key. */
export interface KeyStamp {
  readonly kid: string | undefined;
  readonly generation: number;
}

/** A source of signing keys, as the validator uses it. */
export interface KeySource {
  /** Names the source in a refusal's reason: its URL, or what was configured. */
  readonly name: string;
  /**
   * Whether keys it already holds include `kid`, without fetching. A fixed source says `false`:
   * it is asked in its turn.
   */
  holds(kid: string): boolean;
  /** The key for a token's header; throws jose's `JWKSNoMatchingKey` when the keys lack it. */
  key(...request: KeyRequest): Promise<{ readonly key: VerifyKey; readonly stamp: KeyStamp }>;
  /**
   * Whether a token verified with `stamp` may still be taken as verified: its key is still
   * published, and the keys are not older than allowed. Starts a background refresh when due.
   */
  stillTrusts(stamp: KeyStamp): boolean;
}

/** Options of {@link createRemoteKeySource}; the validator fills them from its own. */
export interface RemoteKeySourceOptions {
  /** The key set's URL, or (`discover`) an OpenID configuration whose `jwks_uri` names it. */
  readonly url: URL;
  readonly discover: boolean;
  readonly fetch: KeyFetch;
  readonly now: () => number;
  /** How long one refresh (configuration and key set) may take before it counts as failed. */
  readonly timeoutMs: number;
  readonly refreshIntervalMs: number;
  /** How long after their fetch the last good keys may be used while refreshes fail. */
  readonly maxStaleMs: number;
  readonly onError: (error: Error, info: KeyErrorInfo) => void;
  readonly onRecovered: (info: KeyRecoveryInfo) => void;
}

// The wait after a failed fetch: 1 s, doubling with each failure in a row, at most 5 min.
const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 5 * 60_000;
// A token whose `kid` the keys lack refetches them at most this often (as jose's remote key set
// does): Microsoft publishes a new key before signing with it, but a forged `kid` must not make
// every request fetch.
const UNKNOWN_KID_COOLDOWN_MS = 30_000;

const backoff = (failures: number): number =>
  Math.min(FIRST_BACKOFF_MS * 2 ** (failures - 1), MAX_BACKOFF_MS);

/** A key set given in full, or a jose resolver: nothing to fetch, nothing to expire. */
export function staticKeySource(name: string, resolve: JWTVerifyGetKey): KeySource {
  return {
    name,
    async key(header, token) {
      return { key: await resolve(header, token), stamp: { kid: header.kid, generation: 0 } };
    },
    holds: () => false,
    stillTrusts: () => true,
  };
}

interface FetchedKeys {
  readonly resolve: JWTVerifyGetKey;
  readonly kids: ReadonlySet<string>;
  readonly fetchedAt: number;
  readonly generation: number;
  readonly fingerprint: string;
}

interface Outage {
  readonly since: number;
  failures: number;
  lastError: Error;
  nextAttemptAt: number;
  usingStaleKeys: boolean;
}

/** A key set fetched from `url`, refreshed on demand and kept through the endpoint's outages. */
export function createRemoteKeySource(options: RemoteKeySourceOptions): KeySource {
  const { url, now, maxStaleMs, refreshIntervalMs } = options;
  const name = url.href;
  let keys: FetchedKeys | undefined;
  let outage: Outage | undefined;
  let inFlight: Promise<void> | undefined;
  let generation = 0;

  const usable = (t: number): FetchedKeys | undefined =>
    keys !== undefined && t - keys.fetchedAt <= maxStaleMs ? keys : undefined;
  const mayFetch = (t: number): boolean =>
    inFlight === undefined && (outage === undefined || t >= outage.nextAttemptAt);

  /** Starts a fetch, or joins the one in flight; never rejects (the outcome is in the state). */
  function refresh(): Promise<void> {
    if (inFlight === undefined) {
      const pending = fetchKeys(options).then(succeeded).catch(failed);
      inFlight = pending;
      void pending.finally(() => {
        if (inFlight === pending) inFlight = undefined;
      });
    }
    return inFlight;
  }

  function refreshWhenDue(t: number, current: FetchedKeys): void {
    if (t - current.fetchedAt >= refreshIntervalMs && mayFetch(t)) void refresh();
  }

  function succeeded({ jwks, resolve }: { jwks: { keys: unknown[] }; resolve: JWTVerifyGetKey }) {
    const fingerprint = JSON.stringify(jwks.keys);
    if (keys?.fingerprint !== fingerprint) generation += 1;
    keys = { resolve, kids: kidsOf(jwks.keys), fetchedAt: now(), generation, fingerprint };
    if (outage !== undefined) {
      const { since, failures } = outage;
      outage = undefined;
      quietly(() => options.onRecovered({ source: name, since, failures }));
    }
  }

  function failed(reason: unknown): void {
    const t = now();
    const error = reason instanceof Error ? reason : new Error(String(reason));
    const usingStaleKeys = usable(t) !== undefined;
    if (outage === undefined) {
      outage = {
        since: t,
        failures: 1,
        lastError: error,
        nextAttemptAt: t + backoff(1),
        usingStaleKeys,
      };
      report(error, outage);
      return;
    }
    outage.failures += 1;
    outage.lastError = error;
    outage.nextAttemptAt = t + backoff(outage.failures);
    // Reported a second time only when it gets worse: the stale keys are now too old to use.
    if (outage.usingStaleKeys && !usingStaleKeys) {
      outage.usingStaleKeys = false;
      report(error, outage);
    }
  }

  function report(error: Error, { since, usingStaleKeys }: Outage): void {
    quietly(() => options.onError(error, { source: name, since, usingStaleKeys }));
  }

  function unavailable(): Error {
    const held =
      keys === undefined
        ? 'no keys yet'
        : `the keys fetched at ${iso(keys.fetchedAt)} are older than maxStaleKeysMs (${maxStaleMs} ms)`;
    if (outage === undefined) return new Error(held);
    const { lastError, since, nextAttemptAt } = outage;
    return new Error(
      `${lastError.message} (${held}; failing since ${iso(since)}, next attempt after ${iso(nextAttemptAt)})`,
    );
  }

  async function keyFrom(current: FetchedKeys, request: KeyRequest) {
    const [header] = request;
    return {
      key: await current.resolve(...request),
      stamp: { kid: header.kid, generation: current.generation },
    };
  }

  return {
    name,
    holds: (kid) => usable(now())?.kids.has(kid) === true,
    async key(...request) {
      const [header] = request;
      const t = now();
      const current = usable(t);
      if (current !== undefined) {
        refreshWhenDue(t, current);
        const known = header.kid === undefined || current.kids.has(header.kid);
        const worthFetching =
          inFlight !== undefined ||
          (t - current.fetchedAt >= UNKNOWN_KID_COOLDOWN_MS && mayFetch(t));
        if (known || !worthFetching) return keyFrom(current, request);
        await refresh();
        return keyFrom(usable(now()) ?? current, request);
      }
      if (inFlight !== undefined || mayFetch(t)) await refresh();
      const fetched = usable(now());
      if (fetched === undefined) throw unavailable();
      return keyFrom(fetched, request);
    },
    stillTrusts(stamp) {
      const t = now();
      const current = usable(t);
      if (current === undefined) return false;
      refreshWhenDue(t, current);
      return (
        current.generation === stamp.generation ||
        (stamp.kid !== undefined && current.kids.has(stamp.kid))
      );
    },
  };
}

async function fetchKeys({ url, discover, fetch, timeoutMs }: RemoteKeySourceOptions) {
  return withDeadline(timeoutMs, url, async (signal) => {
    const jwksUrl = discover ? jwksUriOf(await getJson(fetch, url, signal, 'follow'), url) : url;
    // jose's remote key set does not follow redirects for the keys either.
    const jwks = await getJson(fetch, jwksUrl, signal, 'manual');
    let resolve: JWTVerifyGetKey;
    try {
      resolve = createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]);
    } catch {
      throw new Error(`${jwksUrl.href} did not answer a JSON Web Key Set`);
    }
    const { keys } = jwks as { keys: unknown[] };
    // Taken as a failure, so the keys held go on being used: an endpoint in trouble answering
    // an empty set must not make every token unverifiable.
    if (keys.length === 0) throw new Error(`${jwksUrl.href} answered an empty key set`);
    return { jwks: { keys }, resolve };
  });
}

async function getJson(
  fetch: KeyFetch,
  url: URL,
  signal: AbortSignal,
  redirect: 'follow' | 'manual',
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'GET',
      headers: { accept: 'application/json, application/jwk-set+json' },
      signal,
      redirect,
    });
  } catch (cause) {
    const why = cause instanceof Error ? `${cause.message}${causeOf(cause)}` : String(cause);
    throw new Error(`${url.href} could not be fetched: ${why}`, { cause });
  }
  if (response.status !== 200) throw new Error(`${url.href} answered ${response.status}`);
  try {
    return await response.json();
  } catch (cause) {
    throw new Error(`${url.href} did not answer JSON`, { cause });
  }
}

function jwksUriOf(document: unknown, configUrl: URL): URL {
  const jwksUri =
    typeof document === 'object' && document !== null && 'jwks_uri' in document
      ? document.jwks_uri
      : undefined;
  if (typeof jwksUri !== 'string') throw new Error(`${configUrl.href} has no jwks_uri`);
  try {
    return new URL(jwksUri);
  } catch {
    throw new Error(`${configUrl.href} has a jwks_uri that is not a URL`);
  }
}

/**
 * Runs `work` with a signal aborted after `ms`, and settles by then even if `work` ignores the
 * signal: a key endpoint that hangs must cost a request the timeout, not the hang.
 */
async function withDeadline<T>(
  ms: number,
  url: URL,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`${url.href} did not answer within ${ms} ms (keyFetchTimeoutMs)`);
      reject(error);
      controller.abort(error);
    }, ms);
    timer.unref?.();
  });
  try {
    return await Promise.race([work(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function kidsOf(keys: readonly unknown[]): ReadonlySet<string> {
  const kids = new Set<string>();
  for (const key of keys) {
    if (typeof key === 'object' && key !== null && 'kid' in key && typeof key.kid === 'string') {
      kids.add(key.kid);
    }
  }
  return kids;
}

/** A callback of the user's must not break key handling: what it throws is ignored. */
function quietly(callback: () => void): void {
  try {
    callback();
  } catch {}
}

function causeOf(error: Error): string {
  return error.cause instanceof Error ? ` (${error.cause.message})` : '';
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
