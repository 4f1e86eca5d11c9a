import { toNumber } from '../../core/aggregation/value-coercion.js';
import { expectedBinCount, interiorBinCount, type FeatureProfile } from '../../core/profile/baseline-profile.js';
import { double, literal } from './sql-text.js';
import type { TypedColumn } from './typed-table.js';

/** A numeric value's bin as numeric-bins.ts numbers it: 0 below, 1..k interior, k + 1 above, k + 2 missing. */
export function numericBinSql(number: string, edges: readonly number[]): string {
  const k = interiorBinCount(edges);
  const last = edges.length - 1;
  const atOrAbove = edges.slice(1).map((e) => ` + (${number} >= ${double(e)})::INTEGER`).join('');
  return `CASE WHEN ${number} IS NULL THEN ${k + 2} WHEN ${number} < ${double(edges[0]!)} THEN 0 WHEN ${number} > ${double(edges[last]!)} THEN ${k + 1} `
    + `ELSE least(${Math.max(1, last)}, 1${atOrAbove}) END`;
}

/**
 * A value of a categorical feature as `map(category)`, the category read as toCategory reads it:
 * a number by its value, a text as it is. `other` outside the categories, `missing` when absent.
 */
export function categorySql(column: TypedColumn, categories: readonly string[], map: (index: number) => string, other: string, missing: string): string {
  const numbers: string[] = [];
  const texts: string[] = [];
  categories.forEach((c, j) => {
    const x = toNumber(c);
    if (x !== undefined && String(x) === c) numbers.push(`WHEN ${double(x)} THEN ${map(j)}`);
    else texts.push(`WHEN ${literal(c)} THEN ${map(j)}`);
  });
  const byNumber = numbers.length === 0 ? other : `CASE ${column.number} ${numbers.join(' ')} ELSE ${other} END`;
  const byText = texts.length === 0 ? other : `CASE ${column.text} ${texts.join(' ')} ELSE ${other} END`;
  return `CASE WHEN ${column.number} IS NOT NULL THEN ${byNumber} WHEN ${column.text} IS NOT NULL THEN ${byText} ELSE ${missing} END`;
}

/** The bin index of a feature's value (for `histogram`). */
export function binSql(feature: FeatureProfile, column: TypedColumn): string {
  if (feature.type === 'numeric') return numericBinSql(column.number, feature.edges);
  const k = feature.categories.length;
  return categorySql(column, feature.categories, (j) => String(j), String(k), String(expectedBinCount(feature) - 1));
}
