/**
 * OpenTelemetry for the registry: metrics and a span per Graph request, reported through
 * `@opentelemetry/api` when the app has it. The package is an optional peer dependency: this
 * module never imports it statically, its types are declared here structurally (so the
 * library's declarations need neither it nor `@types/node`, see ./telemetryTypes.ts), and the
 * first registry loads it with a dynamic `import()` that may fail, and that its `ready` does
 * not wait for. Without it, or with `telemetry: false`, the registry does nothing more per
 * event than test one variable.
 *
 * What is reported (metric names under `graph_call_machine.`, attributes under `graph_call.`
 * where OpenTelemetry's semantic conventions have no name):
 *
 * | instrument | kind, unit | attributes |
 * | --- | --- | --- |
 * | `graph_call_machine.call.count` | gauge, `{call}` | `graph_call.phase` |
 * | `graph_call_machine.notifications` | counter, `{notification}` | `graph_call.notification.verdict`, `error.type` (rejected) |
 * | `graph_call_machine.graph.requests` | counter, `{request}` | `http.request.method`, `graph_call.request`, `http.response.status_code`, `error.type`, `server.address` |
 * | `graph_call_machine.graph.request.duration` | histogram, `s` | as `graph_call_machine.graph.requests` |
 * | `graph_call_machine.call.hang_up.duration` | histogram, `s` | `graph_call.outcome.reason` |
 * | `graph_call_machine.call.duration` | histogram, `s` | `graph_call.outcome.reason`, `graph_call.established` |
 *
 * Each Graph request is a `CLIENT` span named `{method} {url.template}` (`DELETE
 * /communications/calls/{id}`), with the request's attributes, `url.template` and the call's
 * `graph_call.id`; the HTTP spans of an instrumented `fetch` become its children.
 *
 * @example
 * ```ts
 * import { MeterProvider } from '@opentelemetry/sdk-metrics';
 * import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
 * import { createCallRegistry } from 'graph-call-machine';
 *
 * // The providers registered globally (NodeSDK, …), if any: the default.
 * createCallRegistry({ graph });
 * // Providers of its own, used as given.
 * createCallRegistry({ graph, telemetry: { meterProvider: new MeterProvider({ readers }), tracerProvider } });
 * ```
 * @module
 */
import type { CallControlVerb } from '../graph/callRequests.js';
import { CALL_PHASES, type CallPhase } from '../graph/callState.js';
import type { GraphError } from '../graph/graphResponse.js';
import type { RejectedNotification, RejectionCode } from '../graph/notification.js';
import type { OperationKind } from '../graph/operationRequests.js';
import { getCallView } from '../machine/callView.js';
import type { CallSnapshot } from '../machine/stepCall.js';
import type { CallContext, CallOutcome, NotificationVerdict } from '../machine/types.js';
import type { Clock } from './clock.js';
import type { GraphClientOptions } from './graphClient.js';
import type {
  OpenTelemetryApi,
  RegistryTelemetryOptions,
  TelemetryAttributes,
  TelemetryCounter,
  TelemetryHistogram,
  TelemetryMeter,
  TelemetryMeterProvider,
  TelemetryObservableGauge,
  TelemetryObservableResult,
  TelemetryTracer,
  TelemetryTracerProvider,
} from './telemetryTypes.js';
import type { GraphClient } from './types.js';

/** The Graph requests the registry makes, by the name reported as `graph_call.request`. */
export type GraphRequestKind =
  | 'deleteCall'
  | 'getCall'
  | 'keepAlive'
  | 'placeCall'
  | CallControlVerb
  | OperationKind;

/** What every answer of the Graph client has. */
interface GraphAnswer {
  readonly ok: boolean;
  readonly status: number;
  readonly error?: GraphError;
}

/** One Graph request being watched: its span is open until its answer, failure or timeout. */
export interface GraphRequestWatch {
  /** Sends the request in its span's context; the answer or the failure ends the span. */
  send<R extends GraphAnswer>(request: () => Promise<R>): Promise<R>;
  /** The registry stopped waiting for the answer: ends the span as `timeout`, unless it ended. */
  readonly abandon: () => void;
}

/** The registry's telemetry once started; `undefined` in the registry when there is none. */
export interface RegistryTelemetry {
  /** Starts watching a Graph request (`callId` is absent for `placeCall`). */
  request(kind: GraphRequestKind, callId: string | undefined): GraphRequestWatch;
  /** Counts the verdicts of one webhook POST, and its rejections by code. */
  notifications(
    counts: Readonly<Record<NotificationVerdict, number>>,
    rejections: readonly RejectedNotification[],
  ): void;
  /** Records how long the call and its hang-up took, from the terminated call's context. */
  terminated(outcome: CallOutcome, context: CallContext | undefined): void;
  /** Stops observing this registry's calls. */
  close(): void;
}

/** `request`, sent through `watch` when there is one. */
export function watched<R extends GraphAnswer>(
  watch: GraphRequestWatch | undefined,
  request: () => Promise<R>,
): () => Promise<R> {
  return watch === undefined ? request : () => watch.send(request);
}

/** What the registry tells {@link startTelemetry} about itself. */
export interface TelemetrySource {
  readonly graph: GraphClient | GraphClientOptions;
  readonly clock: Clock;
  /** The calls the registry knows, read at each metric collection. */
  readonly calls: () => Iterable<{ readonly snapshot: CallSnapshot }>;
}

const NAME = 'graph-call-machine';
const SPAN_KIND_CLIENT = 2;
const SPAN_STATUS_ERROR = 2;
// The boundaries OpenTelemetry's HTTP conventions advise for request durations, in seconds.
const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const HANG_UP_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60, 120, 300];
const CALL_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400];

/** Method and path template (after the calls collection) of each request. */
const ROUTES: Readonly<Record<GraphRequestKind, readonly [method: string, path: string]>> = {
  deleteCall: ['DELETE', '/{id}'],
  getCall: ['GET', '/{id}'],
  keepAlive: ['POST', '/{id}/keepAlive'],
  placeCall: ['POST', ''],
  answer: ['POST', '/{id}/answer'],
  reject: ['POST', '/{id}/reject'],
  redirect: ['POST', '/{id}/redirect'],
  transfer: ['POST', '/{id}/transfer'],
  playPrompt: ['POST', '/{id}/playPrompt'],
  recordResponse: ['POST', '/{id}/recordResponse'],
  cancelMediaProcessing: ['POST', '/{id}/cancelMediaProcessing'],
  subscribeToTone: ['POST', '/{id}/subscribeToTone'],
  sendDtmfTones: ['POST', '/{id}/sendDtmfTones'],
  mute: ['POST', '/{id}/mute'],
  unmute: ['POST', '/{id}/unmute'],
  updateRecordingStatus: ['POST', '/{id}/updateRecordingStatus'],
  invite: ['POST', '/{id}/participants/invite'],
  removeParticipant: ['DELETE', '/{id}/participants/{participantId}'],
};

// Named as the ingest report names them (`applied`, not `apply`), rejections by their code.
const VERDICT_ATTRIBUTES = (
  [
    ['apply', 'applied'],
    ['unchanged', 'unchanged'],
    ['stale', 'stale'],
    ['late', 'late'],
    ['subresource', 'subresource'],
  ] as const
).map(([verdict, name]) => [verdict, { 'graph_call.notification.verdict': name }] as const);
const REJECTED_ATTRIBUTES = new Map<RejectionCode, TelemetryAttributes>();

/** The instruments of one meter, shared by every registry that reports to it. */
interface Instruments {
  readonly requests: TelemetryCounter;
  readonly requestDuration: TelemetryHistogram;
  readonly notifications: TelemetryCounter;
  readonly hangUpDuration: TelemetryHistogram;
  readonly callDuration: TelemetryHistogram;
  readonly callCount: TelemetryObservableGauge;
  /** The registries whose calls the gauge counts: one callback sums them all. */
  readonly sources: Set<TelemetrySource['calls']>;
  readonly observe: (result: TelemetryObservableResult) => void;
}

const instrumentsByMeter = new WeakMap<TelemetryMeter, Instruments>();
const PHASE_ATTRIBUTES: Readonly<Record<CallPhase, TelemetryAttributes>> = {
  setup: { 'graph_call.phase': 'setup' },
  active: { 'graph_call.phase': 'active' },
  terminating: { 'graph_call.phase': 'terminating' },
  terminated: { 'graph_call.phase': 'terminated' },
};

function instrumentsOf(meter: TelemetryMeter): Instruments {
  const existing = instrumentsByMeter.get(meter);
  if (existing !== undefined) return existing;
  const sources = new Set<TelemetrySource['calls']>();
  const instruments: Instruments = {
    requests: meter.createCounter('graph_call_machine.graph.requests', {
      description: 'Graph requests the registry made, by verb and outcome.',
      unit: '{request}',
    }),
    requestDuration: meter.createHistogram('graph_call_machine.graph.request.duration', {
      description: 'How long Graph took to answer a request of the registry.',
      unit: 's',
      advice: { explicitBucketBoundaries: REQUEST_BUCKETS },
    }),
    notifications: meter.createCounter('graph_call_machine.notifications', {
      description: 'Notifications the registry judged, by verdict.',
      unit: '{notification}',
    }),
    hangUpDuration: meter.createHistogram('graph_call_machine.call.hang_up.duration', {
      description: 'Time from the bot hanging up a call to the call being terminated.',
      unit: 's',
      advice: { explicitBucketBoundaries: HANG_UP_BUCKETS },
    }),
    callDuration: meter.createHistogram('graph_call_machine.call.duration', {
      description:
        'How long calls lasted, from established (or offered, when never established) to their end.',
      unit: 's',
      advice: { explicitBucketBoundaries: CALL_BUCKETS },
    }),
    callCount: meter.createObservableGauge('graph_call_machine.call.count', {
      description: 'Calls the registry knows, by phase (ended ones until they are forgotten).',
      unit: '{call}',
    }),
    sources,
    observe(result) {
      const counts: Record<CallPhase, number> = {
        setup: 0,
        active: 0,
        terminating: 0,
        terminated: 0,
      };
      for (const calls of sources) {
        for (const { snapshot } of calls()) counts[getCallView(snapshot).phase] += 1;
      }
      for (const phase of CALL_PHASES) result.observe(counts[phase], PHASE_ATTRIBUTES[phase]);
    },
  };
  instrumentsByMeter.set(meter, instruments);
  return instruments;
}

// One import per process, shared by every registry; `loaded` once it has settled.
let api: Promise<OpenTelemetryApi | undefined> | undefined;
let loaded: { readonly api: OpenTelemetryApi | undefined } | undefined;
// A computed specifier: a bundler must not try to resolve the optional package at build time
// (it may not be installed); at run time the import resolves it like any other.
const API_PACKAGE = '@opentelemetry/api';

/** Imports `@opentelemetry/api` once; `undefined` when it is not installed. Never rejects. */
export function loadOpenTelemetryApi(): Promise<OpenTelemetryApi | undefined> {
  api ??= import(/* webpackIgnore: true */ /* @vite-ignore */ API_PACKAGE)
    .then(
      (module: Partial<OpenTelemetryApi>) =>
        typeof module.metrics?.getMeterProvider === 'function' &&
        typeof module.trace?.getTracerProvider === 'function' &&
        typeof module.context?.with === 'function'
          ? (module as OpenTelemetryApi)
          : undefined,
      () => undefined,
    )
    .then((module) => {
      loaded = { api: module };
      return module;
    });
  return api;
}

/**
 * Starts the registry's telemetry as `option` says (checked at once: a wrong one throws), or
 * returns `undefined` when there is none. The providers given serve at once; the global ones
 * come with `@opentelemetry/api`, whose import is not waited for (a registry's `ready` must not
 * depend on it): until it has settled, the first time in a process, the telemetry of the given
 * providers (or none) serves, and `attach` is handed the whole of it once it has.
 */
export function startTelemetry(
  option: boolean | RegistryTelemetryOptions | undefined,
  source: TelemetrySource,
  attach: (telemetry: RegistryTelemetry) => void,
): RegistryTelemetry | undefined {
  if (option === false) return undefined;
  const given = checkTelemetryOption(option);
  const start = (): RegistryTelemetry | undefined => {
    const meterProvider = given.meterProvider ?? loaded?.api?.metrics.getMeterProvider();
    const tracerProvider = given.tracerProvider ?? loaded?.api?.trace.getTracerProvider();
    if (meterProvider === undefined && tracerProvider === undefined) return undefined;
    return createTelemetry(meterProvider?.getMeter(NAME), tracerProvider?.getTracer(NAME), source);
  };
  // Loaded for the globals, and for spans' context even when both providers are given.
  const loading = loadOpenTelemetryApi();
  const needsGlobals = given.meterProvider === undefined || given.tracerProvider === undefined;
  if (loaded === undefined && needsGlobals) {
    loading.then((module) => {
      const started = module === undefined ? undefined : start();
      if (started !== undefined) attach(started);
    });
  }
  return start();
}

function checkTelemetryOption(
  option: true | RegistryTelemetryOptions | undefined,
): RegistryTelemetryOptions {
  if (option === undefined || option === true) return {};
  if (typeof option !== 'object' || option === null) {
    throw new TypeError(
      `createCallRegistry: telemetry must be true, false or { meterProvider?, tracerProvider? }, got ${option === null ? 'null' : typeof option}.`,
    );
  }
  const { meterProvider, tracerProvider }: { meterProvider?: unknown; tracerProvider?: unknown } =
    option;
  if (
    meterProvider !== undefined &&
    typeof (meterProvider as Partial<TelemetryMeterProvider>).getMeter !== 'function'
  ) {
    throw new TypeError(
      'createCallRegistry: telemetry.meterProvider must be a MeterProvider (with getMeter), such as new MeterProvider() of @opentelemetry/sdk-metrics.',
    );
  }
  if (
    tracerProvider !== undefined &&
    typeof (tracerProvider as Partial<TelemetryTracerProvider>).getTracer !== 'function'
  ) {
    throw new TypeError(
      'createCallRegistry: telemetry.tracerProvider must be a TracerProvider (with getTracer), such as new BasicTracerProvider() of @opentelemetry/sdk-trace-base.',
    );
  }
  return option;
}

/** Where the requests go, when the registry made the client: the host and the calls path. */
function routeOf(graph: GraphClient | GraphClientOptions): { address?: string; calls: string } {
  if (typeof (graph as Partial<GraphClient>).deleteCall === 'function') {
    return { calls: '/communications/calls' };
  }
  const options = graph as GraphClientOptions;
  const calls = options.callsPath === 'app' ? '/app/calls' : '/communications/calls';
  try {
    return { address: new URL(options.baseUrl ?? 'https://graph.microsoft.com').hostname, calls };
  } catch {
    return { calls };
  }
}

function createTelemetry(
  meter: TelemetryMeter | undefined,
  tracer: TelemetryTracer | undefined,
  { graph, clock, calls }: TelemetrySource,
): RegistryTelemetry {
  const instruments = meter === undefined ? undefined : instrumentsOf(meter);
  if (instruments !== undefined) {
    if (instruments.sources.size === 0) instruments.callCount.addCallback(instruments.observe);
    instruments.sources.add(calls);
  }
  const route = routeOf(graph);

  function request(kind: GraphRequestKind, callId: string | undefined): GraphRequestWatch {
    const [method, path] = ROUTES[kind];
    const template = `${route.calls}${path}`;
    const common: Record<string, string | number | boolean> = {
      'http.request.method': method,
      'graph_call.request': kind,
    };
    if (route.address !== undefined) common['server.address'] = route.address;
    const span = tracer?.startSpan(`${method} ${template}`, {
      kind: SPAN_KIND_CLIENT,
      attributes: {
        ...common,
        'url.template': template,
        ...(callId === undefined ? {} : { 'graph_call.id': callId }),
      },
    });
    const startedAt = clock.now();
    let open = true;

    const end = (status: number, errorType: string | undefined, error?: GraphError): void => {
      if (!open) return;
      open = false;
      const attributes = { ...common };
      if (status > 0) attributes['http.response.status_code'] = status;
      if (errorType !== undefined) attributes['error.type'] = errorType;
      instruments?.requests.add(1, attributes);
      instruments?.requestDuration.record(Math.max(0, clock.now() - startedAt) / 1000, attributes);
      if (span === undefined) return;
      if (status > 0) span.setAttribute('http.response.status_code', status);
      if (error?.requestId !== undefined)
        span.setAttribute('graph_call.request_id', error.requestId);
      if (errorType !== undefined) {
        span.setAttribute('error.type', errorType);
        span.setStatus({ code: SPAN_STATUS_ERROR });
      }
      span.end();
    };
    const answered = (result: GraphAnswer): void => {
      if (result.ok) end(result.status, undefined);
      else
        end(
          result.status,
          result.status > 0 ? String(result.status) : (result.error?.code ?? '_OTHER'),
          result.error,
        );
    };
    const failed = (reason: unknown): void => {
      const name = reason instanceof Error ? reason.name : undefined;
      end(0, name === undefined || name === '' ? '_OTHER' : name);
    };

    return {
      send(send) {
        let sent: ReturnType<typeof send>;
        const otel = loaded?.api;
        try {
          // In the span's context, so that the HTTP span of an instrumented fetch is its child.
          sent =
            span === undefined || otel === undefined
              ? send()
              : otel.context.with(otel.trace.setSpan(otel.context.active(), span), send);
        } catch (error) {
          failed(error);
          throw error;
        }
        return sent.then(
          (result) => {
            answered(result);
            return result;
          },
          (error: unknown) => {
            failed(error);
            throw error;
          },
        );
      },
      abandon: () => end(0, 'timeout'),
    };
  }

  function notifications(
    counts: Readonly<Record<NotificationVerdict, number>>,
    rejections: readonly RejectedNotification[],
  ): void {
    if (instruments === undefined) return;
    for (const [verdict, attributes] of VERDICT_ATTRIBUTES) {
      const count = counts[verdict];
      if (count > 0) instruments.notifications.add(count, attributes);
    }
    for (const { code } of rejections) {
      let attributes = REJECTED_ATTRIBUTES.get(code);
      if (attributes === undefined) {
        attributes = { 'graph_call.notification.verdict': 'rejected', 'error.type': code };
        REJECTED_ATTRIBUTES.set(code, attributes);
      }
      instruments.notifications.add(1, attributes);
    }
  }

  function terminated(outcome: CallOutcome, context: CallContext | undefined): void {
    if (instruments === undefined || context === undefined) return;
    const reason = { 'graph_call.outcome.reason': outcome.reason };
    if (context.hangUp !== null) {
      const seconds = Math.max(0, outcome.at - context.hangUp.requestedAt) / 1000;
      instruments.hangUpDuration.record(seconds, reason);
    }
    const from = context.establishedAt ?? context.offeredAt;
    if (from !== null) {
      instruments.callDuration.record(Math.max(0, outcome.at - from) / 1000, {
        ...reason,
        'graph_call.established': context.establishedAt !== null,
      });
    }
  }

  return {
    request,
    notifications,
    terminated,
    close() {
      if (instruments === undefined || !instruments.sources.delete(calls)) return;
      if (instruments.sources.size === 0) instruments.callCount.removeCallback(instruments.observe);
    },
  };
}
