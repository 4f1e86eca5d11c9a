import type { z } from 'zod';
import { BASELINE_SCHEMA_ID, BASELINE_SCHEMA_VERSION, baselineProfileSchema, type BaselineProfile, type FeatureProfile, type FeatureRole,
  type ModelMonitorConstraints } from '../../core/profile/baseline-profile.js';
import { DwError } from '../../platform/errors.js';
import { largestRemainder } from '../../core/stats/largest-remainder.js';
import { safeNameProblem } from '../../platform/safe-name.js';
import { constraintsFileSchema, MODEL_MONITOR_DEFAULTS, statisticsFileSchema, type ConstraintsFile, type StatisticsFeature } from './model-monitor-files.js';

/** How an import reads Model Monitor's files. */
export interface ImportOptions {
  /** Categories kept per string feature (besides the constraint's domain values), most frequent first. */
  topK: number;
  /** A column of the statistics that is the model's predicted class (role `prediction`), or its confidence (role `confidence`). */
  predictionColumn?: string;
  confidenceColumn?: string;
}

/** A driftwatch baseline made from Model Monitor's baselining output, and what the import noticed. */
export interface ImportResult {
  profile: BaselineProfile;
  /** What the import left out or could not know, one line each, for the person running it. */
  notes: string[];
}

/** Parses one of the files, naming the file and the member at fault. */
function parseFile<T>(schema: z.ZodType<T>, document: unknown, file: string): T {
  const parsed = schema.safeParse(document);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new DwError('DW_ERR_BASELINE_SCHEMA', `${issue.path.join('.') || '(root)'}: ${issue.message}`, { file, field: issue.path.join('.') });
}

/** A numeric feature from the KLL buckets: edges at the bucket bounds, a bucket of no width merged into its neighbour. */
function numericFeature(f: StatisticsFeature, role: FeatureRole, rows: number, notes: string[]): FeatureProfile | undefined {
  const stats = f.numerical_statistics!;
  const buckets = stats.distribution?.kll?.buckets;
  if (buckets === undefined) {
    notes.push(`${f.name}: no KLL distribution in statistics.json (all values missing at baselining?); left out`);
    return undefined;
  }
  const edges = [buckets[0]!.lower_bound];
  const raw: number[] = [];
  for (const b of buckets) {
    if (b.upper_bound > edges.at(-1)!) {
      edges.push(b.upper_bound);
      raw.push(b.count);
    } else if (raw.length > 0) raw[raw.length - 1]! += b.count;
    else raw.push(b.count);
  }
  const present = stats.common.num_present;
  const interior = largestRemainder(raw.length === 0 ? [present] : raw, present);
  const missing = rows - present;
  const counts = [0, ...interior.slice(0, Math.max(1, edges.length - 1)), 0, missing];
  return {
    name: f.name, role, source: { column: f.name, transform: 'value' }, type: 'numeric', edges,
    mean: stats.mean ?? 0, std: stats.std_dev ?? 0, counts, proportions: counts.map((c) => c / rows),
  };
}

/** A categorical feature from the categorical buckets: the top-K values and every domain value, then "other", then missing. */
function categoricalFeature(f: StatisticsFeature, role: FeatureRole, rows: number, domains: readonly string[], topK: number): FeatureProfile {
  const stats = f.string_statistics!;
  const buckets = [...(stats.distribution?.categorical?.buckets ?? [])].sort((a, b) => b.count - a.count);
  const byValue = new Map(buckets.map((b) => [b.value, b.count]));
  const categories = [...new Set([...buckets.slice(0, topK).map((b) => b.value), ...domains])];
  const present = stats.common.num_present;
  const top = categories.map((c) => Math.round(byValue.get(c) ?? 0));
  const other = Math.max(0, present - top.reduce((a, b) => a + b, 0));
  const counts = [...top, other, rows - present];
  const sum = counts.reduce((a, b) => a + b, 0);
  if (sum !== rows) counts[categories.length] = Math.max(0, other + rows - sum);
  return { name: f.name, role, source: { column: f.name, transform: 'value' }, type: 'categorical', categories, counts, proportions: counts.map((c) => c / rows) };
}

function monitoringOf(file: ConstraintsFile | undefined, notes: string[]): ModelMonitorConstraints['monitoring'] {
  const mc = file?.monitoring_config;
  const dc = mc?.distribution_constraints;
  if (dc?.categorical_drift_method === 'ChiSquared') notes.push('categorical_drift_method ChiSquared: driftwatch judges categorical baseline drift by the L-infinity distance (LInfinity)');
  return {
    evaluateConstraints: mc?.evaluate_constraints !== 'Disabled',
    emitMetrics: mc?.emit_metrics !== 'Disabled',
    datatypeCheckThreshold: mc?.datatype_check_threshold ?? MODEL_MONITOR_DEFAULTS.datatypeCheckThreshold,
    domainContentThreshold: mc?.domain_content_threshold ?? MODEL_MONITOR_DEFAULTS.domainContentThreshold,
    performComparison: dc?.perform_comparison !== 'Disabled',
    comparisonThreshold: dc?.comparison_threshold ?? MODEL_MONITOR_DEFAULTS.comparisonThreshold,
    comparisonMethod: dc?.comparison_method ?? dc?.comparion_method ?? MODEL_MONITOR_DEFAULTS.comparisonMethod,
    categoricalComparisonThreshold: dc?.categorical_comparison_threshold ?? dc?.comparison_threshold ?? MODEL_MONITOR_DEFAULTS.categoricalComparisonThreshold,
  };
}

/**
 * A driftwatch baseline from Model Monitor's `statistics.json` (and `constraints.json`): numeric
 * features binned at the KLL buckets' bounds with their counts, string features from the
 * categorical buckets, missing values from `num_missing`, N = `dataset.item_count`; the
 * constraints and monitoring settings ride along (schema 1.3) so windows are judged by Model
 * Monitor's checks as well. Pure: the documents are already parsed JSON.
 */
export function importModelMonitor(statisticsDoc: unknown, constraintsDoc: unknown, files: { statistics: string; constraints?: string }, options: ImportOptions): ImportResult {
  const statistics = parseFile(statisticsFileSchema, statisticsDoc, files.statistics);
  const constraints = constraintsDoc === undefined ? undefined : parseFile(constraintsFileSchema, constraintsDoc, files.constraints!);
  const rows = statistics.dataset.item_count;
  const notes: string[] = [];
  const domainsOf = new Map((constraints?.features ?? []).map((c) => [c.name, c.string_constraints?.domains ?? []]));
  const features: FeatureProfile[] = [];
  for (const f of statistics.features) {
    const problem = safeNameProblem(f.name);
    if (problem !== undefined) throw new DwError('DW_ERR_BASELINE_NAME', `feature '${f.name.slice(0, 80)}' is not a safe name: ${problem}`, { file: files.statistics, field: 'features.name' });
    const role: FeatureRole = f.name === options.predictionColumn ? 'prediction' : f.name === options.confidenceColumn ? 'confidence' : 'input';
    const present = (f.numerical_statistics ?? f.string_statistics)?.common.num_present;
    if (present !== undefined && present > rows) {
      throw new DwError('DW_ERR_BASELINE_SCHEMA', `${f.name}: num_present ${present} is more than dataset.item_count ${rows}`, { file: files.statistics, field: 'features.numerical_statistics.common.num_present' });
    }
    if (f.numerical_statistics !== undefined && (f.inferred_type === 'Integral' || f.inferred_type === 'Fractional')) {
      const feature = numericFeature(f, role, rows, notes);
      if (feature !== undefined) features.push(feature);
    } else if (f.string_statistics !== undefined) {
      features.push(categoricalFeature(f, role, rows, domainsOf.get(f.name) ?? [], options.topK));
    } else {
      notes.push(`${f.name}: inferred_type ${f.inferred_type} without statistics driftwatch can bin; left out`);
    }
  }
  if (features.length === 0) throw new DwError('DW_ERR_BASELINE_SCHEMA', 'no feature of statistics.json could be imported', { file: files.statistics });
  for (const [flag, column] of [['--prediction-column', options.predictionColumn], ['--confidence-column', options.confidenceColumn]] as const) {
    if (column !== undefined && !features.some((f) => f.name === column)) throw new DwError('DW_ERR_BASELINE_OPTIONS', `${flag} '${column}' is not a feature of statistics.json`, { file: files.statistics });
  }
  notes.push(...unknowableNotes(options));
  const imported = new Set(features.map((f) => f.name));
  const modelMonitor = constraints === undefined ? undefined : {
    features: constraints.features.filter((c) => imported.has(c.name)).map((c) => ({
      name: c.name, inferredType: c.inferred_type,
      ...(c.completeness === undefined ? {} : { completeness: c.completeness }),
      ...(c.num_constraints?.is_non_negative === undefined ? {} : { isNonNegative: c.num_constraints.is_non_negative }),
      ...(c.string_constraints?.domains === undefined ? {} : { domains: c.string_constraints.domains }),
    })),
    monitoring: monitoringOf(constraints, notes),
  };
  if (constraints === undefined) notes.push('no constraints.json: windows get driftwatch\'s verdicts only, not Model Monitor\'s checks');
  const profile = baselineProfileSchema.parse({
    schema: BASELINE_SCHEMA_ID, schemaVersion: BASELINE_SCHEMA_VERSION, createdAt: new Date().toISOString(),
    source: { file: files.statistics.split(/[\\/]/).pop() ?? files.statistics, format: 'sagemaker-model-monitor' },
    rowCount: rows, options: { bins: Math.max(...features.map((f) => f.counts.length - 3), 1), topK: options.topK, excluded: [] },
    features, projections: [], ...(modelMonitor === undefined ? {} : { modelMonitor }),
  });
  return { profile, notes };
}

/** What Model Monitor's files cannot tell driftwatch, said once per import. */
function unknowableNotes(options: ImportOptions): string[] {
  return [
    ...(options.predictionColumn === undefined && options.confidenceColumn === undefined
      ? ['prediction signals: statistics.json describes columns, not which is the model\'s output; name it with --prediction-column or --confidence-column, or every feature is an input'] : []),
    'multivariate check: needs the baseline rows (PCA); marginal statistics cannot give it, so the baseline has none',
    'bins: Model Monitor\'s 10 equal-width KLL buckets, not driftwatch\'s quantile bins; thresholds are calibrated for them as for any bins',
    'N: dataset.item_count; KLL bucket counts are sketch estimates, rounded to whole rows that add up to num_present',
    'the KLL sketch itself (sketch.data) and min, max, sum are not kept',
  ];
}
