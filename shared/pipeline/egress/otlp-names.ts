/* The names of the fleet wire contract (shared/pipeline/otlp): the egress door allows exactly these. */

/**
 * The fleet wire contract (docs/fleet.md): how an agent's closed window travels as plain OTLP
 * metrics. Delta temporality; every data point spans exactly the window (start, end).
 */
export const OTLP_METRICS = {
  /** Sum: events counted in the window. Carries the baseline layout fingerprint. */
  events: 'driftwatch.window.events',
  /** Sum per refusal reason: events refused for the model during the window. */
  rejected: 'driftwatch.window.rejected',
  /**
   * Histogram per numeric feature: buckets are the baseline bins, bounds the baseline edges. A
   * PCA reconstruction error's histogram also carries its `sum`.
   */
  histogram: 'driftwatch.feature.histogram',
  /** Sum per category index of a categorical feature (the index after the last category is "other"). */
  category: 'driftwatch.feature.category',
  /** Sum per feature: events where the feature was missing. */
  missing: 'driftwatch.feature.missing',
} as const;

/** Attribute keys. Category strings never travel: only their index in the baseline. */
export const OTLP_ATTRIBUTES = {
  model: 'ml.model.name',
  version: 'ml.model.version',
  feature: 'ml.feature.name',
  categoryIndex: 'ml.feature.category_index',
  layout: 'driftwatch.baseline.layout',
  reason: 'driftwatch.reject.reason',
  /** Resource: the agent's identity, stable across restarts (deduplicates re-sent windows). */
  instance: 'service.instance.id',
  site: 'driftwatch.site',
  /** Resource: the agent's audit anchor before this export (entries, and the head hash's first 48 bits as an integer). */
  auditEntries: 'driftwatch.audit.entries',
  auditDigest: 'driftwatch.audit.head_digest',
} as const;
