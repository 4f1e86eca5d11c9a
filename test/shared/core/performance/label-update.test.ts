import { describe, expect, it } from 'vitest';
import { labelLayout, realisedSummary, type LabelUpdate } from '../../../../shared/core/performance/label-update.js';
import type { BaselineProfile } from '../../../../shared/core/profile/baseline-profile.js';
import { buildBaseline } from '../../../../shared/offline/baseline/build-baseline.js';
import { arrayRowSource } from '../../../../shared/offline/input/row-source.js';
import { labelDatums } from '../../../../shared/pipeline/sinks/cloudwatch/label-datums.js';

const rows = Array.from({ length: 1000 }, (_, i) => ({ x: i, prediction: i % 3 === 0 ? 'no' : 'yes', confidence: 0.5 + (i % 50) / 100 }));
const { profile } = await buildBaseline(arrayRowSource(rows), { predictionColumn: 'prediction', confidenceColumn: 'confidence', multivariate: false });

describe('labelLayout', () => {
  it('takes the classes from the prediction categories, the positive class by name, and each confidence bin\'s middle', () => {
    const layout = labelLayout(profile)!;
    expect(layout.classes).toEqual(['yes', 'no']);
    expect(layout.positive).toBe(0);
    const edges = (profile.features.find((f) => f.role === 'confidence') as Extract<BaselineProfile['features'][number], { type: 'numeric' }>).edges;
    expect(layout.binMiddles).toHaveLength(edges.length + 2);
    expect(layout.binMiddles[0]).toBe(edges[0]);
    expect(layout.binMiddles[1]).toBeCloseTo((edges[0]! + edges[1]!) / 2, 12);
    expect(layout.binMiddles.at(-1)).toBeNaN();
    expect(labelLayout({ ...profile, features: profile.features.filter((f) => f.role !== 'prediction') })).toBeUndefined();
  });
});

describe('realisedSummary', () => {
  it('computes accuracy, precision, recall and the calibration error from cells, as counted by hand', () => {
    const layout = { prediction: 0, classes: ['0', '1'], confidence: 1, binMiddles: [0.5, 0.7, 0.9, NaN], positive: 1 };
    // bin 1 (middle 0.7): 10 predictions of 1, 7 right; bin 2 (0.9): 10 of 0, 9 right; no confidence: 4 of 1, 1 right.
    const cells = [
      { predicted: 1, truth: 1, bin: 1, count: 7 }, { predicted: 1, truth: 0, bin: 1, count: 3 },
      { predicted: 0, truth: 0, bin: 2, count: 9 }, { predicted: 0, truth: 1, bin: 2, count: 1 },
      { predicted: 1, truth: 1, bin: -1, count: 1 }, { predicted: 1, truth: 0, bin: -1, count: 3 },
    ];
    const s = realisedSummary(cells, 48, layout)!;
    expect(s.labelled).toBe(24);
    expect(s.correct).toBe(17);
    expect(s.coverage).toBe(24 / 48);
    expect(s.accuracy).toBe(17 / 24);
    expect(s.precision).toBe(8 / 14);
    expect(s.recall).toBe(8 / 9);
    // |0.7 − 0.7| × 10 + |0.9 − 0.9| × 10 over 20: this model is calibrated where it has a confidence.
    expect(s.calibrationError).toBeCloseTo(0, 12);
    const skewed = realisedSummary([{ predicted: 1, truth: 0, bin: 2, count: 4 }, { predicted: 1, truth: 1, bin: 2, count: 6 }], 10, layout)!;
    expect(skewed.calibrationError).toBeCloseTo(0.3, 12);
    // Per bin: 6 of 10 right at a middle confidence of 0.9.
    expect(skewed.perBin.map((b) => b.calibrationGap)).toEqual([null, null, expect.closeTo(-0.3, 12) as unknown, null]);
    // Ranked by score: positives' bin 1 < bin 2 ... the ten predictions of 0 in bin 2 rank lowest.
    expect(s.rocAuc).toBeGreaterThan(0.5);
    expect(realisedSummary([], 10, layout)).toBeUndefined();
  });
});

describe('labelDatums', () => {
  it('ships each metric\'s change since the last update at the window\'s timestamp, so the Sum is the current value', () => {
    const layout = { prediction: 0, classes: ['0', '1'], confidence: 1, binMiddles: [0.5, 0.7, 0.9, NaN], positive: 1 };
    const first = realisedSummary([{ predicted: 1, truth: 1, bin: 1, count: 30 }, { predicted: 0, truth: 1, bin: 2, count: 20 }], 100, layout)!;
    const second = realisedSummary([{ predicted: 1, truth: 1, bin: 1, count: 40 }, { predicted: 0, truth: 1, bin: 2, count: 20 }, { predicted: 0, truth: 0, bin: 2, count: 15 }], 100, layout)!;
    const base = { kind: 'labels', model: 'm', version: '', startMs: 60_000, endMs: 120_000 } as const;
    const updates: LabelUpdate[] = [{ ...base, current: first, previous: undefined }, { ...base, current: second, previous: first }];
    const sums = new Map<string, number>();
    for (const u of updates) {
      for (const d of labelDatums(u, 'dc1')) {
        expect(d.Timestamp).toEqual(new Date(119_999));
        expect(d.Dimensions).toEqual([{ Name: 'Model', Value: 'm' }, { Name: 'Site', Value: 'dc1' }]);
        sums.set(d.MetricName!, (sums.get(d.MetricName!) ?? 0) + d.Value!);
      }
    }
    expect(sums.get('LabelledPredictions')).toBe(75);
    expect(sums.get('CorrectPredictions')).toBe(55);
    expect(sums.get('RealisedAccuracy')).toBeCloseTo(55 / 75, 12);
    expect(sums.get('RealisedRecall')).toBeCloseTo(40 / 60, 12);
    expect(sums.get('LabelCoverage')).toBeCloseTo(0.75, 12);
  });
});
