import type { FeatureScore, WindowScore } from '../../shared/core/drift/feature-score.js';
import type { DriftRule } from '../../shared/core/drift/drift-rule.js';
import type { BaselineProfile } from '../../shared/core/profile/baseline-profile.js';
import type { Moments } from '../../shared/offline/scoring/numeric-moments.js';
import { bySeverity, direction, flaggedBecause, severity, type Direction } from './feature-story.js';
import { formatTable, num, pct } from './table.js';

/** What the score knows beyond the window's scores: the baseline, and the file's moments and counts per feature (profile order). */
export interface ScoreContext {
  profile: BaselineProfile;
  moments: readonly (Moments | undefined)[];
  counts: readonly ArrayLike<number>[];
}

interface Told {
  score: FeatureScore;
  direction: Direction | undefined;
  because: string | undefined;
}

/** Each feature with its direction and reason, worst first. */
function told(score: WindowScore, context: ScoreContext): Told[] {
  return bySeverity(score.features.map((f, i) => ({ score: f, direction: direction(context.profile.features[i]!, f, context.moments[i], context.counts[i]), because: flaggedBecause(f) })));
}

/** The `--json` shape of `driftwatch score` (a stable contract: docs/cli.md): every figure the table shows, features worst first. */
export function scoreJson(score: WindowScore, context: ScoreContext): object {
  return {
    n: score.n,
    drift: score.drift,
    judged: score.features.some((f) => f.status !== 'insufficient_data'),
    summary: summary(score, told(score, context)),
    features: told(score, context).map(({ score: f, direction: d, because }) => ({
      name: f.name,
      type: f.type,
      role: f.role,
      n: f.n,
      psi: f.psi,
      kl: f.kl,
      js: f.js,
      hellinger: f.hellinger,
      ks: f.ks,
      chi2: f.chi2,
      pValue: f.pValue,
      wasserstein: f.wasserstein,
      missingRate: f.missingRate,
      baselineMissingRate: f.baselineMissingRate,
      outOfRangeRate: f.outOfRangeRate,
      baselineOutOfRangeRate: f.baselineOutOfRangeRate,
      threshold: f.threshold,
      severity: severity(f),
      ...(d === undefined ? {} : { direction: d }),
      ...(f.meanShift === undefined ? {} : { meanShift: f.meanShift }),
      ...(f.quality === undefined ? {} : { quality: f.quality }),
      ...(f.constantBaseline === true ? { constantBaseline: true } : {}),
      ...(f.effect === undefined ? {} : { effect: f.effect }),
      ...(f.reason === undefined ? {} : { reason: f.reason }),
      ...(because === undefined ? {} : { flaggedBecause: because }),
      status: f.status,
    })),
  };
}

function rows(features: Told[]): string[][] {
  return features.map(({ score: f, direction: d }) => [
    f.name,
    f.type,
    String(f.n),
    num(f.psi),
    num(f.threshold),
    num(f.js),
    num(f.ks),
    f.pValue === null ? '-' : f.pValue < 1e-4 ? '<1e-4' : f.pValue.toFixed(4),
    num(f.wasserstein),
    `${pct(f.baselineMissingRate)} -> ${pct(f.missingRate)}`,
    `${pct(f.baselineOutOfRangeRate)} -> ${pct(f.outOfRangeRate)}`,
    f.status === 'drift' ? 'DRIFT' : f.status === 'insufficient_data' ? 'insufficient data' : f.status === 'missing' ? 'ALL MISSING' : 'ok',
    d?.words ?? '',
  ]);
}

/** The verdict in one sentence: what drifted, worst first, how much; or why nothing was judged. */
function summary(score: WindowScore, features: readonly Told[]): string {
  const drifted = features.filter((t) => t.score.status === 'drift');
  const broken = features.filter((t) => t.score.status === 'missing');
  if (!features.some((t) => t.score.status !== 'insufficient_data')) return `Not judged: ${score.n} rows are too few to judge drift.`;
  const lead = broken.length > 0 ? `${broken.length} feature(s) all missing (a broken feed): ${broken.map((t) => t.score.name).join(', ')}. ` : '';
  if (drifted.length === 0) return `${lead}No drift in ${score.features.length} features over ${score.n} rows.`;
  const worst = drifted.slice(0, 3).map((t) => `${t.score.name} (PSI ${num(t.score.psi)}${t.direction === undefined ? '' : `, ${t.direction.words.split('; ')[0]!}`})`);
  return `${lead}Drift in ${drifted.length} of ${score.features.length} features over ${score.n} rows; worst: ${worst.join(', ')}${drifted.length > 3 ? `; then ${drifted.slice(3).map((t) => t.score.name).join(', ')}` : ''}.`;
}

/** The readable report: inputs and prediction signals in two tables, worst first, then the verdict. */
export function scoreTable(score: WindowScore, rule: DriftRule, context: ScoreContext): string {
  const header = ['feature', 'type', 'n', 'PSI', 'threshold', 'JS', 'KS', 'chi2 p', 'W1/sd', 'missing', 'out of range', 'status', 'direction'];
  const numeric = [false, false, true, true, true, true, true, true, true, false, false, false, false];
  const all = told(score, context);
  const inputs = all.filter((t) => t.score.role === 'input');
  const projected = all.filter((t) => t.score.role === 'multivariate' || t.score.role === 'embedding');
  const signals = all.filter((t) => t.score.role !== 'input' && !projected.includes(t));
  const parts = [
    `${score.n} rows; alpha ${rule.alpha} over ${score.featuresTested - (score.constantFeatures ?? 0)} tested feature(s)`
      + `${(score.meanTests ?? 0) > 0 ? ` and ${score.meanTests} mean test(s)` : ''} (${num(score.alphaPerFeature)} each)`
      + `${score.rateTests === undefined ? '' : `, ${rule.qualityShare * 100} % of it over ${score.rateTests} data-quality rate test(s) (${num(score.alphaPerRateTest ?? null)} each)`}`
      + `${(score.constantFeatures ?? 0) > 0 ? `; ${score.constantFeatures} feature(s) constant in the baseline, judged by the effect floor alone` : ''}`
      + (rule.effect === 'wasserstein'
        ? `; minimum effect W1/sd ${rule.minEffectWasserstein} (numeric features), PSI ${rule.minEffectPsi} (categorical)`
        : `; minimum effect PSI ${rule.minEffectPsi}`),
    '',
    formatTable(header, rows(inputs), numeric),
  ];
  if (signals.length > 0) parts.push('', 'prediction signals', formatTable(header, rows(signals), numeric));
  if (projected.length > 0) {
    parts.push('', 'multivariate (PCA reconstruction error and embedding component scores)', formatTable(header, rows(projected), numeric));
    for (const { score: f, because } of projected) {
      const m = f.meanShift;
      if (m !== undefined) {
        parts.push(`${f.name}: mean ${num(m.mean)} against the baseline's ${num(m.baselineMean)} ± ${num(m.zThreshold * m.standardError)} `
          + `(${num(m.zThreshold)} standard errors); z = ${num(m.z)}${m.drift ? ', DRIFT' : ''}`);
      }
      if (because !== undefined) parts.push(`${f.name} flagged: ${because}.`);
    }
  }
  for (const { score: f } of all.filter((g) => g.score.status === 'missing')) parts.push(`${f.name}: ${f.reason ?? 'all values are missing'}: a broken feed, not drift.`);
  parts.push('', summary(score, all));
  return parts.join('\n');
}
