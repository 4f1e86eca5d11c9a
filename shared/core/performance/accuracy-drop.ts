/** When an estimated accuracy counts as a drop, and whether such a window counts towards retraining. */
export interface PerformanceRule {
  /** A window whose estimate's upper bound is below the baseline's accuracy minus this has dropped. */
  maxDrop: number;
  /** Whether a dropped window counts as a flagged window in the M-of-N retraining rule. */
  retrain: boolean;
}

/**
 * The verdict on a window's estimated accuracy: dropped when even the upper end of its 95 %
 * interval is more than `maxDrop` below the baseline's accuracy. Judging the bound, not the point
 * estimate, keeps a small window's noise from reading as a drop. Pure.
 */
export function accuracyDropped(estimate: { upper: number }, referenceAccuracy: number, maxDrop: number): boolean {
  return estimate.upper < referenceAccuracy - maxDrop;
}
