import { laplaceScale, sampleDiscreteLaplace, type UniformInt } from './discrete-laplace.js';

/** Differential privacy applied to one window (docs/security.md). */
export interface WindowPrivacy {
  /** ε spent on the window. */
  epsilon: number;
  /** L1 sensitivity of what is released: one event moves one bin of each feature and the event count. */
  sensitivity: number;
}

/**
 * Adds discrete Laplace noise with scale Δ/ε to every bin count and to the event count of a
 * window, then clamps at zero (post-processing keeps the guarantee). Adding or removing one event
 * changes one bin in each of the F features' histograms and the event count by one, so Δ = F + 1,
 * and releasing the noisy counts (and any score computed from them) is ε-differentially private
 * for that window. Windows compose: the budget is the sum of ε over released windows.
 */
export function noiseWindow(counts: readonly Float64Array[], events: number, epsilon: number, uniform?: UniformInt): {
  counts: Float64Array[];
  events: number;
  privacy: WindowPrivacy;
} {
  const sensitivity = counts.length + 1;
  const { t, s } = laplaceScale(sensitivity, epsilon);
  const noisy = (x: number): number => Math.max(0, x + sampleDiscreteLaplace(t, s, uniform));
  return { counts: counts.map((c) => c.map(noisy)), events: noisy(events), privacy: { epsilon, sensitivity } };
}
