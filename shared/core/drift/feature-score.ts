import type { FeatureRole } from '../profile/baseline-profile.js';

/** A rate that rose (missing values, or values outside the baseline's range or top categories): the data-quality test. */
export interface RateRise {
  rate: number;
  baselineRate: number;
  /** One-sided Fisher exact p-value of a rise against the baseline's counts. */
  pValue: number;
  /** True when pValue is below the window's per-test alpha for rate tests and the rise reaches the minimum effect. */
  drift: boolean;
}

/** A feature's verdict for one window. */
export type FeatureStatus = 'ok' | 'drift' | 'insufficient_data' | 'missing';

/** Every score of one feature in one window. Scores are null when the window is too small. */
export interface FeatureScore {
  name: string;
  type: 'numeric' | 'categorical';
  role: FeatureRole;
  /** Rows in the window (missing values included). */
  n: number;
  psi: number | null;
  /** KL(window ‖ baseline) in nats, ε-floored. */
  kl: number | null;
  /** Jensen–Shannon distance (natural log). */
  js: number | null;
  hellinger: number | null;
  /** Binned Kolmogorov–Smirnov statistic. */
  ks: number | null;
  /** Chi-square statistic of homogeneity against the baseline counts. */
  chi2: number | null;
  pValue: number | null;
  /** Binned Wasserstein-1 over baseline standard deviations; null for categorical features. */
  wasserstein: number | null;
  /** Share of missing values in the window, and in the baseline. */
  missingRate: number | null;
  baselineMissingRate: number;
  /** Numeric: share outside the baseline range. Categorical: share outside the top-K categories. */
  outOfRangeRate: number | null;
  baselineOutOfRangeRate: number;
  /**
   * For a PCA reconstruction error (role `multivariate`): the window's mean error against the
   * baseline mean. Absent when the window's sum is unknown (privacy noise) or too few rows.
   */
  meanShift?: MeanShift;
  /** The data-quality tests (absent when off, or for a feature derived from a projection): a significant rise flags the feature. */
  quality?: { missing: RateRise; outOfRange: RateRise };
  /** The PSI above which the feature is flagged: max(significance threshold, minimum effect). */

  threshold: number | null;
  /** Why the feature has no scores: `missing` says how many values were missing, against the baseline's rate. */
  reason?: string;
  /** Judged by `effect: wasserstein`: `threshold` is the significance part alone, and W1/sd must reach `minEffectWasserstein`. */
  effect?: 'wasserstein';
  /** The baseline holds one value: judged by the effect floor alone, outside the Bonferroni family. */
  constantBaseline?: true;
  status: FeatureStatus;
}

/** A whole window's verdict. */
export interface WindowScore {
  /** Rows in the window. */
  n: number;
  /** True when any feature drifts. */
  drift: boolean;
  /** Features with enough data to be tested. */
  featuresTested: number;
  /** Window-mean tests of reconstruction errors run besides the features' PSI tests (absent: none, or a report from before 1.2 baselines). */
  meanTests?: number;
  /** Tested features whose baseline holds one value (not in the Bonferroni family; absent: none). */
  constantFeatures?: number;
  /** Significance level each PSI and mean test was held to: alpha (less the quality share) over featuresTested − constantFeatures + meanTests (Bonferroni). */
  alphaPerFeature: number;
  /** Rate tests run (two per feature judged; absent when off), and the alpha each was held to. */
  rateTests?: number;
  alphaPerRateTest?: number;
  features: FeatureScore[];
}

/** The window mean of a feature against its baseline mean, in standard errors. */
export interface MeanShift {
  /** Mean over the window's non-missing values. */
  mean: number;
  baselineMean: number;
  /** Standard error of the raw means' difference, sd * sqrt(1/n + 1/N) (for the reader; the test uses the mean rank). */
  standardError: number;
  /** Mean rank (ridit) of the window's values in the baseline's held-out distribution: 0.5 without drift. */
  meanRank: number;
  /** The mean rank's distance from 0.5, in its standard errors (what is tested). */
  z: number;
  /** The two-sided critical value of z at the window's per-test alpha. */
  zThreshold: number;
  /** True when |z| > zThreshold and the shift is at least the minimum effect (in baseline standard deviations). */
  drift: boolean;
}
