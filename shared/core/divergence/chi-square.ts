import { chiSquareSurvival } from '../stats/chi-square-distribution.js';
import { assertComparable, total, type Counts } from './proportions.js';

/** Result of the chi-square test of homogeneity. */
export interface ChiSquareResult {
  /** Pearson's statistic over the 2 × B table of baseline and window counts. */
  statistic: number;
  /** Degrees of freedom: bins with any count on either side, minus one. */
  df: number;
  /** P(χ²(df) ≥ statistic). */
  pValue: number;
}

/**
 * Pearson chi-square test that the window counts and the baseline counts come from one
 * distribution (a two-sample test, so the baseline's own sampling noise is accounted for).
 * Bins empty on both sides are dropped. Equals
 * `scipy.stats.chi2_contingency([expected, actual], correction=False)` on the kept bins.
 */
export function chiSquareTest(expected: Counts, actual: Counts): ChiSquareResult {
  assertComparable(expected, actual);
  const nE = total(expected);
  const nA = total(actual);
  const grand = nE + nA;
  let statistic = 0;
  let kept = 0;
  for (let i = 0; i < expected.length; i++) {
    const column = expected[i]! + actual[i]!;
    if (column === 0) continue;
    kept++;
    const eE = (column * nE) / grand;
    const eA = (column * nA) / grand;
    const dE = expected[i]! - eE;
    const dA = actual[i]! - eA;
    statistic += (dE * dE) / eE + (dA * dA) / eA;
  }
  const df = Math.max(0, kept - 1);
  return { statistic, df, pValue: chiSquareSurvival(statistic, df) };
}
