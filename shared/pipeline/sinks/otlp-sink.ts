import { isLabelUpdate } from '../../core/performance/label-update.js';
import { DwError } from '../../platform/errors.js';
import type { OtlpDoor } from '../egress/egress.js';
import { windowToResourceMetrics, type AgentIdentity } from '../otlp/window-metrics.js';
import type { BaselineProfile } from '../../core/profile/baseline-profile.js';
import type { OutboxEntry } from '../records/outbox-entry.js';
import { classifyFailure } from './retry-policy.js';
import type { HealthSnapshot, SendOutcome, WindowSink } from './window-sink.js';

/** What the OTLP sink needs besides its door. */
export interface OtlpSinkOptions {
  identity: AgentIdentity;
  /** The baseline of a configured model and its layout fingerprint. */
  profileOf: (model: string) => { profile: BaselineProfile; layout: string } | undefined;
}

/**
 * Fleet mode: exports each closed window as delta histograms and sums of bin counts
 * (shared/pipeline/otlp/window-metrics.ts) through the egress door's official OTLP/HTTP exporter. Drains
 * the same outbox as every sink, so an unreachable collector loses nothing.
 */
export class OtlpSink implements WindowSink {
  readonly name = 'otlp';

  constructor(private readonly options: OtlpSinkOptions, private readonly door: OtlpDoor) {}

  async send(entry: OutboxEntry, health: HealthSnapshot): Promise<SendOutcome> {
    const report = entry.report;
    if (isLabelUpdate(report)) {
      // The agent's config refuses labels with an OTLP sink; an entry from an older config lands here.
      const error = new DwError('DW_ERR_CONFIG', `labels of model '${report.model}' cannot go over OTLP: fleet mode does not carry realised performance`, { field: 'labels' });
      return { ok: false, error, failure: { retriable: false, throttled: false } };
    }
    const model = this.options.profileOf(report.model);
    if (model === undefined) {
      const error = new DwError('DW_ERR_CONFIG', `model '${report.model}' is no longer configured; its window cannot be described`, { field: 'models' });
      return { ok: false, error, failure: { retriable: false, throttled: false } };
    }
    const metrics = windowToResourceMetrics(report, model.profile, model.layout, this.options.identity, health.auditHead);
    try {
      const audit = await this.door.send(metrics);
      const datums = metrics.scopeMetrics.reduce((n, s) => n + s.metrics.reduce((m, x) => m + x.dataPoints.length, 0), 0);
      return { ok: true, requests: 1, datums, bytes: audit.bytes, audit: [audit] };
    } catch (err) {
      const error = err instanceof Error ? err : new DwError('DW_ERR_INTERNAL', `the OTLP export threw a non-error: ${String(err)}`);
      return { ok: false, error, failure: classifyFailure(err) };
    }
  }

  shutdown(): Promise<void> {
    return this.door.close();
  }
}
