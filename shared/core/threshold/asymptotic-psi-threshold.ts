import { chiSquareQuantile } from '../stats/chi-square-distribution.js';

/**
 * The (1 − α) quantile of PSI under "no drift" for large windows. To second order PSI is
 * Σ (q − p)² / p, so with p estimated from N baseline rows and q from n window rows,
 * PSI ≈ χ²(df) · (1/n + 1/N), df = bins with baseline mass − 1.
 */
export function asymptoticPsiThreshold(df: number, n: number, baselineN: number, alpha: number): number {
  return chiSquareQuantile(1 - alpha, df) * (1 / n + 1 / baselineN);
}
