/**
 * Window-level false alarms (issue 15; not part of `npm test`): how often a window with no drift
 * at all raises any alarm, with the default settings (multivariate check on), on five features of
 * awkward shapes (scripts/lib/mixed-rows.ts). Each baseline is built by the real builder from
 * N = 10 000 rows; windows of n rows from the same distribution are counted by the real
 * ProfileCounter (projections included) and judged by the real scoreWindow with α = 0.01. Also
 * prints, per n, which check raised the alarms and the distribution of the mean test's z, and the
 * power for a 0.5 sd shift of one feature.
 *
 *   npm run sim:windows [-- --scale 0.25] [-- --baselines 10]
 */
import { mixedRows } from '../scripts/lib/mixed-rows.js';
import { ProfileCounter } from '../shared/core/aggregation/profile-counter.js';
import { parseDriftRule } from '../shared/core/drift/drift-rule.js';
import { scoreWindow } from '../shared/core/drift/score-window.js';
import { projectorsFor } from '../shared/core/multivariate/projector.js';
import { PsiThresholdCache } from '../shared/core/threshold/psi-threshold-cache.js';
import { buildBaseline } from '../shared/offline/baseline/build-baseline.js';
import { arrayRowSource } from '../shared/offline/input/row-source.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SCALE = arg('scale', 1);
const BASELINES = arg('baselines', 10);
const N = 10_000;
/** Windows per size (over all baselines), at scale 1. */
const WINDOWS: Record<number, number> = { 50: 20_000, 100: 20_000, 300: 20_000, 1000: 10_000, 10_000: 2_000, 100_000: 200 };
const POWER_SIZES = [500, 1000, 10_000];
const rule = parseDriftRule({});

interface Cell { windows: number; any: number; univariate: number; multivariatePsi: number; meanTest: number; z: number[] }
const cells = new Map<number, Cell>();
const power = new Map<number, { windows: number; flagged: number }>();

const started = performance.now();
for (let b = 0; b < BASELINES; b++) {
  const { profile } = await buildBaseline(arrayRowSource(mixedRows(N, 10_000 + b)), {});
  const projectors = projectorsFor(profile);
  const thresholds = new PsiThresholdCache(rule);
  const judge = (rows: Record<string, number | string>[]): ReturnType<typeof scoreWindow> => {
    const counter = new ProfileCounter(profile.features, { projectors });
    for (const row of rows) counter.add(row);
    return scoreWindow(profile, counter.counts, rule, thresholds, counter.sums);
  };
  for (const [nText, total] of Object.entries(WINDOWS)) {
    const n = Number(nText);
    const windows = Math.max(1, Math.round((total * SCALE) / BASELINES));
    const c = cells.get(n) ?? { windows: 0, any: 0, univariate: 0, multivariatePsi: 0, meanTest: 0, z: [] };
    cells.set(n, c);
    // One long stream per (baseline, n), cut into windows: cheaper than a generator per window.
    const rows = mixedRows(n * windows, b * 1_000_003 + n);
    for (let w = 0; w < windows; w++) {
      const score = judge(rows.slice(w * n, (w + 1) * n));
      c.windows++;
      if (score.drift) c.any++;
      const multivariate = score.features.filter((f) => f.role === 'multivariate');
      if (score.features.some((f) => f.role !== 'multivariate' && f.status === 'drift')) c.univariate++;
      if (multivariate.some((f) => f.psi !== null && f.threshold !== null && f.psi > f.threshold)) c.multivariatePsi++;
      if (multivariate.some((f) => f.meanShift?.drift === true)) c.meanTest++;
      for (const f of multivariate) if (f.meanShift !== undefined) c.z.push(f.meanShift.z);
    }
  }
  for (const n of POWER_SIZES) {
    const windows = Math.max(1, Math.round((200 * SCALE) / BASELINES));
    const p = power.get(n) ?? { windows: 0, flagged: 0 };
    power.set(n, p);
    const rows = mixedRows(n * windows, b * 7_919 + n, 0.5);
    for (let w = 0; w < windows; w++) {
      p.windows++;
      if (judge(rows.slice(w * n, (w + 1) * n)).features.some((f) => f.name === 'score' && f.status === 'drift')) p.flagged++;
    }
  }
  process.stderr.write(`baseline ${b + 1}/${BASELINES} done (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
}

const pct = (k: number, n: number): string => `${((100 * k) / n).toFixed(2)} %`;
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const sd = (xs: number[]): number => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
console.log(`\nNo-drift windows, ${BASELINES} baselines of ${N} rows, default rule (α = ${rule.alpha}), features: amount, visits, rating, segment, score (+ derived)\n`);
console.log('| n | windows | any feature | univariate only | multivariate PSI | mean test | z mean | z sd | P(z > 3) | P(z < −3) |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const [n, c] of [...cells].sort((a, b) => a[0] - b[0])) {
  console.log(`| ${n} | ${c.windows} | **${pct(c.any, c.windows)}** | ${pct(c.univariate, c.windows)} | ${pct(c.multivariatePsi, c.windows)} | ${pct(c.meanTest, c.windows)} | `
    + `${mean(c.z).toFixed(3)} | ${sd(c.z).toFixed(3)} | ${pct(c.z.filter((z) => z > 3).length, c.z.length)} | ${pct(c.z.filter((z) => z < -3).length, c.z.length)} |`);
}
console.log('\nPower: `score` shifted by 0.5 sd\n');
console.log('| n | windows | `score` flagged |');
console.log('|---:|---:|---:|');
for (const [n, p] of power) console.log(`| ${n} | ${p.windows} | ${pct(p.flagged, p.windows)} |`);
console.log(`\n${((performance.now() - started) / 1000).toFixed(0)} s`);
