import { describe, expect, it } from 'vitest';
import { psi } from '../../../../shared/core/divergence/psi.js';
import { laplaceScale, sampleDiscreteLaplace } from '../../../../shared/core/privacy/discrete-laplace.js';
import { PsiThresholdCache } from '../../../../shared/core/threshold/psi-threshold-cache.js';
import { seededUniform } from '../../../../shared/core/stats/seeded-random.js';

const settings = { epsilon: 1e-4, monteCarloMinExpected: 20, monteCarloMaxN: 5000, monteCarloDraws: 0 };
const baseline = Float64Array.from([0, ...Array<number>(10).fill(1000), 0, 0]); // decile bins, empty tails and missing
const noise = laplaceScale(11, 1);

/** Share of no-drift windows of n rows, with the privacy noise added, whose PSI exceeds `threshold`. */
function exceedance(threshold: number, n: number, windows: number, seed: number): number {
  const u = seededUniform(seed);
  const uniformInt = (k: number): number => Math.floor(u() * k);
  let over = 0;
  for (let w = 0; w < windows; w++) {
    const counts = new Float64Array(baseline.length);
    for (let i = 0; i < n; i++) counts[1 + Math.floor(u() * 10)]!++;
    for (let b = 0; b < counts.length; b++) counts[b] = Math.max(0, counts[b]! + sampleDiscreteLaplace(noise.t, noise.s, uniformInt));
    if (psi(baseline, counts, settings.epsilon) > threshold) over++;
  }
  return over / windows;
}

describe('PSI thresholds with privacy noise', () => {
  it('keep the false-alarm rate near α on noisy windows, where sampling-only thresholds fail', () => {
    const alpha = 0.01;
    const plain = new PsiThresholdCache(settings).threshold('x', baseline, 10_000, 1000, alpha);
    const noisy = new PsiThresholdCache({ ...settings, noise }).threshold('x', baseline, 10_000, 1000, alpha);
    expect(noisy).toBeGreaterThan(plain);
    expect(exceedance(plain, 1000, 2000, 99)).toBeGreaterThan(0.5);
    expect(exceedance(noisy, 1000, 2000, 99)).toBeLessThan(3 * alpha);
  });

  it('simulates large windows from the normal approximation, at the same calibration', () => {
    const alpha = 0.01;
    const noisy = new PsiThresholdCache({ ...settings, noise }).threshold('x', baseline, 100_000, 20_000, alpha);
    expect(exceedance(noisy, 20_000, 1000, 7)).toBeLessThan(3 * alpha);
  });
});
