import { CoMomentAccumulator } from '../../core/multivariate/comoment-accumulator.js';
import { imputeValues } from '../../core/multivariate/record-vector.js';
import type { FeatureProfile, NumericFeatureProfile, ProjectionProfile } from '../../core/profile/baseline-profile.js';
import { DwError } from '../../platform/errors.js';
import { derivedName, fitOne, fitStride, TABULAR_PROJECTION, type ProjectionPlan } from '../baseline/fit-projections.js';
import { mergeEmptyBins, quantileEdges } from '../baseline/numeric-edges.js';
import type { EngineSession } from './duckdb-session.js';
import { binProbabilities, quantilesSql } from './column-aggregates.js';
import { categorySql, numericHistogram } from './feature-bins.js';
import { double } from './sql-text.js';
import { ROWS_TABLE, type TypedColumn } from './typed-table.js';

/** Inputs beyond which the covariance is not one query's d(d+1)/2 aggregates but the vectors streamed to CoMomentAccumulator. */
const MAX_SQL_COVARIANCE_INPUTS = 64;

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
 * The countable rows' vectors of one half: positions 0, stride, 2·stride… are the fit, 1,
 * stride + 1… the held-out rows (stride 2 up to 2 × fitRows countable rows: `fitStride`), in the
 * order the engine holds them, which is input order with one thread (as
 * fit-projections.ts splits a stream) and an interleaving of the input's parts with several: either
 * way both halves are drawn alike from the whole file. With every row countable the position is
 * the table's rowid; otherwise a row number over the countable ones.
 */
function vectorsSql(vector: readonly string[], valid: string, half: 0 | 1, stride: number): string {
  const columns = vector.map((x, j) => `${x} AS x${j}`).join(', ');
  if (valid === 'true') return `SELECT ${columns} FROM ${ROWS_TABLE} WHERE rowid % ${stride} = ${half}`;
  return `SELECT ${columns} FROM (SELECT *, (row_number() OVER () - 1) % ${stride} AS dw_half FROM ${ROWS_TABLE} WHERE ${valid}) WHERE dw_half = ${half}`;
}

/**
 * The mean and population covariance of the fit half in one scan, as CoMomentAccumulator takes
 * them: sums of products of the vectors shifted by a point near the mean (the imputed values,
 * the baseline means), which keeps E[yy'] − E[y]E[y]' accurate; plain sums are twice as fast on
 * the engine as its covar_pop.
 */
async function fitMoments(session: EngineSession, vectors: string, shift: ArrayLike<number>): Promise<{ n: number; mean: number[]; covariance: number[][] }> {
  const d = shift.length;
  if (d > MAX_SQL_COVARIANCE_INPUTS) return streamedMoments(session, vectors, shift);
  const y = Array.from({ length: d }, (_, i) => `(x${i} - ${double(shift[i]!)})`);
  const items = [`count(*) AS n`];
  for (let i = 0; i < d; i++) items.push(`sum(${y[i]}) AS s${i}`);
  for (let i = 0; i < d; i++) for (let j = i; j < d; j++) items.push(`sum(${y[i]} * ${y[j]}) AS c${i}_${j}`);
  const [r] = await session.rows(`SELECT ${items.join(', ')} FROM (${vectors})`);
  const row = r!;
  const n = Number(row.n);
  const m = Array.from({ length: d }, (_, i) => Number(row[`s${i}`] ?? 0) / n);
  const covariance = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      const c = Number(row[`c${i}_${j}`] ?? 0) / n - m[i]! * m[j]!;
      covariance[i]![j] = c;
      covariance[j]![i] = c;
    }
  }
  return { n, mean: m.map((v, i) => v + shift[i]!), covariance };
}

/** The same moments for a wide vector: the fit half streamed a chunk at a time into the streaming builder's accumulator. */
async function streamedMoments(session: EngineSession, vectors: string, shift: ArrayLike<number>): Promise<{ n: number; mean: number[]; covariance: number[][] }> {
  const d = shift.length;
  const accumulator = new CoMomentAccumulator(d, Float64Array.from(shift));
  const x = new Float64Array(d);
  for await (const row of session.stream(vectors)) {
    for (let j = 0; j < d; j++) x[j] = row[`x${j}`] as number;
    accumulator.add(x);
  }
  const { mean, covariance } = accumulator.result();
  return { n: accumulator.n, mean: Array.from(mean), covariance };
}

/**
 * Projector.project's reconstruction error on the held-out vectors, |z|² − |C z|² with
 * z = (x − center) / scale, on the engine's list dot products (z is one list per row).
 */
function reconstructionErrorSql(p: ProjectionProfile, inputs: readonly FeatureProfile[], vectors: string): string {
  const position = new Map(inputs.map((f, j) => [f.name, j]));
  const z = p.inputs!.map((name, j) => `(x${position.get(name)!} - ${double(p.center[j]!)}) * ${double(1 / p.scale![j]!)}`);
  const explained = p.components.map((axis) => `pow(list_dot_product(z, [${axis.map(double).join(', ')}]), 2)`).join(' + ');
  return `SELECT greatest(0, list_dot_product(z, z) - (${explained})) AS e FROM (SELECT [${z.join(', ')}] AS z FROM (${vectors}))`;
}

/**
 * The multivariate check on the engine: the covariance of the fit half in one scan, the principal
 * axes (fit-projections.ts's fitOne), then each held-out row's reconstruction error written once
 * to a table, whose quantiles and bin counts give the derived feature.
 */
export async function fitTabular(session: EngineSession, plan: ProjectionPlan, columns: ReadonlyMap<string, TypedColumn>, valid: string,
  countedRows: number, warnings: string[], onPass?: (pass: 3 | 4 | 5) => void): Promise<{ projections: ProjectionProfile[]; features: FeatureProfile[] }> {
  const inputs = plan.tabular!;
  onPass?.(3);
  const vector = vectorSql(inputs, columns);
  const stride = fitStride(countedRows, plan.fitRows);
  const moments = await fitMoments(session, vectorsSql(vector, valid, 0, stride), imputeValues(inputs));
  const target = { name: TABULAR_PROJECTION, kind: 'tabular' as const, dimension: inputs.length, column: inputs.map((f) => f.name).join(', '), inputs, required: plan.tabularRequired };
  const projection = fitOne(target, moments, plan.varianceTarget, warnings);
  if (projection === undefined) return { projections: [], features: [] };

  onPass?.(4);
  await session.run(`CREATE OR REPLACE TABLE ${DERIVED_TABLE} AS ${reconstructionErrorSql(projection, inputs, vectorsSql(vector, valid, 1, stride))}`);
  const [{ n: heldOutRows }] = (await session.rows(`SELECT count(*) AS n FROM ${DERIVED_TABLE}`)) as [{ n: number }];
  const [s] = await session.rows(`SELECT count(*) AS n, min(e) AS lo, max(e) AS hi, avg(e) AS mean, stddev_pop(e) AS std, `
    + `${quantilesSql('e', binProbabilities(plan.bins), heldOutRows)} AS q FROM ${DERIVED_TABLE}`);
  const stats = s!;
  const heldOut = Number(stats.n);
  const source = { projection: projection.name, output: 'reconstruction_error' as const };
  const name = derivedName(projection.name, source);
  if (heldOut === 0) throw new DwError('DW_ERR_BASELINE_FIT', `projection '${projection.name}' gave no value for '${name}'`, { field: name });
  const quantiles = (stats.q as number[]).map(Number);
  const edges = quantileEdges(Number(stats.lo), Number(stats.hi), plan.bins, (q) => quantiles[Math.round(q * plan.bins) - 1]!);

  onPass?.(5);
  const histogram = numericHistogram('e', edges);
  const [h] = await session.rows(`SELECT ${histogram.sql} AS h FROM ${DERIVED_TABLE}`);
  const merged = mergeEmptyBins(edges, histogram.read(h!.h, heldOut, heldOut));
  const feature: NumericFeatureProfile = {
    name, role: 'multivariate', source, type: 'numeric', edges: merged.edges, mean: Number(stats.mean), std: Number(stats.std ?? 0),
    counts: merged.counts, proportions: merged.counts.map((c) => c / heldOut),
  };
  return { projections: [{ ...projection, heldOutRows: heldOut }], features: [feature] };
}
