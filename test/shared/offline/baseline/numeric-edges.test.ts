import { describe, expect, it } from 'vitest';
import { mergeEmptyBins, quantileEdges } from '../../../../shared/offline/baseline/numeric-edges.js';

describe('quantileEdges', () => {
  it('starts at the minimum, ends at the maximum, and keeps interior quantiles', () => {
    expect(quantileEdges(0, 10, 5, (q) => q * 10)).toEqual([0, 2, 4, 6, 8, 10]);
  });
  it('collapses tied quantiles into one edge', () => {
    // 70 % zeros: the first six decile quantiles are all 0.
    const quantile = (q: number): number => (q <= 0.7 ? 0 : Math.round((q - 0.7) * 10));
    expect(quantileEdges(0, 3, 10, quantile)).toEqual([0, 1, 2, 3]);
  });
  it('gives a single edge for a constant column', () => {
    expect(quantileEdges(4, 4, 10, () => 4)).toEqual([4]);
  });
});

describe('mergeEmptyBins', () => {
  it('merges an empty interior bin into its right neighbour', () => {
    // layout: below, [0,1), [1,2), [2,3], above, missing; [1,2) is empty, so [1,3] remains
    expect(mergeEmptyBins([0, 1, 2, 3], [0, 5, 0, 7, 0, 1])).toEqual({ edges: [0, 1, 3], counts: [0, 5, 7, 0, 1], parallel: [] });
  });
  it('merges an empty last bin into its left neighbour', () => {
    expect(mergeEmptyBins([0, 1, 2], [0, 5, 0, 0, 0])).toEqual({ edges: [0, 2], counts: [0, 5, 0, 0], parallel: [] });
  });
  it('merges counts of a subset of the same rows (labelled ones) bin for bin', () => {
    // [1,2) is empty, so it is in every subset too; the subsets' other bins stay where they were.
    expect(mergeEmptyBins([0, 1, 2, 3], [1, 5, 0, 7, 2, 1], [[1, 4, 0, 6, 0, 1], [0, 3, 0, 5, 0, 0]]))
      .toEqual({ edges: [0, 1, 3], counts: [1, 5, 7, 2, 1], parallel: [[1, 4, 6, 0, 1], [0, 3, 5, 0, 0]] });
  });
  it('leaves tails and missing alone and keeps totals', () => {
    const out = mergeEmptyBins([0, 1, 2, 3, 4], [2, 0, 0, 3, 4, 6, 9]);
    expect(out.counts.reduce((a, b) => a + b)).toBe(24);
    expect(out.counts.slice(1, -2).every((c) => c > 0)).toBe(true);
    expect(out.counts[0]).toBe(2);
    expect(out.counts.at(-1)).toBe(9);
  });
});
