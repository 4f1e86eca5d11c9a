import { ProfileCounter } from '../../core/aggregation/profile-counter.js';
import type { DriftRule } from '../../core/drift/drift-rule.js';
import { scoreWindow, thresholdRequests } from '../../core/drift/score-window.js';
import type { SegmentScore } from '../../core/drift/window-report.js';
import type { Projector } from '../../core/multivariate/projector.js';
import type { BaselineProfile } from '../../core/profile/baseline-profile.js';
import { DwError } from '../../platform/errors.js';
import { PsiThresholdCache, type ThresholdRequest } from '../../core/threshold/psi-threshold-cache.js';

/** `models[].segments`: drift judged per value of a low-cardinality categorical input as well. */
export interface SegmentSettings {
  /** The categorical input feature whose values are the segments. */
  feature: string;
  /** The most frequent categories of the baseline that are segments of their own; the rest (and missing) are one more, "other". */
  topK: number;
}

/**
 * The segments of one model: which segment a counted record belongs to (by the bin of the segment
 * feature it fell in), a counter per segment, and each segment's window scored by the same
 * calibrated rule at its own size. The false-alarm budget is split over the segments as it is over
 * features: each segment is held to alpha / segments, so "some segment drifted" keeps alpha.
 */
export class SegmentWindows {
  /** Index of the segment feature in the profile. */
  readonly featureIndex: number;
  /** Segments: the top K categories, then "other". */
  readonly count: number;
  private readonly rule: DriftRule;
  private readonly thresholds: PsiThresholdCache;
  /** The profile a segment is judged by: every feature but the segment feature (within a segment it takes one value). */
  private readonly judged: BaselineProfile;
  private readonly kept: number[];

  constructor(model: string, readonly settings: SegmentSettings, private readonly profile: BaselineProfile, rule: DriftRule, private readonly projectors: readonly Projector[]) {
    this.featureIndex = profile.features.findIndex((f) => f.name === settings.feature);
    const feature = profile.features[this.featureIndex];
    if (feature === undefined || feature.type !== 'categorical' || feature.role !== 'input') {
      throw new DwError('DW_ERR_CONFIG', `models[${model}].segments.feature: '${settings.feature.slice(0, 100)}' is not a categorical input feature of the baseline`,
        { field: `models[${model}].segments.feature` });
    }
    this.count = Math.min(settings.topK, feature.categories.length) + 1;
    this.rule = { ...rule, alpha: rule.alpha / this.count };
    this.thresholds = new PsiThresholdCache(this.rule);
    this.kept = profile.features.map((_, i) => i).filter((i) => i !== this.featureIndex);
    this.judged = { ...profile, features: this.kept.map((i) => profile.features[i]!) };
  }

  /** Fresh counters, one per segment. */
  counters(): ProfileCounter[] {
    return Array.from({ length: this.count }, () => new ProfileCounter(this.profile.features, { strictTypes: true, projectors: [...this.projectors] }));
  }

  /** The segment of a record whose segment feature fell in `bin` (categories are most frequent first; "other" and missing go last). */
  segmentOf(bin: number): number {
    return Math.min(bin, this.count - 1);
  }

  /**
   * Scores each segment's window with at least `minCount` events, over every feature but the
   * segment feature: its thresholds are those of its own size (simulated here when not cached).
   */
  async score(counters: readonly ProfileCounter[]): Promise<SegmentScore[]> {
    const out: SegmentScore[] = [];
    for (let s = 0; s < counters.length; s++) {
      const c = counters[s]!;
      const base: SegmentScore = { segment: s, events: c.n, drift: null, maxPsi: null, drifted: [] };
      if (c.n < this.rule.minCount) {
        out.push(base);
        continue;
      }
      const counts = this.kept.map((i) => c.counts[i]!);
      const sums = this.projectors.length > 0 ? this.kept.map((i) => c.sums[i]!) : undefined;
      const requests: ThresholdRequest[] = thresholdRequests(this.judged, counts, this.rule, sums);
      await this.thresholds.prepareQuick(requests);
      await this.thresholds.prepare(requests.filter((r) => this.thresholds.wouldSimulate([r])));
      const score = scoreWindow(this.judged, counts, this.rule, this.thresholds.forClosing(), sums);
      const psis = score.features.map((f) => f.psi).filter((p): p is number => p !== null);
      out.push({ ...base, drift: score.featuresTested > 0 ? score.drift : null, maxPsi: psis.length > 0 ? Math.max(...psis) : null,
        drifted: score.features.filter((f) => f.status === 'drift').map((f) => f.name) });
    }
    return out;
  }
}
