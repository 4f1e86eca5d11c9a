import { preview } from '../../core/aggregation/value-coercion.js';
import { expectedBinCount, type FeatureProfile } from '../../core/profile/baseline-profile.js';
import type { EngineSession } from './duckdb-session.js';
import { numericBinSql } from './feature-bins.js';
import { ident } from './sql-text.js';
import { ORDINAL, ROWS_TABLE, type TypedColumn } from './typed-table.js';

/** A drafted feature with the typed column it reads. */
export interface BoundFeature {
  feature: FeatureProfile;
  column: TypedColumn;
}

/** Why a row cannot be counted, as ProfileCounter says it, with the row (0-based) it is on. */
export interface RowProblem {
  row: number;
  field: string;
  message: string;
}

/** The condition under which one feature's value cannot be counted (text in a numeric feature, a nested value). */
function badSql({ feature, column }: BoundFeature): string | undefined {
  const parts = feature.type === 'numeric' ? [`${column.text} IS NOT NULL`] : [];
  if (column.nested !== undefined) parts.push(`${column.nested} IS NOT NULL`);
  return parts.length === 0 ? undefined : `(${parts.join(' OR ')})`;
}

/** The SQL condition a row must meet to be counted: every feature's value readable. */
export function validSql(bound: readonly BoundFeature[]): string {
  const bad = bound.map(badSql).filter((b): b is string => b !== undefined);
  return bad.length === 0 ? 'true' : `NOT (${bad.join(' OR ')})`;
}

/**
 * The rows that cannot be counted: how many, and the first `limit` of them with the first
 * feature at fault (in profile order) and the message ProfileCounter gives for it.
 */
export async function rowProblems(session: EngineSession, bound: readonly BoundFeature[], limit: number): Promise<{ count: number; first: RowProblem[] }> {
  const cases = bound.flatMap((b) => {
    const bad = badSql(b);
    if (bad === undefined) return [];
    const value = b.column.nested === undefined ? b.column.text : `coalesce(${b.column.nested}, ${b.column.text})`;
    return [{ bad, field: b.column.name, value, kind: b.feature.type }];
  });
  if (cases.length === 0) return { count: 0, first: [] };
  const where = cases.map((c) => c.bad).join(' OR ');
  const [{ n }] = (await session.rows(`SELECT count(*) AS n FROM ${ROWS_TABLE} WHERE ${where}`)) as [{ n: number }];
  if (n === 0) return { count: 0, first: [] };
  const which = `CASE ${cases.map((c, i) => `WHEN ${c.bad} THEN ${i}`).join(' ')} END`;
  const values = `CASE ${cases.map((c) => `WHEN ${c.bad} THEN CAST(${c.value} AS VARCHAR)`).join(' ')} END`;
  const rows = await session.rows(`SELECT ${ORDINAL} AS r, ${which} AS w, ${values} AS v FROM ${ROWS_TABLE} WHERE ${where} ORDER BY ${ORDINAL} LIMIT ${limit}`);
  const first = rows.map((row): RowProblem => {
    const c = cases[Number(row.w)]!;
    const message = c.kind === 'numeric' ? `text value '${preview(String(row.v))}' in numeric feature` : `nested value '${preview(String(row.v))}' in categorical feature`;
    return { row: Number(row.r), field: c.field, message };
  });
  return { count: n, first };
}

/**
 * Exact counts of the countable rows into every feature's bins: numeric features in one scan
 * (a histogram of bin indexes each), categorical ones by grouping their values (numbers by value,
 * texts as they are) and mapping each group to its category.
 */
export async function countBins(session: EngineSession, bound: readonly BoundFeature[], valid: string): Promise<{ rows: number; counts: Float64Array[] }> {
  const counts = bound.map((b) => new Float64Array(expectedBinCount(b.feature)));
  const numeric = bound.map((b, i) => ({ b, i })).filter(({ b }) => b.feature.type === 'numeric');
  const items = numeric.map(({ b, i }) => `histogram(${numericBinSql(b.column.number, (b.feature as FeatureProfile & { type: 'numeric' }).edges)}) AS ${ident(`h${i}`)}`);
  const [row] = await session.rows(`SELECT count(*) AS dw_n${items.map((s) => `, ${s}`).join('')} FROM ${ROWS_TABLE} WHERE ${valid}`);
  for (const { i } of numeric) addHistogram(counts[i]!, row![`h${i}`]);
  for (let i = 0; i < bound.length; i++) {
    const { feature, column } = bound[i]!;
    if (feature.type !== 'categorical') continue;
    const index = new Map(feature.categories.map((c, j) => [c, j]));
    const k = feature.categories.length;
    const groups = await session.rows(`SELECT ${column.number} AS n, ${column.text} AS t, count(*) AS c FROM ${ROWS_TABLE} WHERE ${valid} GROUP BY ALL`);
    for (const g of groups) {
      const category = g.n !== null ? String(Number(g.n)) : g.t !== null ? (g.t as string) : undefined;
      const bin = category === undefined ? k + 1 : index.get(category) ?? k;
      counts[i]![bin]! += Number(g.c);
    }
  }
  return { rows: Number(row!.dw_n), counts };
}

/** Adds a DuckDB `histogram` result (a MAP, read as entries or an object) into bins. */
export function addHistogram(into: Float64Array, histogram: unknown): void {
  if (histogram === null || histogram === undefined) return;
  const entries: [unknown, unknown][] = Array.isArray(histogram)
    ? (histogram as { key: unknown; value: unknown }[]).map((e) => [e.key, e.value])
    : Object.entries(histogram as Record<string, unknown>);
  for (const [bin, count] of entries) into[Number(bin)]! += Number(count);
}
