/**
 * Effect-size criteria (issue 15, point 4; not part of `npm test`): how often the calibrated rule
 * flags a 0.25 sd mean shift and a ×1.5 standard deviation, by window size, with the default effect
 * floor (PSI ≥ 0.1) and with candidate second criteria on the same windows: binned W1/sd ≥ w and
 * binned KS ≥ k, each still behind the same significance test (PSI > t(n)). Also the false alarms
 * of each criterion on windows with no change.
 *
 * Setup as in bench/drift-statistics.ts: one numeric feature, N(0, 1) training data
 * (N = 10 000 rows, 10 bins, the real builder), 10 baselines; windows of n rows binned by the real
 * binner and judged by the real scoreWindow with α = 0.01.
 *
 *   npx tsx bench/effect-size.ts [--scale 0.25]
 */
import { seededNormal } from '../scripts/lib/seeded-normal.js';
import { numericBinIndex } from '../shared/core/binning/numeric-bins.js';
import { parseDriftRule } from '../shared/core/drift/drift-rule.js';
import { scoreWindow } from '../shared/core/drift/score-window.js';
import type { NumericFeatureProfile } from '../shared/core/profile/baseline-profile.js';
import { PsiThresholdCache } from '../shared/core/threshold/psi-threshold-cache.js';
import { buildBaseline } from '../shared/offline/baseline/build-baseline.js';
import { arrayRowSource } from '../shared/offline/input/row-source.js';

const scaleArg = process.argv.indexOf('--scale');
const SCALE = scaleArg > 0 ? Number(process.argv[scaleArg + 1]) : 1;
const BASELINES = 10;
const N = 10_000;
const WINDOWS: Record<number, number> = { 100: 4_000, 300: 4_000, 1000: 2_000, 10_000: 500, 100_000: 100 };
const CHANGES = [
  { name: 'none', shift: 0, sd: 1 },
  { name: '0.25 sd shift', shift: 0.25, sd: 1 },
  { name: 'sd ×1.5', shift: 0, sd: 1.5 },
];
const W1_FLOORS = [0.05, 0.1];
const KS_FLOORS = [0.05, 0.1];
// The significance part alone: the effect floor of the rule is set to 0 and applied here.
const rule = parseDriftRule({ alpha: 0.01, minEffectPsi: 0 });

type Tally = Record<string, number>;
const tallies = new Map<string, { windows: number; flagged: Tally }>();
const started = performance.now();
for (let b = 0; b < BASELINES; b++) {
  const { normal } = seededNormal(5000 + b);
  const { profile } = await buildBaseline(arrayRowSource(Array.from({ length: N }, () => ({ [`x${b}`]: normal() }))), { bins: 10 });
  const feature = profile.features[0] as NumericFeatureProfile;
  const edges = Float64Array.from(feature.edges);
  const thresholds = new PsiThresholdCache(rule);
  const counts = new Float64Array(feature.counts.length);
  for (const [nText, total] of Object.entries(WINDOWS)) {
    const n = Number(nText);
    const windows = Math.max(1, Math.round((total * SCALE) / BASELINES));
    for (const change of CHANGES) {
      const key = `${change.name}/${n}`;
      const t = tallies.get(key) ?? { windows: 0, flagged: {} };
      tallies.set(key, t);
      const rng = seededNormal(b * 104_729 + n * 17 + Math.round(change.shift * 100) + Math.round(change.sd * 1000));
      for (let w = 0; w < windows; w++) {
        counts.fill(0);
        for (let i = 0; i < n; i++) counts[numericBinIndex(edges, change.shift + change.sd * rng.normal())]!++;
        const f = scoreWindow(profile, [counts], rule, thresholds).features[0]!;
        t.windows++;
        const significant = f.psi! > f.threshold!;
        const flag = (name: string, yes: boolean): void => { if (yes) t.flagged[name] = (t.flagged[name] ?? 0) + 1; };
        flag('PSI ≥ 0.1 (default)', significant && f.psi! >= 0.1);
        for (const w1 of W1_FLOORS) flag(`W1/sd ≥ ${w1}`, significant && f.wasserstein! >= w1);
        for (const ks of KS_FLOORS) flag(`KS ≥ ${ks}`, significant && f.ks! >= ks);
      }
    }
  }
  process.stderr.write(`baseline ${b + 1}/${BASELINES} (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
}

const criteria = ['PSI ≥ 0.1 (default)', ...W1_FLOORS.map((w) => `W1/sd ≥ ${w}`), ...KS_FLOORS.map((k) => `KS ≥ ${k}`)];
for (const change of CHANGES) {
  console.log(`\n${change.name === 'none' ? 'False alarms (no change)' : `Detection: ${change.name}`}, α = ${rule.alpha}, one feature\n`);
  console.log(`| n | windows | ${criteria.join(' | ')} |`);
  console.log(`|---:|---:|${criteria.map(() => '---:').join('|')}|`);
  for (const n of Object.keys(WINDOWS).map(Number)) {
    const t = tallies.get(`${change.name}/${n}`)!;
    console.log(`| ${n} | ${t.windows} | ${criteria.map((c) => `${((100 * (t.flagged[c] ?? 0)) / t.windows).toFixed(1)} %`).join(' | ')} |`);
  }
}
console.log(`\n${((performance.now() - started) / 1000).toFixed(0)} s`);
