/**
 * An in-process fake of the Microsoft Graph calls endpoints, with seeded fault injection.
 *
 * It keeps calls with their states, etags and rosters, answers `DELETE`, `GET` and
 * `POST …/keepAlive`, the call-control requests (create, answer, reject, redirect, transfer),
 * and the media and participant operations (playPrompt, recordResponse, cancelMediaProcessing,
 * subscribeToTone, sendDtmfTones, mute, unmute, updateRecordingStatus, invite, and removing a
 * participant), checking their bodies and the call's state as Graph does, and posts the change
 * notifications that follow to the bot: to a registry connected with `connect()`, to a
 * function, or to a webhook URL.
 * Requests reach it through its `fetch` (inject it into `createGraphClient` or
 * `createCallRegistry`) or over HTTP on a loopback port (`listen()`).
 *
 * Faults are drawn from one seeded generator, so a failing run replays exactly with its seed.
 *
 * @example
 * ```ts
 * import { createCallRegistry } from 'graph-call-machine';
 * import { createFakeGraph } from 'graph-call-machine/testing';
 *
 * const fake = createFakeGraph({ faults: { seed: 7, duplicate: 0.2, reorderWindow: 2 } });
 * const registry = createCallRegistry({
 *   graph: { getToken: async () => 'token', fetch: fake.fetch, baseUrl: fake.baseUrl },
 * });
 * fake.connect(registry);
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
import { parseNotifications } from '../graph/parseNotifications.js';
import type { Clock } from '../runtime/clock.js';
import {
  checkParticipant,
  checkTransferOutcome,
  DEFAULT_BOT,
  DEFAULT_CALLER,
} from './callParties.js';
import {
  type Checked,
  checkAnswer,
  checkPlaceCall,
  checkRedirect,
  checkReject,
  checkTransfer,
} from './callRequestBodies.js';
import { DeliveryQueue, type RecordedDelivery, type Send } from './deliveryQueue.js';
import {
  type Advance,
  announceIncoming,
  answerCall,
  type ChangeDetails,
  callResourceData,
  hangUpCall,
  type MutableCall,
  nextTransferOutcome,
  redirectCall,
  rejectCall,
  remoteHangUpCall,
  transferCall,
} from './fakeCallFlows.js';
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
  CallModality,
  FakeCall,
  FakeGraph,
  FakeGraphOptions,
  FakeOperationKind,
  IncomingCallOptions,
  NotificationTarget,
  ParticipantInfoSpec,
  PlaceCallOptions,
  RecordedRequest,
  TransferOutcome,
} from './fakeGraphTypes.js';
import {
  checkOperation,
  checkOperationOutcome,
  drawOperationOutcome,
  FAKE_OPERATION_KINDS,
  FakeOperations,
  mayOmitBody,
  operationKindOf,
} from './fakeOperations.js';
import { participantsAnswer, Roster, removalAnswer } from './fakeRoster.js';
import {
  type CommsNotification,
  created,
  type DeletedOptions,
  deleted,
  updated,
} from './notify.js';
import { seededRandom } from './random.js';
import {
  type Armed,
  armFailure,
  armThrottle,
  resolveOperationFaults,
  resolveQueueFaults,
  resolveSeed,
} from './resolveFaults.js';
import { type LoopbackServer, serveOnLoopback } from './serveOnLoopback.js';

/** What a new call is made of; everything not given has a default. */
interface NewCall {
  readonly callId?: string | undefined;
  readonly callbackUri?: string | undefined;
  readonly source?: ParticipantInfoSpec | undefined;
  readonly targets?: readonly ParticipantInfoSpec[] | undefined;
  readonly requestedModalities?: readonly CallModality[] | undefined;
  readonly myParticipantId?: string | undefined;
  readonly mediaConfig?: unknown;
  readonly transfer?: TransferOutcome | undefined;
}

const SERVED =
  'The fake Graph serves /communications/calls, /communications/calls/{id}, /communications/calls/{id}/{keepAlive|answer|reject|redirect|transfer|playPrompt|recordResponse|cancelMediaProcessing|subscribeToTone|sendDtmfTones|mute|unmute|updateRecordingStatus}, /communications/calls/{id}/participants[/{participantId}] and /communications/calls/{id}/participants/invite (also under /app/calls).';

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
 * faults are applied, then the request decides: a call-control body that Graph would refuse
 * (not JSON, a parameter missing or out of range) is a `400` with Graph's error body; then a
 * call that is unknown or over is a `404` (`itemNotFound`); then a call in a state that does
 * not allow the request is a `400` (`InvalidRequest`). Otherwise: 204 for a DELETE (followed,
 * later, by `updated terminating` and `deleted terminated` with resultInfo 200/5001), 200 with
 * the call for a GET, 200 for a keepAlive, 202 for answer, reject, redirect and transfer, and
 * 201 with the call for `POST /communications/calls`, each followed by the notifications the
 * docs show for it. The media and participant operations need a call that is established (or
 * on hold): 200 with the `commsOperation` (and a `Location`), then, for those answered
 * `running`, a `deleted` notification on `…/operations/{id}` as the test's
 * `OperationOutcome` says; 204 for `DELETE …/participants/{id}`, then the whole roster.
 *
 * @example
 * ```ts
 * const fake = createFakeGraph({ deliver: 'http://127.0.0.1:3978/api/calls', faults: { seed: 3, dropTerminated: true } });
 * const graph = createGraphClient({ getToken: async () => 't', fetch: fake.fetch, baseUrl: fake.baseUrl });
 * const callId = fake.incomingCall({ source: { identity: { phone: { id: '+14255550100' } } } });
 * fake.answer(callId);
 * fake.scriptOperations(callId, 'completesAfterEnd');
 * await graph.runOperation(callId, { kind: 'playPrompt', request: { clientContext: 'c1', prompts } });
 * await graph.deleteCall(callId);           // { ok: true, status: 204 }; `terminated` is dropped
 * (await graph.getCall(callId)).status;     // 404: the call is over all the same
 * // …and the prompt's completion comes after the end
 * ```
 */
export function createFakeGraph(options: FakeGraphOptions = {}): FakeGraph {
  const faults = options.faults ?? {};
  const queueFaults = resolveQueueFaults(faults);
  const seed = resolveSeed(faults.seed);
  const random = seededRandom(seed);
  // Call ids come from their own stream, so arming a fault does not change them; so do
  // operation and participant ids, and the draws of operation faults.
  const idRandom = seededRandom(seed ^ 0x5eed_1d5);
  const operationIdRandom = seededRandom(seed ^ 0x0be4_a7e);
  const participantIdRandom = seededRandom(seed ^ 0x9a4_7c1d);
  const operationFaults = resolveOperationFaults(faults);
  const operationFaultRandom = seededRandom(seed ^ 0xfa_17ed);
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
  const fixedSend = resolveSend(options, webhookAbort.signal);
  let connection: { readonly send: Send } | undefined;

  const calls = new Map<string, MutableCall>();
  const requests: RecordedRequest[] = [];
  const deliveries: RecordedDelivery[] = [];
  const queue = new DeliveryQueue(
    queueFaults,
    random,
    clock,
    () => fixedSend ?? connection?.send,
    deliveries,
  );
  const servers = new Set<LoopbackServer>();
  let throttle: Armed | undefined =
    faults.throttle && armThrottle(faults.throttle.next, faults.throttle.retryAfter);
  let failure: Armed | undefined =
    faults.fail &&
    armFailure(faults.fail.next ?? Number.POSITIVE_INFINITY, faults.fail.status, faults.fail);
  const operations = new FakeOperations({
    clock,
    etags,
    legacy,
    enqueue,
    newOperationId: () => drawGuid(operationIdRandom),
    drawOutcome: () => drawOperationOutcome(operationFaults, operationFaultRandom),
  });
  let sequence = 0;
  let requestCount = 0;
  let callCount = 0;
  let closed = false;

  function enqueue(item: CommsNotification): void {
    sequence += 1;
    queue.enqueue({ sequence, item, terminal: isTerminal(item) });
  }

  const advance: Advance = (call, state, changeType, extra: ChangeDetails = {}) => {
    call.etag += 1;
    call.state = state;
    call.states.push(state);
    if (state === 'terminated') call.ended = true;
    if (extra.resultInfo === undefined) delete call.resultInfo;
    else call.resultInfo = extra.resultInfo;
    const shape = extra.legacy === undefined ? legacy : { ...legacy, ...extra.legacy };
    const built: DeletedOptions = {
      ...(etags && { etag: call.etag }),
      ...(shape !== undefined && { legacy: shape }),
      ...(extra.resultInfo !== undefined && { resultInfo: extra.resultInfo }),
      ...(extra.terminationReason !== undefined && { terminationReason: extra.terminationReason }),
      ...(extra.data !== undefined && { data: extra.data }),
    };
    if (changeType === 'created') enqueue(created(call.id, state, built));
    else if (changeType === 'updated') enqueue(updated(call.id, state, built));
    else enqueue(deleted(call.id, extra.wireState === null ? built : { ...built, state }));
    // The other party joins the roster; its notification only on request (`rosterOnEstablished`):
    // the docs show none for a two-party call, whose notifications stay the documented sequence.
    if (state === 'established' && call.roster.joinParties() && options.rosterOnEstablished) {
      enqueue(call.roster.notification(legacy));
    }
    if (call.ended) operations.callEnded(call);
  };

  function newCall(direction: MutableCall['direction'], spec: NewCall): MutableCall {
    const id = spec.callId ?? drawGuid(idRandom);
    if (id === '' || calls.has(id)) {
      throw new Error(
        `fake Graph: ${id === '' ? 'a call id must not be empty' : `a call with id ${id} already exists`}; leave callId out to get a fresh one.`,
      );
    }
    const incoming = direction === 'incoming';
    const transfer =
      spec.transfer === undefined ? 'completed' : checkTransferOutcome(spec.transfer, 'transfer');
    callCount += 1;
    const call: MutableCall = {
      id,
      direction,
      state: incoming ? 'incoming' : 'establishing',
      states: [],
      etag: 0,
      ended: false,
      source: spec.source ?? (incoming ? DEFAULT_CALLER : DEFAULT_BOT),
      targets: spec.targets ?? [incoming ? DEFAULT_BOT : DEFAULT_CALLER],
      myParticipantId: spec.myParticipantId ?? fixedGuid(0xb07, callCount),
      requestedModalities: spec.requestedModalities ?? ['audio'],
      transfer,
      scriptedTransfers: [],
      // Replaced below, once the call it describes exists.
      roster: undefined as unknown as Roster,
      operations: [],
      scriptedOperations: [],
      toneSubscribed: false,
      toneSequence: 0,
    };
    call.roster = new Roster(call, () => drawGuid(participantIdRandom));
    if (spec.callbackUri !== undefined) call.callbackUri = spec.callbackUri;
    if (spec.mediaConfig !== undefined) call.mediaConfig = spec.mediaConfig;
    calls.set(id, call);
    return call;
  }

  /** What a test gave, checked: a participant without an identity would be no call at all. */
  function scriptedParties(opts: PlaceCallOptions | IncomingCallOptions): NewCall {
    return {
      ...opts,
      source: opts.source === undefined ? undefined : checkParticipant(opts.source, 'source'),
      targets: opts.targets?.map((target, i) => checkParticipant(target, `targets[${i}]`)),
    };
  }

  function placeCall(opts: PlaceCallOptions = {}): string {
    const call = newCall('outgoing', scriptedParties(opts));
    advance(call, 'establishing', 'updated');
    if (opts.establish !== false) advance(call, 'established', 'updated');
    return call.id;
  }

  function incomingCall(opts: IncomingCallOptions = {}): string {
    const call = newCall('incoming', scriptedParties(opts));
    announceIncoming(advance, call);
    return call.id;
  }

  // Each scripted action states which states it may start from; `problem` says why not.
  // Graph lets a bot answer, reject or redirect a call only while it is `incoming`, and
  // transfer one that is established (or that it holds).
  // Operations, and the roster changes and tones only a connected call has, need the media up.
  type Action =
    | 'answer'
    | 'reject'
    | 'redirect'
    | 'transfer'
    | 'remoteHangUp'
    | 'setState'
    | 'hangUp'
    | 'get'
    | 'keepAlive'
    | FakeOperationKind
    | 'removeParticipant'
    | 'pressTone'
    | 'join'
    | 'leave'
    | 'updateParticipant';
  const CONNECTED: readonly GraphCallState[] = ['established', 'hold'];
  const STARTS: Readonly<Partial<Record<Action, readonly GraphCallState[]>>> = {
    answer: ['incoming'],
    reject: ['incoming'],
    redirect: ['incoming'],
    transfer: CONNECTED,
    removeParticipant: CONNECTED,
    pressTone: CONNECTED,
    ...Object.fromEntries(FAKE_OPERATION_KINDS.map((kind) => [kind, CONNECTED])),
  };

  interface Problem {
    readonly status: 400 | 404;
    readonly code: string;
    readonly message: string;
  }

  // A request the call's state does not allow is a 400, not a 409: the Graph reference lists
  // no 409 for call control (it uses 409 for conflicting writes of a resource), and bots meet
  // Graph's refusals of an operation on a call as 400s; the code `InvalidRequest` tells such a
  // refusal apart from a malformed body (`BadRequest`).
  function problem(callId: string, action: Action): Problem | MutableCall {
    const call = calls.get(callId);
    if (call === undefined) {
      return { status: 404, code: 'itemNotFound', message: `The call ${callId} was not found.` };
    }
    if (call.ended) {
      return {
        status: 404,
        code: 'itemNotFound',
        message: `The call ${callId} was not found: it has ended.`,
      };
    }
    const allowed = STARTS[action];
    if (allowed !== undefined && !allowed.includes(call.state)) {
      return {
        status: 400,
        code: 'InvalidRequest',
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

  /** A call the fake knows, over or not; throws naming the known ones. */
  function known(callId: string, method: string): MutableCall {
    const call = calls.get(callId);
    if (call === undefined) {
      throw new Error(
        `fake Graph: ${method}(${callId}): no such call. Known calls: ${[...calls.keys()].join(', ') || 'none'}.`,
      );
    }
    return call;
  }

  // ── HTTP ────────────────────────────────────────────────────────────────────────────────

  /** The body as it came: none, JSON, or text that is not JSON. */
  type RequestBody =
    | { readonly kind: 'none' }
    | { readonly kind: 'json'; readonly value: unknown }
    | { readonly kind: 'invalid' };

  async function readBody(request: Request): Promise<RequestBody> {
    const text = request.body === null ? '' : await request.text();
    if (text.trim() === '') return { kind: 'none' };
    try {
      return { kind: 'json', value: JSON.parse(text) };
    } catch {
      return { kind: 'invalid' };
    }
  }

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
    const body = await readBody(request);

    const answer = decide(method, route, token, body);
    const recorded: RecordedRequest = {
      method,
      url: request.url,
      path: url.pathname,
      ...(route?.callId !== undefined && { callId: route.callId }),
      ...(route?.action !== undefined && { action: route.action }),
      ...(route?.participantId !== undefined && { participantId: route.participantId }),
      ...(answer.operationId !== undefined && { operationId: answer.operationId }),
      status: answer.status,
      at,
      authorization: authHeader !== null && /^Bearer\s/i.test(authHeader),
      ...(clientRequestId !== undefined && { clientRequestId }),
      ...(answer.fault !== undefined && { fault: answer.fault }),
      ...(body.kind === 'json' && { body: body.value }),
    };
    requests.push(recorded);
    return respond(answer, requestId, clientRequestId, at);
  }

  function decide(
    method: string,
    route: Route | undefined,
    token: string | undefined,
    body: RequestBody,
  ): Answer {
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
    if (route === undefined) return errorAnswer(400, SERVED);
    if (route.callId === undefined) {
      if (method !== 'POST') return errorAnswer(405, `${method} is not supported on /calls.`);
      return createCall(body, route);
    }
    const callId = route.callId;
    if (route.action === undefined) {
      if (method === 'DELETE') {
        const found = problem(callId, 'hangUp');
        if (!('id' in found)) return refusal(found);
        hangUpCall(advance, found);
        return { status: 204 };
      }
      if (method === 'GET') {
        const found = problem(callId, 'get');
        return 'id' in found ? { status: 200, body: callJson(found, route) } : refusal(found);
      }
      return errorAnswer(405, `${method} is not supported on a call; use GET or DELETE.`);
    }
    if (route.action.toLowerCase() === 'participants') return participantsRequest(method, route);
    const action = route.action.toLowerCase();
    if (method !== 'POST') return errorAnswer(405, `${route.action} takes POST, not ${method}.`);
    switch (action) {
      case 'keepalive': {
        const found = problem(callId, 'keepAlive');
        return 'id' in found ? { status: 200 } : refusal(found);
      }
      case 'answer':
        return control(callId, 'answer', body, checkAnswer, (call, answer) => {
          call.callbackUri = answer.callbackUri;
          call.mediaConfig = answer.mediaConfig;
          answerCall(advance, call);
        });
      case 'reject':
        return control(callId, 'reject', body, checkReject, (call, reject) => {
          if (reject.callbackUri !== undefined) call.callbackUri = reject.callbackUri;
          rejectCall(advance, call);
        });
      case 'redirect':
        return control(callId, 'redirect', body, checkRedirect, (call, redirect) => {
          if (redirect.callbackUri !== undefined) call.callbackUri = redirect.callbackUri;
          redirectCall(advance, call);
        });
      case 'transfer':
        return control(callId, 'transfer', body, checkTransfer, (call, transfer) => {
          const replaces = transfer.transferTarget.replacesCallId;
          transferCall(
            advance,
            call,
            nextTransferOutcome(call),
            replaces !== undefined && replaces !== null,
          );
        });
      default: {
        const kind = operationKindOf(action);
        if (kind !== undefined) return operationRequest(callId, kind, body, route);
        return errorAnswer(400, `Unknown action ${route.action}. ${SERVED}`);
      }
    }
  }

  /** A media or participant operation: its body first, then the call, then its state. */
  function operationRequest(
    callId: string,
    kind: FakeOperationKind,
    body: RequestBody,
    route: Route,
  ): Answer {
    const value = body.kind === 'none' && mayOmitBody(kind) ? { json: {} } : jsonOf(body, kind);
    if (!('json' in value)) return value;
    const checked = checkOperation(kind, value.json);
    if (!checked.ok) return errorAnswer(400, checked.message);
    const found = problem(callId, kind);
    if (!('id' in found)) return refusal(found);
    return operations.start(found, checked.body, `${callUrl(route, callId)}/operations`);
  }

  /** `GET …/participants[/{id}]`, and `DELETE …/participants/{id}`: removing someone from the call. */
  function participantsRequest(method: string, route: Route): Answer {
    const { callId = '', participantId } = route;
    if (method !== 'GET' && !(method === 'DELETE' && participantId !== undefined)) {
      return errorAnswer(
        405,
        `${method} is not supported on ${participantId === undefined ? '…/participants; use GET' : 'a participant; use GET or DELETE'}.`,
      );
    }
    const found = problem(callId, method === 'GET' ? 'get' : 'removeParticipant');
    if (!('id' in found)) return refusal(found);
    if (method === 'GET') {
      return participantsAnswer(
        found.roster,
        participantId,
        `${callUrl(route, callId)}/participants`,
      );
    }
    const answer = removalAnswer(found.roster, participantId ?? '');
    if (answer.status === 204) enqueue(found.roster.notification(legacy));
    return answer;
  }

  /** The call's URL as the request spelled its origin and version. */
  function callUrl(route: Route, callId: string): string {
    const prefix = route.version === '' ? '' : `/${route.version}`;
    return `${route.origin}${prefix}/communications/calls/${encodeURIComponent(callId)}`;
  }

  function refusal(found: Problem): Answer {
    return errorAnswer(found.status, found.message, undefined, found.code);
  }

  /** A call-control request: its body first (as Graph checks parameters), then the call, then its state. */
  function control<T>(
    callId: string,
    action: 'answer' | 'reject' | 'redirect' | 'transfer',
    body: RequestBody,
    check: (value: unknown) => Checked<T>,
    perform: (call: MutableCall, checked: T) => void,
  ): Answer {
    // Every parameter of reject is optional, so it alone may come without a body.
    const value = body.kind === 'none' && action === 'reject' ? { json: {} } : jsonOf(body, action);
    if (!('json' in value)) return value;
    const checked = check(value.json);
    if (!checked.ok) return errorAnswer(400, checked.message);
    const found = problem(callId, action);
    if (!('id' in found)) return refusal(found);
    perform(found, checked.body);
    return { status: 202 };
  }

  function jsonOf(body: RequestBody, what: string): { readonly json: unknown } | Answer {
    if (body.kind === 'json') return { json: body.value };
    return errorAnswer(
      400,
      body.kind === 'none'
        ? `${what} needs a JSON body with its parameters.`
        : `The body of ${what} is not valid JSON.`,
    );
  }

  function createCall(body: RequestBody, route: Route): Answer {
    const value = jsonOf(body, 'create call');
    if (!('json' in value)) return value;
    const checked = checkPlaceCall(value.json);
    if (!checked.ok) return errorAnswer(400, checked.message);
    const request = checked.body;
    const call = newCall('outgoing', {
      callbackUri: request.callbackUri,
      source: isRecord(request.source)
        ? (request.source as unknown as ParticipantInfoSpec)
        : undefined,
      targets: (request.targets ?? []) as readonly ParticipantInfoSpec[],
      requestedModalities: request.requestedModalities as CallModality[],
      mediaConfig: request.mediaConfig,
    });
    advance(call, 'establishing', 'updated');
    const json = callJson(call, route);
    // Its notifications may reach the bot before the 201 does, as they do with Graph.
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
      ...callResourceData(call),
      ...(call.mediaConfig !== undefined && { mediaConfig: call.mediaConfig }),
    };
  }

  // ── the rest of the surface ────────────────────────────────────────────────────────────

  function connect(target: NotificationTarget): () => void {
    if (closed) throw new Error('fake Graph: connect() after close().');
    if (options.deliver !== undefined) {
      throw new TypeError(
        `fake Graph: this fake delivers to the \`deliver\` it was created with (${typeof options.deliver === 'function' ? 'a function' : String(options.deliver)}); create it without \`deliver\` to use connect().`,
      );
    }
    if (typeof (target as Partial<NotificationTarget> | undefined)?.ingest !== 'function') {
      throw new TypeError(
        'fake Graph: connect(target) needs an object with an ingest(body) method, such as a call registry.',
      );
    }
    if (connection !== undefined) {
      throw new Error(
        'fake Graph: already connected; call the function the first connect() returned before connecting another target.',
      );
    }
    const mine = {
      send: async (body: Parameters<Send>[0]) => ({ result: await target.ingest(body) }),
    };
    connection = mine;
    queue.resume();
    return () => {
      if (connection === mine) connection = undefined;
    };
  }

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
    answer: (callId) => answerCall(advance, scripted(callId, 'answer')),
    reject: (callId) => rejectCall(advance, scripted(callId, 'reject')),
    redirect: (callId) => redirectCall(advance, scripted(callId, 'redirect')),
    transfer(callId, opts = {}) {
      const call = scripted(callId, 'transfer');
      const outcome =
        opts.outcome !== undefined
          ? checkTransferOutcome(opts.outcome, 'outcome')
          : opts.fail === true
            ? 'failed'
            : nextTransferOutcome(call);
      transferCall(advance, call, outcome, false);
    },
    scriptTransfers(callId, ...outcomes) {
      known(callId, 'scriptTransfers').scriptedTransfers.push(
        ...outcomes.map((outcome, i) => checkTransferOutcome(outcome, `outcomes[${i}]`)),
      );
    },
    scriptOperations(callId, ...outcomes) {
      known(callId, 'scriptOperations').scriptedOperations.push(
        ...outcomes.map((outcome, i) => checkOperationOutcome(outcome, `outcomes[${i}]`)),
      );
    },
    participants: (callId) => known(callId, 'participants').roster.list(),
    join(callId, participant) {
      const call = scripted(callId, 'join');
      const joined = call.roster.join(participant);
      enqueue(call.roster.notification(legacy));
      return joined;
    },
    leave(callId, participantId) {
      const call = scripted(callId, 'leave');
      call.roster.leave(participantId);
      enqueue(call.roster.notification(legacy));
    },
    updateParticipant(callId, participantId, changes) {
      const call = scripted(callId, 'updateParticipant');
      call.roster.change(participantId, changes);
      enqueue(call.roster.notification(legacy));
    },
    pressTone: (callId, tone) => operations.pressTone(scripted(callId, 'pressTone'), tone),
    remoteHangUp(callId, opts = {}) {
      remoteHangUpCall(advance, scripted(callId, 'remoteHangUp'), opts.resultInfo);
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
    connect,
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
      connection = undefined;
      webhookAbort.abort(new Error('the fake Graph was closed'));
      operations.close();
      await queue.close();
      await Promise.all([...servers].map((server) => server.close()));
      servers.clear();
    },
  };
  return fake;
}

function resolveSend(options: FakeGraphOptions, signal: AbortSignal): Send | undefined {
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
