import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { expect } from 'vitest';
import type { FeatureProfile } from '../../shared/core/profile/baseline-profile.js';

const DIR = fileURLToPath(new URL('../fixtures/quantiles/', import.meta.url));

/** The quantile fixture's training file (scripts/make-quantile-fixtures.py). */
export const QUANTILE_TRAIN = join(DIR, 'train.csv.gz');

export interface ColumnReference { count: number; missing: number; min: number; max: number; mean: number; std: number; quantiles: number[]; low: number[]; high: number[] }

/** What NumPy made of the fixture: per numeric column its range, moments and quantiles; the region counts. */
export const quantileReference = JSON.parse(readFileSync(join(DIR, 'reference.json'), 'utf8')) as {
  rows: number; columns: Record<string, ColumnReference>; region: Record<string, number>;
};

/** The fixture's present values of each numeric column, sorted (read plainly, not by driftwatch). */
const sortedValues = ((): Map<string, Float64Array> => {
  const [header, ...lines] = gunzipSync(readFileSync(QUANTILE_TRAIN)).toString('utf8').trim().split('\n');
  const names = header!.split(',');
  const out = new Map<string, Float64Array>();
  for (const name of Object.keys(quantileReference.columns)) {
    const j = names.indexOf(name);
    const values = lines.map((l) => l.split(',')[j]!).filter((cell) => cell.trim() !== '').map(Number).filter(Number.isFinite);
    out.set(name, Float64Array.from(values).sort());
  }
  return out;
})();

/** How many values are below x, and at most x. */
function ranks(sorted: Float64Array, x: number): [number, number] {
  let below = 0;
  let atMost = 0;
  for (const v of sorted) {
    if (v < x) below++;
    if (v <= x) atMost++;
  }
  return [below, atMost];
}

/**
 * The outer edges are NumPy's exact range. Each interior edge splits the data (the values below it
 * go left) between the splits of NumPy's q(p − 0.005) and q(p + 0.005) for some decile p: a rank
 * tolerance of ±0.5 %, which with tied values accepts any edge between the same two values.
 * Mean, spread and missing count are NumPy's.
 */
export function expectEdgesInNumpyBands(f: FeatureProfile): void {
  const ref = quantileReference.columns[f.name]!;
  if (f.type !== 'numeric') throw new Error(`${f.name} is not numeric`);
  expect(f.edges[0]).toBe(ref.min);
  expect(f.edges[f.edges.length - 1]).toBe(ref.max);
  const sorted = sortedValues.get(f.name)!;
  expect(sorted.length).toBe(ref.count);
  for (const edge of f.edges.slice(1, -1)) {
    const [below] = ranks(sorted, edge);
    const decile = ref.quantiles.findIndex((_, i) => ranks(sorted, ref.low[i]!)[0] <= below && below <= ranks(sorted, ref.high[i]!)[1]);
    expect(decile, `${f.name}: edge ${edge} (${below} values below it) is within 0.5 % of no decile`).toBeGreaterThanOrEqual(0);
  }
  expect(f.mean).toBeCloseTo(ref.mean, 9);
  expect(f.std).toBeCloseTo(ref.std, 9);
  expect(f.counts[f.counts.length - 1]).toBe(ref.missing);
}
