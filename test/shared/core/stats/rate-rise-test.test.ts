import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rateRisePValue } from '../../../../shared/core/stats/rate-rise-test.js';
import { ROOT } from '../../../helpers/run-cli.js';

/** scipy.stats.fisher_exact(alternative='greater') on 50 tables (scripts/make-fisher-fixtures.py). */
const fixture = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'scipy-fisher.json'), 'utf8')) as { cases: { k: number; n: number; K: number; N: number; pValue: number }[] };

describe('rateRisePValue (one-sided Fisher exact)', () => {
  it('equals SciPy on every fixture table, tiny tails and a zero baseline rate included', () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(50);
    for (const c of fixture.cases) {
      const p = rateRisePValue(c.k, c.n, c.K, c.N);
      if (c.pValue < 1e-300) expect(p, JSON.stringify(c)).toBeLessThan(1e-300);
      else expect(Math.abs(p - c.pValue) / c.pValue, JSON.stringify(c)).toBeLessThan(1e-9);
    }
  });
});
