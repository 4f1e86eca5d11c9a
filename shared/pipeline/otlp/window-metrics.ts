import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality, DataPointType, type HistogramMetricData, type MetricData, type ResourceMetrics, type SumMetricData,
} from '@opentelemetry/sdk-metrics';
import { OTLP_ATTRIBUTES, OTLP_METRICS } from '../egress/otlp-names.js';
import type { WindowReport } from '../../core/drift/window-report.js';
import type { BaselineProfile, FeatureProfile } from '../../core/profile/baseline-profile.js';

/** A closed window as OTLP metrics: the fleet wire contract, whose names are in egress/otlp-names.ts. */
export const OTLP_SCOPE = 'driftwatch';

/** The agent that sent a window. */
export interface AgentIdentity {
  instanceId: string;
  site?: string;
  version: string;
}

/** The agent's audit anchor at export time (HealthSnapshot.auditHead). */
export interface AuditAnchor {
  entries: number;
  digest: number;
}

/** Smallest double above x (for a one-edge feature, whose interior bin is a single point). */
function nextUp(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === 0) return Number.MIN_VALUE;
  const f = new Float64Array([x]);
  const bits = new BigInt64Array(f.buffer);
  bits[0] = x > 0 ? bits[0]! + 1n : bits[0]! - 1n;
  return f[0]!;
}

/**
 * OTLP explicit bounds for a numeric feature's bins: the baseline edges, so a histogram has one
 * bucket per driftwatch bin (below the first edge, each interior bin, above the last edge). A
 * constant feature has one edge but three bins, so its bounds are the edge and the next double.
 */
export function histogramBounds(edges: readonly number[]): number[] {
  return edges.length === 1 ? [edges[0]!, nextUp(edges[0]!)] : [...edges];
}

const hrTime = (ms: number): HrTime => [Math.floor(ms / 1000), (ms % 1000) * 1e6];

function sum(name: string, description: string, unit: string, points: { attributes: Attributes; value: number }[], startMs: number, endMs: number): SumMetricData {
  return {
    descriptor: { name, description, unit, valueType: ValueType.INT },
    aggregationTemporality: AggregationTemporality.DELTA,
    dataPointType: DataPointType.SUM,
    isMonotonic: true,
    dataPoints: points.map((p) => ({ startTime: hrTime(startMs), endTime: hrTime(endMs), attributes: p.attributes, value: p.value })),
  };
}

/**
 * A closed window as OTLP metrics: the counts of every baseline feature (input and prediction
 * side), the event count and refusals. Nothing else: no scores (the collector scores the merged
 * counts), no category strings, no raw values.
 */
export function windowToResourceMetrics(report: WindowReport, profile: BaselineProfile, layout: string, agent: AgentIdentity, anchor?: AuditAnchor): ResourceMetrics {
  const base: Attributes = { [OTLP_ATTRIBUTES.model]: report.model, [OTLP_ATTRIBUTES.version]: report.version };
  const { startMs, endMs } = report;
  const histograms: HistogramMetricData = {
    descriptor: { name: OTLP_METRICS.histogram, description: 'Window counts per baseline bin of a numeric feature.', unit: '{event}', valueType: ValueType.DOUBLE },
    aggregationTemporality: AggregationTemporality.DELTA,
    dataPointType: DataPointType.HISTOGRAM,
    dataPoints: [],
  };
  const categories: { attributes: Attributes; value: number }[] = [];
  const missing: { attributes: Attributes; value: number }[] = [];
  profile.features.forEach((feature: FeatureProfile, i) => {
    const counts = report.counts[i]!;
    const attributes = { ...base, [OTLP_ATTRIBUTES.feature]: feature.name };
    missing.push({ attributes, value: counts[counts.length - 1]! });
    if (feature.type === 'numeric') {
      const buckets = counts.slice(0, -1);
      // A reconstruction error (never negative) carries its sum, so the collector's mean is exact.
      const sum = feature.role === 'multivariate' ? report.sums?.[i] : undefined;
      histograms.dataPoints.push({
        startTime: hrTime(startMs), endTime: hrTime(endMs), attributes,
        value: {
          buckets: { boundaries: histogramBounds(feature.edges), counts: buckets }, count: buckets.reduce((a, b) => a + b, 0),
          ...(typeof sum === 'number' && Number.isFinite(sum) ? { sum } : {}),
        },
      });
    } else {
      for (let c = 0; c < counts.length - 1; c++) {
        if (counts[c]! > 0) categories.push({ attributes: { ...attributes, [OTLP_ATTRIBUTES.categoryIndex]: c }, value: counts[c]! });
      }
    }
  });
  const metrics: MetricData[] = [
    sum(OTLP_METRICS.events, 'Events counted in the window.', '{event}', [{ attributes: { ...base, [OTLP_ATTRIBUTES.layout]: layout }, value: report.events }], startMs, endMs),
  ];
  const rejected = Object.entries(report.rejected).filter(([, n]) => n > 0).map(([reason, n]) => ({ attributes: { ...base, [OTLP_ATTRIBUTES.reason]: reason }, value: n }));
  if (rejected.length > 0) metrics.push(sum(OTLP_METRICS.rejected, 'Events refused during the window, by reason.', '{event}', rejected, startMs, endMs));
  if (histograms.dataPoints.length > 0) metrics.push(histograms);
  if (categories.length > 0) metrics.push(sum(OTLP_METRICS.category, 'Window counts per baseline category index.', '{event}', categories, startMs, endMs));
  metrics.push(sum(OTLP_METRICS.missing, 'Events in which the feature was missing.', '{event}', missing, startMs, endMs));
  return {
    resource: resourceFromAttributes({
      'service.name': 'driftwatch-agent',
      'service.version': agent.version,
      [OTLP_ATTRIBUTES.instance]: agent.instanceId,
      // Also on the resource (one window, one model per request): a routing tier can keep each
      // model on one collector by this resource attribute.
      [OTLP_ATTRIBUTES.model]: report.model,
      ...(agent.site === undefined ? {} : { [OTLP_ATTRIBUTES.site]: agent.site }),
      ...(anchor === undefined ? {} : { [OTLP_ATTRIBUTES.auditEntries]: anchor.entries, [OTLP_ATTRIBUTES.auditDigest]: anchor.digest }),
    }),
    scopeMetrics: [{ scope: { name: OTLP_SCOPE, version: agent.version }, metrics }],
  };
}
