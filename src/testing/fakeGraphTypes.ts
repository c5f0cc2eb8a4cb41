/**
 * The public types of the fake Graph: its options, its faults, and what it records. See
 * {@link createFakeGraph}.
 *
 * @example
 * ```ts
 * import { createFakeGraph, type FakeGraphFaults } from 'graph-call-machine/testing';
 *
 * const faults: FakeGraphFaults = { seed: 7, duplicate: 0.1, reorderWindow: 2, dropTerminated: 0.05 };
 * const fake = createFakeGraph({ deliver: (body) => registry.ingest(body), faults });
 * ```
 * @module
 */
import type { GraphCallState } from '../graph/callState.js';
import type { ChangeType } from '../graph/notification.js';
import type { Clock } from '../runtime/clock.js';
import type { RecordedDelivery } from './deliveryQueue.js';
import type {
  CommsNotification,
  CommsNotifications,
  LegacyShape,
  NotifyResultInfo,
} from './notify.js';

export type { RecordedDelivery } from './deliveryQueue.js';

/** Where the fake posts its notifications. */
export type FakeGraphDeliver = ((body: CommsNotifications) => unknown) | string | URL;

/** The HTTP methods a `fail` fault can be limited to. */
export type FakeGraphMethod = 'DELETE' | 'GET' | 'POST';

/**
 * Faults, all optional and all off by default. Delivery faults (duplicate, reorder, drop,
 * delay, batch) act on notifications; request faults (throttle, fail) on requests to the fake.
 */
export interface FakeGraphFaults {
  /** Seeds every random draw (and the call ids), so a run can be replayed. Default 1. */
  readonly seed?: number;
  /** Probability that a notification is posted twice. */
  readonly duplicate?: number;
  /**
   * Notifications produced together (e.g. `terminating` and `terminated` after a DELETE) may
   * swap places with those fewer than this many positions away. 0 or 1: in order.
   */
  readonly reorderWindow?: number;
  /** Probability that a notification that does not end the call is never posted. */
  readonly dropNonTerminal?: number;
  /**
   * Drop the notification that ends the call (`deleted`, or state `terminated`): `true`
   * always, a number as a probability. Graph still answers `GET` with 404 for that call, so
   * the bot's deadline-then-verify path gets exercised.
   */
  readonly dropTerminated?: boolean | number;
  /** Latency of every post, in ms: fixed, or drawn from `[min, max]`. Posts stay in order. */
  readonly delayMs?: number | readonly [number, number];
  /** Answer the next `next` requests with 429 and `Retry-After: retryAfter` (seconds, fractions allowed). */
  readonly throttle?: { readonly next: number; readonly retryAfter: number };
  /**
   * Answer requests with `status` and a Graph error body: the next `next` of them (default:
   * all), only those of `method` when given, with `Retry-After` when `retryAfter` is given.
   */
  readonly fail?: {
    readonly status: number;
    readonly next?: number;
    readonly method?: FakeGraphMethod;
    readonly retryAfter?: number;
  };
  /** Put up to this many notifications in one POST (Graph's envelope is a batch). Default 1. */
  readonly batch?: number;
}

/** Options of {@link createFakeGraph}. */
export interface FakeGraphOptions {
  /**
   * Where notifications go: a function (e.g. `(body) => registry.ingest(body)`; what it
   * resolves to is kept in `deliveries[i].result`), or a webhook URL that gets a JSON `POST`.
   * Without it, deliveries are only recorded.
   */
  readonly deliver?: FakeGraphDeliver;
  /** `Authorization` header of webhook posts, e.g. `Bearer <jwt>`, or a function that makes one per post. */
  readonly authorization?: string | (() => string | Promise<string>);
  readonly faults?: FakeGraphFaults;
  /** Which version `baseUrl` (and `listen().url`) names. Both are served either way. Default `v1.0`. */
  readonly apiVersion?: 'v1.0' | 'beta';
  /** Put `@odata.etag` (`W/"n"`, increasing per call) on call notifications. Default `true`. */
  readonly etags?: boolean;
  /** Emit notifications in an older shape (`/app/calls` resource, `callState`, …). */
  readonly legacy?: LegacyShape;
  /** Accept a bearer token or not (401 when not). Default: any non-empty token. */
  readonly authorize?: (token: string) => boolean;
  /** Time and timers for deliveries. Default: the global `setTimeout` and `Date.now`, read at call time. */
  readonly clock?: Clock;
}

/** A call as the fake keeps it. The object is live: it changes as the call does. */
export interface FakeCall {
  readonly id: string;
  readonly direction: 'incoming' | 'outgoing';
  readonly state: GraphCallState;
  /** Every state the call went through, in order. */
  readonly states: readonly GraphCallState[];
  /** The number in the call's last etag `W/"n"`; it grows by one with each change. */
  readonly etag: number;
  /** Over: requests about it get 404. */
  readonly ended: boolean;
  /** The `resultInfo` of the call's last change, when it had one. */
  readonly resultInfo?: NotifyResultInfo;
  readonly callbackUri?: string;
}

/** One request the fake answered. */
export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  /** The URL's path, e.g. `/v1.0/communications/calls/{id}`. */
  readonly path: string;
  readonly callId?: string;
  /** The action segment after the call id: `keepAlive`, `answer`, … */
  readonly action?: string;
  readonly status: number;
  /** Epoch ms, by the fake's clock. */
  readonly at: number;
  /** Whether an `Authorization: Bearer …` header was present. */
  readonly authorization: boolean;
  readonly clientRequestId?: string;
  /** Set when a request fault, not the call, decided the answer. */
  readonly fault?: 'throttle' | 'fail';
}

/** Options of {@link FakeGraph.placeCall}. */
export interface PlaceCallOptions {
  /** Default: a GUID drawn from the seed. */
  readonly callId?: string;
  readonly callbackUri?: string;
  /** `false` leaves the call `establishing` (move it on with `setState`). Default `true`. */
  readonly establish?: boolean;
}

/** Options of {@link FakeGraph.incomingCall}. */
export interface IncomingCallOptions {
  readonly callId?: string;
  readonly callbackUri?: string;
}

/** Options of {@link FakeGraph.setState}. */
export interface SetStateOptions {
  /** Default: `deleted` for `terminated`, `updated` otherwise. */
  readonly changeType?: ChangeType;
  readonly resultInfo?: NotifyResultInfo;
  readonly terminationReason?: string;
  /** More `resourceData` fields. */
  readonly data?: Readonly<Record<string, unknown>>;
}

/** The fake served over HTTP by {@link FakeGraph.listen}. */
export interface FakeGraphServer {
  /** The Graph base URL to give a client: `http://127.0.0.1:{port}/v1.0`. */
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The fake Graph. See {@link createFakeGraph}. */
export interface FakeGraph {
  /** A `fetch` that Graph answers in process: pass it with `baseUrl` to `createGraphClient` or `createCallRegistry`. */
  readonly fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  /** The same, as a WHATWG handler. */
  readonly handle: (request: Request) => Promise<Response>;
  /** `https://fake-graph.invalid/v1.0`: a host that cannot resolve, so nothing leaks to the network. */
  readonly baseUrl: string;
  readonly calls: ReadonlyMap<string, FakeCall>;
  /** Every request answered, in order. */
  readonly requests: RecordedRequest[];
  /** Every post made and every notification dropped, in order. */
  readonly deliveries: RecordedDelivery[];
  /** An outgoing call (as `POST /communications/calls` makes one): notifies `establishing`, then `established`. */
  placeCall(options?: PlaceCallOptions): string;
  /** A call to the bot: notifies `created` with state `incoming`. */
  incomingCall(options?: IncomingCallOptions): string;
  /** Answers an incoming call: `establishing`, then `established`. */
  answer(callId: string): void;
  /** Rejects an incoming call: one `deleted` with no state, as Graph sends. */
  reject(callId: string): void;
  /** Redirects an incoming call: `deleted` with state `terminated`. */
  redirect(callId: string): void;
  /**
   * Transfers an established call: `transferring`, `transferAccepted`, then `deleted`
   * `terminated` with resultInfo 0/7015; with `fail`, back to `established` with 500/7000.
   */
  transfer(callId: string, options?: { readonly fail?: boolean }): void;
  /** The other side hangs up: `terminating`, then `deleted` `terminated` (200/18503 unless given). */
  remoteHangUp(callId: string, options?: { readonly resultInfo?: NotifyResultInfo }): void;
  /** Moves a live call to any state and notifies it: for lifecycles the scripted ones do not cover. */
  setState(callId: string, state: GraphCallState, options?: SetStateOptions): void;
  /** Posts hand-built notifications (e.g. from `notify`) through the same faults. */
  push(...items: readonly CommsNotification[]): void;
  /** Answers the next `n` requests with 429 and `Retry-After` in seconds (fractions allowed). Replaces an armed throttle. */
  throttleNext(n: number, retryAfterSeconds: number): void;
  /** Answers the next `n` requests (of `method`, when given) with `status`. Replaces an armed failure. */
  failNext(
    n: number,
    status: number,
    options?: { readonly method?: FakeGraphMethod; readonly retryAfter?: number },
  ): void;
  /** Serves the fake over HTTP on 127.0.0.1 (port 0: any free one). */
  listen(port?: number): Promise<FakeGraphServer>;
  /** Resolves once every notification produced so far (and any produced meanwhile) has been posted or dropped. */
  settle(): Promise<void>;
  /** Discards pending deliveries, waits for one in flight, closes servers; later requests fail like a refused connection. */
  close(): Promise<void>;
}
