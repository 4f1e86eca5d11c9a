import type { PutMetricDataInput } from '@aws-sdk/client-cloudwatch';
import type * as PromClientModule from 'prom-client';
import type { Gauge, Registry } from 'prom-client';

/** What a scrape shows of the process itself: the self-metrics' totals and the outbox per sink. */
export interface SelfSnapshot {
  totals: {
    eventsAccepted: number;
    eventsRejected: Record<string, number>;
    windowsClosed: number;
    sends: Record<string, { succeeded: number; failed: number }>;
    errors: Record<string, number>;
    points: Record<string, number>;
    requestsRefused: Record<string, number>;
    apiRefused: Record<string, number>;
    outboxDropped: Record<string, number>;
  };
  backlog: { sink: string; count: number; oldestAgeSeconds: number }[];
  /** With privacy noise on the windows, exact event counts stay off the endpoint (as off the OTLP export); fixed for the process's life. */
  withholdEventCounts: boolean;
}

/** The labels of a window series: its CloudWatch dimensions, renamed. */
const LABELS = ['model', 'model_version', 'site', 'feature'] as const;
const LABEL_OF: Record<string, (typeof LABELS)[number]> = { Model: 'model', ModelVersion: 'model_version', Site: 'site', Feature: 'feature' };

/** `MaxFeaturePSI` → `driftwatch_max_feature_psi`. */
export function prometheusName(metric: string): string {
  return `driftwatch_${metric.replace(/PSI/g, 'Psi').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()}`;
}

type PromClient = typeof PromClientModule;

/**
 * The Prometheus text exposition of an agent or collector (`GET /metrics`), on prom-client: each
 * closed window's datums, as the egress door let them through (the CloudWatch metric names in
 * snake case, `driftwatch_max_feature_psi{model, model_version, site, feature}`), the latest
 * window per model version replacing the one before, with `driftwatch_window_end_timestamp_seconds`;
 * the self-metrics (events, windows, sends, errors, outbox) from the process's totals; and
 * prom-client's process metrics (memory, CPU, event loop).
 */
export class PrometheusExposition {
  private readonly registry: Registry;
  private readonly gauges = new Map<string, Gauge>();
  /** The series of each model version's last window, removed when its next window comes. */
  private readonly series = new Map<string, { gauge: Gauge; labels: Record<string, string> }[]>();
  /** The timestamp (ms) of the window each model version's series show. */
  private readonly windowAt = new Map<string, number>();
  private snapshot: SelfSnapshot | undefined;

  constructor(private readonly prom: PromClient) {
    this.registry = new prom.Registry();
    prom.collectDefaultMetrics({ register: this.registry });
  }

  private gauge(name: string, help: string): Gauge {
    let g = this.gauges.get(name);
    if (g === undefined) {
      g = new this.prom.Gauge({ name, help, labelNames: [...LABELS], registers: [this.registry] });
      this.gauges.set(name, g);
    }
    return g;
  }

  /** A window's PutMetricData input (already through the allowlist): its datums become the model version's series. */
  update(input: PutMetricDataInput): void {
    const end = this.gauge('driftwatch_window_end_timestamp_seconds', 'End of the last closed window whose results are shown, in seconds since the epoch.');
    for (const d of input.MetricData ?? []) {
      const dims = new Map((d.Dimensions ?? []).map((x) => [x.Name!, x.Value!]));
      const model = dims.get('Model');
      if (model === undefined || d.Value === undefined) continue; // the sender's health is in the self-metrics
      const key = `${model}\u0000${dims.get('ModelVersion') ?? ''}`;
      const at = d.Timestamp!.getTime();
      if (this.windowAt.get(key) !== at) {
        // A newer window of this model version: the last one's series go (topFeatures may name other features).
        for (const s of this.series.get(key) ?? []) s.gauge.remove(s.labels);
        this.series.set(key, []);
        this.windowAt.set(key, at);
      }
      const labels: Record<string, string> = Object.fromEntries(LABELS.map((l) => [l, '']));
      for (const [name, value] of dims) labels[LABEL_OF[name]!] = value;
      const gauge = this.gauge(prometheusName(d.MetricName!), `CloudWatch metric ${d.MetricName!} of the last closed window (docs/metrics.md).`);
      gauge.set(labels, d.Value);
      const modelLabels = { ...labels, feature: '' };
      end.set(modelLabels, (at + 1) / 1000);
      this.series.get(key)!.push({ gauge, labels }, { gauge: end, labels: modelLabels });
    }
  }

  /** The timestamp (ms) of the window each model version's series show. */
  /** The exposition text, with the self-metrics as of `snapshot`. */
  async render(snapshot: SelfSnapshot): Promise<{ contentType: string; text: string }> {
    if (this.snapshot === undefined) this.selfMetrics(snapshot.withholdEventCounts);
    this.snapshot = snapshot;
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  /** Self-metric gauges and counters that read the snapshot at each scrape; without the event counters when they are withheld. */
  private selfMetrics(withholdEventCounts: boolean): void {
    const make = (kind: 'Counter' | 'Gauge', name: string, help: string, labelNames: string[], read: (s: SelfSnapshot) => [Record<string, string>, number][]): void => {
      const registers = [this.registry];
      const snapshot = (): SelfSnapshot | undefined => this.snapshot;
      if (kind === 'Counter') {
        new this.prom.Counter({ name, help, labelNames, registers, collect() {
          this.reset();
          const s = snapshot();
          if (s !== undefined) for (const [labels, v] of read(s)) this.inc(labels, v);
        } });
      } else {
        new this.prom.Gauge({ name, help, labelNames, registers, collect() {
          this.reset();
          const s = snapshot();
          if (s !== undefined) for (const [labels, v] of read(s)) this.set(labels, v);
        } });
      }
    };
    const by = (key: string, record: Record<string, number>): [Record<string, string>, number][] => Object.entries(record).map(([k, v]) => [{ [key]: k }, v]);
    if (!withholdEventCounts) {
      make('Counter', 'driftwatch_events_accepted_total', 'Events counted into windows.', [], (s) => [[{}, s.totals.eventsAccepted]]);
      make('Counter', 'driftwatch_events_rejected_total', 'Events refused, by reason.', ['reason'], (s) => by('reason', s.totals.eventsRejected));
    }
    make('Counter', 'driftwatch_windows_closed_total', 'Windows closed into the outbox.', [], (s) => [[{}, s.totals.windowsClosed]]);
    make('Counter', 'driftwatch_sink_sends_total', 'Window sends by sink and outcome.', ['sink', 'outcome'], (s) => Object.entries(s.totals.sends)
      .flatMap(([sink, n]): [Record<string, string>, number][] => [[{ sink, outcome: 'succeeded' }, n.succeeded], [{ sink, outcome: 'failed' }, n.failed]]));
    make('Counter', 'driftwatch_component_errors_total', 'Failures, by stage and error type (stage:error_type).', ['error'], (s) => by('error', s.totals.errors));
    make('Counter', 'driftwatch_collector_points_total', 'OTLP data points received, by outcome.', ['outcome'], (s) => by('outcome', s.totals.points));
    make('Counter', 'driftwatch_collector_requests_refused_total', 'OTLP requests refused whole, by reason.', ['reason'], (s) => by('reason', s.totals.requestsRefused));
    make('Counter', 'driftwatch_api_requests_refused_total', 'Agent requests refused whole, by reason.', ['reason'], (s) => by('reason', s.totals.apiRefused));
    make('Counter', 'driftwatch_outbox_dropped_total', 'Closed windows dropped unsent, by reason.', ['reason'], (s) => by('reason', s.totals.outboxDropped));
    make('Gauge', 'driftwatch_outbox_backlog', 'Closed windows not yet sent, by sink.', ['sink'], (s) => s.backlog.map((b) => [{ sink: b.sink }, b.count]));
    make('Gauge', 'driftwatch_outbox_oldest_unsent_age_seconds', 'Age of the oldest unsent window, by sink.', ['sink'], (s) => s.backlog.map((b) => [{ sink: b.sink }, b.oldestAgeSeconds]));
  }
}
