import { z } from 'zod';
import { safeNameSchema } from '../../platform/safe-name.js';

/** Identifies a driftwatch baseline file. */
export const BASELINE_SCHEMA_ID = 'driftwatch.baseline';
/** The schema version this build writes. Readers accept the same major and any minor up to theirs. */
export const BASELINE_SCHEMA_VERSION = '1.5';

const finite = z.number().finite();
/** A feature or projection name: it becomes the `Feature` dimension, so it must be a safe name (platform/safe-name.ts). */
const safeName = safeNameSchema('a feature name', 'name ');
const count = z.number().int().nonnegative();

/**
 * Where a feature's value comes from in an event or row: a column as it is, or a statistic of a
 * probability-vector column.
 */
export const columnSourceSchema = z
  .object({
    /** Column (CSV) or key (JSON) in the input. */
    column: z.string().min(1),
    /** `value`: the column as is; `max`, `argmax`, `entropy`: of a probability vector. */
    transform: z.enum(['value', 'max', 'argmax', 'entropy']),
  })
  .strict();

/**
 * A value derived from a whole record through one of the profile's projections (schema 1.1): the
 * record's PCA reconstruction error, or its score on one principal component.
 */
export const projectionSourceSchema = z
  .object({
    /** Name of an entry of `projections`. */
    projection: z.string().min(1),
    output: z.enum(['reconstruction_error', 'component']),
    /** For `component`: the component's index (0 = the first principal component). */
    component: z.number().int().nonnegative().optional(),
  })
  .strict();

export const featureSourceSchema = z.union([columnSourceSchema, projectionSourceSchema]);

/**
 * What a feature stands for: a model input, a signal of the model's prediction, a PCA
 * reconstruction error (`multivariate`), or an embedding's principal-component score (`embedding`).
 */
export const featureRoleSchema = z.enum(['input', 'confidence', 'prediction', 'entropy', 'multivariate', 'embedding']);

const featureCommon = {
  /** Unique name; used as the `Feature` dimension in telemetry, so a safe name (docs/security.md). */
  name: safeName,
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

/**
 * A principal-component model fitted on the baseline (schema 1.1, docs/drift-statistics.md): a
 * record becomes a vector x of length d, z = (x - center) / scale, and its reconstruction error is
 * |z|^2 - |C z|^2 for the k x d orthonormal `components` C.
 */
export const projectionSchema = z
  .object({
    name: safeName,
    /**
     * `tabular`: x is the record's `inputs` features, numeric ones as they are and categorical ones
     * frequency-encoded (the category's baseline proportion, 0 outside the top-K), missing or
     * non-finite values imputed with `center`. `embedding`: x is the numeric vector in `column`.
     */
    kind: z.enum(['tabular', 'embedding']),
    /** `tabular`: the input features, in vector order. */
    inputs: z.array(z.string().min(1)).optional(),
    /** `embedding`: the column holding the vector. */
    column: z.string().min(1).optional(),
    /** d: the vector's length. */
    dimension: z.number().int().min(2),
    /** Per-coordinate mean over the rows the projection was fitted on (a missing tabular value is imputed with its feature's mean). */
    center: z.array(finite),
    /** Per-coordinate baseline standard deviation (`tabular`); absent: the vector is only centred. */
    scale: z.array(finite.positive()).optional(),
    /** k x d principal axes, strongest first, each of unit length. */
    components: z.array(z.array(finite)).min(1),
    /** Variance along each kept axis (ddof = 0). */
    eigenvalues: z.array(finite.nonnegative()),
    /** Share of the total variance each kept axis explains. */
    explainedVarianceRatio: z.array(z.number().min(0).max(1)),
    /** The share of variance the kept axes were chosen to exceed. */
    varianceTarget: z.number().gt(0).lt(1),
    /** Baseline rows the projection was fitted on. */
    rowCount: count.min(1),
    /**
     * Schema 1.2: baseline rows its derived features were measured on, held out of the fit, so
     * their errors are what new data from the baseline's distribution gives (docs/drift-statistics.md).
     * Absent (1.1): the derived features were measured on the fitted rows, `rowCount` of the profile.
     */
    heldOutRows: count.min(1).optional(),
  })
  .strict();

/**
 * The baseline rows a feature was counted on: the profile's `rowCount`, or for a feature derived
 * from a projection, the rows held out of its fit (schema 1.2).
 */
export function featureRows(profile: { rowCount: number; projections?: readonly { name: string; heldOutRows?: number | undefined }[] }, feature: { source: unknown }): number {
  const source = feature.source as { projection?: string };
  if (source.projection === undefined) return profile.rowCount;
  return profile.projections?.find((p) => p.name === source.projection)?.heldOutRows ?? profile.rowCount;
}

/**
 * Constraints carried over from SageMaker Model Monitor's `constraints.json` (schema 1.3, imported
 * by `driftwatch baseline import`): what Model Monitor checked per feature and its monitoring
 * settings, so each window can be judged by Model Monitor's checks too (core/drift/constraint-violations.ts).
 */
export const modelMonitorConstraintsSchema = z
  .object({
    features: z.array(z.object({
      name: z.string().min(1),
      inferredType: z.enum(['Integral', 'Fractional', 'String', 'Unknown']),
      /** Share of non-null values the feature must keep. */
      completeness: z.number().min(0).max(1).optional(),
      isNonNegative: z.boolean().optional(),
      /** The values a string feature may take (stays on-prem, as categories do). */
      domains: z.array(z.string()).optional(),
    }).strict()),
    /** Model Monitor's `monitoring_config`, with its defaults where the file had none. */
    monitoring: z.object({
      evaluateConstraints: z.boolean(),
      emitMetrics: z.boolean(),
      datatypeCheckThreshold: z.number().min(0).max(1),
      domainContentThreshold: z.number().min(0).max(1),
      performComparison: z.boolean(),
      comparisonThreshold: z.number().min(0),
      comparisonMethod: z.enum(['Simple', 'Robust']),
      categoricalComparisonThreshold: z.number().min(0),
    }).strict(),
  })
  .strict();

/**
 * What the baseline's labelled rows say about the model (schema 1.5, `baseline build
 * --label-column`): its accuracy, and per bin of its confidence feature how many labelled
 * predictions fell there and how many were right, the calibration of the label-free accuracy
 * estimate (core/performance/confidence-estimate.ts). Counts only: no label, no row.
 */
export const performanceSchema = z
  .object({
    /** The confidence feature the bins are of. */
    confidenceFeature: z.string().min(1),
    /** The prediction feature the labels were compared with. */
    predictionFeature: z.string().min(1),
    /** Counted rows that had a label. */
    labelled: count.min(1),
    /** Of them, predictions equal to their label. */
    correct: count,
    /** Per bin of the confidence feature (its layout: below, interior, above, missing). */
    calibration: z.object({ total: z.array(count), correct: z.array(count) }).strict(),
  })
  .strict();

/** The baseline profile: aggregated statistics of the training data, safe to move between sites. */
export const baselineProfileSchema = z
  .object({
    schema: z.literal(BASELINE_SCHEMA_ID),
    schemaVersion: z.string().regex(/^\d+\.\d+$/),
    /** ISO-8601 time the profile was built. */
    createdAt: z.string(),
    /** The training input the profile was built from (file name and format only). */
    source: z.object({ file: z.string(), format: z.enum(['csv', 'jsonl', 'parquet', 'sql-aggregates', 'sagemaker-model-monitor']) }).strict(),
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
    /** Principal-component models of the baseline (schema 1.1; absent in 1.0 files). */
    projections: z.array(projectionSchema).default([]),
    /** Model Monitor's constraints, for a baseline imported from its baselining output (schema 1.3). */
    modelMonitor: modelMonitorConstraintsSchema.optional(),
    /** Accuracy and calibration from the training rows' labels (schema 1.5). */
    performance: performanceSchema.optional(),
  })
  .strict()
  .superRefine((profile, ctx) => {
    checkProjections(profile, ctx);
    checkPerformance(profile, ctx);
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
      const rows = featureRows(profile, feature);
      if (total !== rows) {
        ctx.addIssue({ code: 'custom', path: [...path, 'counts'], message: `counts sum to ${total}, ${rows === profile.rowCount ? 'rowCount' : 'the projection\'s heldOutRows'} is ${rows}` });
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

/** Checks that the performance block names a confidence and a prediction feature of the profile and fits the confidence bins. */
function checkPerformance(profile: { features: z.infer<typeof featureProfileSchema>[]; performance?: z.infer<typeof performanceSchema> | undefined }, ctx: z.RefinementCtx): void {
  const p = profile.performance;
  if (p === undefined) return;
  const issue = (field: string, message: string): void => ctx.addIssue({ code: 'custom', path: ['performance', field], message });
  const confidence = profile.features.find((f) => f.name === p.confidenceFeature);
  if (confidence?.role !== 'confidence' || confidence.type !== 'numeric') issue('confidenceFeature', `'${p.confidenceFeature}' is not a numeric confidence feature of the profile`);
  const prediction = profile.features.find((f) => f.name === p.predictionFeature);
  if (prediction?.role !== 'prediction') issue('predictionFeature', `'${p.predictionFeature}' is not a prediction feature of the profile`);
  const { total, correct } = p.calibration;
  if (confidence !== undefined && total.length !== confidence.counts.length) issue('calibration', `expected ${confidence.counts.length} bins, found ${total.length}`);
  if (correct.length !== total.length || correct.some((c, b) => c > total[b]!)) issue('calibration', 'needs one right count per bin, none above its total');
  if (total.reduce((a, b) => a + b, 0) !== p.labelled || correct.reduce((a, b) => a + b, 0) !== p.correct) issue('calibration', 'bins must sum to labelled and correct');
  if (p.correct > p.labelled) issue('correct', 'cannot exceed labelled');
}

/** Checks that projections and the features derived from them fit together. */
function checkProjections(profile: { features: z.infer<typeof featureProfileSchema>[]; projections: z.infer<typeof projectionSchema>[] }, ctx: z.RefinementCtx): void {
  const byName = new Map<string, z.infer<typeof projectionSchema>>();
  const features = new Map(profile.features.map((f) => [f.name, f]));
  profile.projections.forEach((p, i) => {
    const issue = (field: string, message: string): void => ctx.addIssue({ code: 'custom', path: ['projections', i, field], message });
    if (byName.has(p.name)) issue('name', `duplicate projection name '${p.name}'`);
    byName.set(p.name, p);
    const d = p.dimension;
    if (p.kind === 'tabular') {
      if (p.inputs?.length !== d) issue('inputs', `a tabular projection needs ${d} input features`);
      for (const name of p.inputs ?? []) {
        const f = features.get(name);
        if (f === undefined || f.role !== 'input' || !('column' in f.source)) issue('inputs', `'${name}' is not an input feature of the profile`);
      }
      if (p.scale?.length !== d) issue('scale', `a tabular projection needs ${d} scales`);
    } else if (p.column === undefined) issue('column', 'an embedding projection names its column');
    if (p.center.length !== d) issue('center', `expected ${d} entries, found ${p.center.length}`);
    if (p.components.length >= d) issue('components', `keep fewer than ${d} components, or the reconstruction error is always 0`);
    p.components.forEach((c, j) => {
      if (c.length !== d) ctx.addIssue({ code: 'custom', path: ['projections', i, 'components', j], message: `expected ${d} entries, found ${c.length}` });
    });
    if (p.eigenvalues.length !== p.components.length) issue('eigenvalues', 'must have one entry per component');
    if (p.explainedVarianceRatio.length !== p.components.length) issue('explainedVarianceRatio', 'must have one entry per component');
  });
  profile.features.forEach((f, i) => {
    if (!('projection' in f.source)) return;
    const p = byName.get(f.source.projection);
    const at = ['features', i, 'source'];
    if (p === undefined) ctx.addIssue({ code: 'custom', path: at, message: `no projection named '${f.source.projection}'` });
    else if (f.source.output === 'component' && !(f.source.component !== undefined && f.source.component < p.components.length)) {
      ctx.addIssue({ code: 'custom', path: [...at, 'component'], message: `projection '${p.name}' has ${p.components.length} components` });
    }
    if (f.type !== 'numeric') ctx.addIssue({ code: 'custom', path: [...at], message: 'a feature derived from a projection is numeric' });
  });
}

export type ColumnSource = z.infer<typeof columnSourceSchema>;
export type ProjectionSource = z.infer<typeof projectionSourceSchema>;
export type FeatureSource = z.infer<typeof featureSourceSchema>;
export type ProjectionProfile = z.infer<typeof projectionSchema>;
export type FeatureRole = z.infer<typeof featureRoleSchema>;
export type NumericFeatureProfile = z.infer<typeof numericFeatureSchema>;
export type CategoricalFeatureProfile = z.infer<typeof categoricalFeatureSchema>;
export type FeatureProfile = z.infer<typeof featureProfileSchema>;
export type BaselineProfile = z.infer<typeof baselineProfileSchema>;
export type ModelMonitorConstraints = z.infer<typeof modelMonitorConstraintsSchema>;

/** Number of interior bins of a numeric feature: one per pair of edges, or one for a constant. */
export function interiorBinCount(edges: { readonly length: number }): number {
  return Math.max(1, edges.length - 1);
}

/** Total bins of a feature, missing included. */
export function expectedBinCount(feature: Pick<NumericFeatureProfile, 'type' | 'edges'> | Pick<CategoricalFeatureProfile, 'type' | 'categories'>): number {
  return feature.type === 'numeric' ? interiorBinCount(feature.edges) + 3 : feature.categories.length + 2;
}

/** How a feature's source reads in a table: `col`, `max(col)`, `reconstruction_error(proj)`, `component_1(proj)`. */
export function describeSource(source: FeatureSource): string {
  if ('column' in source) return source.transform === 'value' ? source.column : `${source.transform}(${source.column})`;
  const what = source.output === 'component' ? `component_${source.component! + 1}` : source.output;
  return `${what}(${source.projection})`;
}

/** The columns a record may carry for this profile: every column feature's, and every embedding's. */
export function profileColumns(profile: Pick<BaselineProfile, 'features' | 'projections'>): Set<string> {
  const columns = new Set<string>();
  for (const f of profile.features) if ('column' in f.source) columns.add(f.source.column);
  for (const p of profile.projections) if (p.column !== undefined) columns.add(p.column);
  return columns;
}

/**
 * Whether the baseline holds one value only (all its non-missing rows in one bin). Without drift a
 * window then has PSI exactly 0, so the feature has no sampling noise to spend alpha on: any other
 * value is a change, judged by the effect floor alone and left out of the Bonferroni family.
 */
export function constantBaseline(feature: Pick<FeatureProfile, 'counts'>): boolean {
  let occupied = 0;
  for (let j = 0; j < feature.counts.length - 1; j++) if (feature.counts[j]! > 0) occupied++;
  return occupied <= 1;
}
