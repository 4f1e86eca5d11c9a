import { describe, expect, it } from 'vitest';
import { buildBaseline } from '../../../../shared/offline/baseline/build-baseline.js';
import { DEFAULT_DRIFT_RULE } from '../../../../shared/core/drift/drift-rule.js';
import { scoreRows } from '../../../../shared/offline/scoring/score-rows.js';
import { arrayRowSource } from '../../../../shared/offline/input/row-source.js';
import { seededUniform } from '../../../../shared/core/stats/seeded-random.js';

const u = seededUniform(11);
const rows = (n: number, extra: (i: number) => Record<string, unknown> = () => ({})) =>
  Array.from({ length: n }, (_, i) => ({ a: u(), b: u() * 2, c: u() + i / n, ...extra(i) }));
const vector = (d: number) => Array.from({ length: d }, () => u());

async function failure(promise: Promise<unknown>): Promise<{ code?: string; message: string; location?: { line?: number; field?: string } }> {
  try {
    await promise;
  } catch (err) {
    return err as { code?: string; message: string; location?: { line?: number; field?: string } };
  }
  throw new Error('expected the build to fail');
}

describe('when the multivariate check is on', () => {
  it('is on by default from 3 numeric inputs, off below, and can be switched either way', async () => {
    expect((await buildBaseline(arrayRowSource(rows(100)), {})).profile.projections).toHaveLength(1);
    const two = rows(100).map(({ a, b }) => ({ a, b }));
    expect((await buildBaseline(arrayRowSource(two), {})).profile.projections).toHaveLength(0);
    expect((await buildBaseline(arrayRowSource(two), { multivariate: true })).profile.projections).toHaveLength(1);
    expect((await buildBaseline(arrayRowSource(rows(100)), { multivariate: false })).profile.projections).toHaveLength(0);
  });

  it('keeps the components that explain more than --pca-variance', async () => {
    const wide = rows(500, () => ({ d: u(), e: u(), f: u(), g: u(), h: u() }));
    const { profile } = await buildBaseline(arrayRowSource(wide), { pcaVariance: 0.8 });
    const p = profile.projections[0]!;
    const explained = p.explainedVarianceRatio.reduce((a, b) => a + b, 0);
    expect(explained).toBeGreaterThan(0.8);
    expect(explained - p.explainedVarianceRatio.at(-1)!).toBeLessThanOrEqual(0.8);
  });

  it('says so when even d - 1 components fall short of the target', async () => {
    const { profile, warnings } = await buildBaseline(arrayRowSource(rows(500)), { pcaVariance: 0.95 });
    expect(profile.projections[0]!.components).toHaveLength(2);
    expect(warnings.some((w) => /2 of 3 components explain only \d+\.\d % of the variance \(target 95\.0 %\)/.test(w))).toBe(true);
  });
});

describe('bad input to the multivariate and embedding fits', () => {
  it('with fewer rows than inputs: a warning by default, DW_ERR_BASELINE_FIT when asked for', async () => {
    const few = rows(2);
    const { profile, warnings } = await buildBaseline(arrayRowSource(few), {});
    expect(profile.projections).toHaveLength(0);
    // Every other row fits the projection (the rest measure it): 1 fitted row for 3 dimensions.
    expect(warnings).toContain('no multivariate check: it needs at least as many fitted rows (1) as dimensions (3); every other baseline row fits it, the rest measure it');
    expect(await failure(buildBaseline(arrayRowSource(few), { multivariate: true }))).toMatchObject({ code: 'DW_ERR_BASELINE_FIT' });
  });

  it('leaves out constant features, and never produces NaN', async () => {
    const { profile, warnings } = await buildBaseline(arrayRowSource(rows(300, () => ({ flat: 7, flat2: 1.5 }))), { numeric: ['flat', 'flat2'] });
    expect(warnings).toContain('multivariate check leaves out constant feature(s): flat, flat2');
    expect(profile.projections[0]!.inputs).toEqual(['a', 'b', 'c']);
    const { score } = await scoreRows(profile, arrayRowSource(rows(300, () => ({ flat: 7, flat2: 1.5 }))), DEFAULT_DRIFT_RULE);
    for (const f of score.features) {
      for (const v of [f.psi, f.kl, f.js, f.threshold, f.meanShift?.z ?? 0]) expect(Number.isNaN(v)).toBe(false);
    }
    const allFlat = await failure(buildBaseline(arrayRowSource(Array.from({ length: 50 }, () => ({ a: 1, b: 2, c: 3 }))), { multivariate: true, numeric: ['a', 'b', 'c'] }));
    expect(allFlat.message).toMatch(/at least 2 features that vary, found 0/);
  });

  it('names the line and column of an embedding of the wrong length, or with a non-number in it', async () => {
    const data = rows(60, (i) => ({ e: i === 41 ? vector(5) : vector(8) }));
    const wrong = await failure(buildBaseline(arrayRowSource(data), { embedding: ['e'] }));
    expect(wrong).toMatchObject({ code: 'DW_ERR_INPUT_VALUE', location: { line: 42, field: 'e' } });
    expect(wrong.message).toMatch(/embedding has 5 entries; the baseline's have 8/);
    const nonFinite = rows(60, (i) => ({ e: i === 7 ? [...vector(7), null] : vector(8) }));
    expect(await failure(buildBaseline(arrayRowSource(nonFinite), { embedding: ['e'] }))).toMatchObject({
      code: 'DW_ERR_INPUT_VALUE', location: { line: 8, field: 'e' }, message: expect.stringMatching(/entry 7 is not a finite number/) as string,
    });
    const text = rows(60, (i) => ({ e: i === 3 ? 'a sentence' : JSON.stringify(vector(8)) }));
    expect((await failure(buildBaseline(arrayRowSource(text), { embedding: ['e'] }))).message).toMatch(/not an array of numbers/);
  });

  it('skips rows with a bad embedding in skip mode and counts every feature over the same rows', async () => {
    const data = rows(60, (i) => ({ e: i % 10 === 0 ? vector(3) : i % 7 === 0 ? null : vector(8) }));
    const { profile, skippedRows, warnings } = await buildBaseline(arrayRowSource(data), { embedding: ['e'], onError: 'skip' });
    expect(skippedRows).toBe(6);
    expect(warnings.some((w) => w.includes('embedding has 3 entries'))).toBe(true);
    expect(profile.rowCount).toBe(54);
    // Of the 54 counted rows, every other one fits the projection and the rest measure it.
    const counted = data.filter((_, i) => i % 10 !== 0) as Record<string, unknown>[];
    const fitted = counted.filter((_, j) => j % 2 === 0);
    const heldOut = counted.filter((_, j) => j % 2 === 1);
    for (const f of profile.features) expect(f.counts.reduce((a, b) => a + b, 0), f.name).toBe('projection' in f.source ? heldOut.length : 54);
    const projection = profile.projections.find((p) => p.name === 'e')!;
    expect(projection.heldOutRows).toBe(heldOut.length);
    // Rows without the vector count as missing in its derived features, not as errors.
    const error = profile.features.find((f) => f.name === 'e.reconstruction_error')!;
    expect(error.counts.at(-1)).toBe(heldOut.filter((r) => r.e === null).length);
    expect(projection.rowCount).toBe(fitted.filter((r) => r.e !== null).length);
  });

  it('refuses an embedding column without a single vector, and a derived name taken by a column', async () => {
    expect(await failure(buildBaseline(arrayRowSource(rows(20, () => ({ e: null }))), { embedding: ['e'] }))).toMatchObject({ code: 'DW_ERR_BASELINE_FIT' });
    const clash = rows(50, () => ({ 'multivariate.reconstruction_error': u() }));
    expect((await failure(buildBaseline(arrayRowSource(clash), {}))).message).toMatch(/derived feature 'multivariate.reconstruction_error' has the name of a column/);
  });
});
