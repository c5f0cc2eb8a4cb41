import type { GraphFetch } from '../../src/index.js';

interface Held {
  readonly method: string;
  readonly url: string;
  readonly resolve: (response: Response) => void;
  readonly reject: (reason: unknown) => void;
}

/** A request the fake Graph received: method, URL and the JSON body, if any. */
export interface SentRequest {
  readonly method: string;
  readonly url: string;
  readonly body?: unknown;
}

/**
 * Which requests an answer is for: a method (`DELETE`), or a method and the end of the URL
 * (`POST /answer`, `POST /keepAlive`), so that requests of one method on different endpoints
 * are told apart.
 */
export type RequestMatch = string;

function matches(match: RequestMatch, method: string, url: string): boolean {
  const [wanted, suffix] = match.split(' ');
  return wanted === method && (suffix === undefined || new URL(url).pathname.endsWith(suffix));
}

/**
 * A `fetch` for the real Graph client whose requests wait until the test answers them, so a
 * test decides, step by step, what Graph says and when.
 */
export class ManualFetch {
  readonly held: Held[] = [];
  readonly sent: SentRequest[] = [];
  /** Answers given at once, by {@link RequestMatch}, before any request is held. */
  readonly autoAnswer = new Map<RequestMatch, () => Response>();

  readonly fetch: GraphFetch = (url, init) => {
    const method = init.method ?? 'GET';
    const body = typeof init.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    this.sent.push(body === undefined ? { method, url } : { method, url, body });
    for (const [match, auto] of this.autoAnswer) {
      if (matches(match, method, url)) return Promise.resolve(auto());
    }
    return new Promise((resolve, reject) => this.held.push({ method, url, resolve, reject }));
  };

  pending(match: RequestMatch): number {
    return this.held.filter((h) => matches(match, h.method, h.url)).length;
  }

  #take(match: RequestMatch): Held | undefined {
    const index = this.held.findIndex((h) => matches(match, h.method, h.url));
    return index === -1 ? undefined : this.held.splice(index, 1)[0];
  }

  /** Answers the oldest held request that `match` names; false when none is held. */
  answer(
    match: RequestMatch,
    status: number,
    body?: unknown,
    headers: Record<string, string> = {},
  ): boolean {
    const request = this.#take(match);
    if (request === undefined) return false;
    const text = body === undefined ? null : JSON.stringify(body);
    request.resolve(
      new Response(status === 204 ? null : text, {
        status,
        headers: text === null ? headers : { 'content-type': 'application/json', ...headers },
      }),
    );
    return true;
  }

  /** The oldest held request that `match` names gets no response: a network error. */
  fail(match: RequestMatch): boolean {
    const request = this.#take(match);
    if (request === undefined) return false;
    request.reject(new TypeError('fetch failed', { cause: new Error('ECONNRESET') }));
    return true;
  }
}
