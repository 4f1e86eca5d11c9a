/**
 * Accuracy estimated from a window's confidence histogram, without labels: confidence-based
 * performance estimation (CBPE, as NannyML calls it) over the baseline's confidence bins.
 *
 * The baseline's labelled rows give, per bin of the confidence feature, how many predictions fell
 * in it and how many of those were right: a calibration map from confidence to the chance of being
 * right, histogram binning being the calibrator. A window's expected accuracy is then the mean of
 * that chance over its predictions, bin by bin. It holds as long as the relation between
 * confidence and correctness does (no concept drift): that is what it cannot see, and what delayed
 * labels check.
 */

/** Per bin of the confidence feature (its baseline edges): labelled predictions, and how many were right. */
export interface ConfidenceCalibration {
  total: readonly number[];
  correct: readonly number[];
}

/** A window's estimated accuracy and its 95 % interval. */
export interface AccuracyEstimate {
  /** Expected accuracy of the window's predictions. */
  accuracy: number;
  /** Standard error of the window's realised accuracy around it (outcomes and calibration). */
  standardError: number;
  /** 95 % interval for the realised accuracy, within [0, 1]. */
  lower: number;
  upper: number;
  /** Predictions in the window with a confidence. */
  n: number;
}

const Z95 = 1.959963984540054;

/**
 * The chance of a right prediction per bin: the bin's share of right predictions, shrunk towards
 * the reference's overall accuracy by one pseudo-prediction, so a bin with few labelled rows (or
 * none: then the overall accuracy) does not swing the estimate on one or two labels.
 */
export function binAccuracy(calibration: ConfidenceCalibration): { perBin: number[]; overall: number } {
  const labelled = calibration.total.reduce((a, b) => a + b, 0);
  const right = calibration.correct.reduce((a, b) => a + b, 0);
  const overall = labelled > 0 ? right / labelled : Number.NaN;
  return { perBin: calibration.total.map((t, b) => (calibration.correct[b]! + overall) / (t + 1)), overall };
}

/**
 * The expected accuracy of a window whose confidence bins hold `counts`, with a 95 % interval for
 * the accuracy its labels would show. The variance adds the outcomes' (each prediction right with
 * its bin's chance, independently) and the calibration's (each bin's chance is estimated from
 * `total + 1` rows), with the normal approximation. Undefined for an empty window or a
 * calibration without labelled rows.
 */
export function estimateAccuracy(calibration: ConfidenceCalibration, counts: readonly number[]): AccuracyEstimate | undefined {
  if (counts.length !== calibration.total.length) throw new RangeError(`${counts.length} window bins against ${calibration.total.length} calibrated bins`);
  const n = counts.reduce((a, b) => a + b, 0);
  const { perBin, overall } = binAccuracy(calibration);
  if (n === 0 || Number.isNaN(overall)) return undefined;
  let accuracy = 0;
  let variance = 0;
  for (let b = 0; b < counts.length; b++) {
    const c = counts[b]!;
    if (c === 0) continue;
    const p = perBin[b]!;
    const share = c / n;
    accuracy += share * p;
    variance += (c * p * (1 - p)) / (n * n) + (share * share * p * (1 - p)) / (calibration.total[b]! + 1);
  }
  const standardError = Math.sqrt(variance);
  return { accuracy, standardError, lower: Math.max(0, accuracy - Z95 * standardError), upper: Math.min(1, accuracy + Z95 * standardError), n };
}
