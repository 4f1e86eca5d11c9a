import { describe, expect, it } from 'vitest';
import { psi } from '../../../../shared/core/divergence/psi.js';
import { asymptoticPsiThreshold } from '../../../../shared/core/threshold/asymptotic-psi-threshold.js';
import { monteCarloPsiThreshold } from '../../../../shared/core/threshold/monte-carlo-psi-threshold.js';
import { monteCarloDrawCount, PsiThresholdCache, thresholdGridN } from '../../../../shared/core/threshold/psi-threshold-cache.js';
import { seededUniform } from '../../../../shared/core/stats/seeded-random.js';
import { relativeError, scipyFixtures } from '../../../helpers/scipy-fixtures.js';

const deciles = [0, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 0, 0];
const N = 10_000;

/** Share of windows of `n` rows drawn from `counts` whose PSI exceeds `threshold`. */
function exceedance(counts: number[], n: number, threshold: number, windows: number, seed: number): number {
  const uniform = seededUniform(seed);
  const sum = counts.reduce((a, b) => a + b);
  const cumulative = counts.map((_, i) => counts.slice(0, i + 1).reduce((a, b) => a + b) / sum);
  let hits = 0;
  for (let w = 0; w < windows; w++) {
    const window = new Array<number>(counts.length).fill(0);
    for (let e = 0; e < n; e++) {
      const u = uniform();
      window[cumulative.findIndex((c) => u < c)]!++;
    }
    if (psi(counts, window) > threshold) hits++;
  }
  return hits / windows;
}

describe('asymptoticPsiThreshold', () => {
  it('is the χ² quantile from SciPy scaled by 1/n + 1/N', () => {
    const ref = scipyFixtures.chiSquareQuantile.find((c) => c.df === 9 && c.p === 0.99)!;
    expect(relativeError(asymptoticPsiThreshold(9, 1000, N, 0.01), ref.quantile * (1 / 1000 + 1 / N))).toBeLessThan(1e-9);
  });
});

describe('monteCarloPsiThreshold', () => {
  it('is reproducible for a seed', () => {
    const options = { draws: 5000, seed: 11, epsilon: 1e-4 };
    expect(monteCarloPsiThreshold(deciles, N, 60, 0.01, options)).toBe(monteCarloPsiThreshold(deciles, N, 60, 0.01, options));
  });

  it('holds the false-alarm rate near alpha on fresh no-drift windows (n = 60)', () => {
    const threshold = monteCarloPsiThreshold(deciles, N, 60, 0.01, { draws: 20_000, seed: 3, epsilon: 1e-4 });
    const rate = exceedance(deciles, 60, threshold, 20_000, 99);
    expect(rate).toBeLessThanOrEqual(0.0125);
    expect(rate).toBeGreaterThan(0.004); // not absurdly conservative either
  });

  it('is far above the χ² form at small n, where empty bins inflate PSI', () => {
    const mc = monteCarloPsiThreshold(deciles, N, 30, 0.01, { draws: 10_000, seed: 5, epsilon: 1e-4 });
    expect(mc).toBeGreaterThan(1.5 * asymptoticPsiThreshold(9, 30, N, 0.01));
  });
});

describe('thresholdGridN', () => {
  it('rounds n down by at most 2.5 %, exactly below 40, monotonically', () => {
    let previous = 0;
    for (let n = 1; n <= 200_000; n += n < 1000 ? 1 : 97) {
      const g = thresholdGridN(n);
      expect(g).toBeLessThanOrEqual(n);
      expect(g).toBeGreaterThanOrEqual(n < 40 ? n : n / 1.025 - 1);
      expect(g).toBeGreaterThanOrEqual(previous);
      expect(thresholdGridN(g)).toBe(g);
      previous = g;
    }
  });
});

describe('PsiThresholdCache', () => {
  const settings = { epsilon: 1e-4, monteCarloMinExpected: 20, monteCarloMaxN: 5000, monteCarloDraws: 0 };
  const cache = new PsiThresholdCache(settings);

  it('uses Monte-Carlo while the smallest bin expects fewer than 20 rows, the χ² form after', () => {
    // Decile bins: n · 0.1 < 20 below n = 200 (on the grid).
    expect(cache.threshold('f', deciles, N, 250, 0.01)).toBe(asymptoticPsiThreshold(9, thresholdGridN(250), N, 0.01));
    const small = cache.threshold('f', deciles, N, 100, 0.01);
    expect(small).not.toBe(asymptoticPsiThreshold(9, thresholdGridN(100), N, 0.01));
    expect(small).toBeGreaterThan(0);
  });

  it('keeps Monte-Carlo for a rare bin up to the size cap', () => {
    const rare = [0, 9990, 10, 0, 0]; // p_min = 0.001: Monte-Carlo up to n = 5000
    expect(cache.threshold('r', rare, N, 3000, 0.01)).not.toBe(asymptoticPsiThreshold(1, thresholdGridN(3000), N, 0.01));
    expect(cache.threshold('r', rare, N, 6000, 0.01)).toBe(asymptoticPsiThreshold(1, thresholdGridN(6000), N, 0.01));
  });

  it('bounds the simulated rows per threshold', () => {
    expect(monteCarloDrawCount(0.01, 100)).toBe(20_000);
    expect(monteCarloDrawCount(0.1, 100)).toBe(10_000);
    expect(monteCarloDrawCount(0.0001, 100)).toBe(100_000);
    expect(monteCarloDrawCount(0.0001, 5000)).toBe(2000);
    expect(monteCarloDrawCount(0.0001, 50_000)).toBe(2000);
  });

  it('caches by feature, grid window size and alpha', () => {
    const before = cache.size;
    const a = cache.threshold('g', deciles, N, 120, 0.01);
    expect(cache.threshold('g', deciles, N, 120, 0.01)).toBe(a);
    expect(cache.threshold('g', deciles, N, thresholdGridN(120), 0.01)).toBe(a);
    expect(cache.size).toBe(before + 1);
  });

  it('prepares Monte-Carlo thresholds in slices that let the event loop run, with the same values', async () => {
    const fresh = new PsiThresholdCache(settings);
    const request = { featureName: 'p', baselineCounts: deciles, baselineN: N, n: 150, alpha: 0.001 };
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 0);
    await fresh.prepare([request]);
    clearInterval(ticker);
    expect(ticks).toBeGreaterThan(0);
    expect(fresh.size).toBe(1);
    const reference = new PsiThresholdCache(settings).threshold('p', deciles, N, 150, 0.001);
    expect(fresh.threshold('p', deciles, N, 150, 0.001)).toBe(reference);
  });

  it('closes with a near smaller size\'s threshold instead of simulating, which is higher, and queues the exact one', async () => {
    const fresh = new PsiThresholdCache(settings);
    const closing = fresh.forClosing();
    await fresh.prepare([{ featureName: 'w', baselineCounts: deciles, baselineN: N, n: 150, alpha: 0.01 }]);
    const below = fresh.threshold('w', deciles, N, 150, 0.01);
    // 170 is within 1/0.8 of 150: no simulation now, the 150 threshold, the exact one queued.
    expect(fresh.wouldSimulate([{ featureName: 'w', baselineCounts: deciles, baselineN: N, n: 170, alpha: 0.01 }])).toBe(false);
    expect(closing.threshold('w', deciles, N, 170, 0.01)).toBe(below);
    const pending = fresh.takePending();
    expect(pending.map((r) => r.n)).toEqual([170]);
    await fresh.prepare(pending);
    const exact = new PsiThresholdCache(settings).threshold('w', deciles, N, 170, 0.01);
    expect(closing.threshold('w', deciles, N, 170, 0.01)).toBe(exact);
    // Conservative: the smaller size's threshold is the higher one.
    expect(below).toBeGreaterThan(exact);
    // 195: 170 is at least 0.8 of it, no simulation; another alpha has nothing cached, so it would simulate.
    expect(fresh.wouldSimulate([{ featureName: 'w', baselineCounts: deciles, baselineN: N, n: 195, alpha: 0.01 }])).toBe(false);
    expect(fresh.wouldSimulate([{ featureName: "w", baselineCounts: deciles, baselineN: N, n: 190, alpha: 0.001 }])).toBe(true);
  });

  it('returns 0 for a feature with a single occupied bin', () => {
    expect(cache.threshold('const', [0, 500, 0, 0], 500, 100, 0.01)).toBe(0);
  });
});
