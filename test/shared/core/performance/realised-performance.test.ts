import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { realisedPerformance, type LabelledCell } from '../../../../shared/core/performance/realised-performance.js';

/** scikit-learn's metrics on the same predictions row by row (scripts/make-performance-fixtures.py). */
interface Case {
  classes: number;
  bins: number;
  cells: LabelledCell[];
  accuracy: number;
  per_bin: { n: number; accuracy: number | null }[];
  binary?: { positive: number; precision: number; recall: number; roc_auc: number };
}
const fixture = JSON.parse(readFileSync(new URL('../../../fixtures/sklearn-performance.json', import.meta.url), 'utf8')) as { cases: Case[] };

describe('realisedPerformance', () => {
  it.each(fixture.cases.map((c, i) => [i, c] as const))('equals scikit-learn on case %i', (_, c) => {
    const r = realisedPerformance(c.cells, c.classes, c.bins)!;
    expect(r.n).toBe(c.cells.reduce((s, x) => s + x.count, 0));
    expect(r.accuracy).toBeCloseTo(c.accuracy, 14);
    expect(r.perBin.map((b) => b.n)).toEqual(c.per_bin.map((b) => b.n));
    r.perBin.forEach((b, i) => (c.per_bin[i]!.accuracy === null ? expect(b.accuracy).toBeUndefined() : expect(b.accuracy).toBeCloseTo(c.per_bin[i]!.accuracy, 14)));
    if (c.binary === undefined) {
      expect(r.binary).toBeUndefined();
      return;
    }
    expect(r.binary!.precision).toBeCloseTo(c.binary.precision, 14);
    expect(r.binary!.recall).toBeCloseTo(c.binary.recall, 14);
    expect(r.binary!.rocAuc).toBeCloseTo(c.binary.roc_auc, 14);
  });

  it('leaves undefined what has no denominator, and refuses a cell outside the layout', () => {
    expect(realisedPerformance([], 2, 3)).toBeUndefined();
    // Only negatives, all predicted negative: no precision, no recall, no ROC AUC.
    const r = realisedPerformance([{ predicted: 0, truth: 0, bin: 1, count: 4 }], 2, 3)!;
    expect(r.accuracy).toBe(1);
    expect(r.binary).toEqual({ positive: 1, precision: undefined, recall: undefined, rocAuc: undefined });
    expect(r.perBin).toEqual([{ n: 0, accuracy: undefined }, { n: 4, accuracy: 1 }, { n: 0, accuracy: undefined }]);
    expect(() => realisedPerformance([{ predicted: 2, truth: 0, bin: 0, count: 1 }], 2, 3)).toThrow(/outside 2 classes and 3 bins/);
  });
});
