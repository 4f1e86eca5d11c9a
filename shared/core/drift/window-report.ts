import type { RealisedSummary } from '../performance/label-update.js';
import type { WindowPrivacy } from '../privacy/window-noise.js';
import type { ModelMonitorResult } from './constraint-violations.js';
import type { WindowScore } from './feature-score.js';

/** One segment's part of a window (`models[].segments`): the segment is an index, never its category. */
export interface SegmentScore {
  /** 0 … K − 1: the baseline's K most frequent categories of the segment feature, in order; K: every other value and missing. */
  segment: number;
  events: number;
  /** The calibrated verdict at the segment's size (alpha split over the segments); null below the minimum count. */
  drift: boolean | null;
  maxPsi: number | null;
  /** Feature names flagged in the segment. */
  drifted: string[];
}

/**
 * A closed window as it is stored in the outbox and handed to sinks: aggregates only (scores,
 * bin counts, feature names); never a raw value or a category string.
 */
export interface WindowReport {
  model: string;
  /** Model version, '' when the events carried none. */
  version: string;
  /** Window bounds, epoch milliseconds; `endMs` is the CloudWatch timestamp. */
  startMs: number;
  endMs: number;
  /** Events counted. */
  events: number;
  /** Events refused for this model during the window, by reason. */
  rejected: Record<string, number>;
  score: WindowScore;
  /** Bin counts per feature, in profile order (for fleet merging). */
  counts: number[][];
  /**
   * Per feature, the sum of the window's values for features derived from a projection (0 for the
   * others), so that a merged window's mean reconstruction error is exact; absent without
   * projections or with privacy noise. null where a merged contribution had no sum.
   */
  sums?: (number | null)[];
  retraining: { recommended: boolean; flagged: number; of: number };
  /**
   * The model's confidence histogram as value/count pairs for CloudWatch statistic sets: each bin's
   * representative rounded to a grid, never an observed value (core/privacy/released-points.ts);
   * absent when the baseline has no confidence signal.
   */
  confidence?: { values: number[]; counts: number[] };
  /**
   * The window's accuracy estimated from its confidence histogram and the baseline's labelled
   * calibration (core/performance/confidence-estimate.ts), with its 95 % interval, beside the
   * baseline's own accuracy; absent when the baseline has no `performance` block or no
   * prediction in the window had a confidence. `dropped`: the upper bound is more than
   * `performance.maxDrop` below the baseline's accuracy (core/performance/accuracy-drop.ts); absent
   * for a window below the minimum count.
   */
  performance?: { estimatedAccuracy: number; lower: number; upper: number; referenceAccuracy: number; dropped?: boolean };
  /**
   * The window's realised performance from delayed labels (core/performance/label-update.ts), set
   * in the kept history as labels arrive; never in the outbox's copy (labels ship on their own).
   */
  realised?: RealisedSummary;
  /** Per segment of `models[].segments`: the feature, and each segment's verdict. */
  segments?: { feature: string; scores: SegmentScore[] };
  /** Present when the counts were released with differential privacy (then everything here is noisy). */
  privacy?: WindowPrivacy;
  /**
   * For a baseline imported from SageMaker Model Monitor with its constraints: the window judged
   * by Model Monitor's checks, `constraint_violations.json`-shaped (kept in the history; only its
   * distances and completeness can leave, as metrics, never a category value).
   */
  modelMonitor?: ModelMonitorResult;
}

/** A closed window in one line, as `POST /v1/flush` lists it. */
export function windowSummary(r: WindowReport): object {
  return { model: r.model, version: r.version, start: new Date(r.startMs).toISOString(),
    end: new Date(r.endMs).toISOString(), events: r.events, drift: r.score.drift, retrainingRecommended: r.retraining.recommended };
}
