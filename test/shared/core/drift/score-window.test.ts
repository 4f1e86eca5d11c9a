import { describe, expect, it } from 'vitest';
import { buildBaseline } from '../../../../shared/offline/baseline/build-baseline.js';
import { DEFAULT_DRIFT_RULE, parseDriftRule } from '../../../../shared/core/drift/drift-rule.js';
import { scoreRows } from '../../../../shared/offline/scoring/score-rows.js';
import { arrayRowSource } from '../../../../shared/offline/input/row-source.js';
import { normalValues } from '../../../helpers/normal-rows.js';

const train = normalValues(10_000, 1).map((x, i) => ({ x, c: ['a', 'b', 'c'][i % 3] }));
const { profile } = await buildBaseline(arrayRowSource(train), {});

describe('scoreRows', () => {
  it('finds no drift in a sample of the training distribution', async () => {
    const current = normalValues(2000, 2).map((x, i) => ({ x, c: ['a', 'b', 'c'][i % 3] }));
    const { score } = await scoreRows(profile, arrayRowSource(current), DEFAULT_DRIFT_RULE);
    expect(score.drift).toBe(false);
    expect(score.features.map((f) => f.status)).toEqual(['ok', 'ok']);
    expect(score.featuresTested).toBe(2);
    // Weighted Bonferroni (issue 19): 80 % of alpha over the two PSI tests, 20 % over the four rate tests (missing, out of range).
    expect(score.alphaPerFeature).toBeCloseTo(0.004, 15);
    expect(score.rateTests).toBe(4);
    expect(score.alphaPerRateTest).toBeCloseTo(0.0005, 15);
  });

  it('flags a half-sigma mean shift on the shifted feature only', async () => {
    const current = normalValues(2000, 3, 0.5).map((x, i) => ({ x, c: ['a', 'b', 'c'][i % 3] }));
    const { score } = await scoreRows(profile, arrayRowSource(current), DEFAULT_DRIFT_RULE);
    expect(score.drift).toBe(true);
    const [x, c] = score.features;
    expect(x!.status).toBe('drift');
    expect(x!.psi).toBeGreaterThan(x!.threshold!);
    expect(x!.wasserstein).toBeGreaterThan(0.3);
    expect(x!.pValue).toBeLessThan(1e-6);
    expect(c!.status).toBe('ok');
    expect(c!.wasserstein).toBeNull();
  });

  it('never flags below the minimum effect size, however significant', async () => {
    // A 0.1 sigma shift on 100 000 rows is significant but has PSI well under 0.1.
    const current = normalValues(100_000, 4, 0.1).map((x, i) => ({ x, c: ['a', 'b', 'c'][i % 3] }));
    const { score } = await scoreRows(profile, arrayRowSource(current), DEFAULT_DRIFT_RULE);
    const x = score.features[0]!;
    expect(x.pValue).toBeLessThan(1e-6);
    expect(x.threshold).toBe(0.1);
    expect(x.status).toBe('ok');
    const strictRule = parseDriftRule({ minEffectPsi: 0 });
    const strict = await scoreRows(profile, arrayRowSource(current), strictRule);
    expect(strict.score.features[0]!.status).toBe('drift');
  });

  it('reports insufficient data below the minimum count, with no scores', async () => {
    const current = normalValues(49, 5, 3).map((x) => ({ x, c: 'a' }));
    const { score } = await scoreRows(profile, arrayRowSource(current), DEFAULT_DRIFT_RULE);
    expect(score.drift).toBe(false);
    for (const f of score.features) {
      expect(f.status).toBe('insufficient_data');
      expect(f.psi).toBeNull();
      expect(f.threshold).toBeNull();
      expect(f.missingRate).toBe(0);
    }
  });

  it('reports a feature the input lacks as missing (its own status, not drift), and extra columns', async () => {
    const current = normalValues(500, 6).map((x) => ({ x, extra: 1 }));
    const result = await scoreRows(profile, arrayRowSource(current), DEFAULT_DRIFT_RULE);
    expect(result.missingColumns).toEqual(['c']);
    expect(result.extraColumns).toEqual(['extra']);
    const c = result.score.features[1]!;
    expect(c.missingRate).toBe(1);
    expect(c).toMatchObject({ status: 'missing', psi: null, threshold: null, reason: 'all 500 values are missing (baseline: none missing)' });
    // Out of the Bonferroni family: alpha 0.01 goes to x alone (80 % to its PSI test, 20 % to its two rate tests).
    expect(result.score.featuresTested).toBe(1);
    expect(result.score.alphaPerFeature).toBeCloseTo(0.008, 15);
    expect(result.score.alphaPerRateTest).toBeCloseTo(0.001, 15);
    expect(result.score.drift).toBe(false);
  });

  it('counts values outside the baseline range and unseen categories', async () => {
    const current = Array.from({ length: 200 }, (_, i) => ({ x: i < 20 ? 100 : 0, c: i < 50 ? 'zzz' : 'a' }));
    const { score } = await scoreRows(profile, arrayRowSource(current), DEFAULT_DRIFT_RULE);
    expect(score.features[0]!.outOfRangeRate).toBeCloseTo(0.1, 15);
    expect(score.features[1]!.outOfRangeRate).toBeCloseTo(0.25, 15);
  });
});

describe('data quality in the verdict (issue 19)', () => {
  // x has 5 % missing values in the baseline; the windows keep its distribution and change only how much is missing.
  const withMissing = (count: number, seed: number, missing: number): Record<string, unknown>[] =>
    normalValues(count, seed).map((x, i) => ({ x: i % 1000 < missing * 1000 ? null : x, c: ['a', 'b', 'c'][i % 3] }));
  const missingProfile = buildBaseline(arrayRowSource(withMissing(10_000, 21, 0.05)), { multivariate: false });

  it('flags a missing rate that rose from 5 % to 10 %, which PSI alone leaves under its floor', async () => {
    const { profile } = await missingProfile;
    const { score } = await scoreRows(profile, arrayRowSource(withMissing(2000, 22, 0.1)), DEFAULT_DRIFT_RULE);
    const x = score.features[0]!;
    expect(x.psi!).toBeLessThan(x.threshold!);
    expect(x.quality!.missing).toMatchObject({ rate: 0.1, baselineRate: 0.05, drift: true });
    expect(x.quality!.missing.pValue).toBeLessThan(score.alphaPerRateTest!);
    expect(x.quality!.outOfRange.drift).toBe(false);
    expect(x.status).toBe('drift');
    expect(score.features[1]!.status).toBe('ok');
  });

  it('does not flag the same missing rate, nor a significant rise under the minimum effect', async () => {
    const { profile } = await missingProfile;
    expect((await scoreRows(profile, arrayRowSource(withMissing(2000, 23, 0.05)), DEFAULT_DRIFT_RULE)).score.drift).toBe(false);
    // 5 % to 8 % over 20 000 rows is significant, but three points are under minEffectRate (five).
    const { score } = await scoreRows(profile, arrayRowSource(withMissing(20_000, 24, 0.08)), DEFAULT_DRIFT_RULE);
    expect(score.features[0]!.quality!.missing.pValue).toBeLessThan(score.alphaPerRateTest!);
    expect(score.features[0]!.quality!.missing.drift).toBe(false);
    // qualityShare 0 turns the rate tests off: PSI keeps all of alpha.
    const off = await scoreRows(profile, arrayRowSource(withMissing(2000, 22, 0.1)), parseDriftRule({ qualityShare: 0 }));
    expect(off.score.features[0]!.quality).toBeUndefined();
    expect(off.score.alphaPerFeature).toBeCloseTo(0.005, 15);
    expect(off.score.features[0]!.status).toBe('ok');
  });
});

describe('parseDriftRule', () => {
  it('names the setting that is out of range', () => {
    expect(() => parseDriftRule({ alpha: 2 })).toThrow(/drift\.alpha/);
    expect(() => parseDriftRule({ bogus: 1 })).toThrow(/bogus/);
  });
});

describe('a feature constant in the baseline', () => {
  // Two varying features and two constant ones (a numeric value and a categorical flag).
  const rowsOf = (count: number, seed: number, flag: (i: number) => string): Record<string, unknown>[] =>
    normalValues(count, seed).map((x, i) => ({ x, c: ['a', 'b', 'c'][i % 3], flat: 7.5, flag: flag(i) }));
  const constantProfile = buildBaseline(arrayRowSource(rowsOf(5_000, 11, () => 'Y')), { multivariate: false });

  it('is left out of the Bonferroni family, and judged by the effect floor alone', async () => {
    const { profile } = await constantProfile;
    const { score } = await scoreRows(profile, arrayRowSource(rowsOf(1_000, 12, () => 'Y')), DEFAULT_DRIFT_RULE);
    expect(score.featuresTested).toBe(4);
    expect(score.constantFeatures).toBe(2);
    // 80 % of alpha 0.01 over the two features that can vary; the rate tests run on all four.
    expect(score.alphaPerFeature).toBeCloseTo(0.004, 15);
    expect(score.rateTests).toBe(8);
    const flag = score.features.find((f) => f.name === 'flag')!;
    expect(flag).toMatchObject({ constantBaseline: true, psi: 0, threshold: DEFAULT_DRIFT_RULE.minEffectPsi, status: 'ok' });
    expect(score.features.find((f) => f.name === 'x')!.constantBaseline).toBeUndefined();
  });

  it('drifts when a tenth of the window takes another value', async () => {
    const { profile } = await constantProfile;
    const { score } = await scoreRows(profile, arrayRowSource(rowsOf(1_000, 13, (i) => (i % 10 === 0 ? 'N' : 'Y'))), DEFAULT_DRIFT_RULE);
    expect(score.features.find((f) => f.name === 'flag')!.status).toBe('drift');
    expect(score.features.find((f) => f.name === 'flat')!.status).toBe('ok');
  });
});

describe('the wasserstein effect criterion', () => {
  const w1Rule = parseDriftRule({ effect: 'wasserstein' });

  it('flags a 0.25 sd shift at n = 5 000 that the PSI floor lets pass, on numeric features only', async () => {
    const current = normalValues(5_000, 21, 0.25).map((x, i) => ({ x, c: ['a', 'b', 'c'][i % 3] }));
    const byPsi = (await scoreRows(profile, arrayRowSource(current), DEFAULT_DRIFT_RULE)).score.features[0]!;
    expect(byPsi.psi).toBeLessThan(0.1);
    expect(byPsi.status).toBe('ok');
    const { score } = await scoreRows(profile, arrayRowSource(current), w1Rule);
    const [x, c] = score.features;
    expect(x).toMatchObject({ effect: 'wasserstein', status: 'drift' });
    // The threshold is the significance part alone, under the PSI floor.
    expect(x!.threshold).toBeLessThan(0.1);
    expect(x!.wasserstein).toBeGreaterThanOrEqual(0.1);
    expect(c!.effect).toBeUndefined();
    expect(c!.status).toBe('ok');
  });

  it('does not flag a sample of the training distribution', async () => {
    const current = normalValues(5_000, 22).map((x, i) => ({ x, c: ['a', 'b', 'c'][i % 3] }));
    const { score } = await scoreRows(profile, arrayRowSource(current), w1Rule);
    expect(score.features.map((f) => f.status)).toEqual(['ok', 'ok']);
  });
});
