import { describe, expect, it } from 'vitest';
import { binomialFromMode, MultinomialSampler } from '../../../../shared/core/stats/multinomial-sampler.js';
import { seededUniform } from '../../../../shared/core/stats/seeded-random.js';

/** Binomial(n, p) pmf from the closed form, by summing logs: independent of the sampler's ratio recurrence. */
function binomialPmf(n: number, p: number, k: number): number {
  let logChoose = 0;
  for (let i = 1; i <= k; i++) logChoose += Math.log(n - k + i) - Math.log(i);
  return Math.exp(logChoose + k * Math.log(p) + (n - k) * Math.log(1 - p));
}

/** χ² goodness of fit of observed counts against Binomial(n, p) (cells of ≥ 20 expected draws, tails pooled), at p = 0.999. */
function expectBinomial(observed: Map<number, number>, draws: number, n: number, p: number): void {
  // Cells with at least 20 expected draws, the rest pooled into the two tails.
  let chi2 = 0;
  let cells = 0;
  let lowE = 0, lowO = 0, highE = 0, highO = 0;
  const mode = Math.floor(n * p);
  for (let k = 0; k <= n; k++) {
    const expected = draws * binomialPmf(n, p, k);
    const seen = observed.get(k) ?? 0;
    if (expected >= 20) {
      chi2 += (seen - expected) ** 2 / expected;
      cells++;
    } else if (k < mode) {
      lowE += expected;
      lowO += seen;
    } else {
      highE += expected;
      highO += seen;
    }
  }
  for (const [e, o] of [[lowE, lowO], [highE, highO]] as const) {
    if (e > 0) {
      chi2 += (o - e) ** 2 / e;
      cells++;
    }
  }
  // χ²(cells − 1) at p = 0.999 is below cells − 1 + 4.5·√(2(cells − 1)) for these cell counts.
  expect(chi2).toBeLessThan(cells - 1 + 4.5 * Math.sqrt(2 * (cells - 1)));
}

function drawMany(proportions: number[], n: number, draws: number, seed: number): Float64Array[] {
  const sampler = new MultinomialSampler(proportions, n, seededUniform(seed));
  return Array.from({ length: draws }, () => {
    const out = new Float64Array(proportions.length);
    sampler.draw(out);
    return out;
  });
}

describe('MultinomialSampler', () => {
  const proportions = [0, 0.1, 0.25, 0.05, 0.3, 0, 0.2, 0.1, 0];
  const n = 170;
  const draws = drawMany(proportions, n, 200_000, 7);

  it('puts exactly n rows in each draw, none in empty bins', () => {
    for (const d of draws.slice(0, 1000)) {
      expect(d.reduce((a, b) => a + b)).toBe(n);
      expect([d[0], d[5], d[8]]).toEqual([0, 0, 0]);
    }
  });

  it('has each bin\'s mean n·p and variance n·p·(1 − p), and covariance −n·p_i·p_j', () => {
    const D = draws.length;
    for (let i = 0; i < proportions.length; i++) {
      const p = proportions[i]!;
      const mean = draws.reduce((a, d) => a + d[i]!, 0) / D;
      const variance = draws.reduce((a, d) => a + (d[i]! - mean) ** 2, 0) / (D - 1);
      // Standard error of the mean: √(n p (1 − p) / D) ≤ 0.015 here; 0.06 is four of them.
      expect(Math.abs(mean - n * p)).toBeLessThan(0.06);
      expect(Math.abs(variance - n * p * (1 - p))).toBeLessThan(0.02 * n * p * (1 - p) + 1e-12);
    }
    const [i, j] = [2, 4];
    const mi = draws.reduce((a, d) => a + d[i]!, 0) / D;
    const mj = draws.reduce((a, d) => a + d[j]!, 0) / D;
    const cov = draws.reduce((a, d) => a + (d[i]! - mi) * (d[j]! - mj), 0) / (D - 1);
    expect(Math.abs(cov + n * proportions[i]! * proportions[j]!)).toBeLessThan(0.03 * n * proportions[i]! * proportions[j]!);
  });

  it('draws each bin\'s count from Binomial(n, p), tails included (χ² goodness of fit)', () => {
    for (const bin of [1, 3, 4, 7]) {
      const observed = new Map<number, number>();
      for (const d of draws) observed.set(d[bin]!, (observed.get(d[bin]!) ?? 0) + 1);
      expectBinomial(observed, draws.length, n, proportions[bin]!);
    }
  });

  it('draws from the mode outwards, without a table, from the same binomial (χ² goodness of fit)', () => {
    const uniform = seededUniform(11);
    for (const [m, p] of [[170, 0.1], [5000, 0.03], [40, 0.5], [900, 0.997]] as const) {
      const observed = new Map<number, number>();
      const D = 100_000;
      for (let i = 0; i < D; i++) {
        const c = binomialFromMode(m, p, uniform());
        observed.set(c, (observed.get(c) ?? 0) + 1);
      }
      expectBinomial(observed, D, m, p);
    }
  });

  it('keeps working past its table budget (n = 5 000 over 20 bins: thousands of rows-left tables)', () => {
    const even = new Array<number>(20).fill(0.05);
    const wide = drawMany(even, 5000, 20_000, 3);
    expect(wide.every((d) => d.reduce((a, b) => a + b) === 5000)).toBe(true);
    for (const bin of [0, 10, 19]) {
      const mean = wide.reduce((a, d) => a + d[bin]!, 0) / wide.length;
      // Standard error √(5000 · 0.05 · 0.95 / 20 000) ≈ 0.11.
      expect(Math.abs(mean - 250)).toBeLessThan(0.45);
      const variance = wide.reduce((a, d) => a + (d[bin]! - mean) ** 2, 0) / (wide.length - 1);
      expect(Math.abs(variance / 237.5 - 1)).toBeLessThan(0.05);
    }
  });
});
