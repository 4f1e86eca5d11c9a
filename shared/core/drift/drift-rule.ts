import { z } from 'zod';
import { DwError } from '../../platform/errors.js';

/**
 * Settings of the calibrated drift decision (docs/drift-statistics.md). A feature drifts when its
 * PSI exceeds both the significance threshold for the window size and the minimum effect size.
 */
export const driftRuleSchema = z
  .object({
    /** Family-wise false-alarm rate per window, before the correction for several features. */
    alpha: z.number().gt(0).lt(0.5).default(0.01),
    /** How alpha is shared between the features tested in one window. */
    correction: z.enum(['bonferroni', 'none']).default('bonferroni'),
    /** Smallest PSI that counts as practically large, whatever the significance. */
    minEffectPsi: z.number().min(0).default(0.1),
    /**
     * The practical-size criterion of a numeric feature: `psi` (PSI ≥ minEffectPsi) or
     * `wasserstein` (binned W1 ≥ minEffectWasserstein baseline standard deviations, which sees
     * small mean shifts at large n that a PSI floor misses). Categorical features always use PSI.
     */
    effect: z.enum(['psi', 'wasserstein']).default('psi'),
    /** With `effect: wasserstein`: the smallest binned W1 distance, in baseline standard deviations, that counts. */
    minEffectWasserstein: z.number().min(0).default(0.1),
    /**
     * A reconstruction error also drifts when its window's mean rank in the baseline's held-out
     * errors is significant and its mean moved at least this many baseline standard deviations.
     */
    minEffectMeanShift: z.number().min(0).default(0.1),
    /**
     * Data quality in the verdict: the share of alpha spent on testing, per feature, whether its
     * missing rate and its out-of-range rate rose (one-sided Fisher exact tests against the
     * baseline's counts); the PSI and mean tests share the rest. 0 turns the rate tests off.
     */
    qualityShare: z.number().min(0).max(0.5).default(0.2),
    /** A rate rise counts only when it is at least this large (absolute: 0.05 = five percentage points). */
    minEffectRate: z.number().min(0).max(1).default(0.05),
    /** Windows with fewer rows report "insufficient_data" instead of scores. */

    minCount: z.number().int().min(1).default(50),
    /** PSI and KL floor for empty bins. */
    epsilon: z.number().gt(0).max(0.01).default(1e-4),
    /**
     * Thresholds come from Monte-Carlo draws while the smallest occupied baseline bin expects fewer
     * than this many window rows, from the χ² form otherwise.
     */
    monteCarloMinExpected: z.number().min(0).default(20),
    /** Windows larger than this always use the χ² form. */
    monteCarloMaxN: z.number().int().min(0).default(5000),
    /** Simulated windows per Monte-Carlo threshold; 0 = automatic (50 / α', at least 2 000). */
    monteCarloDraws: z.number().int().min(0).max(1_000_000).default(0),
  })
  .strict()
  .refine((rule) => rule.monteCarloDraws === 0 || rule.monteCarloDraws >= 1000, {
    message: 'monteCarloDraws must be 0 (automatic) or at least 1000',
    path: ['monteCarloDraws'],
  });

/** Validated, complete drift-rule settings. */
export type DriftRule = Readonly<z.infer<typeof driftRuleSchema>>;

/** The default rule: α = 0.01 Bonferroni-corrected, PSI ≥ 0.1, at least 50 rows. */
export const DEFAULT_DRIFT_RULE: DriftRule = Object.freeze(driftRuleSchema.parse({}));

/** Validates partial settings over the defaults; errors name the setting. */
export function parseDriftRule(input: unknown, prefix = 'drift'): DriftRule {
  const result = driftRuleSchema.safeParse(input ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = [prefix, ...issue.path.map(String)].join('.');
    throw new DwError('DW_ERR_CONFIG', `${path}: ${issue.message}`, { field: path });
  }
  return Object.freeze(result.data);
}

/** The per-feature significance level after the multiple-testing correction. */
export function perFeatureAlpha(rule: DriftRule, featuresTested: number): number {
  return rule.correction === 'bonferroni' && featuresTested > 1 ? rule.alpha / featuresTested : rule.alpha;
}
