import { numericSupportPoints } from '../binning/numeric-bins.js';
import { binnedKs } from '../divergence/binned-ks.js';
import { chiSquareTest } from '../divergence/chi-square.js';
import { hellingerDistance } from '../divergence/hellinger.js';
import { jensenShannonDistance } from '../divergence/jensen-shannon.js';
import { klDivergence } from '../divergence/kl-divergence.js';
import { total, type Counts } from '../divergence/proportions.js';
import { psi } from '../divergence/psi.js';
import { wasserstein1 } from '../divergence/wasserstein.js';
import { chiSquareQuantile } from '../stats/chi-square-distribution.js';
import { constantBaseline, type BaselineProfile, type FeatureProfile, type NumericFeatureProfile } from '../profile/baseline-profile.js';
import type { ThresholdRequest, ThresholdSource } from '../threshold/psi-threshold-cache.js';
import { perFeatureAlpha, type DriftRule } from './drift-rule.js';
import type { FeatureScore, MeanShift, RateRise, WindowScore } from './feature-score.js';
import { rateRisePValue } from '../stats/rate-rise-test.js';

/** Values of a window's feature, and of its baseline, that are not missing (the last bin). */
function present(counts: Counts): number {
  return total(counts) - counts[counts.length - 1]!;
}

/**
 * Whether a window's mean rank of this feature is tested: a reconstruction error with a window
 * sum, enough values, and a baseline spread over at least two bins (else its ranks have no variance).
 */
function meanTestable(feature: FeatureProfile, actual: Counts, sum: number | undefined, rule: DriftRule): boolean {
  if (feature.role !== 'multivariate' || feature.type !== 'numeric' || sum === undefined || !Number.isFinite(sum) || feature.std === 0) return false;
  return present(actual) >= rule.minCount && !constantBaseline(feature);
}

/** The two-sided normal critical value for a per-test `alpha`: |z| beyond it has probability alpha. */
export function twoSidedZ(alpha: number): number {
  return Math.sqrt(chiSquareQuantile(1 - alpha, 1));
}

/**
 * The window's reconstruction errors against the baseline's held-out ones. Significance comes
 * from the mean rank (ridit) of the window's values in the baseline's binned distribution: each
 * bin scores the baseline share below it plus half its own, so a score is bounded in [0, 1], its
 * baseline mean is 1/2 and its variance is known from the bins; the window's mean score is close
 * to normal from a few dozen rows whatever the error's tail. The raw mean must also move by
 * `minEffectMeanShift` baseline standard deviations (the practical-size floor).
 */
function meanShift(feature: NumericFeatureProfile, actual: Counts, sum: number, zThreshold: number, rule: DriftRule): MeanShift {
  const last = actual.length - 1; // the missing bin
  const n = present(actual);
  const nBaseline = present(feature.counts);
  let below = 0;
  let meanScore = 0;
  let baselineSquares = 0;
  for (let j = 0; j < last; j++) {
    const b = feature.counts[j]!;
    const score = (below + b / 2) / nBaseline;
    below += b;
    meanScore += (actual[j]! * score) / n;
    baselineSquares += (b * (score - 0.5) ** 2) / nBaseline;
  }
  const rankError = Math.sqrt(baselineSquares * (1 / n + 1 / nBaseline));
  const z = (meanScore - 0.5) / rankError;
  const { std, mean: baselineMean } = feature;
  const mean = sum / n;
  const standardError = std * Math.sqrt(1 / n + 1 / nBaseline);
  const drift = Math.abs(z) > zThreshold && Math.abs(mean - baselineMean) >= rule.minEffectMeanShift * std;
  return { mean, baselineMean, standardError, meanRank: meanScore, z, zThreshold, drift };
}

/** Whether every value of a window's feature is missing (only its last bin holds counts). */
function allMissing(counts: Counts): boolean {
  return counts[counts.length - 1]! === total(counts);
}

/**
 * Which tests the window runs: a PSI test per feature with enough rows that are not all missing
 * (constant baselines judged by the effect floor, outside the family), and the mean-rank tests;
 * and the alpha each is held to.
 */
function testFamily(profile: BaselineProfile, windowCounts: readonly Counts[], rule: DriftRule, sums: ArrayLike<number> | undefined):
  { ns: number[]; tested: boolean[]; featuresTested: number; constants: boolean[]; meanTests: boolean[]; rateTests: boolean[]; alpha: number; rateAlpha: number } {
  const ns = profile.features.map((_, i) => total(windowCounts[i]!));
  const tested = ns.map((n, i) => n >= rule.minCount && !allMissing(windowCounts[i]!));
  const featuresTested = tested.filter(Boolean).length;
  const constants = profile.features.map((f, i) => tested[i]! && constantBaseline(f));
  const meanTests = profile.features.map((f, i) => meanTestable(f, windowCounts[i]!, sums?.[i], rule));
  // Data quality: a missing-rate and an out-of-range-rate test per judged feature read from a column (weighted Bonferroni:
  // they share qualityShare of alpha, the PSI and mean tests the rest, so the window's false alarms stay within alpha).
  const rateTests = profile.features.map((f, i) => rule.qualityShare > 0 && tested[i]! && f.role !== 'multivariate' && f.role !== 'embedding');
  const rates = 2 * rateTests.filter(Boolean).length;
  const share = rates > 0 ? rule.qualityShare : 0;
  const alpha = perFeatureAlpha({ ...rule, alpha: rule.alpha * (1 - share) }, featuresTested - constants.filter(Boolean).length + meanTests.filter(Boolean).length);
  const rateAlpha = rates === 0 ? 0 : perFeatureAlpha({ ...rule, alpha: rule.alpha * share }, rates);
  return { ns, tested, featuresTested, constants, meanTests, rateTests, alpha, rateAlpha };
}

/** A rate's rise against the baseline's: `k` of `n` window rows against `K` of `N` baseline rows. */
function rateRise(k: number, n: number, K: number, N: number, alpha: number, rule: DriftRule): RateRise {
  const rate = k / n;
  const baselineRate = N > 0 ? K / N : 0;
  const pValue = rateRisePValue(k, n, K, N);
  return { rate, baselineRate, pValue, drift: pValue < alpha && rate - baselineRate >= rule.minEffectRate };
}

/** The data-quality tests of one feature: its missing rate and its out-of-range rate. */
function quality(feature: FeatureProfile, expected: Counts, actual: Counts, n: number, N: number, alpha: number, rule: DriftRule): { missing: RateRise; outOfRange: RateRise } {
  return {
    missing: rateRise(actual[actual.length - 1]!, n, expected[expected.length - 1]!, N, alpha, rule),
    outOfRange: rateRise(outOfRangeCount(feature, actual), n, outOfRangeCount(feature, expected), N, alpha, rule),
  };
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

/** What every feature score reports, scored or not: its identity, size, and missing and out-of-range rates against the baseline's. */
function rates(feature: FeatureProfile, actual: Counts, n: number, N: number):
  Pick<FeatureScore, 'name' | 'type' | 'role' | 'n' | 'missingRate' | 'baselineMissingRate' | 'outOfRangeRate' | 'baselineOutOfRangeRate'> {
  const expected = feature.counts;
  return {
    name: feature.name,
    type: feature.type,
    role: feature.role,
    n,
    missingRate: n > 0 ? actual[actual.length - 1]! / n : null,
    baselineMissingRate: expected[expected.length - 1]! / N,
    outOfRangeRate: n > 0 ? outOfRangeCount(feature, actual) / n : null,
    baselineOutOfRangeRate: outOfRangeCount(feature, expected) / N,
  };
}

/**
 * The thresholds `scoreWindow` will ask for, so that a caller can `prepare` them first (off the
 * hot path) and scoring then never blocks.
 */
export function thresholdRequests(profile: BaselineProfile, windowCounts: readonly Counts[], rule: DriftRule, sums?: ArrayLike<number>): ThresholdRequest[] {
  const { ns, tested, constants, alpha } = testFamily(profile, windowCounts, rule, sums);
  return profile.features
    .map((f, i) => ({ featureName: f.name, baselineCounts: f.counts, baselineN: total(f.counts), n: ns[i]!, alpha }))
    .filter((_, i) => tested[i]! && !constants[i]!);
}

/**
 * Scores one window of counts against the baseline: every divergence per feature, and the
 * calibrated decision. Pure: the only state is the threshold cache (one per baseline profile).
 */
export function scoreWindow(
  profile: BaselineProfile,
  windowCounts: readonly Counts[],
  rule: DriftRule,
  thresholds: ThresholdSource,
  /**
   * Per feature, the sum of the window's values (ProfileCounter.sums); reconstruction errors are
   * then also judged by their mean. Omitted (noisy counts): PSI alone.
   */
  sums?: ArrayLike<number>,
): WindowScore {
  const { ns, featuresTested: tested, constants, meanTests, rateTests, alpha, rateAlpha } = testFamily(profile, windowCounts, rule, sums);
  const zThreshold = twoSidedZ(alpha);

  const features = profile.features.map((feature, i): FeatureScore => {
    const expected = feature.counts;
    const actual = windowCounts[i]!;
    const n = ns[i]!;
    // A feature derived from a projection was counted on the rows held out of its fit.
    const N = total(expected);
    const base = rates(feature, actual, n, N);
    const unscored = { psi: null, kl: null, js: null, hellinger: null, ks: null, chi2: null, pValue: null, wasserstein: null, threshold: null };
    if (n < rule.minCount) return { ...base, ...unscored, status: 'insufficient_data' };
    if (allMissing(actual)) {
      // A broken feed, not a changed distribution: no PSI of a 100 % missing bin, and no drift verdict.
      const was = base.baselineMissingRate;
      return { ...base, ...unscored, status: 'missing',
        reason: `all ${n} values are missing (baseline: ${was === 0 ? 'none' : `${(100 * was).toFixed(was < 0.01 ? 2 : 1)} %`} missing)` };
    }
    const value = psi(expected, actual, rule.epsilon);
    const chi = chiSquareTest(expected, actual);
    const wasserstein = normalisedWasserstein(feature, expected, actual);
    // The effect criterion: PSI over its floor, or (numeric, `effect: wasserstein`) W1/sd over its own.
    const byW1 = rule.effect === 'wasserstein' && wasserstein !== null && constants[i] !== true;
    const significance = constants[i] === true ? 0 : thresholds.threshold(feature.name, expected, N, n, alpha);
    const threshold = byW1 ? significance : Math.max(rule.minEffectPsi, significance);
    const drifted = byW1 ? value > threshold && wasserstein >= rule.minEffectWasserstein : value > threshold;
    // meanTestable holds only for numeric features with a window sum.
    const shift = meanTests[i] === true ? meanShift(feature as NumericFeatureProfile, actual, sums![i]!, zThreshold, rule) : undefined;
    const rated = rateTests[i] === true ? quality(feature, expected, actual, n, N, rateAlpha, rule) : undefined;
    return {
      ...base,
      ...(shift === undefined ? {} : { meanShift: shift }),
      ...(rated === undefined ? {} : { quality: rated }),
      psi: value,
      kl: klDivergence(expected, actual, rule.epsilon),
      js: jensenShannonDistance(expected, actual),
      hellinger: hellingerDistance(expected, actual),
      ks: binnedKs(expected, actual),
      chi2: chi.statistic,
      pValue: chi.pValue,
      wasserstein,
      threshold,
      ...(constants[i] === true ? { constantBaseline: true } : {}),
      ...(byW1 ? { effect: 'wasserstein' as const } : {}),
      status: drifted || shift?.drift === true || rated?.missing.drift === true || rated?.outOfRange.drift === true ? 'drift' : 'ok',
    };
  });
  const n = ns.length > 0 ? Math.max(...ns) : 0;
  const constantFeatures = constants.filter(Boolean).length;
  const rateCount = 2 * rateTests.filter(Boolean).length;
  return { n, drift: features.some((f) => f.status === 'drift'), featuresTested: tested, meanTests: meanTests.filter(Boolean).length,
    ...(constantFeatures > 0 ? { constantFeatures } : {}), alphaPerFeature: alpha, ...(rateCount > 0 ? { rateTests: rateCount, alphaPerRateTest: rateAlpha } : {}), features };
}
