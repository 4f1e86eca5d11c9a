import { ProfileCounter } from '../../core/aggregation/profile-counter.js';
import { readSource, type VectorCache } from '../../core/aggregation/read-source.js';
import type { FeatureProfile } from '../../core/profile/baseline-profile.js';
import { DwError } from '../../platform/errors.js';
import { ColumnScan } from '../baseline/column-scan.js';
import { defaultMemoryLimitMiB, type BuildOptions } from '../baseline/build-options.js';
import {
  MAX_COLUMNS, assembleProfile, buildContext, checkColumns, checkDerivedNames, checkNamedColumns, decideType, draftFeatures, finalFeatures,
  forcedType, projectionPlan, reservedColumns, signalCandidates, type BuildContext, type BuildHooks, type BuildResult, type Candidate,
} from '../baseline/feature-drafts.js';
import type { RowSource, TableInput } from '../input/row-source.js';
import { findCandidates, summarizeColumns, type AggregateSummary } from './column-aggregates.js';
import { countBins, countCalibration, countInvalidRows, validSql, type BoundFeature } from './count-rows.js';
import { calibrationTarget, performanceBlock } from '../baseline/label-calibration.js';
import { EngineSession } from './duckdb-session.js';
import { fitTabular } from './fit-tabular.js';
import { readCsvTyped, type TypedCsvScan } from './typed-csv-scan.js';
import { describeScan, inputFiles, jsonlKeys, scanSql } from './table-scan.js';
import { loadTypedTable, NO_TEXT, type TypedColumn } from './typed-table.js';

/** Problems fetched with their rows to report in `skip` mode (the rest are counted). */
const REPORTED_PROBLEMS = 1000;

/** Whether the engine builds this profile: files, and no probability vectors or embeddings (those stream). */
export function engineBuilds(source: RowSource, options: BuildOptions): source is RowSource & { table: TableInput } {
  return source.table !== undefined && options.probabilityColumn === undefined && options.embedding.length === 0;
}

/** A DuckDB failure as driftwatch's error, naming the input. */
function engineFailure(err: unknown, file: string): DwError {
  if (err instanceof DwError) return err;
  const message = String((err as Error).message ?? err).split('\n')[0]!;
  return new DwError('DW_ERR_INPUT_ROW', `cannot read the input: ${message}`, { file }, { cause: err });
}

/**
 * A column without the parts its aggregates found empty (no text, no nested value): the checks
 * and counts that follow then test nothing for them, and a clean input's rows are all valid
 * without a per-row test (which lets the fit split by row id instead of numbering valid rows).
 */
function withoutAbsentParts(column: TypedColumn, summary: AggregateSummary): TypedColumn {
  return { ...column, text: summary.texts === 0 ? NO_TEXT : column.text, nested: summary.invalid === 0 ? undefined : column.nested };
}

/**
 * Reads the input into the engine's typed table. A read failure is found again by the row reader,
 * which names the line: in `fail` mode that error is thrown; in `skip` mode the reader reports each
 * malformed row (through the source's `onProblem`) and the engine reads the input again skipping
 * them.
 */
async function loadInput(session: EngineSession, source: RowSource & { table: TableInput }, ctx: BuildContext): Promise<{ columns: TypedColumn[]; seen: Set<string> }> {
  const files = await inputFiles(session, source.table);
  const load = async (lenient: boolean, typed?: TypedCsvScan): Promise<{ columns: TypedColumn[]; seen: Set<string>; notObjects: number }> => {
    const found = source.table.format === 'jsonl' ? await jsonlKeys(session, files, lenient) : { keys: [], notObjects: 0 };
    const scan = typed?.scan ?? scanSql(files, source.table, lenient, found.keys);
    const described = (typed?.columns ?? await describeScan(session, scan)).filter((c) => c.name !== 'dw_none');
    if (described.length > MAX_COLUMNS) throw new DwError('DW_ERR_INPUT_ROW', `more than ${MAX_COLUMNS} distinct columns; is a value used as a key?`, { file: source.file });
    const excluded = new Set(ctx.options.exclude);
    const columns = await loadTypedTable(session, scan, described.filter((c) => !excluded.has(c.name)));
    return { columns, seen: new Set(described.map((c) => c.name)), notObjects: found.notObjects };
  };
  // The fast typed read first; any failure (a value it cannot parse, a malformed row) sends the
  // input to the text read, which finds and names it.
  try {
    const typed = await readCsvTyped(session, files, source.table, (scan) => load(false, scan));
    if (typed !== undefined) return typed;
  } catch {
    // read as text below
  }
  await session.run('DROP TABLE IF EXISTS dw_rows');
  let failure: unknown;
  try {
    const loaded = await load(false);
    if (loaded.notObjects === 0) return loaded;
    failure = new DwError('DW_ERR_INPUT_ROW', `${loaded.notObjects} JSONL line(s) are not objects`, { file: source.file });
  } catch (err) {
    if (err instanceof DwError) throw err;
    failure = err;
  }
  // The row reader names the malformed line: it throws in fail mode, and in skip mode reports every one.
  for await (const row of source.rows()) void row;
  if (ctx.options.onError === 'fail' || source.table.format === 'parquet') throw engineFailure(failure, source.file);
  await session.run('DROP TABLE IF EXISTS dw_rows');
  return load(true);
}

/** The candidates: every loaded column not reserved, and the model signals the options name. */
function candidatesOf(columns: readonly TypedColumn[], summaries: readonly AggregateSummary[], options: BuildOptions): Candidate<AggregateSummary>[] {
  const byName = new Map(columns.map((c, i) => [c.name, summaries[i]!]));
  const reserved = reservedColumns(options);
  const inputs = columns.filter((c) => !reserved.has(c.name)).map((c): Candidate<AggregateSummary> => ({
    name: c.name, role: 'input', source: { column: c.name, transform: 'value' }, forced: forcedType(options, c.name), scan: byName.get(c.name)!,
  }));
  return [...inputs, ...signalCandidates(options, (_, column) => byName.get(column)!)];
}

/** Category candidates for the columns that are categorical (an identifier-like one is refused later, unread). */
async function findAllCandidates(session: EngineSession, candidates: readonly Candidate<AggregateSummary>[], options: BuildOptions): Promise<void> {
  for (const c of candidates) {
    if (decideType(c, options) !== 'categorical') continue;
    const idLike = c.forced !== 'categorical' && c.scan.texts >= 50 && c.scan.distinctTextCount() >= 0.9 * c.scan.texts;
    if (!idLike) await findCandidates(session, c.scan, c.forced === 'categorical');
  }
}

/**
 * The first nested value of each column that has one, with its line: the row reader finds it
 * (reading up to it), so the message is the streaming builder's own.
 */
async function locateInvalid(source: RowSource, candidates: readonly Candidate<AggregateSummary>[]): Promise<void> {
  const bad = candidates.filter((c) => c.scan.invalid > 0).map((c) => ({ c, scan: new ColumnScan(c.forced === 'categorical') }));
  if (bad.length === 0) return;
  const cache: VectorCache = new Map();
  for await (const { line, record } of source.rows()) {
    cache.clear();
    for (const b of bad) if (b.scan.firstInvalid === undefined) b.scan.add(readSource(record, b.c.source, cache), line);
    if (bad.every((b) => b.scan.firstInvalid !== undefined)) break;
  }
  for (const b of bad) b.c.scan.firstInvalid = b.scan.firstInvalid;
}

/**
 * Builds a baseline on DuckDB: the input is read once into a typed table (spilled to disk beyond
 * `memoryLimitMiB`), summarised in one aggregate scan, counted exactly in another, and, for the
 * multivariate check, its covariance taken in a third; the held-out rows' reconstruction errors
 * are written once and binned. The decisions on each column are the streaming builder's own
 * (feature-drafts.ts), so both write the same profile up to the quantile sketch.
 */
export async function buildOnEngine(source: RowSource & { table: TableInput }, options: BuildOptions, hooks: BuildHooks): Promise<BuildResult> {
  const ctx = buildContext(options, source.file);
  const session = await EngineSession.open({ memoryMiB: options.memoryLimitMiB ?? defaultMemoryLimitMiB(), threads: options.threads });
  try {
    hooks.onPass?.(1);
    const { columns, seen } = await loadInput(session, source, ctx);
    checkNamedColumns(seen, ctx);
    const { rows, summaries } = await summarizeColumns(session, columns, options.bins);
    if (rows === 0) throw new DwError('DW_ERR_INPUT_EMPTY', 'the input holds no rows', { file: source.file });
    const candidates = candidatesOf(columns, summaries, options);
    await findAllCandidates(session, candidates, options);
    await locateInvalid(source, candidates);
    checkColumns(candidates, [], ctx, source.format === 'csv' && source.namesGiven !== true);
    const drafts = draftFeatures(candidates, ctx);

    hooks.onPass?.(2);
    const byName = new Map(columns.map((c, i) => [c.name, withoutAbsentParts(c, summaries[i]!)]));
    const bound: BoundFeature[] = drafts.map((feature) => ({ feature, column: byName.get((feature.source as { column: string }).column)! }));
    const valid = validSql(bound);
    const skippedRows = await reportProblems(session, source, drafts, valid, ctx, hooks);
    const counted = await countBins(session, bound, valid);
    if (counted.rows === 0) throw new DwError('DW_ERR_INPUT_EMPTY', 'no row could be counted', { file: source.file });
    const target = calibrationTarget(drafts, options, source.file);
    const calibration = target === undefined ? undefined
      : await countCalibration(session, bound[target.confidence]!, bound[target.prediction]!, byName.get(target.labelColumn)!, valid);
    const performance = performanceBlock(target, calibration, drafts, counted.counts, ctx.warnings);
    const features = finalFeatures(drafts, counted.counts, counted.rows, ctx);

    const plan = projectionPlan(features, options, []);
    let projections: Awaited<ReturnType<typeof fitTabular>>['projections'] = [];
    if (plan?.tabular !== undefined) {
      const fitted = await fitTabular(session, plan, byName, valid, counted.rows, ctx.warnings, hooks.onPass);
      checkDerivedNames(features, fitted.features, source.file);
      features.push(...fitted.features);
      projections = fitted.projections;
    }
    return { profile: assembleProfile(source.file, source.format, counted.rows, options, features, projections, performance), warnings: ctx.warnings, skippedRows };
  } catch (err) {
    throw engineFailure(err, source.file);
  } finally {
    session.close();
  }
}

/**
 * Rows that cannot be counted: the engine counts them; the row reader finds them in order with the
 * streaming builder's own check (ProfileCounter), so each is named by its line. The first fails
 * the build, or (in `skip` mode) the first REPORTED_PROBLEMS are reported and all are skipped.
 */
async function reportProblems(session: EngineSession, source: RowSource, drafts: readonly FeatureProfile[], valid: string, ctx: BuildContext,
  hooks: BuildHooks): Promise<number> {
  const count = await countInvalidRows(session, valid);
  if (count === 0) return 0;
  const onError = ctx.options.onError;
  const limit = onError === 'fail' ? 1 : Math.min(count, REPORTED_PROBLEMS);
  const counter = new ProfileCounter(drafts);
  const errors: DwError[] = [];
  for await (const { line, record, file } of source.rows()) {
    counter.reset();
    const problem = counter.add(record);
    if (problem === undefined) continue;
    errors.push(new DwError('DW_ERR_INPUT_VALUE', problem.message, { file: file ?? source.file, line, field: problem.field }));
    if (errors.length >= limit) break;
  }
  if (onError === 'fail') throw errors[0] ?? new DwError('DW_ERR_INPUT_VALUE', `${count} row(s) hold values their features cannot count`, { file: source.file });
  errors.forEach((e) => hooks.onProblem?.(e));
  if (count > errors.length) ctx.warnings.push(`${count - errors.length} more row(s) with invalid values were skipped without a message each`);
  ctx.warnings.push(`${count} row(s) skipped for invalid values`);
  return count;
}
