import type { Counts } from '../divergence/proportions.js';
import { hashSeed } from '../stats/seeded-random.js';
import { asymptoticPsiThreshold } from './asymptotic-psi-threshold.js';
import { monteCarloPsiThreshold } from './monte-carlo-psi-threshold.js';

/** How significance thresholds are computed. */
export interface PsiThresholdSettings {
  /** PSI ε floor. */
  epsilon: number;
  /** Windows with fewer rows than this use Monte-Carlo draws; larger ones the χ² form. */
  monteCarloBelowN: number;
  /** Simulated windows per Monte-Carlo threshold; 0 picks max(2 000, 25 / α) capped at 200 000. */
  monteCarloDraws: number;
}

const MAX_ENTRIES = 4096;

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
    for (let i = 0; i < baselineCounts.length; i++) if (baselineCounts[i]! > 0) occupied++;
    const df = Math.max(0, occupied - 1);
    let value: number;
    if (df === 0) {
      value = 0;
    } else if (n < this.settings.monteCarloBelowN) {
      const draws = this.settings.monteCarloDraws > 0
        ? this.settings.monteCarloDraws
        : Math.min(200_000, Math.max(2_000, Math.ceil(25 / alpha)));
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
