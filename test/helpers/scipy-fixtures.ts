import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One divergence case from scripts/make-scipy-fixtures.py. */
export interface DivergenceCase {
  name: string;
  epsilon: number;
  expected: number[];
  actual: number[];
  points: number[];
  reference: {
    psi: number; kl: number; js: number; hellinger: number; ks: number;
    chi2: number; chi2Df: number; pValue: number; wasserstein: number;
  };
}

export interface ScipyFixtures {
  divergences: DivergenceCase[];
  chiSquareSurvival: { x: number; df: number; sf: number }[];
  chiSquareQuantile: { p: number; df: number; quantile: number }[];
  /** Bin indices from numpy.searchsorted; infinities are spelled as strings in JSON. */
  binning: { edges: number[]; values: (number | string)[]; bins: number[] }[];
}

/** The committed SciPy reference values. */
export const scipyFixtures = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/scipy-divergences.json', import.meta.url)), 'utf8'),
) as ScipyFixtures;

/**
 * Relative error of `actual` against `reference`, with an absolute floor for references at zero
 * (where only rounding noise separates implementations).
 */
export function relativeError(actual: number, reference: number, absoluteFloor = 1e-15): number {
  const diff = Math.abs(actual - reference);
  if (diff <= absoluteFloor) return 0;
  return diff / Math.abs(reference);
}
