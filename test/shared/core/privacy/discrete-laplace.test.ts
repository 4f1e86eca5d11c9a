import { describe, expect, it } from 'vitest';
import { laplaceScale, sampleDiscreteLaplace } from '../../../../shared/core/privacy/discrete-laplace.js';
import { noiseWindow } from '../../../../shared/core/privacy/window-noise.js';
import { chiSquareSurvival } from '../../../../shared/core/stats/chi-square-distribution.js';
import { seededUniform } from '../../../../shared/core/stats/seeded-random.js';

/** A seeded uniform integer source, so the statistical checks are reproducible. */
const seeded = (seed: number) => {
  const u = seededUniform(seed);
  return (n: number): number => Math.floor(u() * n);
};

/** The discrete Laplace pmf with scale b, from its definition: P(k) = tanh(1/(2b)) · exp(-|k|/b). */
const pmf = (k: number, b: number): number => Math.tanh(1 / (2 * b)) * Math.exp(-Math.abs(k) / b);

describe('sampleDiscreteLaplace', () => {
  it.each([[2, 1], [21, 10], [3, 2]])('matches the pmf for scale %i/%i (χ² goodness of fit)', (t, s) => {
    const b = t / s;
    const draws = 100_000;
    const uniform = seeded(t * 1000 + s);
    const seen = new Map<number, number>();
    let sum = 0;
    for (let i = 0; i < draws; i++) {
      const x = sampleDiscreteLaplace(t, s, uniform);
      expect(Number.isInteger(x)).toBe(true);
      sum += x;
      seen.set(x, (seen.get(x) ?? 0) + 1);
    }
    // Cells: each k with an expected count ≥ 20, and the two tails pooled.
    const k0 = Math.floor(b * Math.log((draws * Math.tanh(1 / (2 * b))) / 20));
    let chi2 = 0;
    let cells = 0;
    let inside = 0;
    for (let k = -k0; k <= k0; k++) {
      const expected = draws * pmf(k, b);
      const got = seen.get(k) ?? 0;
      chi2 += (got - expected) ** 2 / expected;
      inside += got;
      cells++;
    }
    let tailP = 1;
    for (let k = -k0; k <= k0; k++) tailP -= pmf(k, b);
    chi2 += (draws - inside - draws * tailP) ** 2 / (draws * tailP);
    expect(chiSquareSurvival(chi2, cells)).toBeGreaterThan(1e-4);
    expect(Math.abs(sum / draws)).toBeLessThan(5 * Math.sqrt((2 * Math.exp(-1 / b)) / (1 - Math.exp(-1 / b)) ** 2 / draws));
  });

  it('takes ε to a millionth and refuses scales that are not positive integers', () => {
    expect(laplaceScale(21, 0.1)).toEqual({ t: 21_000_000, s: 100_000 });
    expect(() => sampleDiscreteLaplace(0, 1)).toThrow(RangeError);
    expect(() => laplaceScale(5, 1e-9)).toThrow(/at least 1e-6/);
  });
});

describe('noiseWindow', () => {
  it('calibrates to Δ = features + 1, keeps counts whole and non-negative', () => {
    const counts = [new Float64Array([10, 0, 5, 0]), new Float64Array([3, 12, 0])];
    const noisy = noiseWindow(counts, 15, {}, 1, seeded(7));
    expect(noisy.privacy).toEqual({ epsilon: 1, sensitivity: 3 });
    for (const c of noisy.counts) for (const x of c) expect(Number.isInteger(x) && x >= 0).toBe(true);
    expect(noisy.counts.map((c) => c.length)).toEqual([4, 3]);
    expect(counts[0]![0]).toBe(10);
  });

  it('noises the refused-event counts of every reason with the same scale (issue 16, finding 4)', () => {
    const counts = [new Float64Array([10, 0, 5, 0]), new Float64Array([3, 12, 0])];
    const uniform = seeded(11);
    const draws = Array.from({ length: 4000 }, () => noiseWindow(counts, 15, { bad_value: 50 }, 1, uniform).rejected);
    const badValue = draws.map((r) => r.bad_value ?? 0);
    const mean = badValue.reduce((a, b) => a + b, 0) / badValue.length;
    const sd = Math.sqrt(badValue.reduce((a, b) => a + (b - mean) ** 2, 0) / badValue.length);
    // Discrete Laplace with scale b = Δ/ε = 3: variance 2e^(-1/b) / (1 - e^(-1/b))^2.
    const q = Math.exp(-1 / 3);
    expect(mean).toBeCloseTo(50, 0);
    expect(sd / Math.sqrt((2 * q) / (1 - q) ** 2)).toBeGreaterThan(0.9);
    expect(sd / Math.sqrt((2 * q) / (1 - q) ** 2)).toBeLessThan(1.1);
    // A reason no event had shows up now and then, so its presence tells nothing.
    expect(draws.filter((r) => (r.unknown_feature ?? 0) > 0).length).toBeGreaterThan(400);
  });
});
