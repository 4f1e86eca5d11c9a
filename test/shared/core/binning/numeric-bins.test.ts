import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { numericBinIndex, numericSupportPoints } from '../../../../shared/core/binning/numeric-bins.js';
import { scipyFixtures } from '../../../helpers/scipy-fixtures.js';

describe('numericBinIndex', () => {
  it.each(scipyFixtures.binning)('agrees with numpy.searchsorted for edges $edges', ({ edges, values, bins }) => {
    const e = Float64Array.from(edges);
    const got = values.map((v) => numericBinIndex(e, typeof v === 'string' ? Number(v) : v));
    expect(got).toEqual(bins);
  });

  it('puts every value in the bin whose bounds contain it (property)', () => {
    const sortedEdges = fc.uniqueArray(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 30 })
      .map((xs) => [...xs].sort((a, b) => a - b));
    fc.assert(fc.property(sortedEdges, fc.double({ noNaN: true }), (edges, x) => {
      const bin = numericBinIndex(Float64Array.from(edges), x);
      const k = Math.max(1, edges.length - 1);
      const last = edges[edges.length - 1]!;
      if (x < edges[0]!) return bin === 0;
      if (x > last) return bin === k + 1;
      if (bin < 1 || bin > k) return false;
      if (edges.length === 1) return x === edges[0];
      const lo = edges[bin - 1]!;
      const hi = edges[bin]!;
      return x >= lo && (bin === k ? x <= hi : x < hi);
    }));
  });
});

describe('numericSupportPoints', () => {
  it('places tails at the outer edges and interior bins at their midpoints', () => {
    expect(Array.from(numericSupportPoints([0, 2, 6]))).toEqual([0, 1, 4, 6]);
    expect(Array.from(numericSupportPoints([5]))).toEqual([5, 5, 5]);
  });
});
