import { ProfileCounter, type ValueProblem } from '../../core/aggregation/profile-counter.js';
import { readSource, type InputRecord, type VectorCache } from '../../core/aggregation/read-source.js';
import { DwError } from '../../platform/errors.js';
import type { RowSource } from '../input/row-source.js';
import { expectedBinCount, type BaselineProfile, type FeatureProfile } from '../../core/profile/baseline-profile.js';
import { parseBuildOptions, type BuildOptions } from './build-options.js';
import { ColumnScan } from './column-scan.js';
import { EmbeddingScan } from './embedding-scan.js';
import {
  MAX_COLUMNS, assembleProfile, buildContext, checkColumns, checkDerivedNames, checkNamedColumns, draftFeatures, finalFeatures, forcedType,
  projectionPlan, reservedColumns, signalCandidates, type BuildContext, type BuildHooks, type BuildResult, type Candidate,
} from './feature-drafts.js';
import { buildOnEngine, engineBuilds } from '../engine/engine-build.js';
import { fitProjections, type ProjectionPlan } from './fit-projections.js';
import { CalibrationCounts, calibrationTarget, countRecord, performanceBlock, type CalibrationTarget } from './label-calibration.js';

export type { BuildHooks, BuildResult } from './feature-drafts.js';

/** What pass 1 found: the candidate features, the embedding columns, every column seen. */
interface Sketch {
  inputs: Candidate<ColumnScan>[];
  signals: Candidate<ColumnScan>[];
  embeddings: EmbeddingScan[];
  seenColumns: Set<string>;
}

/**
 * Builds a baseline profile in two streaming passes: the first sketches quantiles, ranges, moments
 * and category candidates per column with bounded memory; the second counts every row exactly
 * into the final bins. Tied quantiles collapse and empty interior bins merge, so no interior bin
 * is empty. Projections, when asked for or on by default, take passes 3 to 5.
 */
export async function buildBaseline(source: RowSource, rawOptions: unknown, hooks: BuildHooks = {}): Promise<BuildResult> {
  const options = parseBuildOptions(rawOptions);
  if (engineBuilds(source, options)) return buildOnEngine(source, options, hooks);
  const ctx = buildContext(options, source.file);

  hooks.onPass?.(1);
  const sketch = await sketchColumns(source, options);
  checkNamedColumns(sketch.seenColumns, ctx);
  checkColumns([...sketch.inputs, ...sketch.signals], sketch.embeddings.map((e) => e.column), ctx, source.format === 'csv' && source.namesGiven !== true);
  const drafts = draftFeatures([...sketch.inputs, ...sketch.signals], ctx);
  checkEmbeddings(sketch.embeddings, ctx);
  /** Why a row is left out: a bad embedding, or a value its feature cannot count. */
  const rowProblem = (record: InputRecord, counter: ProfileCounter): ValueProblem | undefined => {
    for (const e of sketch.embeddings) {
      const problem = e.problem(record);
      if (problem !== undefined) return problem;
    }
    return counter.add(record);
  };

  hooks.onPass?.(2);
  const target = calibrationTarget(drafts, options, source.file);
  const { counter, skippedRows, calibration } = await countRows(source, drafts, rowProblem, target, ctx, hooks);
  const performance = performanceBlock(target, calibration, drafts, counter.counts, ctx.warnings);
  const features = finalFeatures(drafts, counter.counts, counter.n, ctx);

  const plan = projectionPlan(features, options, sketch.embeddings.map((e) => ({ column: e.column, dimension: e.dimension! })));
  const projections = plan === undefined ? [] : await addProjections(source, plan, features, drafts, rowProblem, counter.n, ctx, hooks);
  const profile = assembleProfile(source.file, source.format, counter.n, options, features, projections, performance);
  return { profile, warnings: ctx.warnings, skippedRows };
}

/** Pass 1: discovers the columns and sketches each candidate feature and embedding. */
async function sketchColumns(source: RowSource, options: BuildOptions): Promise<Sketch> {
  const signals = signalCandidates(options, (forced) => new ColumnScan(forced === 'categorical'));
  const embeddings = options.embedding.map((column) => new EmbeddingScan(column));
  const reserved = reservedColumns(options);
  const inputs = new Map<string, Candidate<ColumnScan>>();
  const seenColumns = new Set<string>();
  const cache: VectorCache = new Map();
  let rows = 0;
  for await (const { line, record } of source.rows()) {
    rows++;
    cache.clear();
    for (const column in record) {
      if (seenColumns.has(column)) continue;
      seenColumns.add(column);
      if (reserved.has(column)) continue;
      if (inputs.size >= MAX_COLUMNS) {
        throw new DwError('DW_ERR_INPUT_ROW', `more than ${MAX_COLUMNS} distinct columns; is a value used as a key?`, { file: source.file, line, field: column });
      }
      const forced = forcedType(options, column);
      inputs.set(column, { name: column, role: 'input', source: { column, transform: 'value' }, forced, scan: new ColumnScan(forced === 'categorical') });
    }
    for (const c of inputs.values()) c.scan.add(readSource(record, c.source, cache), line);
    for (const c of signals) c.scan.add(readSource(record, c.source, cache), line);
    for (const e of embeddings) e.add(record[e.column], line);
  }
  if (rows === 0) throw new DwError('DW_ERR_INPUT_EMPTY', 'the input holds no rows', { file: source.file });
  return { inputs: [...inputs.values()], signals, embeddings, seenColumns };
}

/** Each embedding column needs a usable vector; its bad rows are reported (and skipped in pass 2). */
function checkEmbeddings(embeddings: readonly EmbeddingScan[], { file, failOrWarn }: BuildContext): void {
  for (const e of embeddings) {
    if (e.firstInvalid !== undefined) {
      failOrWarn(new DwError('DW_ERR_INPUT_VALUE', `${e.firstInvalid.reason}; rows with a bad vector are skipped`, { file, line: e.firstInvalid.line, field: e.column }));
    }
    if (e.dimension === undefined) throw new DwError('DW_ERR_BASELINE_FIT', `embedding column '${e.column}' holds no usable vector`, { file, field: e.column });
  }
}

type RowProblem = (record: InputRecord, counter: ProfileCounter) => ValueProblem | undefined;

/**
 * Pass 2: exact counts into the drafted bins, and with a label column the labelled predictions per
 * confidence bin; a row with a problem fails the build or is skipped.
 */
async function countRows(source: RowSource, drafts: FeatureProfile[], rowProblem: RowProblem, target: CalibrationTarget | undefined, ctx: BuildContext,
  hooks: BuildHooks): Promise<{ counter: ProfileCounter; skippedRows: number; calibration: CalibrationCounts | undefined }> {
  const counter = new ProfileCounter(drafts);
  const calibration = target === undefined ? undefined : new CalibrationCounts(expectedBinCount(drafts[target.confidence]!));
  let skippedRows = 0;
  for await (const { line, record } of source.rows()) {
    const problem = rowProblem(record, counter);
    if (problem === undefined) {
      if (target !== undefined) countRecord(calibration!, target, drafts, record, counter.lastBin(target.confidence));
      continue;
    }
    const error = new DwError('DW_ERR_INPUT_VALUE', problem.message, { file: ctx.file, line, field: problem.field });
    if (ctx.options.onError === 'fail') throw error;
    skippedRows++;
    hooks.onProblem?.(error);
  }
  if (counter.n === 0) throw new DwError('DW_ERR_INPUT_EMPTY', 'no row could be counted', { file: ctx.file });
  if (skippedRows > 0) ctx.warnings.push(`${skippedRows} row(s) skipped for invalid values`);
  return { counter, skippedRows, calibration };
}

/**
 * Passes 3 to 5: fits the multivariate and embedding projections over the rows pass 2 counted,
 * appends their derived features to `features`, and returns the projections.
 */
async function addProjections(source: RowSource, plan: ProjectionPlan, features: FeatureProfile[], drafts: FeatureProfile[], rowProblem: RowProblem,
  countedRows: number, ctx: BuildContext, hooks: BuildHooks): Promise<BaselineProfile['projections']> {
  const check = new ProfileCounter(drafts);
  const fitted = await fitProjections(source, plan, (record) => {
    check.reset();
    return rowProblem(record, check) === undefined;
  }, countedRows, hooks.onPass);
  checkDerivedNames(features, fitted.features, ctx.file);
  features.push(...fitted.features);
  ctx.warnings.push(...fitted.warnings);
  return fitted.projections;
}
