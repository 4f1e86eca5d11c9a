/**
 * Simulation behind docs/drift-statistics.md: the false-alarm rate on no-drift windows and the
 * detection rate for mean shifts, for driftwatch's calibrated rule and for fixed PSI thresholds.
 * Not part of `npm test`. Run: `npm run sim:drift` (add `-- --scale 0.25` for a quick look).
 *
 * Setup: one numeric feature, N(0, 1) training data (N = 10 000 rows, 10 quantile bins, built by
 * the real baseline builder), 20 independent baselines; windows of n rows from N(δ, 1), binned
 * with the real binner and judged by the real scoreWindow with α = 0.01.
 */
import { buildBaseline } from '../shared/offline/baseline/build-baseline.js';
import { numericBinIndex } from '../shared/core/binning/numeric-bins.js';
import { parseDriftRule } from '../shared/core/drift/drift-rule.js';
import { scoreWindow } from '../shared/core/drift/score-window.js';
import { psi } from '../shared/core/divergence/psi.js';
import { arrayRowSource } from '../shared/offline/input/row-source.js';
import type { NumericFeatureProfile } from '../shared/core/profile/baseline-profile.js';
import { PsiThresholdCache } from '../shared/core/threshold/psi-threshold-cache.js';
import { seededNormal } from '../scripts/lib/seeded-normal.js';

const scaleArg = process.argv.indexOf('--scale');
const scale = scaleArg > 0 ? Number(process.argv[scaleArg + 1]) : 1;
const BASELINES = 20;
const N = 10_000;
const SHIFTS = [0, 0.1, 0.25, 0.5];
const WINDOWS: Record<number, number> = { 50: 20_000, 100: 20_000, 300: 8_000, 500: 6_000, 1000: 4_000, 10_000: 1_000, 100_000: 200 };
const SIZES = Object.keys(WINDOWS).map(Number);
const rule = parseDriftRule({ alpha: 0.01 });

interface Cell { calibrated: number; fixed10: number; fixed25: number; windows: number; thresholds: number[] }
const cells = new Map<string, Cell>();
const cell = (n: number, shift: number): Cell => {
  const key = `${n}/${shift}`;
  let c = cells.get(key);
  if (c === undefined) cells.set(key, (c = { calibrated: 0, fixed10: 0, fixed25: 0, windows: 0, thresholds: [] }));
  return c;
};

const started = performance.now();
for (let b = 0; b < BASELINES; b++) {
  const { normal } = seededNormal(1000 + b);
  // A name per baseline: Monte-Carlo seeds derive from it, so baselines get independent draws.
  const train = Array.from({ length: N }, () => ({ [`x${b}`]: normal() }));
  const { profile } = await buildBaseline(arrayRowSource(train), { bins: 10 });
  const feature = profile.features[0] as NumericFeatureProfile;
  const edges = Float64Array.from(feature.edges);
  const thresholds = new PsiThresholdCache(rule);
  const counts = new Float64Array(feature.counts.length);
  for (const n of SIZES) {
    const windows = Math.max(1, Math.round((WINDOWS[n]! * scale) / BASELINES));
    for (const shift of SHIFTS) {
      const c = cell(n, shift);
      const rng = seededNormal(b * 7919 + n * 31 + Math.round(shift * 100));
      for (let w = 0; w < windows; w++) {
        counts.fill(0);
        for (let i = 0; i < n; i++) counts[numericBinIndex(edges, rng.normal() + shift)]!++;
        const verdict = scoreWindow(profile, [counts], rule, thresholds).features[0]!;
        const value = psi(feature.counts, counts, rule.epsilon);
        c.windows++;
        if (verdict.status === 'drift') c.calibrated++;
        if (value > 0.1) c.fixed10++;
        if (value > 0.25) c.fixed25++;
        if (w === 0) c.thresholds.push(verdict.threshold!);
      }
    }
  }
  process.stderr.write(`baseline ${b + 1}/${BASELINES} done (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
}

const pct = (x: number, total: number): string => `${((100 * x) / total).toFixed(1)} %`;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const lines: string[] = [];
lines.push(`Windows per cell: ${SIZES.map((n) => `n=${n}: ${cell(n, 0).windows}`).join(', ')}; ${BASELINES} baselines of N = ${N}; alpha = ${rule.alpha}, minimum effect PSI ${rule.minEffectPsi}.`, '');
lines.push('| n | calibrated threshold (median) | false alarms: calibrated | PSI > 0.1 | PSI > 0.25 |');
lines.push('|---:|---:|---:|---:|---:|');
for (const n of SIZES) {
  const c = cell(n, 0);
  lines.push(`| ${n} | ${median(c.thresholds).toFixed(4)} | ${pct(c.calibrated, c.windows)} | ${pct(c.fixed10, c.windows)} | ${pct(c.fixed25, c.windows)} |`);
}
for (const shift of SHIFTS.slice(1)) {
  lines.push('', `Detection of a ${shift} sd mean shift:`, '');
  lines.push('| n | calibrated | PSI > 0.1 | PSI > 0.25 |', '|---:|---:|---:|---:|');
  for (const n of SIZES) {
    const c = cell(n, shift);
    lines.push(`| ${n} | ${pct(c.calibrated, c.windows)} | ${pct(c.fixed10, c.windows)} | ${pct(c.fixed25, c.windows)} |`);
  }
}
lines.push('', `Simulated in ${((performance.now() - started) / 1000).toFixed(0)} s.`);
process.stdout.write(`${lines.join('\n')}\n`);
