import type { FeatureScore, WindowScore } from '../../shared/core/drift/feature-score.js';
import type { DriftRule } from '../../shared/core/drift/drift-rule.js';
import { formatTable, num, pct } from './table.js';

/** The `--json` shape of `driftwatch score` (a stable contract: docs/cli.md). */
export function scoreJson(score: WindowScore): object {
  return {
    n: score.n,
    drift: score.drift,
    features: score.features.map((f) => ({
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
      threshold: f.threshold,
      ...(f.meanShift === undefined ? {} : { meanShift: f.meanShift }),
      ...(f.constantBaseline === true ? { constantBaseline: true } : {}),
      ...(f.effect === undefined ? {} : { effect: f.effect }),
      ...(f.reason === undefined ? {} : { reason: f.reason }),
      status: f.status,
    })),
  };
}

function rows(features: FeatureScore[]): string[][] {
  return features.map((f) => [
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
  ]);
}

/** The readable report: inputs and prediction signals in two tables, then the verdict. */
export function scoreTable(score: WindowScore, rule: DriftRule): string {
  const header = ['feature', 'type', 'n', 'PSI', 'threshold', 'JS', 'KS', 'chi2 p', 'W1/sd', 'missing', 'out of range', 'status'];
  const numeric = [false, false, true, true, true, true, true, true, true, false, false, false];
  const inputs = score.features.filter((f) => f.role === 'input');
  const projected = score.features.filter((f) => f.role === 'multivariate' || f.role === 'embedding');
  const signals = score.features.filter((f) => f.role !== 'input' && !projected.includes(f));
  const parts = [
    `${score.n} rows; alpha ${rule.alpha} over ${score.featuresTested - (score.constantFeatures ?? 0)} tested feature(s)`
      + `${(score.meanTests ?? 0) > 0 ? ` and ${score.meanTests} mean test(s)` : ''} (${num(score.alphaPerFeature)} each)`
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
    for (const f of projected) {
      const m = f.meanShift;
      if (m === undefined) continue;
      parts.push(`${f.name}: mean ${num(m.mean)} against the baseline's ${num(m.baselineMean)} ± ${num(m.zThreshold * m.standardError)} `
        + `(${num(m.zThreshold)} standard errors); z = ${num(m.z)}${m.drift ? ', DRIFT' : ''}`);
    }
  }
  for (const f of score.features.filter((g) => g.status === 'missing')) parts.push(`${f.name}: ${f.reason ?? 'all values are missing'}: a broken feed, not drift.`);
  const drifted = score.features.filter((f) => f.status === 'drift').map((f) => f.name);
  const insufficient = score.features.some((f) => f.status === 'insufficient_data');
  parts.push('');
  if (drifted.length > 0) parts.push(`Drift in ${drifted.length} of ${score.features.length} features: ${drifted.join(', ')}.`);
  else if (insufficient) parts.push(`Not enough rows to judge drift (fewer than ${rule.minCount}).`);
  else parts.push('No drift.');
  return parts.join('\n');
}
