import { numericSupportPoints } from '../binning/numeric-bins.js';
import { binnedKs } from '../divergence/binned-ks.js';
import { chiSquareTest } from '../divergence/chi-square.js';
import { hellingerDistance } from '../divergence/hellinger.js';
import { jensenShannonDistance } from '../divergence/jensen-shannon.js';
import { klDivergence } from '../divergence/kl-divergence.js';
import { total, type Counts } from '../divergence/proportions.js';
import { psi } from '../divergence/psi.js';
import { wasserstein1 } from '../divergence/wasserstein.js';
import type { BaselineProfile, FeatureProfile } from '../profile/baseline-profile.js';
import type { PsiThresholdCache, ThresholdRequest } from '../threshold/psi-threshold-cache.js';
import { perFeatureAlpha, type DriftRule } from './drift-rule.js';
import type { FeatureScore, MeanShift, WindowScore } from './feature-score.js';

/** Standard errors beyond which a window's mean reconstruction error drifts. */
export const MEAN_SHIFT_Z = 3;

/**
 * The window mean of a feature derived from a projection against its baseline mean; undefined
 * without a window sum, with fewer than `minCount` values, or without a baseline spread.
 */
function meanShift(feature: FeatureProfile, actual: Counts, sum: number | undefined, N: number, rule: DriftRule): MeanShift | undefined {
  if (feature.type !== 'numeric' || sum === undefined || !Number.isFinite(sum) || feature.std === 0) return undefined;
  const n = total(actual) - actual[actual.length - 1]!;
  const nBaseline = N - feature.counts[feature.counts.length - 1]!;
  if (n < rule.minCount || nBaseline < 1) return undefined;
  const mean = sum / n;
  const standardError = feature.std * Math.sqrt(1 / n + 1 / nBaseline);
  const z = (mean - feature.mean) / standardError;
  const drift = Math.abs(z) > MEAN_SHIFT_Z && Math.abs(mean - feature.mean) >= rule.minEffectMeanShift * feature.std;
  return { mean, baselineMean: feature.mean, standardError, z, drift };
}

/** Bins that hold "out of range" values: the two tails (numeric) or "other" (categorical). */
function outOfRangeCount(feature: FeatureProfile, counts: Counts): number {
  const last = counts.length - 1; // missing
  return feature.type === 'numeric' ? counts[0]! + counts[last - 1]! : counts[last - 1]!;
}

/** The counts without the last ("missing") bin. */
function withoutMissing(counts: Counts): Float64Array {
  return Float64Array.from({ length: counts.length - 1 }, (_, i) => counts[i]!);
}

/** Binned W1 over the non-missing bins, in baseline standard deviations; null if undefined. */
function normalisedWasserstein(feature: FeatureProfile, expected: Counts, actual: Counts): number | null {
  if (feature.type !== 'numeric' || feature.std === 0) return null;
  const e = withoutMissing(expected);
  const a = withoutMissing(actual);
  if (total(e) === 0 || total(a) === 0) return null;
  return wasserstein1(numericSupportPoints(feature.edges), e, a) / feature.std;
}

/**
 * The thresholds `scoreWindow` will ask for, so that a caller can `prepare` them first (off the
 * hot path) and scoring then never blocks.
 */
export function thresholdRequests(profile: BaselineProfile, windowCounts: readonly Counts[], rule: DriftRule): ThresholdRequest[] {
  const ns = profile.features.map((_, i) => total(windowCounts[i]!));
  const alpha = perFeatureAlpha(rule, ns.filter((n) => n >= rule.minCount).length);
  return profile.features
    .map((f, i) => ({ featureName: f.name, baselineCounts: f.counts, baselineN: profile.rowCount, n: ns[i]!, alpha }))
    .filter((r) => r.n >= rule.minCount);
}

/**
 * Scores one window of counts against the baseline: every divergence per feature, and the
 * calibrated decision. Pure: the only state is the threshold cache (one per baseline profile).
 */
export function scoreWindow(
  profile: BaselineProfile,
  windowCounts: readonly Counts[],
  rule: DriftRule,
  thresholds: PsiThresholdCache,
  /**
   * Per feature, the sum of the window's values (ProfileCounter.sums); reconstruction errors are
   * then also judged by their mean. Omitted (noisy counts): PSI alone.
   */
  sums?: ArrayLike<number>,
): WindowScore {
  const ns = profile.features.map((_, i) => total(windowCounts[i]!));
  const tested = ns.filter((n) => n >= rule.minCount).length;
  const alpha = perFeatureAlpha(rule, tested);
  const N = profile.rowCount;

  const features = profile.features.map((feature, i): FeatureScore => {
    const expected = feature.counts;
    const actual = windowCounts[i]!;
    const n = ns[i]!;
    const base = {
      name: feature.name,
      type: feature.type,
      role: feature.role,
      n,
      missingRate: n > 0 ? actual[actual.length - 1]! / n : null,
      baselineMissingRate: expected[expected.length - 1]! / N,
      outOfRangeRate: n > 0 ? outOfRangeCount(feature, actual) / n : null,
      baselineOutOfRangeRate: outOfRangeCount(feature, expected) / N,
    };
    if (n < rule.minCount) {
      return { ...base, psi: null, kl: null, js: null, hellinger: null, ks: null, chi2: null, pValue: null,
        wasserstein: null, threshold: null, status: 'insufficient_data' };
    }
    const value = psi(expected, actual, rule.epsilon);
    const chi = chiSquareTest(expected, actual);
    const threshold = Math.max(rule.minEffectPsi, thresholds.threshold(feature.name, expected, N, n, alpha));
    const shift = feature.role === 'multivariate' ? meanShift(feature, actual, sums?.[i], N, rule) : undefined;
    return {
      ...base,
      ...(shift === undefined ? {} : { meanShift: shift }),
      psi: value,
      kl: klDivergence(expected, actual, rule.epsilon),
      js: jensenShannonDistance(expected, actual),
      hellinger: hellingerDistance(expected, actual),
      ks: binnedKs(expected, actual),
      chi2: chi.statistic,
      pValue: chi.pValue,
      wasserstein: normalisedWasserstein(feature, expected, actual),
      threshold,
      status: value > threshold || shift?.drift === true ? 'drift' : 'ok',
    };
  });
  const n = ns.length > 0 ? Math.max(...ns) : 0;
  return { n, drift: features.some((f) => f.status === 'drift'), featuresTested: tested, alphaPerFeature: alpha, features };
}
