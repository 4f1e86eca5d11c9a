import { assertComparable, toProportions, type Counts } from './proportions.js';

/** x · ln(x / y) with the convention 0 · ln(0 / y) = 0. */
function relEntr(x: number, y: number): number {
  return x === 0 ? 0 : x * Math.log(x / y);
}

/**
 * Jensen–Shannon distance: the square root of the JS divergence in nats, exactly as
 * `scipy.spatial.distance.jensenshannon(p, q)`. Needs no ε floor: the mixture is never zero
 * where either side is not. Bounded by √ln 2.
 */
export function jensenShannonDistance(expected: Counts, actual: Counts): number {
  assertComparable(expected, actual);
  const p = toProportions(expected);
  const q = toProportions(actual);
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    const m = (p[i]! + q[i]!) / 2;
    sum += relEntr(p[i]!, m) + relEntr(q[i]!, m);
  }
  // Rounding can leave a tiny negative where p = q.
  return Math.sqrt(Math.max(0, sum / 2));
}
