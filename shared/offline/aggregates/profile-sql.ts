import { checkFeatureNames } from '../baseline/column-checks.js';
import { DwError } from '../../platform/errors.js';
import type { FeatureRole } from '../../core/profile/baseline-profile.js';
import type { Dialect } from './sql-dialect.js';

/** What `driftwatch baseline sql` profiles: a table and its feature columns by type. */
export interface SqlProfilePlan {
  /** The table, as `name` or `database.name` (each part quoted as an identifier). */
  table: string;
  numeric: readonly string[];
  categorical: readonly string[];
  confidenceColumn?: string;
  predictionColumn?: string;
  bins: number;
  topK: number;
}

/** Categories fetched per categorical feature beyond the K kept: room for labels that read as one (`1` and `1.0`) or as missing. */
const EXTRA_CATEGORIES = 16;

/** The columns of the aggregates result, in order (assemble-profile.ts reads them). */
export const AGGREGATE_COLUMNS = ['feature', 'role', 'kind', 'row_count', 'present', 'neg_inf', 'pos_inf', 'min_value', 'max_value', 'mean_value', 'std_value',
  'quantiles', 'below', 'categories'] as const;

function tableName(table: string, d: Dialect): string {
  return table.split('.').map((part) => d.ident(part)).join('.');
}

/**
 * One numeric feature's aggregates in two scans of its column: its approximate quantiles at
 * i / bins (the candidate bin edges), then its count, range, moments, infinities and, for each
 * candidate edge, how many finite values lie below it (the bins follow from those counts).
 */
function numericBranch(name: string, role: FeatureRole, plan: SqlProfilePlan, d: Dialect): string {
  const t = tableName(plan.table, d);
  const raw = d.toDouble(d.ident(name));
  const ps = Array.from({ length: plan.bins - 1 }, (_, i) => (i + 1) / plan.bins);
  const quantiles = ps.map((_, i) => d.element(d.anyValue('q.qs'), i));
  const below = ps.map((_, i) => `count_if(s.x < ${d.element('q.qs', i)})`);
  return [
    `SELECT ${d.text(name)} AS feature, ${d.text(role)} AS role, 'numeric' AS kind, count(*) AS row_count, count(s.x) AS present,`,
    `  count_if(${d.isInfinite('s.raw', -1)}) AS neg_inf, count_if(${d.isInfinite('s.raw', 1)}) AS pos_inf,`,
    `  min(s.x) AS min_value, max(s.x) AS max_value, avg(s.x) AS mean_value, stddev_pop(s.x) AS std_value,`,
    `  ${d.jsonArray(quantiles)} AS quantiles,`,
    `  ${d.jsonArray(below)} AS below,`,
    `  CAST(NULL AS ${d.types.text}) AS categories`,
    `FROM (SELECT raw, ${d.finite('raw')} AS x FROM (SELECT ${raw} AS raw FROM ${t}) r) s`,
    `CROSS JOIN (SELECT ${d.percentiles('x', ps)} AS qs FROM (SELECT ${d.finite(raw)} AS x FROM ${t}) r) q`,
  ].join('\n');
}

/** One categorical feature's aggregates: its count and its most frequent labels with their counts (exact, by GROUP BY). */
function categoricalBranch(name: string, role: FeatureRole, plan: SqlProfilePlan, d: Dialect): string {
  const t = tableName(plan.table, d);
  const column = d.ident(name);
  const top = `SELECT ${d.toText(column)} AS v, count(*) AS c FROM ${t} WHERE ${column} IS NOT NULL GROUP BY ${d.toText(column)} ORDER BY c DESC, v LIMIT ${plan.topK + EXTRA_CATEGORIES}`;
  const nothing = (type: string): string => `CAST(NULL AS ${type})`;
  return [
    `SELECT ${d.text(name)} AS feature, ${d.text(role)} AS role, 'categorical' AS kind, count(*) AS row_count, count(${column}) AS present,`,
    `  CAST(0 AS ${d.types.integer}) AS neg_inf, CAST(0 AS ${d.types.integer}) AS pos_inf,`,
    `  ${nothing(d.types.double)} AS min_value, ${nothing(d.types.double)} AS max_value, ${nothing(d.types.double)} AS mean_value, ${nothing(d.types.double)} AS std_value,`,
    `  ${nothing(d.types.text)} AS quantiles, ${nothing(d.types.text)} AS below,`,
    `  ${d.jsonObject(top)} AS categories`,
    `FROM ${t}`,
  ].join('\n');
}

/**
 * The SQL that computes a baseline profile's aggregates where the training data lives: one row per
 * feature (AGGREGATE_COLUMNS), numbers as numbers and the per-bin parts as JSON text, for
 * `driftwatch baseline build --from-aggregates`. Each feature reads only its own column, so a
 * columnar table (Parquet, ORC, Iceberg) is scanned a column at a time.
 */
export function profileSql(plan: SqlProfilePlan, d: Dialect): string {
  const features: [string, FeatureRole, 'numeric' | 'categorical'][] = [
    ...plan.numeric.map((c): [string, FeatureRole, 'numeric'] => [c, 'input', 'numeric']),
    ...plan.categorical.map((c): [string, FeatureRole, 'categorical'] => [c, 'input', 'categorical']),
    ...(plan.confidenceColumn === undefined ? [] : [[plan.confidenceColumn, 'confidence', 'numeric'] as [string, FeatureRole, 'numeric']]),
    ...(plan.predictionColumn === undefined ? [] : [[plan.predictionColumn, 'prediction', 'categorical'] as [string, FeatureRole, 'categorical']]),
  ];
  if (features.length === 0) throw new DwError('DW_ERR_USAGE', 'name the feature columns: --numeric a,b and/or --categorical c,d', { field: 'numeric' });
  const seen = new Set<string>();
  for (const [name] of features) {
    if (seen.has(name)) throw new DwError('DW_ERR_BASELINE_OPTIONS', `column '${name}' is named twice`, { field: name });
    seen.add(name);
  }
  checkFeatureNames(features.map(([name]) => name), plan.table);
  const branches = features.map(([name, role, kind]) => (kind === 'numeric' ? numericBranch(name, role, plan, d) : categoricalBranch(name, role, plan, d)));
  return [
    `-- driftwatch baseline sql --dialect ${d.name}: the baseline profile's aggregates of ${plan.table} (${plan.bins} bins, top ${plan.topK} categories).`,
    '-- Run it where the table lives; save the result (CSV with a header, or JSON lines) and build with',
    '--   driftwatch baseline build --from-aggregates <result> --out baseline.json',
    `${branches.join('\nUNION ALL\n')}`,
  ].join('\n');
}
