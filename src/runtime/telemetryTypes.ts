/**
 * The parts of `@opentelemetry/api` the registry uses, declared structurally: the library's
 * declarations must type-check where that optional package is not installed. The real API's
 * providers (and an SDK's) fit these.
 *
 * @example
 * ```ts
 * import { MeterProvider } from '@opentelemetry/sdk-metrics';
 * import type { RegistryTelemetryOptions } from 'graph-call-machine';
 *
 * const telemetry: RegistryTelemetryOptions = { meterProvider: new MeterProvider() };
 * ```
 * @module
 */

/** Attributes of a measurement or a span. */
export type TelemetryAttributes = Readonly<Record<string, string | number | boolean>>;

/** Options of an instrument, as `@opentelemetry/api`'s `MetricOptions`. */
export interface TelemetryInstrumentOptions {
  readonly description?: string;
  readonly unit?: string;
  readonly advice?: { readonly explicitBucketBoundaries?: number[] };
}

/** The part of `@opentelemetry/api`'s `Meter` the registry uses. */
export interface TelemetryMeter {
  createCounter(name: string, options?: TelemetryInstrumentOptions): TelemetryCounter;
  createHistogram(name: string, options?: TelemetryInstrumentOptions): TelemetryHistogram;
  createObservableGauge(
    name: string,
    options?: TelemetryInstrumentOptions,
  ): TelemetryObservableGauge;
}

/** `@opentelemetry/api`'s `Counter`. */
export interface TelemetryCounter {
  add(value: number, attributes?: TelemetryAttributes): void;
}

/** `@opentelemetry/api`'s `Histogram`. */
export interface TelemetryHistogram {
  record(value: number, attributes?: TelemetryAttributes): void;
}

/** `@opentelemetry/api`'s `ObservableResult`. */
export interface TelemetryObservableResult {
  observe(value: number, attributes?: TelemetryAttributes): void;
}

/** `@opentelemetry/api`'s `ObservableGauge`. */
export interface TelemetryObservableGauge {
  addCallback(callback: (result: TelemetryObservableResult) => void): void;
  removeCallback(callback: (result: TelemetryObservableResult) => void): void;
}

/** A `MeterProvider` of `@opentelemetry/api` (an SDK's `MeterProvider` is one). */
export interface TelemetryMeterProvider {
  getMeter(name: string, version?: string): TelemetryMeter;
}

/** The part of `@opentelemetry/api`'s `Span` the registry uses. */
export interface TelemetrySpan {
  setAttribute(key: string, value: string | number | boolean): unknown;
  setStatus(status: { readonly code: number; readonly message?: string }): unknown;
  end(): void;
}

/** The part of `@opentelemetry/api`'s `SpanOptions` the registry uses. */
export interface TelemetrySpanOptions {
  /** `SpanKind`: 2 is `CLIENT`. */
  readonly kind?: number;
  readonly attributes?: TelemetryAttributes;
}

/** The part of `@opentelemetry/api`'s `Tracer` the registry uses. */
export interface TelemetryTracer {
  startSpan(name: string, options?: TelemetrySpanOptions): TelemetrySpan;
}

/** A `TracerProvider` of `@opentelemetry/api` (an SDK's `BasicTracerProvider` is one). */
export interface TelemetryTracerProvider {
  getTracer(name: string, version?: string): TelemetryTracer;
}

/**
 * Where the registry reports its metrics and spans (option `telemetry` of
 * `createCallRegistry`). A provider left out is the one registered globally with
 * `@opentelemetry/api`, when that package is installed; `telemetry: true` (the default) leaves
 * both out, `telemetry: false` reports nothing. Register the SDK before the registry starts:
 * a meter taken from the global provider before one is registered stays a no-op.
 *
 * @example
 * ```ts
 * import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
 * import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
 * import { createCallRegistry, type RegistryTelemetryOptions } from 'graph-call-machine';
 *
 * const telemetry: RegistryTelemetryOptions = {
 *   meterProvider: new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter })] }),
 *   tracerProvider: new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(spanExporter)] }),
 * };
 * const registry = createCallRegistry({ graph, telemetry });
 * ```
 */
export interface RegistryTelemetryOptions {
  /** Where the metrics go. Default: `metrics.getMeterProvider()` of `@opentelemetry/api`. */
  readonly meterProvider?: TelemetryMeterProvider;
  /** Where the spans go. Default: `trace.getTracerProvider()` of `@opentelemetry/api`. */
  readonly tracerProvider?: TelemetryTracerProvider;
}

/** What the registry needs of the `@opentelemetry/api` module. */
export interface OpenTelemetryApi {
  readonly metrics: { getMeterProvider(): TelemetryMeterProvider };
  readonly trace: {
    getTracerProvider(): TelemetryTracerProvider;
    setSpan(context: unknown, span: TelemetrySpan): unknown;
  };
  readonly context: { active(): unknown; with<T>(context: unknown, fn: () => T): T };
}
