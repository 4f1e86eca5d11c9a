import { readFileSync } from 'node:fs';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { BaselineProfile } from '../profile/baseline-profile.js';
import type { AgentIdentity, windowToResourceMetrics } from '../otlp/window-metrics.js';
import type { OutboxEntry } from '../state/agent-store.js';
import { classifyFailure } from './retry-policy.js';
import type { SendOutcome, WindowSink } from './window-sink.js';

/** Where and how closed windows go over OTLP/HTTP (fleet mode). */
export interface OtlpSinkOptions {
  /** Full URL of the receiver's metrics path, e.g. `https://collector:4318/v1/metrics`. */
  endpoint: string;
  protocol: 'http/protobuf' | 'http/json';
  compression: 'gzip' | 'none';
  timeoutMs: number;
  /** Bearer token for the collector. */
  token?: string;
  /** PEM files: CA to trust, and a client certificate and key for mutual TLS. */
  tls?: { ca?: string; cert?: string; key?: string };
  identity: AgentIdentity;
  /** The baseline of a configured model and its layout fingerprint. */
  profileOf: (model: string) => { profile: BaselineProfile; layout: string } | undefined;
}

/**
 * Exports each closed window through the official OpenTelemetry OTLP/HTTP exporter (protobuf or
 * JSON) as delta histograms and sums of bin counts (shared/otlp/window-metrics.ts). Drains the
 * same outbox as every sink, so an unreachable collector loses nothing. The exporter and SDK are
 * loaded on the first send.
 */
export class OtlpSink implements WindowSink {
  readonly name = 'otlp';
  private exporter: Promise<{ exporter: PushMetricExporter; convert: typeof windowToResourceMetrics }> | undefined;

  constructor(private readonly options: OtlpSinkOptions) {}

  private load(): NonNullable<typeof this.exporter> {
    this.exporter ??= (async () => {
      const { endpoint, protocol, compression, timeoutMs, token, tls } = this.options;
      const [{ windowToResourceMetrics }, { CompressionAlgorithm }, exporterModule] = await Promise.all([
        import('../otlp/window-metrics.js'),
        import('@opentelemetry/otlp-exporter-base'),
        protocol === 'http/json' ? import('@opentelemetry/exporter-metrics-otlp-http') : import('@opentelemetry/exporter-metrics-otlp-proto'),
      ]);
      const exporter = new exporterModule.OTLPMetricExporter({
        url: endpoint,
        timeoutMillis: timeoutMs,
        compression: compression === 'gzip' ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE,
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
        httpAgentOptions: {
          keepAlive: true,
          ...(tls?.ca === undefined ? {} : { ca: readFileSync(tls.ca) }),
          ...(tls?.cert === undefined ? {} : { cert: readFileSync(tls.cert) }),
          ...(tls?.key === undefined ? {} : { key: readFileSync(tls.key) }),
        },
      });
      return { exporter, convert: windowToResourceMetrics };
    })();
    return this.exporter;
  }

  async send(entry: OutboxEntry): Promise<SendOutcome> {
    const report = entry.report;
    const model = this.options.profileOf(report.model);
    if (model === undefined) {
      const error = new Error(`model '${report.model}' is no longer configured; its window cannot be described`);
      return { ok: false, error, failure: { retriable: false, throttled: false } };
    }
    try {
      const { exporter, convert } = await this.load();
      const metrics = convert(report, model.profile, model.layout, this.options.identity);
      const result = await new Promise<{ code: number; error?: Error }>((resolve) => exporter.export(metrics, resolve));
      if (result.code !== 0) {
        const error = result.error ?? new Error('OTLP export failed');
        return { ok: false, error, failure: classifyFailure(error) };
      }
      const datums = metrics.scopeMetrics.reduce((n, s) => n + s.metrics.reduce((m, x) => m + x.dataPoints.length, 0), 0);
      return { ok: true, requests: 1, datums, bytes: 0 };
    } catch (err) {
      return { ok: false, error: err as Error, failure: classifyFailure(err) };
    }
  }

  async shutdown(): Promise<void> {
    if (this.exporter === undefined) return;
    const { exporter } = await this.exporter.catch(() => ({ exporter: undefined }));
    await exporter?.shutdown().catch(() => undefined);
  }
}
