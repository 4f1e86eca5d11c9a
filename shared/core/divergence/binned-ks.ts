import { assertComparable, toProportions, type Counts } from './proportions.js';

/**
 * Binned Kolmogorov–Smirnov statistic: the largest gap between the two cumulative distributions,
 * evaluated at the bin boundaries in the order the bins are given.
 */
export function binnedKs(expected: Counts, actual: Counts): number {
  assertComparable(expected, actual);
  const p = toProportions(expected);
  const q = toProportions(actual);
  let cp = 0;
  let cq = 0;
  let max = 0;
  for (let i = 0; i < p.length; i++) {
    cp += p[i]!;
    cq += q[i]!;
    max = Math.max(max, Math.abs(cp - cq));
  }
  return max;
}
