import { z } from 'zod';

/**
 * SageMaker Model Monitor's baselining output, as its documentation ("Schema for Statistics",
 * "Schema for Constraints") and the `sagemaker` SDK's test data define it. Unknown members are
 * allowed (custom containers add their own); the members driftwatch reads are checked.
 */
const count = z.number().nonnegative();
const common = z.object({ num_present: count, num_missing: count }).passthrough();

export const kllBucketSchema = z.object({ lower_bound: z.number().finite(), upper_bound: z.number().finite(), count }).passthrough();

export const statisticsFeatureSchema = z.object({
  name: z.string().min(1),
  inferred_type: z.enum(['Integral', 'Fractional', 'String', 'Unknown']),
  numerical_statistics: z.object({
    common,
    mean: z.number().finite().optional(),
    sum: z.number().finite().optional(),
    std_dev: z.number().finite().nonnegative().optional(),
    min: z.number().finite().optional(),
    max: z.number().finite().optional(),
    distribution: z.object({ kll: z.object({ buckets: z.array(kllBucketSchema).min(1) }).passthrough().optional() }).passthrough().optional(),
  }).passthrough().optional(),
  string_statistics: z.object({
    common,
    distinct_count: z.number().nonnegative().optional(),
    distribution: z.object({ categorical: z.object({ buckets: z.array(z.object({ value: z.string(), count }).passthrough()) }).passthrough().optional() }).passthrough().optional(),
  }).passthrough().optional(),
}).passthrough();

export const statisticsFileSchema = z.object({
  version: z.number().optional(),
  dataset: z.object({ item_count: z.number().int().min(1) }).passthrough(),
  features: z.array(statisticsFeatureSchema).min(1),
}).passthrough();

const enabled = z.enum(['Enabled', 'Disabled']);

export const constraintsFileSchema = z.object({
  version: z.number().optional(),
  features: z.array(z.object({
    name: z.string().min(1),
    inferred_type: z.enum(['Integral', 'Fractional', 'String', 'Unknown']),
    completeness: z.number().min(0).max(1).optional(),
    num_constraints: z.object({ is_non_negative: z.boolean().optional() }).passthrough().optional(),
    string_constraints: z.object({ domains: z.array(z.string()).optional() }).passthrough().optional(),
  }).passthrough()),
  monitoring_config: z.object({
    evaluate_constraints: enabled.optional(),
    emit_metrics: enabled.optional(),
    datatype_check_threshold: z.number().min(0).max(1).optional(),
    domain_content_threshold: z.number().min(0).max(1).optional(),
    distribution_constraints: z.object({
      perform_comparison: enabled.optional(),
      comparison_threshold: z.number().min(0).optional(),
      comparison_method: z.enum(['Simple', 'Robust']).optional(),
      /** The spelling of the documentation's schema. */
      comparion_method: z.enum(['Simple', 'Robust']).optional(),
      categorical_comparison_threshold: z.number().min(0).optional(),
      categorical_drift_method: z.enum(['LInfinity', 'ChiSquared']).optional(),
    }).passthrough().optional(),
  }).passthrough().optional(),
}).passthrough();

export type StatisticsFile = z.infer<typeof statisticsFileSchema>;
export type StatisticsFeature = z.infer<typeof statisticsFeatureSchema>;
export type ConstraintsFile = z.infer<typeof constraintsFileSchema>;

/** Model Monitor's defaults for a `monitoring_config` member the file leaves out. */
export const MODEL_MONITOR_DEFAULTS = {
  datatypeCheckThreshold: 1, domainContentThreshold: 1, comparisonThreshold: 0.1, comparisonMethod: 'Robust', categoricalComparisonThreshold: 0.1,
} as const;
