import { createRequire } from 'node:module';
import type * as MlMatrix from 'ml-matrix';

// Required, not imported: ml-matrix's CommonJS build loads in 5 ms that way, 18 ms through ESM's named-export scan.
const { EigenvalueDecomposition, Matrix } = createRequire(import.meta.url)('ml-matrix') as typeof MlMatrix;

/** A principal-component fit of a covariance matrix. */
export interface PcaFit {
  /** Per-coordinate standard deviations when the fit standardised (correlation PCA). */
  scale?: number[];
  /** k x d unit axes, strongest first; each axis's largest-magnitude entry is positive. */
  components: number[][];
  /** Variance along each kept axis. */
  eigenvalues: number[];
  /** Share of the total variance of each kept axis. */
  explainedVarianceRatio: number[];
  /** Sum of all eigenvalues (the total variance of the standardised or centred vectors). */
  totalVariance: number;
}

/**
 * The number of leading axes that explain more than `target` of the variance, as scikit-learn
 * chooses it for a fractional `n_components`; never all d axes (the error would always be 0).
 */
export function componentsFor(ratios: readonly number[], target: number): number {
  let cumulative = 0;
  for (let k = 0; k < ratios.length; k++) {
    cumulative += ratios[k]!;
    if (cumulative > target) return Math.min(k + 1, ratios.length - 1);
  }
  return ratios.length - 1;
}

/**
 * Eigen-decomposes a population covariance matrix (ml-matrix, symmetric solver) and keeps the
 * axes that explain `varianceTarget` of the variance. With `standardise`, it works on the
 * correlation matrix (the covariance of the standardised coordinates); every coordinate must then
 * have a positive variance. Returns undefined when the total variance is zero.
 */
export function fitPca(covariance: readonly (readonly number[])[], varianceTarget: number, standardise: boolean): PcaFit | undefined {
  const d = covariance.length;
  let matrix = new Matrix(covariance.map((row) => [...row]));
  let scale: number[] | undefined;
  if (standardise) {
    scale = covariance.map((row, i) => Math.sqrt(row[i]!));
    if (scale.some((s) => !(s > 0))) throw new RangeError('every coordinate needs a positive variance to be standardised');
    const s = scale;
    matrix = new Matrix(covariance.map((row, i) => row.map((c, j) => (i === j ? 1 : c / (s[i]! * s[j]!)))));
  }
  const evd = new EigenvalueDecomposition(matrix, { assumeSymmetric: true });
  const values = evd.realEigenvalues.map((v) => Math.max(0, v));
  const vectors = evd.eigenvectorMatrix;
  const order = values.map((_, i) => i).sort((a, b) => values[b]! - values[a]!);
  const totalVariance = values.reduce((a, b) => a + b, 0);
  if (!(totalVariance > 0)) return undefined;
  const ratios = order.map((i) => values[i]! / totalVariance);
  const k = componentsFor(ratios, varianceTarget);
  const components = order.slice(0, k).map((col) => {
    const axis = vectors.getColumn(col);
    let largest = 0;
    for (let j = 1; j < d; j++) if (Math.abs(axis[j]!) > Math.abs(axis[largest]!)) largest = j;
    const sign = axis[largest]! < 0 ? -1 : 1;
    const norm = Math.hypot(...axis);
    return axis.map((v) => (sign * v) / norm);
  });
  return {
    ...(scale === undefined ? {} : { scale }),
    components,
    eigenvalues: order.slice(0, k).map((i) => values[i]!),
    explainedVarianceRatio: ratios.slice(0, k),
    totalVariance,
  };
}
