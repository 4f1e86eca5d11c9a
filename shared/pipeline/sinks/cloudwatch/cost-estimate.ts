import type { BaselineProfile } from '../../../core/profile/baseline-profile.js';

/**
 * CloudWatch list prices used by the estimate (US East, standard resolution, as published in
 * 2026): custom metrics per month by tier, and PutMetricData per 1 000 requests.
 */
export const CLOUDWATCH_PRICES = {
  metricTiers: [
    { upTo: 10_000, usd: 0.3 },
    { upTo: 250_000, usd: 0.1 },
    { upTo: 1_000_000, usd: 0.05 },
    { upTo: Infinity, usd: 0.02 },
  ],
  putMetricDataPer1000: 0.01,
  /** Per alarm and month: a metric alarm at the standard resolution (period ≥ 60 s), a high-resolution one (10–30 s), a composite alarm. */
  alarm: { standard: 0.1, highResolution: 0.3, composite: 0.5 },
} as const;

/** The alarms of each model in deploy/cloudformation: seven metric alarms and one composite alarm that pages. */
export const ALARMS_PER_MODEL = { metric: 7, composite: 1 } as const;

/** What the estimate needs to know about a deployment. */
export interface CostInputs {
  /** Each model's baseline; with `segments`, the segment feature and its segments (top K + other); with `labels`, delayed labels are on. */
  models: { name: string; profile: BaselineProfile; segments?: { feature: string; count: number }; labels?: boolean }[];
  windowSeconds: number;
  /** Per-feature PSI for the top N features only (0 = all). */
  topFeatures: number;
  /** Distinct model versions live at once (each is its own dimension set). */
  versions: number;
  /** Processes shipping (each sends its own requests; the metrics are shared). */
  agents: number;
}

/** One model's line of the estimate. */
export interface ModelCost {
  name: string;
  inputFeatures: number;
  metrics: number;
  datumsPerWindow: number;
  requestsPerMonth: number;
  /** What `models[].segments` adds (in `metrics` and `datumsPerWindow` already): its own metrics and their monthly price. */
  segments?: { feature: string; count: number; metrics: number; usd: number };
}

/** Metrics of a model's segments: SegmentDrift, and per segment its events, largest PSI and drifted features. */
export function segmentMetrics(count: number): number {
  return 1 + 3 * count;
}

/** Realised-performance metrics of a model with delayed labels (docs/metrics.md#realised-performance-delayed-labels). */
const LABEL_METRICS = 8;

export interface CostEstimate {
  models: ModelCost[];
  /** OutboxBacklog, OldestUnsentAgeSeconds, AuditEntries and AuditHeadDigest. */
  healthMetrics: number;
  totalMetrics: number;
  requestsPerMonth: number;
  /** The template's alarms (ALARMS_PER_MODEL for each model), high-resolution when windows are shorter than a minute. */
  alarms: { metric: number; composite: number; highResolution: boolean };
  metricsUsd: number;
  requestsUsd: number;
  alarmsUsd: number;
  totalUsd: number;
}

const SECONDS_PER_MONTH = 30 * 24 * 3600;
/** The sender's own datums beside each window: OutboxBacklog, OldestUnsentAgeSeconds, AuditEntries, AuditHeadDigest. */
const HEALTH_METRICS = 4;

/** Monthly price of `count` custom metrics through the tiers. */
export function metricsPrice(count: number): number {
  let usd = 0;
  let previous = 0;
  for (const tier of CLOUDWATCH_PRICES.metricTiers) {
    const inTier = Math.max(0, Math.min(count, tier.upTo) - previous);
    usd += inTier * tier.usd;
    previous = tier.upTo;
    if (count <= tier.upTo) break;
  }
  return usd;
}

/**
 * The monthly CloudWatch cost of a configuration: every distinct metric name and dimension set is
 * a billed custom metric (at either resolution, the same price); every PutMetricData call is a
 * request; the template's alarms are priced per alarm. Pure.
 */
export function estimateCost(inputs: CostInputs): CostEstimate {
  const windowsPerMonth = SECONDS_PER_MONTH / inputs.windowSeconds;
  const models = inputs.models.map(({ name, profile }): ModelCost => {
    const roles = new Set(profile.features.map((f) => f.role));
    const inputFeatures = profile.features.filter((f) => f.role === 'input').length;
    const shipped = inputs.topFeatures > 0 ? Math.min(inputs.topFeatures, inputFeatures) : inputFeatures;
    // EventCount, EventsRejected, EventsDropped, RetrainingRecommended, MaxFeaturePSI,
    // DriftedFeatureCount, MissingFeatureCount, MissingRate, OutOfRangeRate; PredictionPSI;
    // ConfidencePSI and Confidence; MultivariatePSI, MultivariateDrift and one ReconstructionError per projection;
    // EstimatedAccuracy, its bounds and AccuracyDrop for a baseline built with labels.
    const projections = profile.features.filter((f) => f.role === 'multivariate').length;
    const perModel = 9 + (roles.has('prediction') ? 1 : 0) + (roles.has('confidence') ? 2 : 0) + (projections > 0 ? 2 + projections : 0)
      + (profile.performance === undefined ? 0 : 4);
    // With topFeatures, any feature can be in the top N some month: all may become metrics.
    const segments = inputs.models.find((m) => m.name === name)?.segments;
    const labels = inputs.models.find((m) => m.name === name)?.labels === true && roles.has('prediction');
    const extra = (segments === undefined ? 0 : segmentMetrics(segments.count));
    const metrics = (perModel + extra + (labels ? LABEL_METRICS : 0) + inputFeatures) * inputs.versions;
    const datumsPerWindow = perModel + extra + shipped + HEALTH_METRICS;
    // A window with labels sends one more request of its own as they arrive (at least one update).
    const requestsPerMonth = windowsPerMonth * (Math.ceil(datumsPerWindow / 1000) + (labels ? 1 : 0)) * inputs.versions * inputs.agents;
    return { name, inputFeatures, metrics, datumsPerWindow, requestsPerMonth,
      ...(segments === undefined ? {} : { segments: { ...segments, metrics: extra * inputs.versions, usd: extra * inputs.versions * CLOUDWATCH_PRICES.metricTiers[0].usd } }) };
  });
  const healthMetrics = HEALTH_METRICS;
  const totalMetrics = models.reduce((n, m) => n + m.metrics, healthMetrics);
  const requestsPerMonth = models.reduce((n, m) => n + m.requestsPerMonth, 0);
  const metricsUsd = metricsPrice(totalMetrics);
  const requestsUsd = (requestsPerMonth / 1000) * CLOUDWATCH_PRICES.putMetricDataPer1000;
  const highResolution = inputs.windowSeconds < 60;
  const alarms = { metric: ALARMS_PER_MODEL.metric * models.length, composite: ALARMS_PER_MODEL.composite * models.length, highResolution };
  const prices = CLOUDWATCH_PRICES.alarm;
  const alarmsUsd = alarms.metric * (highResolution ? prices.highResolution : prices.standard) + alarms.composite * prices.composite;
  return { models, healthMetrics, totalMetrics, requestsPerMonth, alarms, metricsUsd, requestsUsd, alarmsUsd, totalUsd: metricsUsd + requestsUsd + alarmsUsd };
}
