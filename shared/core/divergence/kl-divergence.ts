import { assertComparable, flooredProportions, type Counts } from './proportions.js';
import { DEFAULT_EPSILON } from './psi.js';

function renormalise(values: Float64Array): Float64Array {
  let sum = 0;
  for (const v of values) sum += v;
  for (let i = 0; i < values.length; i++) values[i] = values[i]! / sum;
  return values;
}

/**
 * Kullback–Leibler divergence KL(q‖p) in nats of the actual (window) distribution q from the
 * expected (baseline) p. Both are floored at `epsilon` and then renormalised, so the result is
 * finite and ≥ 0; it equals `scipy.stats.entropy(q', p')` on the floored inputs.
 */
export function klDivergence(expected: Counts, actual: Counts, epsilon = DEFAULT_EPSILON): number {
  assertComparable(expected, actual);
  const p = renormalise(flooredProportions(expected, epsilon));
  const q = renormalise(flooredProportions(actual, epsilon));
  let sum = 0;
  for (let i = 0; i < p.length; i++) sum += q[i]! * Math.log(q[i]! / p[i]!);
  return sum;
}
