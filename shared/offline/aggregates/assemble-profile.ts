import { z } from 'zod';
import { isMissing, toCategory } from '../../core/aggregation/value-coercion.js';
import type { FeatureProfile } from '../../core/profile/baseline-profile.js';
import { featureRoleSchema } from '../../core/profile/baseline-profile.js';
import { DwError } from '../../platform/errors.js';
import { parseBuildOptions } from '../baseline/build-options.js';
import { checkFeatureNames } from '../baseline/column-checks.js';
import { assembleProfile, buildContext, finalFeatures, type BuildResult } from '../baseline/feature-drafts.js';
import { quantileEdges } from '../baseline/numeric-edges.js';

/** A count as CSV or JSON gives it. */
const count = z.coerce.number().int().min(0);
const number = z.union([z.null(), z.literal(''), z.coerce.number()]).optional().transform((x) => (x === null || x === '' ? undefined : x));
const jsonText = z.union([z.null(), z.literal(''), z.string()]).optional().transform((x) => (x === null || x === '' ? undefined : x));

/** One row of the aggregates result (profile-sql.ts's AGGREGATE_COLUMNS). */
const aggregateRowSchema = z.object({
  feature: z.string().min(1),
  role: featureRoleSchema,
  kind: z.enum(['numeric', 'categorical']),
  row_count: count,
  present: count,
  neg_inf: count,
  pos_inf: count,
  min_value: number,
  max_value: number,
  mean_value: number,
  std_value: number,
  quantiles: jsonText,
  below: jsonText,
  categories: jsonText,
});
type AggregateRow = z.infer<typeof aggregateRowSchema>;

function parseJson<T>(text: string | undefined, schema: z.ZodType<T>, row: number, field: string, file: string): T {
  try {
    return schema.parse(JSON.parse(text ?? 'null'));
  } catch (err) {
    throw new DwError('DW_ERR_INPUT_VALUE', `${field} is not the JSON the statement writes: ${(err as Error).message.split('\n')[0]}`, { file, line: row, field });
  }
}

/**
 * A numeric feature from its aggregates: the candidate edges are its quantiles (tied ones
 * collapse, as quantileEdges does); each bin's count is the difference of the counts below its
 * edges; −∞ and +∞ are the tails; NaN and NULL are missing.
 */
function numericFeature(r: AggregateRow, line: number, file: string): FeatureProfile | undefined {
  if (r.present === 0 || r.min_value === undefined || r.max_value === undefined) return undefined;
  const quantiles = parseJson(r.quantiles, z.array(z.number()), line, 'quantiles', file);
  const below = parseJson(r.below, z.array(z.number().int().min(0)), line, 'below', file);
  if (below.length !== quantiles.length) throw new DwError('DW_ERR_INPUT_VALUE', 'quantiles and below differ in length', { file, line, field: 'below' });
  const bins = quantiles.length + 1;
  const edges = quantileEdges(r.min_value, r.max_value, bins, (q) => quantiles[Math.round(q * bins) - 1]!);
  // Values below an edge: below the minimum only −∞; below a quantile, those the statement counted (and −∞).
  const lessThan = new Map<number, number>([[r.min_value, 0]]);
  quantiles.forEach((q, i) => { if (!lessThan.has(q)) lessThan.set(q, below[i]!); });
  const k = Math.max(1, edges.length - 1);
  const counts = [r.neg_inf];
  for (let j = 1; j < k; j++) counts.push(lessThan.get(edges[j]!)! - lessThan.get(edges[j - 1]!)!);
  counts.push(r.present - (k > 1 ? lessThan.get(edges[k - 1]!)! : 0));
  counts.push(r.pos_inf, r.row_count - r.present - r.neg_inf - r.pos_inf);
  return { name: r.feature, role: r.role, source: { column: r.feature, transform: 'value' }, type: 'numeric', edges, mean: r.mean_value ?? 0, std: r.std_value ?? 0,
    counts, proportions: [] };
}

/**
 * A categorical feature from its most frequent labels: each label read as toCategory reads a value
 * (`1.0` and `1` are one category; NA, null... are missing), every label kept as a draft category
 * and the rest of the present values in "other".
 */
function categoricalFeature(r: AggregateRow, line: number, file: string): FeatureProfile | undefined {
  const labels = parseJson(r.categories ?? '{}', z.record(z.string(), z.number().int().min(0)), line, 'categories', file);
  const merged = new Map<string, number>();
  let missing = r.row_count - r.present;
  let listed = 0;
  for (const [label, n] of Object.entries(labels)) {
    listed += n;
    if (isMissing(label)) missing += n;
    else merged.set(toCategory(label)!, (merged.get(toCategory(label)!) ?? 0) + n);
  }
  const categories = [...merged.keys()];
  const other = r.present - listed;
  if (categories.length === 0 && other === 0) return undefined;
  return { name: r.feature, role: r.role, source: { column: r.feature, transform: 'value' }, type: 'categorical', categories,
    counts: [...categories.map((c) => merged.get(c)!), other, missing], proportions: [] };
}

/**
 * Assembles a baseline profile from the result of `driftwatch baseline sql`'s statement (rows as
 * parsed from its CSV or JSON lines): bins from the counts below each quantile, categories cut to
 * the top K. Without the rows themselves there is no multivariate check (a warning says so).
 */
export function profileFromAggregates(rows: readonly unknown[], file: string, rawOptions: unknown): BuildResult {
  const options = parseBuildOptions(rawOptions);
  const ctx = buildContext(options, file);
  if (rows.length === 0) throw new DwError('DW_ERR_INPUT_EMPTY', 'the aggregates hold no rows', { file });
  const parsed = rows.map((row, i) => {
    const result = aggregateRowSchema.safeParse(row);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      throw new DwError('DW_ERR_INPUT_VALUE', `${issue.path.join('.')}: ${issue.message}`, { file, line: i + 1, field: issue.path.join('.') });
    }
    return result.data;
  });
  const rowCount = parsed[0]!.row_count;
  parsed.forEach((r, i) => {
    if (r.row_count !== rowCount) throw new DwError('DW_ERR_INPUT_VALUE', `row_count ${r.row_count} differs from the first row's ${rowCount}: one statement, one table`, { file, line: i + 1, field: 'row_count' });
  });
  checkFeatureNames(parsed.map((r) => r.feature), file);
  const drafts: FeatureProfile[] = [];
  parsed.forEach((r, i) => {
    const feature = r.kind === 'numeric' ? numericFeature(r, i + 1, file) : categoricalFeature(r, i + 1, file);
    if (feature !== undefined) drafts.push(feature);
    else ctx.warnings.push(`column '${r.feature}' left out: it has no ${r.kind === 'numeric' ? 'finite numeric ' : ''}values`);
  });
  if (drafts.length === 0) throw new DwError('DW_ERR_INPUT_EMPTY', 'no usable feature columns', { file });
  const features = finalFeatures(drafts, drafts.map((d) => d.counts), rowCount, ctx);
  ctx.warnings.push('no multivariate check: a baseline built from aggregates has no rows to fit it on');
  return { profile: assembleProfile(file, 'sql-aggregates', rowCount, options, features, []), warnings: ctx.warnings, skippedRows: 0 };
}
