import { REJECT_REASONS } from '../aggregation/reject-reasons.js';
import { laplaceScale, sampleDiscreteLaplace, type UniformInt } from './discrete-laplace.js';

/** Differential privacy applied to one window (docs/security.md). */
export interface WindowPrivacy {
  /** ε spent on the window. */
  epsilon: number;
  /** L1 sensitivity of what is released: one event moves one bin of each feature and the event count. */
  sensitivity: number;
}

/**
 * Adds discrete Laplace noise with scale Δ/ε to every bin count, to the event count and to the
 * refused-event count of every reason (all of them, zero or not: a reason's presence would tell) of
 * a window, then clamps at zero (post-processing keeps the guarantee). Adding or removing one
 * event changes either one bin in each of the F features' histograms and the event count by one
 * (L1 = F + 1), or one reason's refused count by one (L1 = 1), so Δ = F + 1 covers both, and
 * releasing the noisy counts (and any score or sum computed from them) is ε-differentially
 * private for that window. Windows compose: the budget is the sum of ε over released windows.
 */
export function noiseWindow(counts: readonly Float64Array[], events: number, rejected: Readonly<Record<string, number>>, epsilon: number, uniform?: UniformInt): {
  counts: Float64Array[];
  events: number;
  rejected: Record<string, number>;
  privacy: WindowPrivacy;
} {
  const sensitivity = counts.length + 1;
  const { t, s } = laplaceScale(sensitivity, epsilon);
  const noisy = (x: number): number => Math.max(0, x + sampleDiscreteLaplace(t, s, uniform));
  const noisyRejected: Record<string, number> = {};
  for (const reason of REJECT_REASONS) {
    const n = noisy(Object.hasOwn(rejected, reason) ? rejected[reason]! : 0);
    if (n > 0) noisyRejected[reason] = n;
  }
  return { counts: counts.map((c) => c.map(noisy)), events: noisy(events), rejected: noisyRejected, privacy: { epsilon, sensitivity } };
}
