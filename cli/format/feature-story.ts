import type { FeatureScore } from '../../shared/core/drift/feature-score.js';
import type { FeatureProfile } from '../../shared/core/profile/baseline-profile.js';
import type { Moments } from '../../shared/offline/scoring/numeric-moments.js';
import { num, pct } from './table.js';

/** Which way a feature moved, in numbers and in words. */
export interface Direction {
  /** Numeric: the file's mean and the baseline's, and the shift in baseline standard deviations. */
  mean?: { current: number; baseline: number; shiftSd: number | null };
  /** Categorical: the category whose share moved most (its name stays on the host, as in the baseline). */
  category?: { name: string; current: number; baseline: number };
  /** The sentence a person reads. */
  words: string;
}

const STATUS_RANK: Record<FeatureScore['status'], number> = { missing: 0, drift: 1, ok: 2, insufficient_data: 3 };

/** How far past (or short of) its threshold a feature's PSI is: the severity the report sorts by. */
export function severity(f: FeatureScore): number {
  if (f.psi === null || f.threshold === null || f.threshold === 0) return 0;
  return f.psi / f.threshold;
}

/** Features in the order a person should read them: broken feeds, then drift worst first, then the rest by severity. */
export function bySeverity<T extends { score: FeatureScore }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => STATUS_RANK[a.score.status] - STATUS_RANK[b.score.status] || severity(b.score) - severity(a.score));
}

/** The signed shift with its unit: +1.2 sd. */
const signed = (x: number, digits = 2): string => `${x >= 0 ? '+' : '−'}${Math.abs(x).toPrecision(digits)}`;

/** The direction of one feature, from the file's moments or counts against the baseline. */
export function direction(feature: FeatureProfile, score: FeatureScore, moments: Moments | undefined, counts: ArrayLike<number> | undefined): Direction | undefined {
  const parts: string[] = [];
  const out: Omit<Direction, 'words'> = {};
  if (feature.type === 'numeric' && moments !== undefined) {
    const shiftSd = feature.std > 0 ? (moments.mean - feature.mean) / feature.std : null;
    out.mean = { current: moments.mean, baseline: feature.mean, shiftSd };
    parts.push(`mean ${num(feature.mean)} → ${num(moments.mean)}${shiftSd === null ? '' : ` (${signed(shiftSd)} sd)`}`);
  }
  if (feature.type === 'categorical' && counts !== undefined && feature.categories.length > 0) {
    const n = Array.from(counts).reduce((a, b) => a + b, 0);
    let best = -1;
    let bestMove = -1;
    for (let i = 0; i < feature.categories.length + 1; i++) {
      const move = Math.abs((n > 0 ? counts[i]! / n : 0) - feature.proportions[i]!);
      if (move > bestMove) {
        bestMove = move;
        best = i;
      }
    }
    const name = best < feature.categories.length ? feature.categories[best]! : 'other';
    out.category = { name, current: n > 0 ? counts[best]! / n : 0, baseline: feature.proportions[best]! };
    parts.push(`'${name}' ${pct(out.category.baseline)} → ${pct(out.category.current)}`);
  }
  if (score.missingRate !== null && Math.abs(score.missingRate - score.baselineMissingRate) >= 0.01) parts.push(`missing ${pct(score.baselineMissingRate)} → ${pct(score.missingRate)}`);
  if (score.outOfRangeRate !== null && Math.abs(score.outOfRangeRate - score.baselineOutOfRangeRate) >= 0.01) {
    parts.push(`${feature.type === 'numeric' ? 'outside the baseline range' : 'outside the top categories'} ${pct(score.baselineOutOfRangeRate)} → ${pct(score.outOfRangeRate)}`);
  }
  if (parts.length === 0) return undefined;
  return { ...out, words: parts.join('; ') };
}

/** Why a flagged feature was flagged, in words: the distribution test, the mean test of a reconstruction error, or both. */
export function flaggedBecause(f: FeatureScore): string | undefined {
  if (f.status !== 'drift') return undefined;
  const reasons: string[] = [];
  if (f.psi !== null && f.threshold !== null && f.psi > f.threshold) {
    reasons.push(f.effect === 'wasserstein' ? `its distribution moved (PSI ${num(f.psi)} over ${num(f.threshold)}, W1 ${num(f.wasserstein)} sd)` : `its distribution moved (PSI ${num(f.psi)} over ${num(f.threshold)})`);
  }
  for (const [what, r] of [['missing rate', f.quality?.missing], ['share outside the baseline\'s range or top categories', f.quality?.outOfRange]] as const) {
    if (r?.drift === true) reasons.push(`its ${what} rose from ${pct(r.baselineRate)} to ${pct(r.rate)} (p ${r.pValue < 1e-4 ? '< 1e-4' : num(r.pValue)})`);
  }
  const m = f.meanShift;
  if (m?.drift === true) reasons.push(`its mean ${m.mean > m.baselineMean ? 'rose' : 'fell'} from ${num(m.baselineMean)} to ${num(m.mean)} (z ${num(m.z)} beyond ${num(m.zThreshold)})`);
  if (f.role === 'multivariate' && reasons.length > 0) reasons.push('the inputs no longer fit the baseline\'s correlations: rows lie off the principal subspace');
  return reasons.length === 0 ? undefined : reasons.join('; ');
}
