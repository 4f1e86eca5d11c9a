import { imputeValues } from '../../core/multivariate/record-vector.js';
import { expectedBinCount, type FeatureProfile, type NumericFeatureProfile, type ProjectionProfile } from '../../core/profile/baseline-profile.js';
import { DwError } from '../../platform/errors.js';
import { derivedName, fitOne, TABULAR_PROJECTION, type ProjectionPlan } from '../baseline/fit-projections.js';
import { mergeEmptyBins, quantileEdges } from '../baseline/numeric-edges.js';
import type { EngineSession } from './duckdb-session.js';
import { addHistogram } from './count-rows.js';
import { categorySql, numericBinSql } from './feature-bins.js';
import { double } from './sql-text.js';
import { ORDINAL, ROWS_TABLE, type TypedColumn } from './typed-table.js';

/** Inputs beyond which the covariance is not one query's aggregates (d(d+1)/2 of them). */
export const ENGINE_MAX_TABULAR_INPUTS = 128;

const DERIVED_TABLE = 'dw_derived';

/**
 * The tabular vector of record-vector.ts in SQL: a numeric input as it is (a missing or infinite
 * value imputed), a categorical one as its category's baseline proportion (0 outside the top K).
 */
function vectorSql(inputs: readonly FeatureProfile[], columns: ReadonlyMap<string, TypedColumn>): string[] {
  const impute = imputeValues(inputs);
  return inputs.map((f, j) => {
    const c = columns.get(f.name)!;
    if (f.type === 'numeric') return `CASE WHEN isfinite(${c.number}) THEN ${c.number} ELSE ${double(impute[j]!)} END`;
    return categorySql(c, f.categories, (i) => double(f.proportions[i]!), '0.0::DOUBLE', double(impute[j]!));
  });
}

/**
 * The countable rows' vectors with their half: valid rows alternate between the fit (even ordinal)
 * and the held-out rows (odd), as fit-projections.ts splits them.
 */
function halvesSql(vector: readonly string[], valid: string): string {
  return `SELECT ${vector.map((x, j) => `${x} AS x${j}`).join(', ')}, (row_number() OVER (ORDER BY ${ORDINAL}) - 1) % 2 AS dw_half FROM ${ROWS_TABLE} WHERE ${valid}`;
}

/** The mean and population covariance of the fit half, in one scan. */
async function fitMoments(session: EngineSession, halves: string, d: number): Promise<{ n: number; mean: number[]; covariance: number[][] }> {
  const items = [`count(*) AS n`];
  for (let i = 0; i < d; i++) items.push(`avg(x${i}) AS m${i}`);
  for (let i = 0; i < d; i++) for (let j = i; j < d; j++) items.push(`covar_pop(x${i}, x${j}) AS c${i}_${j}`);
  const [r] = await session.rows(`SELECT ${items.join(', ')} FROM (${halves}) WHERE dw_half = 0`);
  const row = r!;
  const mean = Array.from({ length: d }, (_, i) => Number(row[`m${i}`] ?? 0));
  const covariance = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      const c = Number(row[`c${i}_${j}`] ?? 0);
      covariance[i]![j] = c;
      covariance[j]![i] = c;
    }
  }
  return { n: Number(row.n), mean, covariance };
}

/** Projector.project's reconstruction error, |z|² − |C z|² with z = (x − center) / scale, as SQL over x0..x(d-1). */
function reconstructionErrorSql(p: ProjectionProfile, inputs: readonly FeatureProfile[]): string {
  const position = new Map(inputs.map((f, j) => [f.name, j]));
  const z = p.inputs!.map((name, j) => `((x${position.get(name)!} - ${double(p.center[j]!)}) * ${double(1 / p.scale![j]!)})`);
  const norm = z.map((zj) => `${zj} * ${zj}`).join(' + ');
  const scores = p.components.map((axis) => `(${axis.map((a, j) => `${double(a)} * ${z[j]}`).join(' + ')})`);
  const explained = scores.map((s) => `${s} * ${s}`).join(' + ');
  return `greatest(0, (${norm}) - (${explained}))`;
}

/**
 * The multivariate check on the engine: the covariance of the fit half in one scan, the principal
 * axes (fit-projections.ts's fitOne), then each held-out row's reconstruction error written once
 * to a table, whose quantiles and bin counts give the derived feature.
 */
export async function fitTabular(session: EngineSession, plan: ProjectionPlan, columns: ReadonlyMap<string, TypedColumn>, valid: string,
  warnings: string[], onPass?: (pass: 3 | 4 | 5) => void): Promise<{ projections: ProjectionProfile[]; features: FeatureProfile[] }> {
  const inputs = plan.tabular!;
  const halves = halvesSql(vectorSql(inputs, columns), valid);
  onPass?.(3);
  const moments = await fitMoments(session, halves, inputs.length);
  const target = { name: TABULAR_PROJECTION, kind: 'tabular' as const, dimension: inputs.length, column: inputs.map((f) => f.name).join(', '), inputs, required: plan.tabularRequired };
  const projection = fitOne(target, moments, plan.varianceTarget, warnings);
  if (projection === undefined) return { projections: [], features: [] };

  onPass?.(4);
  await session.run(`CREATE OR REPLACE TABLE ${DERIVED_TABLE} AS SELECT ${reconstructionErrorSql(projection, inputs)} AS e FROM (${halves}) WHERE dw_half = 1`);
  const qs = Array.from({ length: plan.bins - 1 }, (_, j) => ((j + 1) / plan.bins).toString()).join(', ');
  const [s] = await session.rows(`SELECT count(*) AS n, min(e) AS lo, max(e) AS hi, avg(e) AS mean, stddev_pop(e) AS std, approx_quantile(e, [${qs}]) AS q FROM ${DERIVED_TABLE}`);
  const stats = s!;
  const heldOut = Number(stats.n);
  const source = { projection: projection.name, output: 'reconstruction_error' as const };
  const name = derivedName(projection.name, source);
  if (heldOut === 0) throw new DwError('DW_ERR_BASELINE_FIT', `projection '${projection.name}' gave no value for '${name}'`, { field: name });
  const quantiles = (stats.q as number[]).map(Number);
  const edges = quantileEdges(Number(stats.lo), Number(stats.hi), plan.bins, (q) => quantiles[Math.round(q * plan.bins) - 1]!);

  onPass?.(5);
  const [h] = await session.rows(`SELECT histogram(${numericBinSql('e', edges)}) AS h FROM ${DERIVED_TABLE}`);
  const counts = new Float64Array(expectedBinCount({ type: 'numeric', edges }));
  addHistogram(counts, h!.h);
  const merged = mergeEmptyBins(edges, Array.from(counts));
  const feature: NumericFeatureProfile = {
    name, role: 'multivariate', source, type: 'numeric', edges: merged.edges, mean: Number(stats.mean), std: Number(stats.std ?? 0),
    counts: merged.counts, proportions: merged.counts.map((c) => c / heldOut),
  };
  return { projections: [{ ...projection, heldOutRows: heldOut }], features: [feature] };
}
