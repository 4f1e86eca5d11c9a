import { describe, expect, it } from 'vitest';
import { binnedKs } from '../../../../shared/core/divergence/binned-ks.js';
import { chiSquareTest } from '../../../../shared/core/divergence/chi-square.js';
import { hellingerDistance } from '../../../../shared/core/divergence/hellinger.js';
import { jensenShannonDistance } from '../../../../shared/core/divergence/jensen-shannon.js';
import { klDivergence } from '../../../../shared/core/divergence/kl-divergence.js';
import { psi } from '../../../../shared/core/divergence/psi.js';
import { wasserstein1 } from '../../../../shared/core/divergence/wasserstein.js';
import { relativeError, scipyFixtures } from '../../../helpers/scipy-fixtures.js';

const TOLERANCE = 1e-9;
const cases = scipyFixtures.divergences;

describe('divergences against SciPy', () => {
  it('has a fixture with many cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });

  describe.each(cases)('$name', (c) => {
    const ref = c.reference;
    it('psi matches rel_entr(q,p) + rel_entr(p,q) on ε-floored proportions', () => {
      expect(relativeError(psi(c.expected, c.actual, c.epsilon), ref.psi)).toBeLessThanOrEqual(TOLERANCE);
    });
    it('kl matches scipy.stats.entropy on floored, renormalised proportions', () => {
      expect(relativeError(klDivergence(c.expected, c.actual, c.epsilon), ref.kl)).toBeLessThanOrEqual(TOLERANCE);
    });
    it('js matches scipy.spatial.distance.jensenshannon', () => {
      // At identical inputs SciPy's sqrt of a rounding residue is ~1e-8; ours clamps it to 0.
      expect(relativeError(jensenShannonDistance(c.expected, c.actual), ref.js, 1e-7)).toBeLessThanOrEqual(TOLERANCE);
    });
    it('hellinger matches euclidean(√p, √q) / √2', () => {
      expect(relativeError(hellingerDistance(c.expected, c.actual), ref.hellinger)).toBeLessThanOrEqual(TOLERANCE);
    });
    it('binned ks matches the max gap of the cumulative sums', () => {
      expect(relativeError(binnedKs(c.expected, c.actual), ref.ks)).toBeLessThanOrEqual(TOLERANCE);
    });
    it('chi-square matches chi2_contingency(correction=False)', () => {
      const result = chiSquareTest(c.expected, c.actual);
      expect(result.df).toBe(ref.chi2Df);
      expect(relativeError(result.statistic, ref.chi2)).toBeLessThanOrEqual(TOLERANCE);
      expect(relativeError(result.pValue, ref.pValue, 1e-300)).toBeLessThanOrEqual(TOLERANCE);
    });
    it('wasserstein matches scipy.stats.wasserstein_distance', () => {
      expect(relativeError(wasserstein1(c.points, c.expected, c.actual), ref.wasserstein)).toBeLessThanOrEqual(TOLERANCE);
    });
  });
});

describe('psi', () => {
  it('is symmetric and zero only for equal distributions', () => {
    expect(psi([1, 2, 3], [1, 2, 3])).toBe(0);
    expect(psi([1, 2, 3], [3, 2, 1])).toBeCloseTo(psi([3, 2, 1], [1, 2, 3]), 15);
    expect(psi([1, 2, 3], [3, 2, 1])).toBeGreaterThan(0);
  });
  it('refuses arrays of different lengths or empty totals', () => {
    expect(() => psi([1, 2], [1, 2, 3])).toThrow(/differ in length/);
    expect(() => psi([0, 0], [1, 2])).toThrow(/total zero/);
  });
});
