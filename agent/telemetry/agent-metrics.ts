import { metrics as otel, type Attributes, type Counter } from '@opentelemetry/api';
import type { NodeSDK } from '@opentelemetry/sdk-node';

/** Where the agent's own metrics go. */
export interface TelemetryOptions {
  /** OTLP/HTTP metrics endpoint; without it the instruments are no-ops (totals still count). */
  otlpEndpoint?: string;
  exportIntervalMs: number;
  /** Resource attributes: service and site identity. */
  resource: Attributes;
}

/** Live gauges read at export time. */
export interface GaugeSources {
  backlog: () => { sink: string; count: number; oldestAgeSeconds: number }[];
}

/**
 * The agent's self-telemetry: OpenTelemetry counters and gauges (exported over OTLP/HTTP when an
 * endpoint is configured) plus plain totals for `/v1/status`.
 */
export class AgentMetrics {
  readonly totals = {
    eventsAccepted: 0,
    eventsRejected: {} as Record<string, number>,
    windowsClosed: 0,
    sends: {} as Record<string, { succeeded: number; failed: number }>,
    errors: {} as Record<string, number>,
  };
  private sdk: NodeSDK | undefined;
  private readonly accepted: Counter;
  private readonly rejected: Counter;
  private readonly closed: Counter;
  private readonly sends: Counter;
  private readonly errors: Counter;

  constructor(private readonly options: TelemetryOptions, gauges: GaugeSources) {
    const meter = otel.getMeter('driftwatch-agent');
    this.accepted = meter.createCounter('driftwatch.events.accepted', { description: 'Events counted into windows.' });
    this.rejected = meter.createCounter('driftwatch.events.rejected', { description: 'Events refused, by reason.' });
    this.closed = meter.createCounter('driftwatch.windows.closed', { description: 'Windows closed into the outbox.' });
    this.sends = meter.createCounter('driftwatch.sink.sends', { description: 'Window sends by sink and outcome.' });
    this.errors = meter.createCounter('driftwatch.component.errors', { description: 'Failures by error_type and stage.' });
    const backlog = meter.createObservableGauge('driftwatch.outbox.backlog', { description: 'Closed windows not yet sent, by sink.' });
    const age = meter.createObservableGauge('driftwatch.outbox.oldest_unsent_age', { description: 'Age of the oldest unsent window.', unit: 's' });
    meter.addBatchObservableCallback((result) => {
      for (const b of gauges.backlog()) {
        result.observe(backlog, b.count, { sink: b.sink });
        result.observe(age, b.oldestAgeSeconds, { sink: b.sink });
      }
    }, [backlog, age]);
  }

  /**
   * Starts exporting over OTLP/HTTP when an endpoint is configured. The SDK (about 27 MiB resident)
   * is loaded only then. Instruments made earlier pick up the provider through the global API.
   */
  async startExport(): Promise<void> {
    const { otlpEndpoint, exportIntervalMs, resource } = this.options;
    if (otlpEndpoint === undefined || this.sdk !== undefined) return;
    const [{ NodeSDK: Sdk, metrics: sdkMetrics, resources }, { OTLPMetricExporter }] = await Promise.all([
      import('@opentelemetry/sdk-node'),
      import('@opentelemetry/exporter-metrics-otlp-http'),
    ]);
    this.sdk = new Sdk({
      resource: resources.resourceFromAttributes(resource),
      metricReaders: [new sdkMetrics.PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: otlpEndpoint }),
        exportIntervalMillis: exportIntervalMs,
      })],
      instrumentations: [],
    });
    this.sdk.start();
  }

  eventsAccepted(n: number): void {
    if (n === 0) return;
    this.totals.eventsAccepted += n;
    this.accepted.add(n);
  }

  eventsRejected(reason: string, n = 1): void {
    this.totals.eventsRejected[reason] = (this.totals.eventsRejected[reason] ?? 0) + n;
    this.rejected.add(n, { reason });
  }

  windowClosed(model: string): void {
    this.totals.windowsClosed++;
    this.closed.add(1, { model });
  }

  send(sink: string, ok: boolean): void {
    const s = (this.totals.sends[sink] ??= { succeeded: 0, failed: 0 });
    if (ok) s.succeeded++;
    else s.failed++;
    this.sends.add(1, { sink, outcome: ok ? 'success' : 'failure' });
  }

  /** One failure: `error_type` says what, `stage` where (ingest, checkpoint, close, send). */
  error(errorType: string, stage: string): void {
    const key = `${stage}:${errorType}`;
    this.totals.errors[key] = (this.totals.errors[key] ?? 0) + 1;
    this.errors.add(1, { error_type: errorType, stage });
  }

  async shutdown(): Promise<void> {
    await this.sdk?.shutdown().catch(() => undefined);
  }
}
