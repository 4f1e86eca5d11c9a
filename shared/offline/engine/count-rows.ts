import { toCategory } from '../../core/aggregation/value-coercion.js';
import { expectedBinCount, type FeatureProfile } from '../../core/profile/baseline-profile.js';
import { DwError } from '../../platform/errors.js';
import { CalibrationCounts } from '../baseline/label-calibration.js';
import type { EngineSession } from './duckdb-session.js';
import { numericHistogram } from './feature-bins.js';
import { NO_TEXT, ROWS_TABLE, type TypedColumn } from './typed-table.js';

/** A drafted feature with the typed column it reads. */
export interface BoundFeature {
  feature: FeatureProfile;
  column: TypedColumn;
}

/** A grouped value's category as toCategory reads it (a number by its value, a text as it is); undefined when missing. */
function groupCategory(n: unknown, t: unknown): string | undefined {
  return n !== null ? toCategory(Number(n)) : t !== null ? (t as string) : undefined;
}

/** The condition under which one feature's value cannot be counted (text in a numeric feature, a nested value). */
function badSql({ feature, column }: BoundFeature): string | undefined {
  const parts = feature.type === 'numeric' && column.text !== NO_TEXT ? [`${column.text} IS NOT NULL`] : [];
  if (column.nested !== undefined) parts.push(`${column.nested} IS NOT NULL`);
  return parts.length === 0 ? undefined : `(${parts.join(' OR ')})`;
}

/** The SQL condition a row must meet to be counted: every feature's value readable. */
export function validSql(bound: readonly BoundFeature[]): string {
  const bad = bound.map(badSql).filter((b): b is string => b !== undefined);
  return bad.length === 0 ? 'true' : `NOT (${bad.join(' OR ')})`;
}

/** How many rows cannot be counted (the row reader then names them: engine-build.ts). */
export async function countInvalidRows(session: EngineSession, valid: string): Promise<number> {
  if (valid === 'true') return 0;
  const [row] = await session.rows(`SELECT count(*) AS n FROM ${ROWS_TABLE} WHERE NOT (${valid})`);
  return Number(row!.n);
}

/**
 * Exact counts of the countable rows into every feature's bins: numeric features in one scan (a
 * histogram over the bin edges each), categorical ones by grouping their values (numbers by value,
 * texts as they are) and mapping each group to its category.
 */
export async function countBins(session: EngineSession, bound: readonly BoundFeature[], valid: string): Promise<{ rows: number; counts: number[][] }> {
  const counts = bound.map((b) => new Array<number>(expectedBinCount(b.feature)).fill(0));
  const numeric = bound.flatMap((b, i) => (b.feature.type === 'numeric' ? [{ i, column: b.column, histogram: numericHistogram(b.column.number, b.feature.edges) }] : []));
  const items = numeric.map(({ i, column, histogram }) => `${histogram.sql} AS h${i}, count(${column.number}) AS c${i}`);
  const [row] = await session.rows(`SELECT count(*) AS dw_n${items.map((s) => `, ${s}`).join('')} FROM ${ROWS_TABLE} WHERE ${valid}`);
  const rows = Number(row!.dw_n);
  for (const { i, histogram } of numeric) counts[i] = histogram.read(row![`h${i}`], Number(row![`c${i}`]), rows);
  for (let i = 0; i < bound.length; i++) {
    const { feature, column } = bound[i]!;
    if (feature.type !== 'categorical') continue;
    const index = new Map(feature.categories.map((c, j) => [c, j]));
    const k = feature.categories.length;
    const groups = await session.rows(`SELECT ${column.number} AS n, ${column.text} AS t, count(*) AS c FROM ${ROWS_TABLE} WHERE ${valid} GROUP BY ALL`);
    for (const g of groups) {
      const category = groupCategory(g.n, g.t);
      const bin = category === undefined ? k + 1 : index.get(category) ?? k;
      counts[i]![bin]! += Number(g.c);
    }
  }
  return { rows, counts };
}

/**
 * `--label-column`: the counted rows that have a label, per confidence bin, and how many of them
 * the prediction got right, grouping by (prediction, label) with a confidence histogram per group.
 * Classes are compared as toCategory reads them (numbers by value, texts as they are); a missing
 * prediction is never right.
 */
export async function countCalibration(session: EngineSession, confidence: BoundFeature, prediction: BoundFeature, label: TypedColumn, valid: string): Promise<CalibrationCounts> {
  if (confidence.feature.type !== 'numeric') throw new DwError('DW_ERR_INTERNAL', 'the confidence feature is not numeric');
  const histogram = numericHistogram(confidence.column.number, confidence.feature.edges);
  const counts = new CalibrationCounts(expectedBinCount(confidence.feature));
  const groups = await session.rows(`SELECT ${prediction.column.number} AS pn, ${prediction.column.text} AS pt, ${label.number} AS ln, ${label.text} AS lt, `
    + `${histogram.sql} AS h, count(${confidence.column.number}) AS c, count(*) AS r FROM ${ROWS_TABLE} `
    + `WHERE ${valid} AND (${label.number} IS NOT NULL OR ${label.text} IS NOT NULL) GROUP BY ALL`);
  for (const g of groups) {
    const predicted = groupCategory(g.pn, g.pt);
    const right = predicted !== undefined && predicted === groupCategory(g.ln, g.lt);
    histogram.read(g.h, Number(g.c), Number(g.r)).forEach((n, bin) => counts.add(bin, n, right ? n : 0));
  }
  return counts;
}
