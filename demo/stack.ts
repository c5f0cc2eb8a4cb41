/**
 * The whole stack a calling bot runs, on loopback: a webhook (`createWebhookHandler` +
 * `toNodeListener`, validating the JWT on every POST), a call registry, and a fake Graph
 * (`createFakeGraph` from the test kit) that the registry reaches over real HTTP and that
 * posts its notifications to the webhook over real HTTP.
 * @module
 */
import { once } from 'node:events';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { InspectionEvent } from 'xstate';
import {
  type CallRegistry,
  createCallRegistry,
  createGraphClient,
  type GraphCallState,
  type GraphClient,
  type GraphResult,
  isKnownCallState,
  type OperationRequest,
  type OperationResult,
  type PlaceCallRequest,
  type PlaceCallResult,
} from '../src/index.js';
import { createFakeGraph, type FakeGraph, type FakeGraphFaults } from '../src/testing/index.js';
import {
  createGraphTokenValidator,
  createWebhookHandler,
  toNodeListener,
} from '../src/webhook/index.js';
import type { Emit, RequestKind } from './events.js';

// Made-up ids: the webhook checks that the fake Graph's tokens name them, as it would Microsoft's.
const APP_ID = '8a1d3f4e-0b6c-4d2a-9e57-000000000001';
const TENANT_ID = '3c9e5b7a-1f2d-4e8c-a6b0-000000000002';
/** The Graph access token the registry's client sends; the fake only checks that there is one. */
export const DEMO_GRAPH_TOKEN = 'demo-token';

export interface StackOptions {
  readonly seed: number;
  readonly faults: FakeGraphFaults | undefined;
  /** At most this many notifications per webhook POST. */
  readonly batch: number;
  readonly confirmTimeoutMs: number;
  readonly emit: Emit;
  /** Handed to the registry, so it reaches every call actor. */
  readonly inspect: (event: InspectionEvent) => void;
}

export interface Stack {
  readonly registry: CallRegistry;
  readonly fake: FakeGraph;
  readonly webhookUrl: string;
  readonly graphUrl: string;
  /** `POST /communications/calls`, as a bot places a call, then `registry.track` of the new call. */
  placeCall(): Promise<string>;
  /** Stops everything, in the order that lets the process exit: no socket or timer is left. */
  close(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const { emit } = options;
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'demo-key', alg: 'RS256', use: 'sig' };
  // One token for the whole run, as Graph reuses its token across posts for a while.
  const webhookToken = await new SignJWT({ tid: TENANT_ID })
    .setProtectedHeader({ alg: 'RS256', kid: 'demo-key' })
    .setIssuer('https://api.botframework.com')
    .setAudience(APP_ID)
    .setIssuedAt()
    .setExpirationTime('30m')
    .sign(privateKey);

  // The webhook must be listening before the fake Graph exists (it is told where to post), and
  // the registry needs the fake's URL; so the server starts first and gets its handler later.
  let webhook: RequestListener | undefined;
  const server = createServer((req, res) => {
    if (webhook === undefined) res.writeHead(503).end();
    else webhook(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/calls`;

  const fake = createFakeGraph({
    deliver: webhookUrl,
    authorization: `Bearer ${webhookToken}`,
    faults: { ...options.faults, seed: options.seed, batch: options.batch },
  });
  const fakeServer = await fake.listen();
  const graphUrl = fakeServer.url;

  const graph = observeGraphClient(
    createGraphClient({ getToken: async () => DEMO_GRAPH_TOKEN, baseUrl: graphUrl }),
    emit,
  );
  const registry = createCallRegistry({
    graph,
    confirmTimeoutMs: options.confirmTimeoutMs,
    inspect: options.inspect,
  });
  webhook = toNodeListener(
    createWebhookHandler(registry, {
      authenticate: createGraphTokenValidator({
        appId: APP_ID,
        jwks: { keys: [jwk] },
        tenants: [TENANT_ID],
      }),
      onError: (error) => emit({ type: 'registryError', message: messageOf(error) }),
    }),
  );

  async function placeCall(): Promise<string> {
    // Through the registry's own (observed) client, so the timeline shows the request.
    const result = await graph.placeCall({
      callbackUri: webhookUrl,
      targets: [{ identity: { user: { id: 'demo-callee', displayName: 'Demo callee' } } }],
      requestedModalities: ['audio'],
      mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
    });
    if (!result.ok) {
      throw new Error(
        `the fake Graph answered POST /communications/calls with ${result.status}: ${result.error?.code ?? ''} ${result.error?.message ?? ''}`.trimEnd(),
      );
    }
    const { state, etag } = result.call;
    if (!isKnownCallState(state)) {
      throw new Error(
        `the fake Graph created the call ${result.call.id} in state ${String(state)}, which cannot be tracked`,
      );
    }
    const call = { id: result.call.id, state, etag };
    const detail = `registry.track(id, { state: '${call.state}'${call.etag === undefined ? '' : `, etag: '${call.etag}'`} })`;
    emit({ type: 'bot', callId: call.id, action: 'track', detail });
    await registry.track(call.id, {
      state: call.state,
      ...(call.etag !== undefined && { etag: call.etag }),
    });
    return call.id;
  }

  let closing: Promise<void> | undefined;
  async function close(): Promise<void> {
    // The registry first (no more requests or timers), then the fake (no more posts), then the
    // webhook; closeAllConnections drops the keep-alive sockets the fake's posts left open.
    await registry.close();
    await fake.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  return {
    registry,
    fake,
    webhookUrl,
    graphUrl,
    placeCall,
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}

/**
 * Wraps a Graph client so each request is reported when its answer arrives. A bot that wants
 * the same log passes such a wrapper as `createCallRegistry({ graph })`.
 */
function observeGraphClient(client: GraphClient, emit: Emit): GraphClient {
  async function observed<R extends GraphResult & { readonly state?: GraphCallState }>(
    kind: RequestKind,
    method: 'POST' | 'DELETE' | 'GET',
    callId: string,
    suffix: string,
    request: () => Promise<R>,
  ): Promise<R> {
    const started = performance.now();
    const result = await request();
    emit({
      type: 'request',
      callId,
      kind,
      method,
      path: `/communications/calls/${callId}${suffix}`,
      status: result.status,
      ...(!result.ok && result.retryAfterMs !== undefined && { retryAfterMs: result.retryAfterMs }),
      ...(result.state !== undefined && { state: result.state }),
      ...(!result.ok && result.error?.message !== undefined && { error: result.error.message }),
      durationMs: round(performance.now() - started),
    });
    return result;
  }
  // Placing a call has no call id until Graph answers: the event carries the new call's, and
  // the state and etag it was created with.
  async function observedPlace(request: PlaceCallRequest): Promise<PlaceCallResult> {
    const started = performance.now();
    const result = await client.placeCall(request);
    const call = result.ok ? result.call : undefined;
    emit({
      type: 'request',
      callId: call?.id ?? '',
      kind: 'createCall',
      method: 'POST',
      path: '/communications/calls',
      status: result.status,
      ...(!result.ok && result.retryAfterMs !== undefined && { retryAfterMs: result.retryAfterMs }),
      ...(call?.state !== undefined && { state: call.state }),
      ...(call?.etag !== undefined && { etag: call.etag }),
      ...(!result.ok && result.error?.message !== undefined && { error: result.error.message }),
      durationMs: round(performance.now() - started),
    });
    return result;
  }

  // An operation is logged by its kind (`playPrompt`), with the status of the `commsOperation`
  // Graph answered with (`running`, or `completed` for those done at once).
  async function observedOperation(
    callId: string,
    operation: OperationRequest,
  ): Promise<OperationResult> {
    const started = performance.now();
    const result = await client.runOperation(callId, operation);
    const status = result.ok ? result.operation?.status : undefined;
    emit({
      type: 'request',
      callId,
      kind: operation.kind,
      method: operation.kind === 'removeParticipant' ? 'DELETE' : 'POST',
      path: `/communications/calls/${callId}${operationSuffix(operation)}`,
      status: result.status,
      ...(!result.ok && result.retryAfterMs !== undefined && { retryAfterMs: result.retryAfterMs }),
      ...(status !== undefined && { operationStatus: status }),
      ...(!result.ok && result.error?.message !== undefined && { error: result.error.message }),
      durationMs: round(performance.now() - started),
    });
    return result;
  }

  return {
    deleteCall: (callId) =>
      observed('deleteCall', 'DELETE', callId, '', () => client.deleteCall(callId)),
    getCall: (callId) => observed('getCall', 'GET', callId, '', () => client.getCall(callId)),
    keepAlive: (callId) =>
      observed('keepAlive', 'POST', callId, '/keepAlive', () => client.keepAlive(callId)),
    answerCall: (callId, request) =>
      observed('answerCall', 'POST', callId, '/answer', () => client.answerCall(callId, request)),
    rejectCall: (callId, request) =>
      observed('rejectCall', 'POST', callId, '/reject', () => client.rejectCall(callId, request)),
    redirectCall: (callId, request) =>
      observed('redirectCall', 'POST', callId, '/redirect', () =>
        client.redirectCall(callId, request),
      ),
    transferCall: (callId, request) =>
      observed('transferCall', 'POST', callId, '/transfer', () =>
        client.transferCall(callId, request),
      ),
    placeCall: observedPlace,
    runOperation: observedOperation,
  };
}

/** Where the Graph client sends an operation, below the call (see `createGraphClient`). */
function operationSuffix(operation: OperationRequest): string {
  switch (operation.kind) {
    case 'invite':
      return '/participants/invite';
    case 'removeParticipant':
      return `/participants/${encodeURIComponent(String(operation.request.participantId))}`;
    default:
      return `/${operation.kind}`;
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
