import { ProfileCounter } from '../../core/aggregation/profile-counter.js';
import type { InputRecord } from '../../core/aggregation/read-source.js';
import { MISSING } from '../../core/aggregation/read-source.js';
import { DwError } from '../../platform/errors.js';
import type { RowSource } from '../input/row-source.js';
import { CoMomentAccumulator } from '../../core/multivariate/comoment-accumulator.js';
import { fitPca } from '../../core/multivariate/fit-pca.js';
import { Projector } from '../../core/multivariate/projector.js';
import { embeddingVector, imputeValues, tabularVector, type RecordVector } from '../../core/multivariate/record-vector.js';
import type { FeatureProfile, FeatureRole, NumericFeatureProfile, ProjectionProfile, ProjectionSource } from '../../core/profile/baseline-profile.js';
import { ColumnScan } from './column-scan.js';
import { mergeEmptyBins, quantileEdges } from './numeric-edges.js';

/** Name of the projection over a model's tabular inputs. */
export const TABULAR_PROJECTION = 'multivariate';

/** What to fit, decided from the options and the first two passes. */
export interface ProjectionPlan {
  /** Input features of the tabular projection (numeric and categorical), if one is fitted. */
  tabular?: FeatureProfile[];
  /** True when `--multivariate` was asked for (then a fit that cannot be made is an error). */
  tabularRequired: boolean;
  embeddings: { column: string; dimension: number }[];
  varianceTarget: number;
  /** Rows each half of a fit uses at most (see `fitStride`). */
  fitRows: number;
  /** Component scores kept as features per embedding. */
  embeddingScores: number;
  bins: number;
}

/** The fitted projections and the numeric features derived from them. */
export interface FittedProjections {
  projections: ProjectionProfile[];
  features: FeatureProfile[];
  warnings: string[];
}

/** Progress of the extra passes (3: covariance, 4: derived values sketched, 5: derived values counted). */
export type ProjectionPass = 3 | 4 | 5;

/** A projection being fitted: how its vector is read and what was accumulated. */
interface Fit {
  name: string;
  kind: 'tabular' | 'embedding';
  vector: RecordVector;
  inputs?: FeatureProfile[];
  /** Values imputed for missing coordinates (tabular) during the covariance pass. */
  impute: Float64Array;
  accumulator?: CoMomentAccumulator;
  required: boolean;
}

export function derivedName(projection: string, source: ProjectionSource): string {
  return source.output === 'reconstruction_error' ? `${projection}.reconstruction_error` : `${projection}.pc${source.component! + 1}`;
}

/**
 * Fits the planned projections in three more streaming passes over the rows that `valid` accepts
 * (the rows pass 2 counted): pass 3 accumulates the mean and covariance of each projection's
 * vectors; the principal axes come from an eigen-decomposition; pass 4 sketches each row's
 * reconstruction error and component scores; pass 5 counts them into quantile bins. Memory grows
 * with the square of the dimension, never with the rows.
 */
export async function fitProjections(
  source: RowSource,
  plan: ProjectionPlan,
  valid: (record: InputRecord) => boolean,
  countedRows: number,
  onPass?: (pass: ProjectionPass) => void,
): Promise<FittedProjections> {
  const warnings: string[] = [];
  const fits = plannedFits(plan);
  const stride = fitStride(countedRows, plan.fitRows);
  onPass?.(3);
  await accumulateCovariance(source, fits, alternate(valid, FIT, stride));
  const projections: ProjectionProfile[] = [];
  for (const fit of fits) {
    const target = { name: fit.name, kind: fit.kind, dimension: fit.vector.dimension, column: fit.vector.column, inputs: fit.inputs, required: fit.required };
    const projection = fitOne(target, fit.accumulator === undefined ? undefined : { n: fit.accumulator.n, ...fit.accumulator.result() }, plan.varianceTarget, warnings);
    if (projection !== undefined) projections.push(projection);
  }
  if (projections.length === 0) return { projections, features: [], warnings };

  const projectors = projections.map((p) => new Projector(p, plan.tabular ?? []));
  const derived = derivedFeatures(projections, plan.embeddingScores);
  onPass?.(4);
  const drafts = await sketchDerived(source, projectors, derived, alternate(valid, HELD_OUT, stride), plan.bins);
  onPass?.(5);
  const { features, rows } = await countDerived(source, projectors, drafts, alternate(valid, HELD_OUT, stride));
  return { projections: projections.map((p) => ({ ...p, heldOutRows: rows })), features, warnings };
}

/** Valid rows alternate between the fit (even) and the held-out set (odd) that measures it. */
const FIT = 0;
const HELD_OUT = 1;

/**
 * The step between the rows a fit takes of `countedRows` countable rows: 2 (every row, alternately
 * fit and held out) up to 2 × fitRows, and 2k beyond, so that each half keeps at most fitRows: the
 * fit takes ordinals 0, 2k, 4k…, the held-out set 1, 2k + 1… (the engine's fit-tabular.ts the same).
 */
export function fitStride(countedRows: number, fitRows: number): number {
  return 2 * Math.max(1, Math.ceil(countedRows / (2 * fitRows)));
}

/**
 * The rows `valid` accepts whose ordinal among them is `keep` modulo `stride`: a fresh predicate per
 * pass, so every pass sees the same split. Interleaving keeps both halves alike when the file is sorted.
 */
function alternate(valid: (record: InputRecord) => boolean, keep: typeof FIT | typeof HELD_OUT, stride: number): (record: InputRecord) => boolean {
  let ordinal = 0;
  return (record) => valid(record) && ordinal++ % stride === keep;
}

/** One fit per planned projection: the tabular one first, then each embedding. */
function plannedFits(plan: ProjectionPlan): Fit[] {
  const fits: Fit[] = [];
  if (plan.tabular !== undefined) {
    fits.push({ name: TABULAR_PROJECTION, kind: 'tabular', vector: tabularVector(plan.tabular), inputs: plan.tabular,
      impute: imputeValues(plan.tabular), required: plan.tabularRequired });
  }
  for (const e of plan.embeddings) {
    fits.push({ name: e.column, kind: 'embedding', vector: embeddingVector(e.column, e.dimension), impute: new Float64Array(e.dimension), required: true });
  }
  return fits;
}

/** Pass 3: the mean and covariance of each projection's vectors. */
async function accumulateCovariance(source: RowSource, fits: Fit[], valid: (record: InputRecord) => boolean): Promise<void> {
  const scratch = fits.map((f) => new Float64Array(f.vector.dimension));
  for await (const { record } of source.rows()) {
    if (!valid(record)) continue;
    fits.forEach((fit, i) => {
      const x = scratch[i]!;
      if (fit.vector.read(record, x, fit.impute) !== undefined) return; // no vector in this row
      fit.accumulator ??= new CoMomentAccumulator(x.length, fit.kind === 'tabular' ? fit.impute : x.slice());
      fit.accumulator.add(x);
    });
  }
}

/** A feature derived from a projection, being sketched. */
interface Derived {
  name: string;
  role: FeatureRole;
  source: ProjectionSource;
  /** Index of its projector. */
  projector: number;
  /** Component score index, or -1 for the reconstruction error. */
  component: number;
  scan: ColumnScan;
}

/** The derived features: each projection's reconstruction error, and an embedding's first scores. */
function derivedFeatures(projections: readonly ProjectionProfile[], embeddingScores: number): Derived[] {
  const derived: Derived[] = [];
  projections.forEach((p, i) => {
    const outputs: ProjectionSource[] = [{ projection: p.name, output: 'reconstruction_error' }];
    if (p.kind === 'embedding') {
      for (let c = 0; c < Math.min(embeddingScores, p.components.length); c++) outputs.push({ projection: p.name, output: 'component', component: c });
    }
    for (const s of outputs) {
      const error = s.output === 'reconstruction_error';
      derived.push({ name: derivedName(p.name, s), role: error ? 'multivariate' : 'embedding', source: s, projector: i, component: error ? -1 : s.component!, scan: new ColumnScan() });
    }
  });
  return derived;
}

/** Pass 4: sketches the derived values, as pass 1 does for a column, and drafts their bins. */
async function sketchDerived(source: RowSource, projectors: readonly Projector[], derived: readonly Derived[], valid: (record: InputRecord) => boolean,
  bins: number): Promise<NumericFeatureProfile[]> {
  const results = projectors.map((): undefined | typeof MISSING | string => undefined);
  for await (const { line, record } of source.rows()) {
    if (!valid(record)) continue;
    projectors.forEach((projector, i) => (results[i] = projector.project(record)));
    for (const d of derived) d.scan.add(results[d.projector] === MISSING ? MISSING : projectors[d.projector]!.value(d.component), line);
  }
  return derived.map((d): NumericFeatureProfile => {
    if (!d.scan.hasRange) {
      throw new DwError('DW_ERR_BASELINE_FIT', `projection '${d.source.projection}' gave no value for '${d.name}'`, { field: d.name });
    }
    const { mean, std } = d.scan.moments();
    const edges = quantileEdges(d.scan.min, d.scan.max, bins, (q) => d.scan.quantile(q));
    return { name: d.name, role: d.role, source: d.source, type: 'numeric', edges, mean, std, counts: [0, 0], proportions: [0, 0] };
  });
}

/** Pass 5: exact counts of the derived values into the drafted bins (empty interior bins merged). */
async function countDerived(source: RowSource, projectors: Projector[], drafts: NumericFeatureProfile[], valid: (record: InputRecord) => boolean):
  Promise<{ features: FeatureProfile[]; rows: number }> {
  const counter = new ProfileCounter(drafts, { projectors });
  for await (const { record } of source.rows()) {
    if (valid(record)) counter.add(record);
  }
  const rows = counter.n;
  const features = drafts.map((draft, i): FeatureProfile => {
    const merged = mergeEmptyBins(draft.edges, Array.from(counter.counts[i]!));
    return { ...draft, edges: merged.edges, counts: merged.counts, proportions: merged.counts.map((c) => c / rows) };
  });
  return { features, rows };
}

/** A projection to fit: its name and kind, its vector's dimension and column(s), its tabular inputs. */
export interface FitTarget {
  name: string;
  kind: 'tabular' | 'embedding';
  dimension: number;
  column: string;
  inputs?: FeatureProfile[];
  /** An unfittable projection is an error (else a warning, and no projection). */
  required: boolean;
}

/** The mean and population covariance of the fitted rows' vectors. */
export interface FitMoments {
  n: number;
  mean: ArrayLike<number>;
  covariance: number[][];
}

/** The principal axes of one projection from its moments, or undefined (with a warning) when it cannot be fitted. */
export function fitOne(fit: FitTarget, moments: FitMoments | undefined, varianceTarget: number, warnings: string[]): ProjectionProfile | undefined {
  const cannot = (why: string): undefined => {
    if (fit.required) throw new DwError('DW_ERR_BASELINE_FIT', `cannot fit projection '${fit.name}': ${why}`, { field: fit.column });
    warnings.push(`no multivariate check: ${why}`);
    return undefined;
  };
  const acc = moments;
  if (acc === undefined || acc.n === 0) return cannot('no row has a value for it');
  const fewRows = (rows: number, d: number): string => `it needs at least as many fitted rows (${rows}) as dimensions (${d}); every other baseline row fits it, the rest measure it`;
  if (acc.n < fit.dimension) return cannot(fewRows(acc.n, fit.dimension));
  const { mean, covariance } = acc;
  // Coordinates without variance carry no relationship to watch: a tabular fit leaves them out.
  let keep = Array.from(mean, (_, j) => j);
  if (fit.kind === 'tabular') {
    keep = keep.filter((j) => covariance[j]![j]! > 1e-12 * Math.max(1, mean[j]! ** 2));
    const dropped = fit.inputs!.filter((_, j) => !keep.includes(j)).map((f) => f.name);
    if (dropped.length > 0) warnings.push(`multivariate check leaves out constant feature(s): ${dropped.join(', ')}`);
  }
  const d = keep.length;
  if (d < 2) return cannot(`it needs at least 2 features that vary, found ${d}`);
  if (acc.n < d) return cannot(fewRows(acc.n, d));
  const sub = keep.map((i) => keep.map((j) => covariance[i]![j]!));
  const pca = fitPca(sub, varianceTarget, fit.kind === 'tabular');
  if (pca === undefined) return cannot('its values do not vary');
  const explained = pca.explainedVarianceRatio.reduce((a, b) => a + b, 0);
  if (explained <= varianceTarget) {
    warnings.push(`projection '${fit.name}': ${pca.components.length} of ${d} components explain only ${(explained * 100).toFixed(1)} % of the variance `
      + `(target ${(varianceTarget * 100).toFixed(1)} %): one axis is always left for the reconstruction error`);
  }
  const base = {
    name: fit.name, kind: fit.kind, dimension: d, center: keep.map((j) => mean[j]!),
    components: pca.components, eigenvalues: pca.eigenvalues, explainedVarianceRatio: pca.explainedVarianceRatio,
    varianceTarget, rowCount: acc.n,
  };
  if (fit.kind === 'tabular') return { ...base, inputs: keep.map((j) => fit.inputs![j]!.name), scale: pca.scale! };
  return { ...base, column: fit.column };
}
