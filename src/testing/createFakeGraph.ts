/**
 * An in-process fake of the Microsoft Graph calls endpoints, with seeded fault injection.
 *
 * It keeps calls with their states and etags, answers `DELETE`, `GET` and `POST …/keepAlive`
 * (and create, answer, reject, redirect, transfer) as Graph does, and posts the change
 * notifications that follow to the bot: to a function such as `registry.ingest`, or to a
 * webhook URL. Requests reach it through its `fetch` (inject it into `createGraphClient` or
 * `createCallRegistry`) or over HTTP on a loopback port (`listen()`).
 *
 * Faults are drawn from one seeded generator, so a failing run replays exactly with its seed.
 *
 * @example
 * ```ts
 * import { createCallRegistry } from 'graph-call-machine';
 * import { createFakeGraph } from 'graph-call-machine/testing';
 *
 * const fake = createFakeGraph({
 *   deliver: (body) => registry.ingest(body),
 *   faults: { seed: 7, duplicate: 0.2, reorderWindow: 2 },
 * });
 * const registry = createCallRegistry({
 *   graph: { getToken: async () => 'token', fetch: fake.fetch, baseUrl: fake.baseUrl },
 * });
 *
 * const callId = fake.placeCall();
 * await fake.settle();                              // establishing, established delivered
 * await registry.hangUp(callId);                    // DELETE → 204
 * const view = await registry.waitFor(callId, 'terminated');
 * view.outcome?.resultInfo;                         // { code: 200, subcode: 5001, … }
 * await fake.close();
 * ```
 * @module
 */
import type { GraphCallState } from '../graph/callState.js';
import type { ChangeType } from '../graph/notification.js';
import { parseNotifications } from '../graph/parseNotifications.js';
import type { Clock } from '../runtime/clock.js';
import { DeliveryQueue, type PostOutcome, type RecordedDelivery } from './deliveryQueue.js';
import {
  type Answer,
  errorAnswer,
  isRecord,
  type Route,
  respond,
  retryAfterHeader,
  routeOf,
} from './fakeGraphHttp.js';
import type {
  FakeCall,
  FakeGraph,
  FakeGraphOptions,
  IncomingCallOptions,
  PlaceCallOptions,
  RecordedRequest,
} from './fakeGraphTypes.js';
import {
  type CommsNotification,
  type CommsNotifications,
  created,
  type DeletedOptions,
  deleted,
  type NotifyResultInfo,
  updated,
} from './notify.js';
import { seededRandom } from './random.js';
import {
  type Armed,
  armFailure,
  armThrottle,
  resolveQueueFaults,
  resolveSeed,
} from './resolveFaults.js';
import { type LoopbackServer, serveOnLoopback } from './serveOnLoopback.js';

interface MutableCall {
  id: string;
  direction: 'incoming' | 'outgoing';
  state: GraphCallState;
  states: GraphCallState[];
  etag: number;
  ended: boolean;
  resultInfo?: NotifyResultInfo;
  callbackUri?: string;
}

type Advance = {
  readonly resultInfo?: NotifyResultInfo;
  readonly terminationReason?: string;
  readonly data?: Readonly<Record<string, unknown>>;
  /** `null`: the notification carries no state (a reject). */
  readonly wireState?: null;
};

const HANG_UP_RESULT: NotifyResultInfo = {
  code: 200,
  subcode: 5001,
  message: 'The conversation has ended.',
};
// From the call-end reasons Microsoft lists for call-delete: the peer left a P2P call.
const REMOTE_HANG_UP_RESULT: NotifyResultInfo = {
  code: 200,
  subcode: 18503,
  message: 'The other participant in peer-to-peer call, left the conversation.',
};
const TRANSFER_DONE_RESULT: NotifyResultInfo = {
  code: 0,
  subcode: 7015,
  message: 'GracefulTransferCompleted',
};
const TRANSFER_FAILED_RESULT: NotifyResultInfo = {
  code: 500,
  subcode: 7000,
  message: 'The transfer failed.',
};

const globalClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Creates a fake Graph. Throws a `RangeError`/`TypeError` for options that cannot work (a
 * probability above 1, a batch of 0, …); nothing else it does throws, except the scripting
 * methods when asked for something Graph would not do (answering an established call).
 *
 * Requests must carry `Authorization: Bearer …` (401 otherwise). Then throttle and fail
 * faults are applied, then the call decides: 204 for a DELETE of a live call (followed,
 * later, by `updated terminating` and `deleted terminated` with resultInfo 200/5001), 200
 * with the call for a GET, 200 for a keepAlive, and 404 with Graph's error body for a call
 * that is unknown or over.
 *
 * @example
 * ```ts
 * const fake = createFakeGraph({ deliver: 'http://127.0.0.1:3978/api/calls', faults: { seed: 3, dropTerminated: true } });
 * const graph = createGraphClient({ getToken: async () => 't', fetch: fake.fetch, baseUrl: fake.baseUrl });
 * const callId = fake.incomingCall();
 * fake.answer(callId);
 * await graph.deleteCall(callId);           // { ok: true, status: 204 }; `terminated` is dropped
 * (await graph.getCall(callId)).status;     // 404: the call is over all the same
 * ```
 */
export function createFakeGraph(options: FakeGraphOptions = {}): FakeGraph {
  const faults = options.faults ?? {};
  const queueFaults = resolveQueueFaults(faults);
  const seed = resolveSeed(faults.seed);
  const random = seededRandom(seed);
  // Call ids come from their own stream, so arming a fault does not change them.
  const idRandom = seededRandom(seed ^ 0x5eed_1d5);
  const clock = options.clock ?? globalClock;
  const apiVersion = options.apiVersion ?? 'v1.0';
  if (apiVersion !== 'v1.0' && apiVersion !== 'beta') {
    throw new TypeError(
      `createFakeGraph: apiVersion must be 'v1.0' or 'beta', got ${JSON.stringify(apiVersion)}.`,
    );
  }
  const baseOrigin = 'https://fake-graph.invalid';
  const etags = options.etags ?? true;
  const legacy = options.legacy;
  const webhookAbort = new AbortController();
  const send = resolveSend(options, webhookAbort.signal);

  const calls = new Map<string, MutableCall>();
  const requests: RecordedRequest[] = [];
  const deliveries: RecordedDelivery[] = [];
  const queue = new DeliveryQueue(queueFaults, random, clock, send, deliveries);
  const servers = new Set<LoopbackServer>();
  let throttle: Armed | undefined =
    faults.throttle && armThrottle(faults.throttle.next, faults.throttle.retryAfter);
  let failure: Armed | undefined =
    faults.fail &&
    armFailure(faults.fail.next ?? Number.POSITIVE_INFINITY, faults.fail.status, faults.fail);
  let sequence = 0;
  let requestCount = 0;
  let closed = false;

  function enqueue(item: CommsNotification): void {
    sequence += 1;
    queue.enqueue({ sequence, item, terminal: isTerminal(item) });
  }

  function advance(
    call: MutableCall,
    state: GraphCallState,
    changeType: ChangeType,
    extra: Advance = {},
  ): void {
    call.etag += 1;
    call.state = state;
    call.states.push(state);
    if (state === 'terminated') call.ended = true;
    if (extra.resultInfo === undefined) delete call.resultInfo;
    else call.resultInfo = extra.resultInfo;
    const built: DeletedOptions = {
      ...(etags && { etag: call.etag }),
      ...(legacy !== undefined && { legacy }),
      ...(extra.resultInfo !== undefined && { resultInfo: extra.resultInfo }),
      ...(extra.terminationReason !== undefined && { terminationReason: extra.terminationReason }),
      ...(extra.data !== undefined && { data: extra.data }),
    };
    if (changeType === 'created') enqueue(created(call.id, state, built));
    else if (changeType === 'updated') enqueue(updated(call.id, state, built));
    else enqueue(deleted(call.id, extra.wireState === null ? built : { ...built, state }));
  }

  function newCall(
    direction: MutableCall['direction'],
    callId: string | undefined,
    callbackUri: string | undefined,
  ): MutableCall {
    const id = callId ?? drawGuid(idRandom);
    if (id === '' || calls.has(id)) {
      throw new Error(
        `fake Graph: ${id === '' ? 'a call id must not be empty' : `a call with id ${id} already exists`}; leave callId out to get a fresh one.`,
      );
    }
    const call: MutableCall = {
      id,
      direction,
      state: direction === 'incoming' ? 'incoming' : 'establishing',
      states: [],
      etag: 0,
      ended: false,
    };
    if (callbackUri !== undefined) call.callbackUri = callbackUri;
    calls.set(id, call);
    return call;
  }

  function placeCall(opts: PlaceCallOptions = {}): string {
    const call = newCall('outgoing', opts.callId, opts.callbackUri);
    advance(call, 'establishing', 'updated');
    if (opts.establish !== false) advance(call, 'established', 'updated');
    return call.id;
  }

  function incomingCall(opts: IncomingCallOptions = {}): string {
    const call = newCall('incoming', opts.callId, opts.callbackUri);
    advance(call, 'incoming', 'created', { data: { direction: 'incoming' } });
    return call.id;
  }

  // Each scripted action states which states it may start from; `problem` says why not.
  type Action =
    | 'answer'
    | 'reject'
    | 'redirect'
    | 'transfer'
    | 'remoteHangUp'
    | 'setState'
    | 'hangUp'
    | 'get'
    | 'keepAlive';
  const STARTS: Readonly<Partial<Record<Action, readonly GraphCallState[]>>> = {
    answer: ['incoming'],
    reject: ['incoming'],
    redirect: ['incoming'],
    transfer: ['established', 'hold'],
  };

  function problem(
    callId: string,
    action: Action,
  ): { readonly status: 400 | 404; readonly message: string } | MutableCall {
    const call = calls.get(callId);
    if (call === undefined) {
      return { status: 404, message: `The call ${callId} was not found.` };
    }
    if (call.ended) {
      return { status: 404, message: `The call ${callId} was not found: it has ended.` };
    }
    const allowed = STARTS[action];
    if (allowed !== undefined && !allowed.includes(call.state)) {
      return {
        status: 400,
        message: `Cannot ${action} the call ${callId} in state ${call.state}; only a call in state ${allowed.join(' or ')} can be.`,
      };
    }
    return call;
  }

  function scripted(callId: string, action: Action): MutableCall {
    const found = problem(callId, action);
    if ('id' in found) return found;
    const hint =
      found.status === 404 && !calls.has(callId)
        ? ` Known calls: ${[...calls.keys()].join(', ') || 'none'}.`
        : '';
    throw new Error(`fake Graph: ${action}(${callId}): ${found.message}${hint}`);
  }

  const perform: Readonly<
    Record<'answer' | 'reject' | 'redirect' | 'transfer' | 'hangUp', (call: MutableCall) => void>
  > = {
    answer(call) {
      advance(call, 'establishing', 'updated');
      advance(call, 'established', 'updated');
    },
    reject(call) {
      advance(call, 'terminated', 'deleted', { wireState: null });
    },
    redirect(call) {
      advance(call, 'terminated', 'deleted');
    },
    transfer(call) {
      transferCall(call, false);
    },
    hangUp(call) {
      advance(call, 'terminating', 'updated');
      advance(call, 'terminated', 'deleted', { resultInfo: HANG_UP_RESULT });
    },
  };

  function transferCall(call: MutableCall, fail: boolean): void {
    advance(call, 'transferring', 'updated');
    advance(call, 'transferAccepted', 'updated');
    if (fail) advance(call, 'established', 'updated', { resultInfo: TRANSFER_FAILED_RESULT });
    else advance(call, 'terminated', 'deleted', { resultInfo: TRANSFER_DONE_RESULT });
  }

  // ── HTTP ────────────────────────────────────────────────────────────────────────────────

  async function handle(request: Request): Promise<Response> {
    if (closed) {
      throw new TypeError('fetch failed', { cause: new Error('the fake Graph is closed') });
    }
    if (request.signal.aborted) throw request.signal.reason;
    const at = clock.now();
    const url = new URL(request.url);
    const method = request.method.toUpperCase();
    const route = routeOf(url);
    const authHeader = request.headers.get('authorization');
    const token = /^Bearer\s+(\S.*)$/i.exec(authHeader ?? '')?.[1];
    requestCount += 1;
    const requestId = fixedGuid(0xfa4e, requestCount);
    const clientRequestId = request.headers.get('client-request-id') ?? undefined;

    const answer = await decide(request, method, route, token);
    const recorded: RecordedRequest = {
      method,
      url: request.url,
      path: url.pathname,
      ...(route?.callId !== undefined && { callId: route.callId }),
      ...(route?.action !== undefined && { action: route.action }),
      status: answer.status,
      at,
      authorization: authHeader !== null && /^Bearer\s/i.test(authHeader),
      ...(clientRequestId !== undefined && { clientRequestId }),
      ...(answer.fault !== undefined && { fault: answer.fault }),
    };
    requests.push(recorded);
    return respond(answer, requestId, clientRequestId, at);
  }

  async function decide(
    request: Request,
    method: string,
    route: Route | undefined,
    token: string | undefined,
  ): Promise<Answer> {
    if (token === undefined) {
      return errorAnswer(401, 'Access token is empty.', { 'www-authenticate': 'Bearer' });
    }
    if (options.authorize !== undefined && !options.authorize(token)) {
      return errorAnswer(401, 'Access token validation failure.', { 'www-authenticate': 'Bearer' });
    }
    if (throttle !== undefined && throttle.remaining > 0) {
      throttle.remaining -= 1;
      return {
        ...errorAnswer(429, 'Too many requests.', retryAfterHeader(throttle.retryAfter)),
        fault: 'throttle',
      };
    }
    if (
      failure !== undefined &&
      failure.remaining > 0 &&
      (failure.method === undefined || failure.method === method)
    ) {
      failure.remaining -= 1;
      return {
        ...errorAnswer(
          failure.status,
          `Injected failure ${failure.status}.`,
          retryAfterHeader(failure.retryAfter),
        ),
        fault: 'fail',
      };
    }
    if (route === undefined) {
      return errorAnswer(
        400,
        'The fake Graph serves /communications/calls, /communications/calls/{id} and /communications/calls/{id}/{keepAlive|answer|reject|redirect|transfer} (also under /app/calls).',
      );
    }
    if (route.callId === undefined) {
      if (method !== 'POST') return errorAnswer(405, `${method} is not supported on /calls.`);
      return createCall(request, route);
    }
    const callId = route.callId;
    if (route.action === undefined) {
      if (method === 'DELETE') return callAction(callId, 'hangUp', 204);
      if (method === 'GET') {
        const found = problem(callId, 'get');
        return 'id' in found
          ? { status: 200, body: callJson(found, route) }
          : errorAnswer(found.status, found.message);
      }
      return errorAnswer(405, `${method} is not supported on a call; use GET or DELETE.`);
    }
    const action = route.action.toLowerCase();
    if (method !== 'POST') return errorAnswer(405, `${route.action} takes POST, not ${method}.`);
    switch (action) {
      case 'keepalive': {
        const found = problem(callId, 'keepAlive');
        return 'id' in found ? { status: 200 } : errorAnswer(found.status, found.message);
      }
      case 'transfer': {
        const found = problem(callId, 'transfer');
        if (!('id' in found)) return errorAnswer(found.status, found.message);
        transferCall(found, false);
        return { status: 202 };
      }
      case 'answer':
        return callAction(callId, 'answer', 202);
      case 'reject':
        return callAction(callId, 'reject', 202);
      case 'redirect':
        return callAction(callId, 'redirect', 202);
      default:
        return errorAnswer(400, `Unknown action ${route.action}.`);
    }
  }

  function callAction(
    callId: string,
    action: 'hangUp' | 'answer' | 'reject' | 'redirect',
    status: number,
  ): Answer {
    const found = problem(callId, action);
    if (!('id' in found)) return errorAnswer(found.status, found.message);
    perform[action](found);
    return { status };
  }

  async function createCall(request: Request, route: Route): Promise<Answer> {
    let body: unknown;
    try {
      body = JSON.parse(await request.text());
    } catch {
      return errorAnswer(400, 'The request body must be a JSON call object.');
    }
    const callbackUri =
      isRecord(body) && typeof body.callbackUri === 'string' ? body.callbackUri : undefined;
    const call = newCall('outgoing', undefined, callbackUri);
    advance(call, 'establishing', 'updated');
    const json = callJson(call, route);
    advance(call, 'established', 'updated');
    return { status: 201, body: json };
  }

  function callJson(call: MutableCall, route: Route): Record<string, unknown> {
    const prefix = route.version === '' ? '' : `/${route.version}`;
    return {
      '@odata.context': `${route.origin}${prefix}/$metadata#communications/calls/$entity`,
      '@odata.type': '#microsoft.graph.call',
      ...(etags && { '@odata.etag': `W/"${call.etag}"` }),
      id: call.id,
      state: call.state,
      direction: call.direction,
      ...(call.callbackUri !== undefined && { callbackUri: call.callbackUri }),
    };
  }

  // ── the rest of the surface ────────────────────────────────────────────────────────────

  const fake: FakeGraph = {
    fetch: async (input, init) => {
      const request =
        input instanceof Request && init === undefined ? input : new Request(input, init);
      return handle(request);
    },
    handle,
    baseUrl: `${baseOrigin}/${apiVersion}`,
    calls: calls as ReadonlyMap<string, FakeCall>,
    requests,
    deliveries,
    placeCall,
    incomingCall,
    answer: (callId) => perform.answer(scripted(callId, 'answer')),
    reject: (callId) => perform.reject(scripted(callId, 'reject')),
    redirect: (callId) => perform.redirect(scripted(callId, 'redirect')),
    transfer: (callId, opts = {}) => transferCall(scripted(callId, 'transfer'), opts.fail === true),
    remoteHangUp(callId, opts = {}) {
      const call = scripted(callId, 'remoteHangUp');
      advance(call, 'terminating', 'updated');
      advance(call, 'terminated', 'deleted', {
        resultInfo: opts.resultInfo ?? REMOTE_HANG_UP_RESULT,
      });
    },
    setState(callId, state, opts = {}) {
      const call = scripted(callId, 'setState');
      advance(call, state, opts.changeType ?? (state === 'terminated' ? 'deleted' : 'updated'), {
        ...(opts.resultInfo !== undefined && { resultInfo: opts.resultInfo }),
        ...(opts.terminationReason !== undefined && { terminationReason: opts.terminationReason }),
        ...(opts.data !== undefined && { data: opts.data }),
      });
    },
    push(...items) {
      for (const item of items) enqueue(item);
    },
    throttleNext(n, retryAfterSeconds) {
      throttle = armThrottle(n, retryAfterSeconds);
    },
    failNext(n, status, opts = {}) {
      failure = armFailure(n, status, opts);
    },
    async listen(port = 0) {
      if (closed) throw new Error('fake Graph: listen() after close().');
      const server = await serveOnLoopback(handle, port);
      servers.add(server);
      return {
        url: `${server.origin}/${apiVersion}`,
        origin: server.origin,
        port: server.port,
        close: async () => {
          servers.delete(server);
          await server.close();
        },
      };
    },
    settle: () => queue.settle(),
    async close() {
      if (closed) return;
      closed = true;
      webhookAbort.abort(new Error('the fake Graph was closed'));
      await queue.close();
      await Promise.all([...servers].map((server) => server.close()));
      servers.clear();
    },
  };
  return fake;
}

function resolveSend(
  options: FakeGraphOptions,
  signal: AbortSignal,
): ((body: CommsNotifications) => Promise<PostOutcome>) | undefined {
  const { deliver, authorization } = options;
  if (deliver === undefined) return undefined;
  if (typeof deliver === 'function') {
    return async (body) => ({ result: await deliver(body) });
  }
  let target: URL;
  try {
    target = new URL(deliver);
  } catch {
    throw new TypeError(
      `createFakeGraph: deliver must be a function (such as registry.ingest) or an absolute webhook URL, got ${JSON.stringify(String(deliver))}.`,
    );
  }
  return async (body) => {
    const headers = new Headers({ 'content-type': 'application/json' });
    const auth = typeof authorization === 'function' ? await authorization() : authorization;
    if (auth !== undefined) headers.set('authorization', auth);
    const response = await globalThis.fetch(target, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal,
    });
    // Drained so the connection can be reused for the next post.
    await response.arrayBuffer();
    return { status: response.status };
  };
}

function isTerminal(item: CommsNotification): boolean {
  const [parsed] = parseNotifications({ value: [item] }).notifications;
  return (
    parsed !== undefined &&
    parsed.resource === 'call' &&
    (parsed.changeType === 'deleted' || parsed.state === 'terminated')
  );
}

function drawGuid(random: { next(): number }): string {
  const hex = (digits: number): string =>
    Math.floor(random.next() * 16 ** digits)
      .toString(16)
      .padStart(digits, '0');
  // Version 4 and variant bits set, so the ids pass the usual GUID checks.
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${(8 + Math.floor(random.next() * 4)).toString(16)}${hex(3)}-${hex(6)}${hex(6)}`;
}

function fixedGuid(prefix: number, n: number): string {
  return `${prefix.toString(16).padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}
