import { describe, expect, it } from 'vitest';
import { chiSquareQuantile, chiSquareSurvival } from '../../../../shared/core/stats/chi-square-distribution.js';
import { relativeError, scipyFixtures } from '../../../helpers/scipy-fixtures.js';

describe('chiSquareSurvival', () => {
  it.each(scipyFixtures.chiSquareSurvival)('matches scipy.stats.chi2.sf($x, $df)', ({ x, df, sf }) => {
    expect(relativeError(chiSquareSurvival(x, df), sf, 1e-300)).toBeLessThanOrEqual(1e-9);
  });
  it('is 1 at zero and 0 for df 0 above zero', () => {
    expect(chiSquareSurvival(0, 5)).toBe(1);
    expect(chiSquareSurvival(3, 0)).toBe(0);
  });
});

describe('chiSquareQuantile', () => {
  it.each(scipyFixtures.chiSquareQuantile)('matches scipy.stats.chi2.ppf($p, $df)', ({ p, df, quantile }) => {
    expect(relativeError(chiSquareQuantile(p, df), quantile)).toBeLessThanOrEqual(1e-9);
  });
});
