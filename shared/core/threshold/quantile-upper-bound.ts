/**
 * An upper confidence bound on a (1 − α) quantile from few simulated draws, for a threshold that
 * is needed now and whose full simulation has not run yet.
 *
 * With D draws, the number E of them above the true quantile q is Binomial(D, α). The order
 * statistic of 0-based rank D − 1 − m is below q exactly when E ≤ m, so taking the largest m with
 * P(E ≤ m) ≤ 1 − confidence gives a statistic at or above q with at least that confidence: judged
 * by it, a window's false-alarm probability is at most α with that confidence. It costs power
 * (the bound sits above the quantile), never false alarms beyond that.
 */

/**
 * The smallest number of draws for which a bound exists at this confidence and α, and at least
 * 2 000: about 4.5 expected draws above the quantile, so the bound is rarely the maximum.
 */
export function upperBoundDrawCount(alpha: number, confidence: number): number {
  const needed = Math.log(1 - confidence) / Math.log1p(-alpha); // (1 − α)^D ≤ 1 − confidence
  return Math.max(2_000, Math.ceil(Math.max(needed, 4.5 / alpha)));
}

/**
 * The 0-based rank among `draws` sorted simulated values whose value is at or above the
 * (1 − alpha) quantile with probability ≥ `confidence`, or undefined when no rank is (too few draws).
 */
export function upperQuantileRank(draws: number, alpha: number, confidence: number): number | undefined {
  const limit = 1 - confidence;
  let pmf = Math.exp(draws * Math.log1p(-alpha)); // P(E = 0)
  let cdf = pmf;
  if (cdf > limit) return undefined;
  let m = 0;
  for (; m + 1 <= draws; m++) {
    pmf *= ((draws - m) / (m + 1)) * (alpha / (1 - alpha));
    if (cdf + pmf > limit) break;
    cdf += pmf;
  }
  return draws - 1 - m;
}
