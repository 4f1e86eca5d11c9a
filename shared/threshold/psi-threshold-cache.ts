import type { Counts } from '../divergence/proportions.js';
import { hashSeed } from '../stats/seeded-random.js';
import { asymptoticPsiThreshold } from './asymptotic-psi-threshold.js';
import { monteCarloPsiThreshold } from './monte-carlo-psi-threshold.js';

/** How significance thresholds are computed. */
export interface PsiThresholdSettings {
  /** PSI ε floor. */
  epsilon: number;
  /**
   * Monte-Carlo is used while the smallest occupied baseline bin expects fewer than this many
   * window rows (n · p_min): there the χ² form underestimates the tail.
   */
  monteCarloMinExpected: number;
  /** Above this many rows the χ² form is used whatever the bins. */
  monteCarloMaxN: number;
  /** Simulated windows per Monte-Carlo threshold; 0 = automatic (see {@link monteCarloDrawCount}). */
  monteCarloDraws: number;
}

const MAX_ENTRIES = 4096;
/** Upper bound on simulated rows (draws × n) for one automatic threshold: about half a second. */
const MAX_SIMULATED_ROWS = 20_000_000;

/**
 * Automatic number of Monte-Carlo draws: 200 / α (about 200 simulated windows beyond the
 * quantile, so its tail probability is known to ±7 %), at least 10 000, but no more than
 * {@link MAX_SIMULATED_ROWS} rows in all and never fewer than 2 000 draws.
 */
export function monteCarloDrawCount(alpha: number, n: number): number {
  return Math.max(2_000, Math.min(Math.max(10_000, Math.ceil(200 / alpha)), Math.floor(MAX_SIMULATED_ROWS / Math.max(1, n))));
}

/**
 * The significance threshold of PSI for a feature and window size, computed once and cached:
 * Monte-Carlo thresholds cost milliseconds to a second, and a window size recurs.
 */
export class PsiThresholdCache {
  private readonly cache = new Map<string, number>();

  constructor(private readonly settings: PsiThresholdSettings) {}

  /** Number of cached thresholds (for tests and status). */
  get size(): number {
    return this.cache.size;
  }

  /**
   * The (1 − alpha) no-drift quantile of PSI for `n` window rows against a baseline of
   * `baselineN` rows with these bin counts.
   */
  threshold(featureName: string, baselineCounts: Counts, baselineN: number, n: number, alpha: number): number {
    const key = `${featureName}\u0000${n}\u0000${alpha}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    let occupied = 0;
    let smallest = Infinity;
    for (let i = 0; i < baselineCounts.length; i++) {
      const c = baselineCounts[i]!;
      if (c > 0) {
        occupied++;
        smallest = Math.min(smallest, c);
      }
    }
    const df = Math.max(0, occupied - 1);
    const expectedInSmallest = (n * smallest) / baselineN;
    let value: number;
    if (df === 0) {
      value = 0;
    } else if (expectedInSmallest < this.settings.monteCarloMinExpected && n <= this.settings.monteCarloMaxN) {
      const draws = this.settings.monteCarloDraws > 0 ? this.settings.monteCarloDraws : monteCarloDrawCount(alpha, n);
      value = monteCarloPsiThreshold(baselineCounts, baselineN, n, alpha, {
        draws,
        seed: hashSeed(featureName) ^ n,
        epsilon: this.settings.epsilon,
      });
    } else {
      value = asymptoticPsiThreshold(df, n, baselineN, alpha);
    }
    if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, value);
    return value;
  }
}
