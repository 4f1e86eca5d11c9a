import { toNumber } from '../../core/aggregation/value-coercion.js';
import { DwError } from '../../platform/errors.js';
import { expectedBinCount, interiorBinCount } from '../../core/profile/baseline-profile.js';
import { double, literal } from './sql-text.js';
import type { TypedColumn } from './typed-table.js';

/** The largest double below `x` (finite `x`). */
export function doubleBelow(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  const f = new Float64Array([x]);
  const bits = new BigInt64Array(f.buffer);
  bits[0] = bits[0]! + (x > 0 ? -1n : 1n);
  return f[0]!;
}

/**
 * DuckDB's `histogram(x, boundaries)` counts x ≤ b for each boundary after the one before, the rest
 * in a last bucket. numeric-bins.ts's bins are left-closed ([e(j-1), e(j)), the last interior bin
 * closed), so each edge but the last moves to the double just below it: x ≤ below(e) ⇔ x < e.
 * Values above the last edge (+∞: the last edge is the largest finite value) are the above bin.
 * Returns the aggregate (numbers only; NULLs are not in it) and how to read its result into the
 * feature's layout [below, interior..., above, missing] given the count of numbers.
 */
export function numericHistogram(number: string, edges: readonly number[]): { sql: string; read: (result: unknown, numbers: number, rows: number) => number[] } {
  const last = edges.length - 1;
  const boundaries = [...edges.slice(0, last).map(doubleBelow), edges[last]!];
  const bins = new Map(boundaries.map((b, j) => [b, j]));
  const k = interiorBinCount(edges);
  return {
    sql: `histogram(${number}, [${boundaries.map(double).join(', ')}])`,
    read: (result, numbers, rows) => {
      const counts = new Array<number>(expectedBinCount({ type: 'numeric', edges: [...edges] })).fill(0);
      for (const { key, value } of (result ?? []) as { key: number | null; value: number | bigint }[]) {
        // Values above the last boundary (+∞) come back under the key Infinity (NULL in older DuckDB).
        const bin = key === null || Number(key) === Infinity ? k + 1 : bins.get(Number(key));
        if (bin === undefined) throw new DwError('DW_ERR_INTERNAL', `the engine's histogram returned an unknown bucket ${String(key)}`);
        counts[bin]! += Number(value);
      }
      counts[k + 2] = rows - numbers;
      return counts;
    },
  };
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
