import type { GraphFetch } from '../../src/index.js';

interface Held {
  readonly method: string;
  readonly url: string;
  readonly resolve: (response: Response) => void;
}

/**
 * A `fetch` for the real Graph client whose requests wait until the test answers them, so a
 * test decides, step by step, what Graph says and when.
 */
export class ManualFetch {
  readonly held: Held[] = [];
  readonly sent: { method: string; url: string }[] = [];
  /** Answers given at once, by method, before any request is held. */
  readonly autoAnswer = new Map<string, () => Response>();

  readonly fetch: GraphFetch = (url, init) => {
    const method = init.method ?? 'GET';
    this.sent.push({ method, url });
    const auto = this.autoAnswer.get(method);
    if (auto !== undefined) return Promise.resolve(auto());
    return new Promise((resolve) => this.held.push({ method, url, resolve }));
  };

  pending(method: string): number {
    return this.held.filter((h) => h.method === method).length;
  }

  /** Answers the oldest held request of `method`; false when none is held. */
  answer(
    method: string,
    status: number,
    body?: unknown,
    headers: Record<string, string> = {},
  ): boolean {
    const index = this.held.findIndex((h) => h.method === method);
    const [request] = index === -1 ? [] : this.held.splice(index, 1);
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
}
