import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBaseline } from '../../../../shared/offline/baseline/build-baseline.js';
import { fileRowSource } from '../../../../shared/offline/input/file-row-source.js';
import { CoMomentAccumulator } from '../../../../shared/core/multivariate/comoment-accumulator.js';
import { Projector } from '../../../../shared/core/multivariate/projector.js';
import { imputeValues, tabularVector } from '../../../../shared/core/multivariate/record-vector.js';
import type { BaselineProfile, NumericFeatureProfile, ProjectionProfile } from '../../../../shared/core/profile/baseline-profile.js';

/**
 * The PCA numerics against NumPy and scikit-learn (scripts/make-pca-fixtures.py): the same two
 * baselines built by driftwatch must give the same means, scales, covariance, principal axes (up
 * to sign), explained variance and per-row reconstruction errors. The fit takes the even rows; the
 * derived features are measured on the odd rows, held out of it.
 */
interface Reference {
  rows: number;
  heldOutRows: number;
  firstScoreMean: number;
  firstScoreStd: number;
  center: number[];
  scale: number[] | null;
  covariance: number[][];
  k: number;
  components: number[][];
  explainedVarianceRatio: number[];
  eigenvalues: number[];
  errors: number[];
  errorMean: number;
  errorStd: number;
}
const fixture = (name: string): string => fileURLToPath(new URL(`../../../fixtures/pca/${name}`, import.meta.url));
const reference = JSON.parse(readFileSync(fixture('reference.json'), 'utf8')) as { varianceTarget: number; tabular: Reference & { inputs: string[] }; embedding: Reference };

function expectClose(actual: readonly number[], expected: readonly number[], tolerance: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]!), `${what}[${i}]: ${a} vs ${expected[i]}`).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(expected[i]!))));
}

/** Axes agree up to sign: flip each reference axis to the product's sign, then compare. */
function expectSameAxes(actual: number[][], expected: number[][]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((axis, i) => {
    const dot = axis.reduce((s, v, j) => s + v * expected[i]![j]!, 0);
    expect(Math.abs(dot), `axis ${i}`).toBeCloseTo(1, 9);
    expectClose(axis, expected[i]!.map((v) => Math.sign(dot) * v), 1e-7, `axis ${i}`);
  });
}

async function rowsOf(file: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const { record } of fileRowSource(file).rows()) out.push(record);
  return out;
}

function checkProjection(profile: BaselineProfile, projection: ProjectionProfile, ref: Reference, rows: Record<string, unknown>[]): void {
  expect(projection.rowCount).toBe(ref.rows);
  expect(projection.varianceTarget).toBe(reference.varianceTarget);
  expectClose(projection.center, ref.center, 1e-9, 'center');
  if (ref.scale !== null) expectClose(projection.scale!, ref.scale, 1e-9, 'scale');
  expect(projection.components).toHaveLength(ref.k);
  expectSameAxes(projection.components, ref.components);
  expectClose(projection.explainedVarianceRatio, ref.explainedVarianceRatio, 1e-9, 'explained variance ratio');
  expectClose(projection.eigenvalues, ref.eigenvalues, 1e-9, 'eigenvalues');

  // Per-row reconstruction errors, and their baseline mean and spread in the derived feature.
  const projector = new Projector(projection, profile.features);
  const errors = rows.map((r) => {
    expect(projector.project(r)).toBeUndefined();
    return projector.error;
  });
  expectClose(errors, ref.errors, 1e-8, 'errors');
  const feature = profile.features.find((f) => f.name === `${projection.name}.reconstruction_error`) as NumericFeatureProfile;
  expect(feature.role).toBe('multivariate');
  expect(feature.mean).toBeCloseTo(ref.errorMean, 9);
  expect(feature.std).toBeCloseTo(ref.errorStd, 9);
  expect(projection.heldOutRows).toBe(ref.heldOutRows);
  expect(feature.counts.reduce((a, b) => a + b, 0)).toBe(ref.heldOutRows);
}

describe('tabular PCA (numeric, categorical and missing values) against scikit-learn', () => {
  let profile: BaselineProfile;
  let rows: Record<string, unknown>[];

  beforeAll(async () => {
    ({ profile } = await buildBaseline(fileRowSource(fixture('tabular.csv')), { multivariate: true, pcaVariance: reference.varianceTarget }));
    rows = await rowsOf(fixture('tabular.csv'));
  });

  it('finds the same inputs, means, scales, axes, explained variance and errors', () => {
    const projection = profile.projections.find((p) => p.name === 'multivariate')!;
    expect(projection.kind).toBe('tabular');
    expect(projection.inputs).toEqual(reference.tabular.inputs);
    checkProjection(profile, projection, reference.tabular, rows);
  });

  it('streams the same covariance of the standardised inputs', () => {
    const projection = profile.projections.find((p) => p.name === 'multivariate')!;
    const byName = new Map(profile.features.map((f) => [f.name, f]));
    const inputs = projection.inputs!.map((n) => byName.get(n)!);
    const vector = tabularVector(inputs);
    const impute = imputeValues(inputs);
    const accumulator = new CoMomentAccumulator(vector.dimension, Float64Array.from(projection.center));
    const x = new Float64Array(vector.dimension);
    for (const r of rows.filter((_, i) => i % 2 === 0)) {
      vector.read(r, x, impute);
      accumulator.add(x);
    }
    const { mean, covariance } = accumulator.result();
    expectClose(Array.from(mean), reference.tabular.center, 1e-9, 'mean');
    const scale = projection.scale!;
    covariance.forEach((row, i) => expectClose(row.map((c, j) => c / (scale[i]! * scale[j]!)), reference.tabular.covariance[i]!, 1e-9, `covariance row ${i}`));
  });
});

describe('embedding PCA against scikit-learn', () => {
  it('finds the same mean, axes, explained variance and errors, and keeps the first scores as features', async () => {
    const { profile } = await buildBaseline(fileRowSource(fixture('embedding.jsonl')), { embedding: ['vec'], pcaVariance: reference.varianceTarget });
    // Two plain inputs only (id, label): no tabular projection by default.
    expect(profile.projections.map((p) => p.name)).toEqual(['vec']);
    const projection = profile.projections[0]!;
    expect(projection).toMatchObject({ kind: 'embedding', column: 'vec', dimension: 24 });
    expect(projection.scale).toBeUndefined();
    checkProjection(profile, projection, reference.embedding, await rowsOf(fixture('embedding.jsonl')));
    const derived = profile.features.filter((f) => 'projection' in f.source).map((f) => [f.name, f.role]);
    expect(derived).toEqual([['vec.reconstruction_error', 'multivariate'], ['vec.pc1', 'embedding'], ['vec.pc2', 'embedding']]);
    // A score's baseline mean and spread are the held-out rows'.
    const pc1 = profile.features.find((f) => f.name === 'vec.pc1') as NumericFeatureProfile;
    expect(pc1.mean).toBeCloseTo(reference.embedding.firstScoreMean, 9);
    expect(pc1.std).toBeCloseTo(reference.embedding.firstScoreStd, 9);
  });
});
