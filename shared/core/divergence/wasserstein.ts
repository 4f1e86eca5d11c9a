import { assertComparable, toProportions, type Counts } from './proportions.js';

/**
 * Wasserstein-1 distance between two distributions on the same ordered support points:
 * ∫ |F_p − F_q| dx, with each bin's mass placed at `points[i]` (strictly increasing). Equals
 * `scipy.stats.wasserstein_distance(points, points, expected, actual)`.
 */
export function wasserstein1(points: ArrayLike<number>, expected: Counts, actual: Counts): number {
  assertComparable(expected, actual);
  if (points.length !== expected.length) {
    throw new RangeError(`expected ${expected.length} support points, got ${points.length}`);
  }
  const p = toProportions(expected);
  const q = toProportions(actual);
  let cp = 0;
  let cq = 0;
  let sum = 0;
  for (let i = 0; i < p.length - 1; i++) {
    cp += p[i]!;
    cq += q[i]!;
    sum += Math.abs(cp - cq) * (points[i + 1]! - points[i]!);
  }
  return sum;
}
