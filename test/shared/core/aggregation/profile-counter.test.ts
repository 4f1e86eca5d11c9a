import { describe, expect, it } from 'vitest';
import { ProfileCounter } from '../../../../shared/core/aggregation/profile-counter.js';
import { buildBaseline } from '../../../../shared/offline/baseline/build-baseline.js';
import { DEFAULT_DRIFT_RULE } from '../../../../shared/core/drift/drift-rule.js';
import { scoreWindow } from '../../../../shared/core/drift/score-window.js';
import { arrayRowSource } from '../../../../shared/offline/input/row-source.js';
import { projectorsFor } from '../../../../shared/core/multivariate/projector.js';
import { seededUniform } from '../../../../shared/core/stats/seeded-random.js';
import { PsiThresholdCache } from '../../../../shared/core/threshold/psi-threshold-cache.js';
import { reconstructionError } from '../../../helpers/reconstruction-error.js';

const u = seededUniform(3);
const rows = Array.from({ length: 400 }, () => {
  const a = u();
  return { a, b: a + 0.1 * u(), c: u() };
});
const { profile } = await buildBaseline(arrayRowSource(rows), {});
const index = profile.features.findIndex((f) => f.role === 'multivariate');

describe('the window sums of a reconstruction error', () => {
  it('add up each counted record\'s error, and nothing for other features', () => {
    const counter = new ProfileCounter(profile.features, { projectors: projectorsFor(profile) });
    for (const r of rows.slice(0, 100)) expect(counter.add(r)).toBeUndefined();
    const expected = rows.slice(0, 100).reduce((s, r) => s + reconstructionError(profile, r), 0);
    expect(counter.sums[index]).toBeCloseTo(expected, 9);
    expect(Array.from(counter.sums).filter((_, i) => i !== index)).toEqual([0, 0, 0]);
  });

  it('become unknown when counts arrive without them, so the window mean is not tested rather than taken as 0', () => {
    const counter = new ProfileCounter(profile.features, { projectors: projectorsFor(profile) });
    for (const r of rows.slice(0, 100)) counter.add(r);
    const restored = new ProfileCounter(profile.features, { projectors: projectorsFor(profile) });
    restored.restore(counter.counts, counter.n);
    expect(Number.isNaN(restored.sums[index])).toBe(true);
    const score = scoreWindow(profile, restored.counts, DEFAULT_DRIFT_RULE, new PsiThresholdCache(DEFAULT_DRIFT_RULE), restored.sums);
    expect(score.features[index]!.meanShift).toBeUndefined();
    restored.restore(counter.counts, counter.n, counter.sums);
    const again = scoreWindow(profile, restored.counts, DEFAULT_DRIFT_RULE, new PsiThresholdCache(DEFAULT_DRIFT_RULE), restored.sums);
    expect(again.features[index]!.meanShift!.mean).toBeCloseTo(counter.sums[index]! / 100, 12);
  });
});
