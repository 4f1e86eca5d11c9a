import { assertComparable, flooredProportions, type Counts } from './proportions.js';

/** The ε floor common tools apply to proportions before the logarithm. */
export const DEFAULT_EPSILON = 1e-4;

/**
 * Population Stability Index: Σ (qᵢ − pᵢ) · ln(qᵢ / pᵢ), with p the expected (baseline) and q
 * the actual (window) proportions, both floored at `epsilon` and not renormalised. Symmetric,
 * and ≥ 0 term by term.
 */
export function psi(expected: Counts, actual: Counts, epsilon = DEFAULT_EPSILON): number {
  assertComparable(expected, actual);
  const p = flooredProportions(expected, epsilon);
  const q = flooredProportions(actual, epsilon);
  let sum = 0;
  for (let i = 0; i < p.length; i++) sum += (q[i]! - p[i]!) * Math.log(q[i]! / p[i]!);
  return sum;
}
