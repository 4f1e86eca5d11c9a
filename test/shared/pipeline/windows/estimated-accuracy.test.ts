import { describe, expect, it } from 'vitest';
import { DEFAULT_DRIFT_RULE } from '../../../../shared/core/drift/drift-rule.js';
import { seededUniform } from '../../../../shared/core/stats/seeded-random.js';
import { buildBaseline } from '../../../../shared/offline/baseline/build-baseline.js';
import { arrayRowSource } from '../../../../shared/offline/input/row-source.js';
import { windowDatums } from '../../../../shared/pipeline/sinks/cloudwatch/window-datums.js';
import { ModelWindows } from '../../../../shared/pipeline/windows/model-windows.js';

/**
 * A binary model whose confidence c is right with chance 0.2 + 0.7 c. The baseline is built from
 * 5 000 labelled rows with c uniform on [0.5, 1); a production window's confidences lean high, so
 * its accuracy rises, and the estimate must follow it from the confidences alone. Checked against
 * the known chance and the window's simulated labels, never against the code.
 */
const u = seededUniform(1207);
const chance = (c: number): number => 0.2 + 0.7 * c;
function row(c: number): { record: Record<string, unknown>; right: boolean } {
  const prediction = u() < 0.5 ? 'no' : 'yes';
  const right = u() < chance(c);
  return { record: { x: u() * 10, prediction, confidence: c, truth: right ? prediction : prediction === 'yes' ? 'no' : 'yes' }, right };
}
const training = Array.from({ length: 5000 }, () => row(0.5 + 0.5 * u()).record);
const { profile } = await buildBaseline(arrayRowSource(training), { predictionColumn: 'prediction', confidenceColumn: 'confidence', labelColumn: 'truth', multivariate: false });
const WINDOW_MS = 60_000;

describe('estimated accuracy per window', () => {
  it('follows a window whose confidences lean high, within its interval of the accuracy its labels show', async () => {
    const windows = new ModelWindows('m', profile, WINDOW_MS, DEFAULT_DRIFT_RULE, { m: 3, n: 5 });
    const events = Array.from({ length: 600 }, () => row(0.5 + 0.5 * Math.sqrt(u())));
    for (const e of events) {
      const { x, prediction, confidence } = e.record;
      expect(windows.add({ x, prediction, confidence }, '', 1000)).toBeUndefined();
    }
    const { report } = await windows.close(windows.windowFor('', 1000), WINDOW_MS);
    const expected = events.reduce((s, e) => s + chance(e.record.confidence as number), 0) / events.length;
    const realised = events.filter((e) => e.right).length / events.length;
    const p = report.performance!;
    expect(Math.abs(p.estimatedAccuracy - expected)).toBeLessThan(0.015);
    expect(p.lower).toBeLessThanOrEqual(realised);
    expect(p.upper).toBeGreaterThanOrEqual(realised);
    expect(p.upper - p.lower).toBeLessThan(0.1);
    expect(p.referenceAccuracy).toBe(profile.performance!.correct / profile.performance!.labelled);
    // The baseline's accuracy is about 0.725; this window's about 0.78: the estimate sees the rise.
    expect(p.estimatedAccuracy - p.referenceAccuracy).toBeGreaterThan(0.03);

    const datums = windowDatums(report, { site: 'dc1', topFeatures: 0, minCount: 20 });
    const value = (name: string): number | undefined => datums.find((d) => d.MetricName === name)?.Value;
    expect([value('EstimatedAccuracy'), value('EstimatedAccuracyLower'), value('EstimatedAccuracyUpper')]).toEqual([p.estimatedAccuracy, p.lower, p.upper]);
  });

  it('judges a drop: AccuracyDrop = 1 when the upper bound is more than maxDrop below the baseline, and it counts towards retraining', async () => {
    // Confidences crowded low (chance about 0.2 + 0.7 × 0.56 ≈ 0.59 against the baseline's 0.725).
    // A PSI effect too large to reach keeps input and confidence drift out of the verdict, so
    // the retraining rule sees the accuracy verdict alone.
    const noDrift = { ...DEFAULT_DRIFT_RULE, minEffectPsi: 100, minEffectRate: 1 };
    const low = Array.from({ length: 600 }, () => row(0.5 + 0.12 * u()));
    const realised = low.filter((e) => e.right).length / low.length;
    const close = async (retrain: boolean, maxDrop: number): Promise<Awaited<ReturnType<ModelWindows['close']>>[]> => {
      const windows = new ModelWindows('m', profile, WINDOW_MS, noDrift, { m: 2, n: 3 }, { performance: { maxDrop, retrain } });
      const out = [];
      for (const at of [0, WINDOW_MS]) {
        for (const e of low) windows.add({ x: e.record.x, prediction: e.record.prediction, confidence: e.record.confidence }, '', at + 1000);
        out.push(await windows.close(windows.windowFor('', at + 1000), at + WINDOW_MS));
      }
      return out;
    };
    const [first, second] = await close(true, 0.05);
    const p = first!.report.performance!;
    expect(p.referenceAccuracy - realised).toBeGreaterThan(0.1);
    expect(p.upper).toBeLessThan(p.referenceAccuracy - 0.05);
    expect(p.dropped).toBe(true);
    expect(first!.report.score.drift).toBe(false);
    expect(first!.recent).toEqual([true]);
    expect(second!.report.retraining).toEqual({ recommended: true, flagged: 2, of: 3 });
    const datums = windowDatums(first!.report, { site: 'dc1', topFeatures: 0, minCount: 20 });
    expect(datums.find((d) => d.MetricName === 'AccuracyDrop')?.Value).toBe(1);

    // retrain: false ships the verdict but leaves the retraining rule to drift alone.
    const [, kept] = await close(false, 0.05);
    expect(kept!.report.performance!.dropped).toBe(true);
    expect(kept!.report.retraining).toEqual({ recommended: false, flagged: 0, of: 3 });
    // A drop within maxDrop is no drop: 0.3 below is allowed here.
    const [lenient] = await close(true, 0.3);
    expect(lenient!.report.performance!.dropped).toBe(false);
    expect(lenient!.recent).toEqual([false]);
    expect(windowDatums(lenient!.report, { site: 'dc1', topFeatures: 0, minCount: 20 }).find((d) => d.MetricName === 'AccuracyDrop')?.Value).toBe(0);
  });

  it('is absent for a window without confidences, and for a baseline built without labels', async () => {
    const windows = new ModelWindows('m', profile, WINDOW_MS, DEFAULT_DRIFT_RULE, { m: 3, n: 5 });
    for (let i = 0; i < 50; i++) windows.add({ x: i, prediction: 'yes' }, '', 1000);
    const { report } = await windows.close(windows.windowFor('', 1000), WINDOW_MS);
    expect(report.performance).toBeUndefined();
    expect(windowDatums(report, { site: 'dc1', topFeatures: 0, minCount: 20 }).map((d) => d.MetricName)).not.toContain('EstimatedAccuracy');

    const unlabelled = (await buildBaseline(arrayRowSource(training), { predictionColumn: 'prediction', confidenceColumn: 'confidence', exclude: ['truth'], multivariate: false })).profile;
    const plain = new ModelWindows('m', unlabelled, WINDOW_MS, DEFAULT_DRIFT_RULE, { m: 3, n: 5 });
    for (let i = 0; i < 50; i++) plain.add({ x: i, prediction: 'yes', confidence: 0.9 }, '', 1000);
    expect((await plain.close(plain.windowFor('', 1000), WINDOW_MS)).report.performance).toBeUndefined();
  });
});
