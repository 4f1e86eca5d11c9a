/**
 * Prints the largest relative error of each divergence against the committed SciPy fixtures
 * (the figure quoted in docs/drift-statistics.md). Run: `npx tsx scripts/scipy-agreement.ts`.
 */
import { readFileSync } from 'node:fs';
import { binnedKs } from '../shared/core/divergence/binned-ks.js';
import { chiSquareTest } from '../shared/core/divergence/chi-square.js';
import { hellingerDistance } from '../shared/core/divergence/hellinger.js';
import { jensenShannonDistance } from '../shared/core/divergence/jensen-shannon.js';
import { klDivergence } from '../shared/core/divergence/kl-divergence.js';
import { psi } from '../shared/core/divergence/psi.js';
import { wasserstein1 } from '../shared/core/divergence/wasserstein.js';
import { chiSquareQuantile, chiSquareSurvival } from '../shared/core/stats/chi-square-distribution.js';

interface Case { expected: number[]; actual: number[]; points: number[]; epsilon: number; reference: Record<string, number> }
const fixtures = JSON.parse(readFileSync(new URL('../test/fixtures/scipy-divergences.json', import.meta.url), 'utf8')) as {
  divergences: Case[]; chiSquareSurvival: { x: number; df: number; sf: number }[]; chiSquareQuantile: { p: number; df: number; quantile: number }[];
};
const worst = new Map<string, number>();
const note = (name: string, got: number, want: number): void => {
  const err = got === want ? 0 : Math.abs(got - want) / Math.abs(want);
  worst.set(name, Math.max(worst.get(name) ?? 0, err));
};
for (const c of fixtures.divergences) {
  note('psi', psi(c.expected, c.actual, c.epsilon), c.reference.psi!);
  note('kl', klDivergence(c.expected, c.actual, c.epsilon), c.reference.kl!);
  if (c.reference.js! > 1e-7) note('js', jensenShannonDistance(c.expected, c.actual), c.reference.js!);
  note('hellinger', hellingerDistance(c.expected, c.actual), c.reference.hellinger!);
  note('ks', binnedKs(c.expected, c.actual), c.reference.ks!);
  const chi = chiSquareTest(c.expected, c.actual);
  note('chi2', chi.statistic, c.reference.chi2!);
  note('pValue', chi.pValue, c.reference.pValue!);
  note('wasserstein', wasserstein1(c.points, c.expected, c.actual), c.reference.wasserstein!);
}
for (const c of fixtures.chiSquareSurvival) note('chi2.sf', chiSquareSurvival(c.x, c.df), c.sf);
for (const c of fixtures.chiSquareQuantile) note('chi2.ppf', chiSquareQuantile(c.p, c.df), c.quantile);
for (const [name, err] of worst) console.log(`${name.padEnd(12)} max relative error ${err.toExponential(2)}`);
