import { assertComparable, toProportions, type Counts } from './proportions.js';

/** Hellinger distance ‖√p − √q‖₂ / √2, in [0, 1]. */
export function hellingerDistance(expected: Counts, actual: Counts): number {
  assertComparable(expected, actual);
  const p = toProportions(expected);
  const q = toProportions(actual);
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    const d = Math.sqrt(p[i]!) - Math.sqrt(q[i]!);
    sum += d * d;
  }
  return Math.sqrt(sum / 2);
}
