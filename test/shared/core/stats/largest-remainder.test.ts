import { describe, expect, it } from 'vitest';
import { largestRemainder } from '../../../../shared/core/stats/largest-remainder.js';

describe('largestRemainder', () => {
  it('keeps the total and gives the rows left to the largest fractions', () => {
    expect(largestRemainder([1, 1, 1], 10)).toEqual([4, 3, 3]);
    expect(largestRemainder([0.5, 0.25, 0.25], 7)).toEqual([3, 2, 2]);
    expect(largestRemainder([199.6, 0.4], 50)).toEqual([50, 0]);
    expect(largestRemainder([0, 0], 5)).toEqual([5, 0]);
  });
});
