import { flooredProportions, toProportions, type Counts } from '../divergence/proportions.js';
import { seededUniform } from '../stats/seeded-random.js';

/** Settings of one Monte-Carlo threshold. */
export interface MonteCarloOptions {
  /** Number of simulated windows. */
  draws: number;
  /** PRNG seed: the same seed gives the same threshold. */
  seed: number;
  /** The PSI ε floor. */
  epsilon: number;
}

/**
 * The (1 − α) quantile of PSI under "no drift" for small windows, where the χ² approximation
 * fails (empty bins make PSI jump by ε-floored log terms). Simulates `draws` windows of `n` rows
 * drawn from the baseline proportions, takes the empirical quantile, and scales it by (1 + n/N)
 * for the baseline's own sampling noise (the same two-sample factor as in the χ² form).
 */
export function monteCarloPsiThreshold(
  baselineCounts: Counts,
  baselineN: number,
  n: number,
  alpha: number,
  options: MonteCarloOptions,
): number {
  const bins = baselineCounts.length;
  const p = toProportions(baselineCounts);
  const pFloored = flooredProportions(baselineCounts, options.epsilon);
  const cumulative = new Float64Array(bins);
  let acc = 0;
  for (let i = 0; i < bins; i++) cumulative[i] = acc += p[i]!;
  cumulative[bins - 1] = Infinity; // guard against rounding leaving a gap at the top

  const uniform = seededUniform(options.seed);
  const window = new Float64Array(bins);
  const stats = new Float64Array(options.draws);
  for (let d = 0; d < options.draws; d++) {
    window.fill(0);
    for (let e = 0; e < n; e++) {
      const u = uniform();
      let b = 0;
      while (u >= cumulative[b]!) b++;
      window[b]!++;
    }
    let value = 0;
    for (let i = 0; i < bins; i++) {
      const q = Math.max(window[i]! / n, options.epsilon);
      value += (q - pFloored[i]!) * Math.log(q / pFloored[i]!);
    }
    stats[d] = value;
  }
  stats.sort();
  // The ceil((1 − α)(D + 1))-th order statistic: its expected exceedance is at most α.
  const rank = Math.min(options.draws - 1, Math.max(0, Math.ceil((1 - alpha) * (options.draws + 1)) - 1));
  return stats[rank]! * (1 + n / baselineN);
}
