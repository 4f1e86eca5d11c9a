/** Every metric driftwatch ships to CloudWatch (docs/metrics.md). The egress allowlist is this set. */
export const METRIC_NAMES = [
  'EventCount',
  'EventsRejected',
  'EventsDropped',
  'FeaturePSI',
  'AuditEntries',
  'AuditHeadDigest',
  'MaxFeaturePSI',
  'DriftedFeatureCount',
  'MissingFeatureCount',
  'PredictionPSI',
  'ConfidencePSI',
  'MultivariatePSI',
  'MultivariateDrift',
  'ReconstructionError',
  'Confidence',
  'AccuracyDrop',
  'EstimatedAccuracy',
  'EstimatedAccuracyLower',
  'EstimatedAccuracyUpper',
  'LabelledPredictions',
  'CorrectPredictions',
  'LabelCoverage',
  'RealisedAccuracy',
  'RealisedPrecision',
  'RealisedRecall',
  'RealisedRocAuc',
  'CalibrationError',
  'SegmentDrift',
  'SegmentEventCount',
  'SegmentMaxFeaturePSI',
  'SegmentDriftedFeatureCount',
  'MissingRate',
  'OutOfRangeRate',
  'RetrainingRecommended',
  'OutboxBacklog',
  'OldestUnsentAgeSeconds',
] as const;

export type MetricName = (typeof METRIC_NAMES)[number];

/** Dimension names that may appear on a datum. */
export const DIMENSION_NAMES = ['Model', 'ModelVersion', 'Feature', 'Site', 'Segment'] as const;

/** The `Segment` dimension's values: a category's index in the baseline (top 20 at most), or `other`; never the category. */
export const SEGMENT_VALUE = /^(?:1?[0-9]|other)$/;
