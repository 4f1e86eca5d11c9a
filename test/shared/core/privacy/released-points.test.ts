import { describe, expect, it } from 'vitest';
import { DEFAULT_DRIFT_RULE } from '../../../../shared/core/drift/drift-rule.js';
import { releasedCounts, releasedPoints } from '../../../../shared/core/privacy/released-points.js';
import { buildBaseline } from '../../../../shared/offline/baseline/build-baseline.js';
import { arrayRowSource } from '../../../../shared/offline/input/row-source.js';
import { ModelWindows } from '../../../../shared/pipeline/windows/model-windows.js';

describe('releasedPoints', () => {
  it('represents each bin on a grid of a tenth of the range\'s decade, tails rounded outward', () => {
    // Range 0.6857: decade 0.1, grid 0.01. Midpoints 0.42135 → 0.42, 0.6641 → 0.66, 0.8899 → 0.89.
    const p = releasedPoints([0.3127, 0.5300, 0.7982, 0.9816]);
    expect(p.values).toEqual([0.31, 0.42, 0.66, 0.89, 0.99]);
    expect(p.binToValue).toEqual([0, 1, 2, 3, 4]);
  });

  it('merges bins whose representatives meet on the grid and adds their counts', () => {
    // Range 10: grid 1. Lower tail 0; midpoints 0.0505 and 0.1015 round to 0, 5.051 to 5; upper tail 10.
    const p = releasedPoints([0, 0.101, 0.102, 10]);
    expect(p.values).toEqual([0, 5, 10]);
    expect(p.binToValue).toEqual([0, 0, 0, 1, 2]);
    // The last count (missing) is not part of the statistic set.
    expect(releasedCounts(p, [1, 2, 3, 4, 5, 99])).toEqual([6, 4, 5]);
  });

  it('never releases the training set\'s minimum or maximum confidence (issue 16, finding 3)', async () => {
    const confidences = Array.from({ length: 500 }, (_, i) => 0.3127 + ((i * 7919) % 500) / 500 * 0.6857);
    const { profile } = await buildBaseline(arrayRowSource(confidences.map((c, i) => ({ x: i % 50, confidence: c }))), { confidenceColumn: 'confidence' });
    const edges = profile.features.find((f) => f.name === 'confidence')!;
    expect(edges.type === 'numeric' && edges.edges[0]).toBe(0.3127);
    const windows = new ModelWindows('m', profile, 60_000, DEFAULT_DRIFT_RULE, { m: 3, n: 5 });
    // One outlier below the training range in a window of 30.
    for (let i = 0; i < 30; i++) windows.add({ x: i, confidence: i === 0 ? 0.0123 : confidences[i]! }, '', 0);
    const { report } = await windows.close(windows.windows()[0]!, 60_000);
    const released = report.confidence!;
    const observed = new Set([...confidences, 0.0123, Math.min(...confidences), Math.max(...confidences)]);
    expect(released.values.filter((v) => observed.has(v))).toEqual([]);
    expect(released.values.every((v) => Math.abs(v * 100 - Math.round(v * 100)) < 1e-9)).toBe(true);
    expect(released.counts.reduce((a, b) => a + b, 0)).toBe(30);
    expect(released.values[0]).toBe(0.31);
    expect(released.counts[0]).toBe(1);
  });
});
