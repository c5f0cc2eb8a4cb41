import type {
  AnswerRequest,
  PlaceCallRequest,
  RedirectRequest,
  RejectRequest,
  TransferRequest,
} from '../../src/graph/callRequests.js';
import type { OperationRequest } from '../../src/graph/operationRequests.js';
import type { GetCallResult, GraphClient, GraphResult } from '../../src/index.js';
// Not yet exported by the barrel (src/index.ts).
import type { OperationResult, PlaceCallResult } from '../../src/runtime/types.js';

/**
 * The requests on an existing call; `OPERATION` is every `runOperation`, whatever its kind (its
 * body is the operation). `PLACE` (placing a call) is scripted apart, its answer has a call in it.
 */
type Method =
  | 'DELETE'
  | 'GET'
  | 'KEEPALIVE'
  | 'ANSWER'
  | 'REJECT'
  | 'REDIRECT'
  | 'TRANSFER'
  | 'OPERATION';

/** An answer to a request on a call: a GET's may carry the call's state, an operation's its report. */
type ScriptedResult = GetCallResult | OperationResult;

interface Pending<T> {
  readonly method: Method;
  readonly callId: string;
  resolve(result: T): void;
}

/** One request as the registry made it; `body` is the call-control request, when there was one. */
export interface ScriptedRequest {
  readonly method: Method | 'PLACE';
  readonly callId: string;
  readonly at: number;
  readonly body?: unknown;
}

/**
 * An in-process GraphClient whose answers a test scripts one by one: queued results are
 * answered at once, and with `hold()` a request waits until the test answers it.
 */
export class ScriptedGraph implements GraphClient {
  readonly requests: ScriptedRequest[] = [];
  readonly held: Pending<ScriptedResult>[] = [];
  private readonly scripts: Record<Method, (ScriptedResult | 'hold')[]> = {
    DELETE: [],
    GET: [],
    KEEPALIVE: [],
    ANSWER: [],
    REJECT: [],
    REDIRECT: [],
    TRANSFER: [],
    OPERATION: [],
  };
  private readonly defaults: Record<Method, ScriptedResult> = {
    DELETE: { ok: true, status: 204 },
    GET: { ok: false, status: 404 },
    KEEPALIVE: { ok: true, status: 200 },
    ANSWER: { ok: true, status: 202 },
    REJECT: { ok: true, status: 202 },
    REDIRECT: { ok: true, status: 202 },
    TRANSFER: { ok: true, status: 202 },
    OPERATION: { ok: true, status: 200 },
  };
  private readonly placeScript: PlaceCallResult[] = [];
  private placed = 0;

  /** Queues answers for the next requests of one method. */
  answer(method: Method, ...results: (ScriptedResult | 'hold')[]): this {
    this.scripts[method].push(...results);
    return this;
  }

  /** Queues answers for the next `placeCall`s; without one, each gets a new call `placed-{n}`. */
  answerPlace(...results: PlaceCallResult[]): this {
    this.placeScript.push(...results);
    return this;
  }

  count(method: Method | 'PLACE', callId?: string): number {
    return this.requests.filter(
      (r) => r.method === method && (callId === undefined || r.callId === callId),
    ).length;
  }

  /** Answers the oldest held request. */
  release(result: ScriptedResult): void {
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

  answerCall(callId: string, request: AnswerRequest): Promise<GraphResult> {
    return this.request('ANSWER', callId, request);
  }

  rejectCall(callId: string, request: RejectRequest): Promise<GraphResult> {
    return this.request('REJECT', callId, request);
  }

  redirectCall(callId: string, request: RedirectRequest): Promise<GraphResult> {
    return this.request('REDIRECT', callId, request);
  }

  transferCall(callId: string, request: TransferRequest): Promise<GraphResult> {
    return this.request('TRANSFER', callId, request);
  }

  runOperation(callId: string, operation: OperationRequest): Promise<OperationResult> {
    return this.request('OPERATION', callId, operation);
  }

  placeCall(request: PlaceCallRequest): Promise<PlaceCallResult> {
    this.placed += 1;
    const result = this.placeScript.shift() ?? {
      ok: true,
      status: 201,
      call: {
        id: `placed-${this.placed}`,
        state: 'establishing',
        resource: { id: `placed-${this.placed}`, state: 'establishing' },
      },
    };
    const callId = result.ok ? result.call.id : '';
    this.requests.push({ method: 'PLACE', callId, at: Date.now(), body: request });
    return Promise.resolve(result);
  }

  private request(method: Method, callId: string, body?: unknown): Promise<ScriptedResult> {
    this.requests.push({
      method,
      callId,
      at: Date.now(),
      ...(body !== undefined && { body }),
    });
    const next = this.scripts[method].shift() ?? this.defaults[method];
    if (next !== 'hold') return Promise.resolve(next);
    return new Promise((resolve) => this.held.push({ method, callId, resolve }));
  }
}
