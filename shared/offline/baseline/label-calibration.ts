import { readSource, type VectorCache } from '../../core/aggregation/read-source.js';
import { isMissing, toCategory } from '../../core/aggregation/value-coercion.js';
import type { BaselineProfile, FeatureProfile, NumericFeatureProfile } from '../../core/profile/baseline-profile.js';
import { DwError } from '../../platform/errors.js';
import type { BuildOptions } from './build-options.js';
import { mergeEmptyBins } from './numeric-edges.js';

/**
 * `baseline build --label-column`: per bin of the confidence feature, the labelled predictions and
 * how many were right, counted over the same rows as the features, in both builders. The
 * baseline keeps the counts only (schema 1.5 `performance`), never a label.
 */

/** Which drafted features the labels are compared with, and the label column. */
export interface CalibrationTarget {
  labelColumn: string;
  /** Index of the (numeric) confidence feature among the drafts. */
  confidence: number;
  /** Index of the prediction feature among the drafts. */
  prediction: number;
}

/** Undefined without `--label-column`; the drafts must then have a confidence and a prediction feature. */
export function calibrationTarget(drafts: readonly FeatureProfile[], options: BuildOptions, file: string): CalibrationTarget | undefined {
  if (options.labelColumn === undefined) return undefined;
  const confidence = drafts.findIndex((f) => f.role === 'confidence' && f.type === 'numeric');
  const prediction = drafts.findIndex((f) => f.role === 'prediction');
  if (confidence < 0 || prediction < 0) {
    throw new DwError('DW_ERR_BASELINE_OPTIONS', '--label-column: the profile has no numeric confidence and prediction features to compare the labels with', { file, field: options.labelColumn });
  }
  return { labelColumn: options.labelColumn, confidence, prediction };
}

/** The category a label or a prediction stands for, as the prediction feature's categories are keyed; undefined when missing. */
export function classOf(value: unknown): string | undefined {
  return isMissing(value) ? undefined : toCategory(value);
}

/** Labelled predictions per drafted bin of the confidence feature, and how many were right. */
export class CalibrationCounts {
  readonly total: number[];
  readonly correct: number[];

  constructor(bins: number) {
    this.total = new Array<number>(bins).fill(0);
    this.correct = new Array<number>(bins).fill(0);
  }

  /** Adds `n` labelled predictions in `bin`, `right` of them right. */
  add(bin: number, n: number, right: number): void {
    this.total[bin]! += n;
    this.correct[bin]! += right;
  }
}

/**
 * The streaming builder's count of one record the profile counted: its confidence bin is the one
 * `confidenceBin` gives (ProfileCounter.lastBin), its prediction read as the feature reads it.
 */
export function countRecord(counts: CalibrationCounts, target: CalibrationTarget, drafts: readonly FeatureProfile[], record: Record<string, unknown>,
  confidenceBin: number): void {
  const label = classOf(record[target.labelColumn]);
  if (label === undefined) return;
  const source = drafts[target.prediction]!.source as Extract<FeatureProfile['source'], { column: string }>;
  const cache: VectorCache = new Map();
  // A missing or unreadable prediction is no category, so never right.
  const predicted = toCategory(readSource(record, source, cache));
  counts.add(confidenceBin, 1, predicted === label ? 1 : 0);
}

/**
 * The `performance` block for the final profile: the counts merged as the confidence feature's
 * empty bins were (finalFeatures), or undefined, with a warning, when no counted row had a label.
 */
export function performanceBlock(target: CalibrationTarget | undefined, counts: CalibrationCounts | undefined, drafts: readonly FeatureProfile[],
  draftedCounts: readonly ArrayLike<number>[], warnings: string[]): BaselineProfile['performance'] {
  if (target === undefined || counts === undefined) return undefined;
  const labelled = counts.total.reduce((a, b) => a + b, 0);
  if (labelled === 0) {
    warnings.push(`--label-column '${target.labelColumn}': no counted row has a label, so the baseline has no accuracy to calibrate with`);
    return undefined;
  }
  // calibrationTarget chose a numeric confidence feature: its empty interior bins merge as finalFeatures merges them.
  const confidence = drafts[target.confidence] as NumericFeatureProfile;
  const merged = mergeEmptyBins(confidence.edges, Array.from(draftedCounts[target.confidence]!), [counts.total, counts.correct]).parallel;
  return {
    confidenceFeature: confidence.name,
    predictionFeature: drafts[target.prediction]!.name,
    labelled,
    correct: counts.correct.reduce((a, b) => a + b, 0),
    calibration: { total: merged[0]!, correct: merged[1]! },
  };
}
