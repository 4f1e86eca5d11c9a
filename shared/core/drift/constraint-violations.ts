import type { BaselineProfile, FeatureProfile, ModelMonitorConstraints } from '../profile/baseline-profile.js';

/** The checks of SageMaker Model Monitor's `constraint_violations.json`. */
export type ConstraintCheck = 'data_type_check' | 'completeness_check' | 'baseline_drift_check' | 'missing_column_check' | 'extra_column_check' | 'categorical_values_check';

/** One entry of `constraint_violations.json`: the feature, the check, and Model Monitor's kind of description (ratios and distances only). */
export interface ConstraintViolation {
  feature_name: string;
  constraint_check_type: ConstraintCheck;
  description: string;
}

/**
 * A window judged by Model Monitor's checks: the `constraint_violations.json` body, and per
 * feature the two numbers Model Monitor also emits as metrics, its baseline drift distance and
 * completeness (`feature_baseline_drift_<f>`, `feature_non_null_<f>`). Never a category value.
 */
export interface ModelMonitorResult {
  violations: ConstraintViolation[];
  baselineDrift: Record<string, number>;
  completeness: Record<string, number>;
  /** The checks not evaluated on this data, and why (a window cannot see extra columns, say). */
  notEvaluated: string[];
}

/** What an offline file tells beyond its counts: columns present and extra, and per feature how many present values had the constraint's type. */
export interface FileFacts {
  columns: ReadonlySet<string>;
  extraColumns: readonly string[];
  /** Per feature (profile order): values present, and those of the constraint's inferred type. */
  types?: readonly ({ present: number; matching: number } | undefined)[];
}

/** Deequ's low-sample correction of the L-infinity distance (its Distance.selectMetrics): c = 1.8, from the two-sample KS test. */
export const ROBUST_C = 1.8;

/**
 * Model Monitor's distribution distance between the baseline and current counts of a feature
 * (Deequ's `Distance`): the largest gap between the two cumulative distributions at the bin
 * edges (numeric) or between the two category frequencies (categorical), the missing bin left
 * out; `Robust` subtracts 1.8·sqrt((n+m)/(n·m)), floored at 0. n, m: present values.
 */
export function modelMonitorDistance(feature: FeatureProfile, current: ArrayLike<number>, method: 'Simple' | 'Robust'): number | undefined {
  const bins = feature.counts.length - 1; // the last bin is missing
  let n = 0;
  let m = 0;
  for (let i = 0; i < bins; i++) {
    n += feature.counts[i]!;
    m += current[i]!;
  }
  if (n === 0 || m === 0) return undefined;
  let linf = 0;
  let cb = 0;
  let cc = 0;
  for (let i = 0; i < bins; i++) {
    if (feature.type === 'numeric') {
      cb += feature.counts[i]!;
      cc += current[i]!;
      linf = Math.max(linf, Math.abs(cb / n - cc / m));
    } else {
      linf = Math.max(linf, Math.abs(feature.counts[i]! / n - current[i]! / m));
    }
  }
  return method === 'Simple' ? linf : Math.max(0, linf - ROBUST_C * Math.sqrt((n + m) / (n * m)));
}

const NUMBER = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/**
 * Whether a present value (as a row holds it: a JSON number, or CSV text) is of a constraint's
 * inferred type, as Model Monitor's data type check counts: Integral a whole number, Fractional
 * any number, String anything that does not read as a number.
 */
export function matchesInferredType(value: unknown, type: 'Integral' | 'Fractional' | 'String' | 'Unknown'): boolean {
  const numeric = typeof value === 'number' ? Number.isFinite(value) : typeof value === 'string' && NUMBER.test(value);
  if (type === 'Integral') return numeric && Number.isInteger(Number(value));
  if (type === 'Fractional') return numeric;
  return type === 'String' ? !numeric : true;
}

const VALUE = (ratio: number): string => `Value: ${ratio} does not meet the constraint requirement! `;

/** Checks of one feature's counts: completeness, categorical values, baseline drift. */
function featureChecks(feature: FeatureProfile, c: ModelMonitorConstraints['features'][number], current: ArrayLike<number>, monitoring: ModelMonitorConstraints['monitoring'],
  out: ModelMonitorResult, nonNull?: number): void {
  const total = Array.from(current).reduce((a, b) => a + b, 0);
  if (total === 0) return;
  const present = total - current[current.length - 1]!;
  // A file's value of the wrong type is present (non-null) for Model Monitor, though it counts as missing in the bins.
  const completeness = Math.min(1, (nonNull ?? present) / total);
  out.completeness[feature.name] = completeness;
  if (present === 0) {
    out.violations.push({ feature_name: feature.name, constraint_check_type: 'missing_column_check', description: 'Every value of the column is missing in the current data. ' });
    return;
  }
  if (c.completeness !== undefined && completeness < c.completeness) {
    out.violations.push({ feature_name: feature.name, constraint_check_type: 'completeness_check', description: VALUE(completeness) });
  }
  if (feature.type === 'categorical' && c.domains !== undefined && c.domains.length > 0) {
    const domain = new Set(c.domains);
    const inDomain = feature.categories.reduce((sum, category, i) => sum + (domain.has(category) ? current[i]! : 0), 0);
    const ratio = inDomain / present;
    if (ratio < monitoring.domainContentThreshold) out.violations.push({ feature_name: feature.name, constraint_check_type: 'categorical_values_check', description: VALUE(ratio) });
  }
  if (!monitoring.performComparison) return;
  const distance = modelMonitorDistance(feature, current, monitoring.comparisonMethod);
  if (distance === undefined) return;
  out.baselineDrift[feature.name] = distance;
  const categorical = feature.type === 'categorical';
  const threshold = categorical ? monitoring.categoricalComparisonThreshold : monitoring.comparisonThreshold;
  if (distance > threshold) {
    out.violations.push({ feature_name: feature.name, constraint_check_type: 'baseline_drift_check',
      description: categorical ? `Categorical distance: ${distance} exceeds categorical threshold: ${threshold}` : `Numerical distance: ${distance} exceeds numerical threshold: ${threshold}` });
  }
}

/**
 * Judges counts in the baseline's bins (a window, or a whole file) by the checks of the
 * baseline's Model Monitor constraints; undefined for a baseline without them. A window alone
 * cannot see extra columns or the type of refused values (the agent refuses a value of the
 * wrong type with the event): those two checks need `file`. Pure.
 */
export function constraintViolations(profile: Pick<BaselineProfile, 'features' | 'modelMonitor'>, counts: readonly ArrayLike<number>[], file?: FileFacts): ModelMonitorResult | undefined {
  const mm = profile.modelMonitor;
  if (mm === undefined || !mm.monitoring.evaluateConstraints) return undefined;
  const out: ModelMonitorResult = { violations: [], baselineDrift: {}, completeness: {}, notEvaluated: [] };
  const byName = new Map(profile.features.map((f, i) => [f.name, i]));
  for (const c of mm.features) {
    const i = byName.get(c.name);
    if (i === undefined) continue;
    const feature = profile.features[i]!;
    const column = 'column' in feature.source ? feature.source.column : feature.name;
    if (file !== undefined && !file.columns.has(column)) {
      out.violations.push({ feature_name: c.name, constraint_check_type: 'missing_column_check', description: 'The column is missing from the current data. ' });
      continue;
    }
    const types = file?.types?.[i];
    if (types !== undefined && types.present > 0 && c.inferredType !== 'Unknown') {
      const ratio = types.matching / types.present;
      if (ratio < mm.monitoring.datatypeCheckThreshold) out.violations.push({ feature_name: c.name, constraint_check_type: 'data_type_check', description: VALUE(ratio) });
    }
    featureChecks(feature, c, counts[i]!, mm.monitoring, out, types?.present);
  }
  if (file === undefined) {
    out.notEvaluated.push('extra_column_check: a window sees only the baseline\'s features', 'data_type_check: the agent refuses an event with a value of the wrong type (counted under rejected: bad_value)');
  } else {
    for (const column of file.extraColumns) out.violations.push({ feature_name: column, constraint_check_type: 'extra_column_check', description: 'The column is not in the baseline constraints. ' });
  }
  return out;
}
