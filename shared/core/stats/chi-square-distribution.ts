import gammainc from '@stdlib/math-base-special-gammainc';
import chisquareQuantile from '@stdlib/stats-base-dists-chisquare-quantile';

/** P(X > x) for X ~ χ²(df), computed from the upper regularised incomplete gamma (no 1 − cdf loss). */
export function chiSquareSurvival(x: number, df: number): number {
  if (df <= 0) return x > 0 ? 0 : 1;
  if (x <= 0) return 1;
  return gammainc(x / 2, df / 2, true, true);
}

/** The p-quantile of χ²(df). */
export function chiSquareQuantile(p: number, df: number): number {
  if (df <= 0) return 0;
  return chisquareQuantile(p, df);
}
