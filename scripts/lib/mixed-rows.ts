import { seededNormal } from './seeded-normal.js';

/**
 * Rows of five features whose shapes break naive tests (issue 15), for simulations and tests:
 * `amount` lognormal (heavy right tail), `visits` zero-inflated counts (60 % zeros, many ties),
 * `rating` a small integer range (0..4), `segment` a 30-level categorical with rare levels
 * (Zipf, s = 1.5), and `score` standard normal, correlated with log(amount) (ρ ≈ 0.6), so the
 * multivariate check has structure to fit. `shift` moves `score` by that many standard deviations.
 */
export function mixedRows(count: number, seed: number, shift = 0): Record<string, number | string>[] {
  const { normal, uniform } = seededNormal(seed);
  const rows: Record<string, number | string>[] = [];
  for (let r = 0; r < count; r++) {
    const z = normal();
    rows.push({
      amount: Math.round(Math.exp(3 + z) * 100) / 100,
      visits: uniform() < 0.6 ? 0 : poisson(3, uniform),
      rating: binomial(4, 0.6, uniform),
      segment: `s${zipfIndex(uniform())}`,
      score: 0.6 * z + 0.8 * normal() + shift,
    });
  }
  return rows;
}

function poisson(mean: number, uniform: () => number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  let p = uniform();
  while (p > limit) {
    k++;
    p *= uniform();
  }
  return k;
}

function binomial(trials: number, p: number, uniform: () => number): number {
  let k = 0;
  for (let i = 0; i < trials; i++) if (uniform() < p) k++;
  return k;
}

const ZIPF_LEVELS = 30;
const ZIPF_CDF = ((): number[] => {
  const weights = Array.from({ length: ZIPF_LEVELS }, (_, k) => 1 / (k + 1) ** 1.5);
  const sum = weights.reduce((a, b) => a + b, 0);
  let acc = 0;
  return weights.map((w) => (acc += w / sum));
})();

function zipfIndex(u: number): number {
  const i = ZIPF_CDF.findIndex((c) => u < c);
  return i < 0 ? ZIPF_LEVELS - 1 : i;
}
