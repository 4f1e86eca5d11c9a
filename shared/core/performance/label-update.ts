import type { BaselineProfile } from '../profile/baseline-profile.js';
import { realisedPerformance, type LabelledCell } from './realised-performance.js';
import { numericSupportPoints } from '../binning/numeric-bins.js';

/**
 * A window's realised performance from its joined labels, cumulative: what the agent keeps per
 * window and compares with what it shipped before. Ratios are absent while undefined.
 */
export interface RealisedSummary {
  /** Inferences of the window that carried an id (could be labelled). */
  inferences: number;
  labelled: number;
  correct: number;
  /** labelled / inferences. */
  coverage: number;
  accuracy: number;
  /** Binary models: of the positive class (the category `1`, `true`, `yes` or `positive`, else the second). */
  precision?: number;
  recall?: number;
  /** Binary models, over the labelled predictions with a confidence (ordinal score of the bins). */
  rocAuc?: number;
  /** Expected calibration error: per confidence bin, |accuracy − the bin's middle confidence|, weighted by its labelled predictions. */
  calibrationError?: number;
  /**
   * Per confidence bin (the confidence feature's layout, missing last): labelled predictions, their
   * accuracy, and the calibration error there (accuracy − the bin's middle confidence; null
   * without labels or for the missing bin).
   */
  perBin: { n: number; accuracy: number | null; calibrationGap: number | null }[];
}

/**
 * An outbox entry that is not a window but new labels of one: its realised performance now and
 * what earlier updates shipped, so that a sink ships the difference at the window's timestamp
 * and CloudWatch's Sum there is the current value (docs/metrics.md#realised-performance).
 */
export interface LabelUpdate {
  kind: 'labels';
  model: string;
  version: string;
  startMs: number;
  endMs: number;
  current: RealisedSummary;
  previous: RealisedSummary | undefined;
}

/** What the join needs of a model's baseline: its classes and its confidence bins. */
export interface LabelLayout {
  /** Index of the prediction feature, and its categories (the classes). */
  prediction: number;
  classes: readonly string[];
  /** Index of the numeric confidence feature, -1 without one. */
  confidence: number;
  /** Each confidence bin's middle value (the missing bin last, NaN). */
  binMiddles: number[];
  /** The positive class of a binary model. */
  positive: number;
}

const POSITIVE_NAMES = ['1', 'true', 'yes', 'positive'];

/** The join's view of a profile; undefined when it has no categorical prediction feature. */
export function labelLayout(profile: BaselineProfile): LabelLayout | undefined {
  const prediction = profile.features.findIndex((f) => f.role === 'prediction' && f.type === 'categorical');
  const feature = profile.features[prediction];
  if (feature?.type !== 'categorical') return undefined;
  const confidence = profile.performance === undefined
    ? profile.features.findIndex((f) => f.role === 'confidence' && f.type === 'numeric')
    : profile.features.findIndex((f) => f.name === profile.performance!.confidenceFeature);
  const c = profile.features[confidence];
  // The missing bin has no confidence: NaN.
  const binMiddles = c?.type === 'numeric' ? [...numericSupportPoints(c.edges), NaN] : [];
  const named = feature.categories.findIndex((k) => POSITIVE_NAMES.includes(k.toLowerCase()));
  return { prediction, classes: feature.categories, confidence: c?.type === 'numeric' ? confidence : -1, binMiddles, positive: named >= 0 ? named : 1 };
}

/**
 * The realised performance of a window's labelled cells (classes as indices into the layout's
 * classes; bin -1 or the missing bin when the prediction had no confidence). Pure.
 */
export function realisedSummary(cells: readonly LabelledCell[], inferences: number, layout: LabelLayout): RealisedSummary | undefined {
  const bins = Math.max(1, layout.binMiddles.length);
  const placed = cells.map((c) => ({ ...c, bin: c.bin < 0 ? bins - 1 : c.bin }));
  const all = realisedPerformance(placed, layout.classes.length, bins, layout.positive);
  if (all === undefined) return undefined;
  const summary: RealisedSummary = {
    inferences, labelled: all.n, correct: placed.reduce((n, c) => n + (c.predicted === c.truth ? c.count : 0), 0), coverage: inferences > 0 ? all.n / inferences : 0, accuracy: all.accuracy,
    perBin: all.perBin.map((b, i) => {
      const middle = layout.binMiddles[i];
      return { n: b.n, accuracy: b.accuracy ?? null, calibrationGap: b.accuracy === undefined || middle === undefined || Number.isNaN(middle) ? null : b.accuracy - middle };
    }),
  };
  if (all.binary !== undefined) {
    if (all.binary.precision !== undefined) summary.precision = all.binary.precision;
    if (all.binary.recall !== undefined) summary.recall = all.binary.recall;
    // Predictions without a confidence have no place in the ranking.
    const ranked = placed.filter((c) => c.bin < bins - 1);
    const auc = layout.binMiddles.length > 0 ? realisedPerformance(ranked, 2, bins, layout.positive)?.binary?.rocAuc : undefined;
    if (auc !== undefined) summary.rocAuc = auc;
  }
  if (layout.binMiddles.length > 0) {
    let weighted = 0;
    let n = 0;
    all.perBin.forEach((b, i) => {
      const middle = layout.binMiddles[i]!;
      if (b.accuracy === undefined || Number.isNaN(middle)) return;
      weighted += b.n * Math.abs(b.accuracy - middle);
      n += b.n;
    });
    if (n > 0) summary.calibrationError = weighted / n;
  }
  return summary;
}

/** Whether an outbox entry's content is new labels of a window rather than the window itself. */
export function isLabelUpdate<T extends object>(content: T | LabelUpdate): content is LabelUpdate {
  return 'kind' in content && content.kind === 'labels';
}
