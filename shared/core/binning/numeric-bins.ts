import { interiorBinCount } from '../profile/baseline-profile.js';

/**
 * Bin of a non-missing numeric value, for the layout of a numeric feature:
 * 0 = below `edges[0]`, 1..k = interior bins (left-closed; the last also holds `edges[k]`),
 * k + 1 = above the last edge. NaN is the caller's business (it is "missing").
 */
export function numericBinIndex(edges: Float64Array, x: number): number {
  const last = edges.length - 1;
  if (x < edges[0]!) return 0;
  if (x > edges[last]!) return interiorBinCount(edges) + 1;
  // Binary search for the number of edges <= x (at least 1 here).
  let lo = 1;
  let hi = last + 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo > last ? Math.max(1, last) : lo;
}

/**
 * Where each non-missing bin's mass sits for Wasserstein distances: the tails at the outer edges,
 * interior bins at their midpoints (a constant feature's single bin at its value).
 */
export function numericSupportPoints(edges: readonly number[]): Float64Array {
  const k = interiorBinCount(edges);
  const points = new Float64Array(k + 2);
  points[0] = edges[0]!;
  if (edges.length === 1) {
    points[1] = edges[0]!;
  } else {
    for (let i = 1; i <= k; i++) points[i] = (edges[i - 1]! + edges[i]!) / 2;
  }
  points[k + 1] = edges[edges.length - 1]!;
  return points;
}
