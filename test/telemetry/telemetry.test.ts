// OpenTelemetry: a registry given the SDK's providers reports a full lifecycle from the fake
// Graph (incoming → answer → hang up, the DELETE throttled once) as one span per Graph request
// and as metrics; `telemetry: false` reports nothing even with an SDK registered globally; the
// default option works with no SDK registered (the API's no-ops), and without the API at all.
import { metrics, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  type DataPoint,
  type Histogram,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type CallRegistry,
  type CallRegistryOptions,
  createCallRegistry,
  createGraphClient,
  type RegistryTelemetryOptions,
  systemClock,
} from '../../src/index.js';
import { loadOpenTelemetryApi, type RegistryTelemetry } from '../../src/runtime/telemetry.js';
import { createFakeGraph, type FakeGraph } from '../../src/testing/index.js';
import { graphOf } from '../control/support.js';
import { throttledHangUp } from '../support/throttledHangUp.js';

/** A reader the test collects from when it wants: no timer, no exporter. */
class CollectingReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

function createSdk() {
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  return {
    meterProvider,
    tracerProvider,
    spans: (): ReadableSpan[] => exporter.getFinishedSpans(),
    /** The data points of each metric collected now, by metric name. */
    async collect(): Promise<Map<string, DataPoint<unknown>[]>> {
      const { resourceMetrics, errors } = await reader.collect();
      expect(errors).toEqual([]);
      const byName = new Map<string, DataPoint<unknown>[]>();
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) {
          byName.set(metric.descriptor.name, metric.dataPoints as DataPoint<unknown>[]);
        }
      }
      return byName;
    },
    async shutdown(): Promise<void> {
      await Promise.all([meterProvider.shutdown(), tracerProvider.shutdown()]);
    },
  };
}

type Sdk = ReturnType<typeof createSdk>;

let open: { fake: FakeGraph; registry: CallRegistry; sdk?: Sdk } | undefined;
afterEach(async () => {
  await open?.registry.close();
  await open?.fake.close();
  await open?.sdk?.shutdown();
  open = undefined;
  metrics.disable();
  trace.disable();
});

/** incoming → answer → hang up with the first DELETE throttled (429, then 204) → terminated. */
async function lifecycle(options: Partial<CallRegistryOptions> = {}, sdk?: Sdk) {
  const fake = createFakeGraph();
  const registry = createCallRegistry({ graph: graphOf(fake), keepAliveMs: 0, ...options });
  open = sdk === undefined ? { fake, registry } : { fake, registry, sdk };
  const { callId, ended } = await throttledHangUp(fake, registry);
  return { fake, registry, callId, ended };
}

function withProviders(sdk: Sdk): RegistryTelemetryOptions {
  return { meterProvider: sdk.meterProvider, tracerProvider: sdk.tracerProvider };
}

/** The data points whose attributes include `attributes`. */
function pointsWith(
  points: readonly DataPoint<unknown>[] | undefined,
  attributes: Record<string, unknown>,
): DataPoint<unknown>[] {
  return (points ?? []).filter((p) =>
    Object.entries(attributes).every(([key, value]) => p.attributes[key] === value),
  );
}

const histogramOf = (point: DataPoint<unknown> | undefined): Histogram | undefined =>
  point?.value as Histogram | undefined;
const countOf = (point: DataPoint<unknown> | undefined): number | undefined =>
  histogramOf(point)?.count;

describe('a registry with the SDK providers', () => {
  it('reports a span per Graph request, with its method, status and call, each ended', async () => {
    const sdk = createSdk();
    const { callId, ended } = await lifecycle({ telemetry: withProviders(sdk) }, sdk);
    expect(ended.outcome?.reason).toBe('hungUp');

    const spans = sdk.spans();
    expect(spans.map((s) => s.name)).toEqual([
      'POST /communications/calls/{id}/answer',
      'DELETE /communications/calls/{id}',
      'DELETE /communications/calls/{id}',
    ]);
    for (const span of spans) {
      expect(span.ended).toBe(true);
      expect(span.kind).toBe(SpanKind.CLIENT);
      expect(span.attributes['graph_call.id']).toBe(callId);
      expect(span.attributes['server.address']).toEqual(expect.any(String));
    }
    const [answer, throttled, taken] = spans;
    expect(answer?.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.response.status_code': 202,
      'graph_call.request': 'answer',
      'url.template': '/communications/calls/{id}/answer',
    });
    expect(answer?.attributes['error.type']).toBeUndefined();
    expect(answer?.status.code).toBe(SpanStatusCode.UNSET);
    expect(throttled?.attributes).toMatchObject({
      'http.request.method': 'DELETE',
      'http.response.status_code': 429,
      'graph_call.request': 'deleteCall',
      'error.type': '429',
    });
    expect(throttled?.status.code).toBe(SpanStatusCode.ERROR);
    expect(taken?.attributes).toMatchObject({
      'http.request.method': 'DELETE',
      'http.response.status_code': 204,
      'graph_call.request': 'deleteCall',
    });
    expect(taken?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('counts requests by verb and status, and records their durations', async () => {
    const sdk = createSdk();
    await lifecycle({ telemetry: withProviders(sdk) }, sdk);
    const collected = await sdk.collect();

    const requests = collected.get('graph_call_machine.graph.requests');
    const requestCount = (request: string, status: number) =>
      pointsWith(requests, {
        'graph_call.request': request,
        'http.response.status_code': status,
      }).map((p) => p.value);
    expect(requestCount('answer', 202)).toEqual([1]);
    expect(requestCount('deleteCall', 429)).toEqual([1]);
    expect(requestCount('deleteCall', 204)).toEqual([1]);
    expect(pointsWith(requests, { 'error.type': '429' })).toHaveLength(1);
    // Call ids stay on spans: a metric attribute per call would grow without bound.
    expect(requests?.every((p) => !('graph_call.id' in p.attributes))).toBe(true);

    const durations = collected.get('graph_call_machine.graph.request.duration') ?? [];
    expect(durations.reduce((sum, p) => sum + (countOf(p) ?? 0), 0)).toBe(3);
    expect(countOf(pointsWith(durations, { 'http.response.status_code': 429 })[0])).toBe(1);
  });

  it('counts notifications by verdict, and rejections by their code', async () => {
    const sdk = createSdk();
    const { registry } = await lifecycle({ telemetry: withProviders(sdk) }, sdk);
    const report = await registry.ingest({ value: [{ changeType: 'renamed' }] });
    expect(report.rejected).toBe(1);
    const notifications = (await sdk.collect()).get('graph_call_machine.notifications');

    const [applied] = pointsWith(notifications, { 'graph_call.notification.verdict': 'applied' });
    // incoming, established, terminating and terminated at least.
    expect(applied?.value).toBeGreaterThanOrEqual(3);
    const rejected = pointsWith(notifications, { 'graph_call.notification.verdict': 'rejected' });
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.value).toBe(1);
    expect(rejected[0]?.attributes['error.type']).toEqual(report.rejections[0]?.code);
  });

  it('reports calls by phase, the hang-up to terminated time and the call duration', async () => {
    const sdk = createSdk();
    const { ended } = await lifecycle({ telemetry: withProviders(sdk) }, sdk);
    const collected = await sdk.collect();

    const phases = collected.get('graph_call_machine.call.count');
    const byPhase = Object.fromEntries(
      (phases ?? []).map((p) => [p.attributes['graph_call.phase'], p.value]),
    );
    expect(byPhase).toEqual({ setup: 0, active: 0, terminating: 0, terminated: 1 });

    const hangUps = collected.get('graph_call_machine.call.hang_up.duration') ?? [];
    expect(hangUps).toHaveLength(1);
    expect(hangUps[0]?.attributes).toEqual({ 'graph_call.outcome.reason': 'hungUp' });
    expect(countOf(hangUps[0])).toBe(1);
    // At least the throttled DELETE's Retry-After (20 ms) passed between the two.
    expect(histogramOf(hangUps[0])?.sum).toBeGreaterThanOrEqual(0.02);

    const calls = collected.get('graph_call_machine.call.duration') ?? [];
    expect(calls).toHaveLength(1);
    expect(calls[0]?.attributes).toEqual({
      'graph_call.outcome.reason': 'hungUp',
      'graph_call.established': true,
    });
    expect(countOf(calls[0])).toBe(1);
    const established = ended.establishedAt ?? Number.NaN;
    expect(histogramOf(calls[0])?.sum).toBeCloseTo(
      ((ended.outcome?.at ?? Number.NaN) - established) / 1000,
      3,
    );
  });

  it('stops counting the calls of a closed registry', async () => {
    const sdk = createSdk();
    const { registry } = await lifecycle({ telemetry: withProviders(sdk) }, sdk);
    await registry.close();
    const collected = await sdk.collect();
    expect(collected.get('graph_call_machine.call.count') ?? []).toEqual([]);
  });

  it('ends the span of a request that never answers when the registry stops waiting', async () => {
    const sdk = createSdk();
    const fake = createFakeGraph();
    const graph = {
      ...createGraphClient(graphOf(fake)),
      placeCall: () => new Promise<never>(() => {}),
    };
    const registry = createCallRegistry({
      graph,
      requestTimeoutMs: 20,
      telemetry: withProviders(sdk),
    });
    open = { fake, registry, sdk };
    await expect(
      registry.placeCall({
        callbackUri: 'https://bot.example.com/api/calls',
        targets: [{ identity: { user: { id: '8a34e8b7-2a3c-4c5b-9a4e-1f2d3c4b5a69' } } }],
        mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
        requestedModalities: ['audio'],
      }),
    ).rejects.toThrow();
    const [span] = sdk.spans();
    expect(span?.name).toBe('POST /communications/calls');
    expect(span?.ended).toBe(true);
    expect(span?.attributes['error.type']).toBe('timeout');
    expect(span?.attributes['graph_call.id']).toBeUndefined();
    expect(span?.attributes['server.address']).toBeUndefined();
    const requests = (await sdk.collect()).get('graph_call_machine.graph.requests');
    expect(requests?.map((p) => [p.attributes['error.type'], p.value])).toEqual([['timeout', 1]]);
  });

  it('refuses a telemetry option that is not one', () => {
    const fake = createFakeGraph();
    const make = (telemetry: unknown) => () =>
      createCallRegistry({ graph: graphOf(fake), telemetry } as CallRegistryOptions);
    expect(make('yes')).toThrow(/telemetry must be true, false or/);
    expect(make({ meterProvider: {} })).toThrow(/telemetry.meterProvider must be a MeterProvider/);
    expect(make({ tracerProvider: 1 })).toThrow(
      /telemetry.tracerProvider must be a TracerProvider/,
    );
    return fake.close();
  });
});

describe('the telemetry option', () => {
  it('false reports nothing, even with an SDK registered globally', async () => {
    const sdk = createSdk();
    metrics.setGlobalMeterProvider(sdk.meterProvider);
    trace.setGlobalTracerProvider(sdk.tracerProvider);
    const { ended } = await lifecycle({ telemetry: false }, sdk);
    expect(ended.outcome?.reason).toBe('hungUp');
    expect(sdk.spans()).toEqual([]);
    expect([...(await sdk.collect()).keys()]).toEqual([]);
  });

  it('by default reports to the providers registered globally', async () => {
    await loadOpenTelemetryApi(); // as it is, in a process where a registry ran before
    const sdk = createSdk();
    metrics.setGlobalMeterProvider(sdk.meterProvider);
    trace.setGlobalTracerProvider(sdk.tracerProvider);
    await lifecycle({}, sdk);
    expect(sdk.spans()).toHaveLength(3);
    expect((await sdk.collect()).get('graph_call_machine.call.count')).toHaveLength(4);
  });

  it('by default works with no SDK registered: the API hands out no-ops', async () => {
    const { ended, registry } = await lifecycle();
    expect(ended.outcome?.reason).toBe('hungUp');
    await expect(registry.ready).resolves.toBeUndefined();
  });
});

describe('loading @opentelemetry/api', () => {
  const source = { graph: { getToken: async () => 't' }, clock: systemClock, calls: () => [] };

  // A fresh copy of the module: the API not loaded yet in this "process".
  async function freshTelemetryModule() {
    vi.resetModules();
    return import('../../src/runtime/telemetry.js');
  }
  afterEach(() => {
    vi.doUnmock('@opentelemetry/api');
    vi.resetModules();
  });

  it('is not waited for: the global providers are attached once it has loaded', async () => {
    const sdk = createSdk();
    metrics.setGlobalMeterProvider(sdk.meterProvider);
    const { loadOpenTelemetryApi, startTelemetry } = await freshTelemetryModule();
    const attached: RegistryTelemetry[] = [];
    const meterOnly = { meterProvider: sdk.meterProvider };
    // Nothing given: nothing at first. The meter given: that at once, the rest later.
    expect(startTelemetry(undefined, source, (t) => attached.push(t))).toBeUndefined();
    const first = startTelemetry(meterOnly, source, (t) => attached.push(t));
    expect(first).toBeDefined();
    expect(attached).toEqual([]);
    await loadOpenTelemetryApi();
    expect(attached).toHaveLength(2);
    // Once loaded, the globals come at once and nothing is attached later.
    const later: RegistryTelemetry[] = [];
    const now = startTelemetry(undefined, source, (t) => later.push(t));
    expect(now).toBeDefined();
    await loadOpenTelemetryApi();
    expect(later).toEqual([]);
    for (const telemetry of [first, now, ...attached]) telemetry?.close();
    await sdk.shutdown();
  });

  it('absent: nothing by default, and the providers given are used', async () => {
    vi.doMock('@opentelemetry/api', () => {
      throw new Error("Cannot find package '@opentelemetry/api'");
    });
    const { loadOpenTelemetryApi, startTelemetry } = await freshTelemetryModule();
    const attach = vi.fn();
    expect(startTelemetry(undefined, source, attach)).toBeUndefined();
    await expect(loadOpenTelemetryApi()).resolves.toBeUndefined();
    expect(startTelemetry(true, source, attach)).toBeUndefined();
    expect(attach).not.toHaveBeenCalled();

    const sdk = createSdk();
    const given = startTelemetry(withProviders(sdk), source, attach);
    const watch = given?.request('getCall', 'c1');
    await watch?.send(async () => ({ ok: true, status: 200 }));
    expect(sdk.spans().map((s) => s.name)).toEqual(['GET /communications/calls/{id}']);
    given?.close();
    await sdk.shutdown();
  });
});
