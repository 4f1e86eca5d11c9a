import { z } from 'zod';

/** Identifies a driftwatch baseline file. */
export const BASELINE_SCHEMA_ID = 'driftwatch.baseline';
/** The schema version this build writes. Readers accept the same major and any minor up to theirs. */
export const BASELINE_SCHEMA_VERSION = '1.0';

const finite = z.number().finite();
const count = z.number().int().nonnegative();

/**
 * Where a feature's value comes from in an event or row: a column as it is, or a statistic of a
 * probability-vector column.
 */
export const featureSourceSchema = z
  .object({
    /** Column (CSV) or key (JSON) in the input. */
    column: z.string().min(1),
    /** `value`: the column as is; `max`, `argmax`, `entropy`: of a probability vector. */
    transform: z.enum(['value', 'max', 'argmax', 'entropy']),
  })
  .strict();

/** What a feature stands for: a model input, or a signal of the model's prediction. */
export const featureRoleSchema = z.enum(['input', 'confidence', 'prediction', 'entropy']);

const featureCommon = {
  /** Unique name; used as the `Feature` dimension in telemetry. */
  name: z.string().min(1).max(255),
  role: featureRoleSchema,
  source: featureSourceSchema,
  /** Baseline counts per bin; the layout depends on `type` (see bin-layout.ts). */
  counts: z.array(count).min(2),
  /** `counts` divided by the profile's `rowCount`. */
  proportions: z.array(z.number().min(0).max(1)).min(2),
};

/**
 * A numeric feature: bins are `(-inf, edges[0])`, the interior bins between consecutive edges
 * (left-closed, the last one closed on both sides), `(edges[last], +inf)`, and missing.
 */
export const numericFeatureSchema = z
  .object({
    ...featureCommon,
    type: z.literal('numeric'),
    /** Strictly increasing interior bin edges; the first is the baseline minimum, the last its maximum. */
    edges: z.array(finite).min(1),
    /** Mean of the non-missing baseline values. */
    mean: finite,
    /** Population standard deviation (ddof = 0) of the non-missing baseline values. */
    std: finite.nonnegative(),
  })
  .strict();

/** A categorical feature: bins are the `categories` in order, then "other", then missing. */
export const categoricalFeatureSchema = z
  .object({
    ...featureCommon,
    type: z.literal('categorical'),
    /** The top-K categories, most frequent first. They stay on-prem: telemetry carries indices. */
    categories: z.array(z.string()),
  })
  .strict();

export const featureProfileSchema = z.discriminatedUnion('type', [
  numericFeatureSchema,
  categoricalFeatureSchema,
]);

/** The baseline profile: aggregated statistics of the training data, safe to move between sites. */
export const baselineProfileSchema = z
  .object({
    schema: z.literal(BASELINE_SCHEMA_ID),
    schemaVersion: z.string().regex(/^\d+\.\d+$/),
    /** ISO-8601 time the profile was built. */
    createdAt: z.string(),
    /** The training input the profile was built from (file name and format only). */
    source: z.object({ file: z.string(), format: z.enum(['csv', 'jsonl']) }).strict(),
    /** Baseline size N: rows counted. Needed for calibrated thresholds. */
    rowCount: count.min(1),
    /** Builder settings, recorded for reproducibility. */
    options: z
      .object({
        bins: z.number().int().min(1),
        topK: z.number().int().min(1),
        /** Columns deliberately left out (so scoring does not report them as unknown). */
        excluded: z.array(z.string()).default([]),
      })
      .strict(),
    features: z.array(featureProfileSchema).min(1),
  })
  .strict()
  .superRefine((profile, ctx) => {
    const names = new Set<string>();
    profile.features.forEach((feature, i) => {
      const path = ['features', i];
      if (names.has(feature.name)) {
        ctx.addIssue({ code: 'custom', path: [...path, 'name'], message: `duplicate feature name '${feature.name}'` });
      }
      names.add(feature.name);
      const expected = expectedBinCount(feature);
      if (feature.counts.length !== expected) {
        ctx.addIssue({ code: 'custom', path: [...path, 'counts'], message: `expected ${expected} bins, found ${feature.counts.length}` });
      }
      if (feature.proportions.length !== feature.counts.length) {
        ctx.addIssue({ code: 'custom', path: [...path, 'proportions'], message: 'must have one entry per bin' });
      }
      const total = feature.counts.reduce((a, b) => a + b, 0);
      if (total !== profile.rowCount) {
        ctx.addIssue({ code: 'custom', path: [...path, 'counts'], message: `counts sum to ${total}, rowCount is ${profile.rowCount}` });
      }
      if (feature.type === 'numeric') {
        for (let j = 1; j < feature.edges.length; j++) {
          if (!(feature.edges[j]! > feature.edges[j - 1]!)) {
            ctx.addIssue({ code: 'custom', path: [...path, 'edges', j], message: 'edges must be strictly increasing' });
            break;
          }
        }
      } else if (new Set(feature.categories).size !== feature.categories.length) {
        ctx.addIssue({ code: 'custom', path: [...path, 'categories'], message: 'categories must be unique' });
      }
    });
  });

export type FeatureSource = z.infer<typeof featureSourceSchema>;
export type FeatureRole = z.infer<typeof featureRoleSchema>;
export type NumericFeatureProfile = z.infer<typeof numericFeatureSchema>;
export type CategoricalFeatureProfile = z.infer<typeof categoricalFeatureSchema>;
export type FeatureProfile = z.infer<typeof featureProfileSchema>;
export type BaselineProfile = z.infer<typeof baselineProfileSchema>;

/** Number of interior bins of a numeric feature: one per pair of edges, or one for a constant. */
export function interiorBinCount(edges: { readonly length: number }): number {
  return Math.max(1, edges.length - 1);
}

/** Total bins of a feature, missing included. */
export function expectedBinCount(feature: Pick<NumericFeatureProfile, 'type' | 'edges'> | Pick<CategoricalFeatureProfile, 'type' | 'categories'>): number {
  return feature.type === 'numeric' ? interiorBinCount(feature.edges) + 3 : feature.categories.length + 2;
}
