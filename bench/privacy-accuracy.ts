/**
 * What differential privacy costs the drift verdict (docs/security.md). Not part of `npm test`.
 *   npx tsx bench/privacy-accuracy.ts
 *
 * Setup: a 10-feature model (N(0, 1) training data, 10 000 rows, decile bins, built by the real
 * builder), so Δ = 11. Windows of n rows with no drift, and with every feature shifted by 0.5 sd;
 * each window scored exactly and after `noiseWindow` (discrete Laplace, scale Δ/ε) by the real
 * scoreWindow (the noisy counts against thresholds that simulate the noise, as the agent does).
 * Reported: the PSI error per feature (mean and 95th percentile of |noisy − exact|), and the share
 * of windows flagged as drifting, exactly and with privacy.
 */
import { buildBaseline } from '../shared/offline/baseline/build-baseline.js';
import { numericBinIndex } from '../shared/core/binning/numeric-bins.js';
import { parseDriftRule } from '../shared/core/drift/drift-rule.js';
import { scoreWindow, thresholdRequests } from '../shared/core/drift/score-window.js';
import { arrayRowSource } from '../shared/offline/input/row-source.js';
import { laplaceScale } from '../shared/core/privacy/discrete-laplace.js';
import { noiseWindow } from '../shared/core/privacy/window-noise.js';
import type { NumericFeatureProfile } from '../shared/core/profile/baseline-profile.js';
import { PsiThresholdCache } from '../shared/core/threshold/psi-threshold-cache.js';
import { seededNormal } from '../scripts/lib/seeded-normal.js';

const FEATURES = 10;
const WINDOWS = 100;
const rule = parseDriftRule({});
const { normal } = seededNormal(42);
const train = Array.from({ length: 10_000 }, () => Object.fromEntries(Array.from({ length: FEATURES }, (_, j) => [`x${j}`, normal()])));
const { profile } = await buildBaseline(arrayRowSource(train), { bins: 10 });
const edges = profile.features.map((f) => Float64Array.from((f as NumericFeatureProfile).edges));
const thresholds = new PsiThresholdCache(rule);

const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const f = (x: number, d = 4): string => x.toFixed(d);

console.log(`driftwatch differential-privacy accuracy: ${FEATURES} features (Δ = ${FEATURES + 1}), ${WINDOWS} windows per cell`);
console.log('');
console.log('| n | ε | drift | PSI exact (median) | |PSI error| mean | |PSI error| p95 | windows flagged: exact | with DP |');
console.log('|---:|---:|---|---:|---:|---:|---:|---:|');
for (const n of [1000, 10_000]) {
  for (const epsilon of [1, 0.1]) {
    // The agent scores noisy counts against thresholds that simulate the same noise.
    const noisyThresholds = new PsiThresholdCache({ ...rule, noise: laplaceScale(FEATURES + 1, epsilon) });
    for (const shift of [0, 0.5]) {
      const rng = seededNormal(n + Math.round(epsilon * 100) + shift * 1000);
      const errors: number[] = [];
      const exactPsi: number[] = [];
      let flaggedExact = 0;
      let flaggedPrivate = 0;
      for (let w = 0; w < WINDOWS; w++) {
        const counts = profile.features.map((p) => new Float64Array(p.counts.length));
        for (let i = 0; i < n; i++) for (let j = 0; j < FEATURES; j++) counts[j]![numericBinIndex(edges[j]!, rng.normal() + shift)]!++;
        const noisy = noiseWindow(counts, n, {}, epsilon).counts;
        await thresholds.prepare(thresholdRequests(profile, counts, rule));
        await noisyThresholds.prepare(thresholdRequests(profile, noisy, rule));
        const exact = scoreWindow(profile, counts, rule, thresholds);
        const private_ = scoreWindow(profile, noisy, rule, noisyThresholds);
        if (exact.drift) flaggedExact++;
        if (private_.drift) flaggedPrivate++;
        exact.features.forEach((e, j) => {
          exactPsi.push(e.psi!);
          errors.push(Math.abs(private_.features[j]!.psi! - e.psi!));
        });
      }
      console.log(`| ${n.toLocaleString('en-US')} | ${epsilon} | ${shift === 0 ? 'none' : '0.5 sd'} | ${f(quantile(exactPsi, 0.5))} | ${f(errors.reduce((a, b) => a + b, 0) / errors.length)} | ${f(quantile(errors, 0.95))} | ${((100 * flaggedExact) / WINDOWS).toFixed(0)} % | ${((100 * flaggedPrivate) / WINDOWS).toFixed(0)} % |`);
    }
  }
}
