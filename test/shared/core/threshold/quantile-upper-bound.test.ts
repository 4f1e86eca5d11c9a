import { describe, expect, it } from 'vitest';
import { monteCarloPsiThreshold } from '../../../../shared/core/threshold/monte-carlo-psi-threshold.js';
import { PsiThresholdCache } from '../../../../shared/core/threshold/psi-threshold-cache.js';
import { upperBoundDrawCount, upperQuantileRank } from '../../../../shared/core/threshold/quantile-upper-bound.js';

/** P(Binomial(n, p) ≤ m) by summing the closed-form pmf. */
function binomialCdf(n: number, p: number, m: number): number {
  let total = 0;
  for (let k = 0; k <= m; k++) {
    let logChoose = 0;
    for (let i = 1; i <= k; i++) logChoose += Math.log(n - k + i) - Math.log(i);
    total += Math.exp(logChoose + k * Math.log(p) + (n - k) * Math.log(1 - p));
  }
  return total;
}

describe('upperQuantileRank', () => {
  it('is the highest rank whose statistic falls below the quantile with probability at most 1 − confidence', () => {
    for (const [draws, alpha] of [[2000, 0.01], [9450, 0.01 / 21], [5000, 0.002], [2000, 0.05]] as const) {
      const rank = upperQuantileRank(draws, alpha, 0.95)!;
      const m = draws - 1 - rank; // the statistic is below the quantile iff at most m draws exceed it
      expect(binomialCdf(draws, alpha, m)).toBeLessThanOrEqual(0.05);
      expect(binomialCdf(draws, alpha, m + 1)).toBeGreaterThan(0.05);
    }
  });

  it('has no rank when even the largest draw is too likely below the quantile', () => {
    // 0.999^1000 = 0.37 > 0.05.
    expect(upperQuantileRank(1000, 0.001, 0.95)).toBeUndefined();
    const draws = upperBoundDrawCount(1e-5, 0.95);
    expect((1 - 1e-5) ** draws).toBeLessThanOrEqual(0.05);
    expect(upperQuantileRank(draws, 1e-5, 0.95)).toBeDefined();
  });
});

describe('quick threshold bound', () => {
  const counts = [0, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 0, 0];
  const N = 10_000;
  const settings = { epsilon: 1e-4, monteCarloMinExpected: 20, monteCarloMaxN: 5000, monteCarloDraws: 0 };

  it('is at or above the exact quantile in at least 95 % of features, and not far above it', async () => {
    const alpha = 0.01;
    // The reference: two million simulated windows.
    const exact = monteCarloPsiThreshold(counts, N, 60, alpha, { draws: 2_000_000, seed: 1234, epsilon: 1e-4 });
    const cache = new PsiThresholdCache(settings);
    const requests = Array.from({ length: 200 }, (_, i) => ({ featureName: `f${i}`, baselineCounts: counts, baselineN: N, n: 60, alpha }));
    await cache.prepareQuick(requests, Infinity);
    const closing = cache.forClosing();
    const bounds = requests.map((r) => closing.threshold(r.featureName, counts, N, 60, alpha));
    const covered = bounds.filter((b) => b >= exact).length / bounds.length;
    expect(covered).toBeGreaterThanOrEqual(0.93);
    const meanRatio = bounds.reduce((a, b) => a + b / exact, 0) / bounds.length;
    expect(meanRatio).toBeLessThan(1.3);
    // Each quick bound queued its exact simulation.
    expect(cache.takePending()).toHaveLength(200);
  });

  it('spends no more than its budget: what does not fit is still to simulate', async () => {
    const cache = new PsiThresholdCache(settings);
    const requests = ['a', 'b', 'c'].map((featureName) => ({ featureName, baselineCounts: counts, baselineN: N, n: 170, alpha: 0.001 }));
    const perBound = upperBoundDrawCount(0.001, 0.95) * counts.length;
    await cache.prepareQuick(requests, 2 * perBound);
    expect(requests.map((r) => cache.wouldSimulate([r]))).toEqual([false, false, true]);
    expect(cache.size).toBe(0); // bounds are not exact thresholds
  });
});
