import gammaln from '@stdlib/math-base-special-gammaln';

const logChoose = (n: number, k: number): number => gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1);

/**
 * One-sided Fisher exact test that a window's rate is higher than the baseline's: `k` of `n`
 * window rows against `K` of `N` baseline rows. The p-value is P(X ≥ k) for X hypergeometric
 * (population N + n, K + k marked, n drawn): exact for any counts, a zero baseline rate included,
 * and conservative. Summed upward from k in log space with the pmf's ratio recurrence (stdlib's
 * hypergeometric cdf returned 0 for a population of 120 000, so 1 − cdf gave p = 1 where SciPy
 * gives 0). Checked against scipy.stats.fisher_exact (test/fixtures). Pure.
 */
export function rateRisePValue(k: number, n: number, K: number, N: number): number {
  if (k <= 0) return 1;
  const population = N + n;
  const marked = K + k;
  const top = Math.min(n, marked);
  if (k > top) return 0;
  let term = Math.exp(logChoose(marked, k) + logChoose(population - marked, n - k) - logChoose(population, n));
  let sum = term;
  for (let x = k; x < top; x++) {
    term *= ((marked - x) * (n - x)) / ((x + 1) * (population - marked - n + x + 1));
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return Math.min(1, sum);
}
