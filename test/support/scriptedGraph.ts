import type { GetCallResult, GraphClient, GraphResult } from '../../src/index.js';

type Method = 'DELETE' | 'GET' | 'KEEPALIVE';

interface Pending<T> {
  readonly method: Method;
  readonly callId: string;
  resolve(result: T): void;
}

/**
 * An in-process GraphClient whose answers a test scripts one by one: queued results are
 * answered at once, and with `hold()` a request waits until the test answers it.
 */
export class ScriptedGraph implements GraphClient {
  readonly requests: { method: Method; callId: string; at: number }[] = [];
  readonly held: Pending<GetCallResult>[] = [];
  private readonly scripts: Record<Method, (GetCallResult | 'hold')[]> = {
    DELETE: [],
    GET: [],
    KEEPALIVE: [],
  };
  private readonly defaults: Record<Method, GetCallResult> = {
    DELETE: { ok: true, status: 204 },
    GET: { ok: false, status: 404 },
    KEEPALIVE: { ok: true, status: 200 },
  };

  /** Queues answers for the next requests of one method. */
  answer(method: Method, ...results: (GetCallResult | 'hold')[]): this {
    this.scripts[method].push(...results);
    return this;
  }

  count(method: Method, callId?: string): number {
    return this.requests.filter(
      (r) => r.method === method && (callId === undefined || r.callId === callId),
    ).length;
  }

  /** Answers the oldest held request. */
  release(result: GetCallResult): void {
    const pending = this.held.shift();
    if (pending === undefined) throw new Error('no held request to release');
    pending.resolve(result);
  }

  deleteCall(callId: string): Promise<GraphResult> {
    return this.request('DELETE', callId);
  }

  getCall(callId: string): Promise<GetCallResult> {
    return this.request('GET', callId);
  }

  keepAlive(callId: string): Promise<GraphResult> {
    return this.request('KEEPALIVE', callId);
  }

  private request(method: Method, callId: string): Promise<GetCallResult> {
    this.requests.push({ method, callId, at: Date.now() });
    const next = this.scripts[method].shift() ?? this.defaults[method];
    if (next !== 'hold') return Promise.resolve(next);
    return new Promise((resolve) => this.held.push({ method, callId, resolve }));
  }
}
