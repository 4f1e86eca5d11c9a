import { ProfileCounter, type ValueProblem } from '../../core/aggregation/profile-counter.js';
import { readSource, type InputRecord, type VectorCache } from '../../core/aggregation/read-source.js';
import { constantBaseline } from '../../core/drift/score-window.js';
import { safeNameProblem } from '../../platform/safe-name.js';
import { DwError } from '../../platform/errors.js';
import type { RowSource } from '../input/row-source.js';
import {
  BASELINE_SCHEMA_ID,
  BASELINE_SCHEMA_VERSION,
  baselineProfileSchema,
  type BaselineProfile,
  type FeatureProfile,
  type ColumnSource,
  type FeatureRole,
} from '../../core/profile/baseline-profile.js';
import { parseBuildOptions, type BuildOptions } from './build-options.js';
import { checkFeatureNames, checkHeaderIsNotData, checkIdentifierColumns } from './column-checks.js';
import { ColumnScan } from './column-scan.js';
import { EmbeddingScan } from './embedding-scan.js';
import { fitProjections, type ProjectionPlan, type ProjectionPass } from './fit-projections.js';
import { mergeEmptyBins, quantileEdges } from './numeric-edges.js';

/** Most feature candidates one input may have (a JSONL file with a key per row would be unbounded). */
const MAX_COLUMNS = 10_000;
/** Numeric inputs from which the multivariate check is on by default. */
const MULTIVARIATE_MIN_NUMERIC = 3;

/** A built profile with what the builder noticed on the way. */
export interface BuildResult {
  profile: BaselineProfile;
  /** One line per notable decision (an excluded column, skipped rows). */
  warnings: string[];
  /** Rows left out in `skip` mode (malformed rows are reported by the source itself). */
  skippedRows: number;
}

/** Progress callbacks for a terminal. */
export interface BuildHooks {
  /** A pass starts: 1 sketch, 2 exact counts; with projections 3 covariance, 4 and 5 derived values. */
  onPass?: (pass: 1 | 2 | ProjectionPass) => void;
  /** A row was skipped in `skip` mode, with why. */
  onProblem?: (problem: DwError) => void;
}

interface Candidate {
  name: string;
  role: FeatureRole;
  source: ColumnSource;
  forced: 'numeric' | 'categorical' | undefined;
  scan: ColumnScan;
}

function signalCandidates(options: BuildOptions): Candidate[] {
  const out: Candidate[] = [];
  const add = (name: string, role: FeatureRole, source: ColumnSource, forced: 'numeric' | 'categorical'): void => {
    out.push({ name, role, source, forced, scan: new ColumnScan(forced === 'categorical') });
  };
  if (options.confidenceColumn !== undefined) {
    add(options.confidenceColumn, 'confidence', { column: options.confidenceColumn, transform: 'value' }, 'numeric');
  }
  if (options.predictionColumn !== undefined) {
    add(options.predictionColumn, 'prediction', { column: options.predictionColumn, transform: 'value' }, 'categorical');
  }
  const vector = options.probabilityColumn;
  if (vector !== undefined) {
    add(`${vector}.confidence`, 'confidence', { column: vector, transform: 'max' }, 'numeric');
    add(`${vector}.predicted_class`, 'prediction', { column: vector, transform: 'argmax' }, 'categorical');
    add(`${vector}.entropy`, 'entropy', { column: vector, transform: 'entropy' }, 'numeric');
  }
  return out;
}

function decideType(c: Candidate, options: BuildOptions): 'numeric' | 'categorical' {
  if (c.forced !== undefined) return c.forced;
  const { numbers, texts } = c.scan;
  if (texts === 0) return c.scan.fewIntegerValues(options.maxCategoricalDistinct) ? 'categorical' : 'numeric';
  return numbers > texts ? 'numeric' : 'categorical';
}

/** What every pass of one build shares: the options, the input's name, and what was noticed. */
interface BuildContext {
  options: BuildOptions;
  file: string;
  warnings: string[];
  /** Throws `error` in `fail` mode; in `skip` mode records it as a warning and goes on. */
  failOrWarn: (error: DwError) => void;
}

/** What pass 1 found: the candidate features, the embedding columns, every column seen. */
interface Sketch {
  inputs: Candidate[];
  signals: Candidate[];
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
  const warnings: string[] = [];
  const ctx: BuildContext = {
    options, file: source.file, warnings,
    failOrWarn: (error) => {
      if (options.onError === 'fail') throw error;
      warnings.push(error.toLine());
    },
  };

  hooks.onPass?.(1);
  const sketch = await sketchColumns(source, options);
  checkNamedColumns(sketch.seenColumns, ctx);
  checkColumns(sketch, ctx, source.format === 'csv' && source.namesGiven !== true);
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
  const { counter, skippedRows } = await countRows(source, drafts, rowProblem, ctx, hooks);
  const features = finalFeatures(drafts, counter, options);
  for (const f of features) {
    if (constantBaseline(f)) warnings.push(`column '${f.name}' holds one value only: it is judged by the effect floor alone (any other value is a change), outside the alpha correction`);
  }

  const plan = projectionPlan(features, options, sketch.embeddings);
  const projections = plan === undefined ? [] : await addProjections(source, plan, features, drafts, rowProblem, ctx, hooks);

  const profile = baselineProfileSchema.parse({
    schema: BASELINE_SCHEMA_ID,
    schemaVersion: BASELINE_SCHEMA_VERSION,
    createdAt: new Date().toISOString(),
    source: { file: source.file.split(/[\\/]/).pop() ?? source.file, format: source.format },
    rowCount: counter.n,
    // An excluded column's name stays out of the profile when it is not a safe name (it may be data).
    options: { bins: options.bins, topK: options.topK, excluded: options.exclude.filter((c) => safeNameProblem(c) === undefined) },
    features,
    projections,
  });
  return { profile, warnings, skippedRows };
}

/** Pass 1: discovers the columns and sketches each candidate feature and embedding. */
async function sketchColumns(source: RowSource, options: BuildOptions): Promise<Sketch> {
  const signals = signalCandidates(options);
  const embeddings = options.embedding.map((column) => new EmbeddingScan(column));
  const reserved = new Set([options.confidenceColumn, options.predictionColumn, options.probabilityColumn, ...options.exclude, ...options.embedding]);
  const numeric = new Set(options.numeric);
  const categorical = new Set(options.categorical);
  const inputs = new Map<string, Candidate>();
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
      const forced = numeric.has(column) ? 'numeric' : categorical.has(column) ? 'categorical' : undefined;
      inputs.set(column, { name: column, role: 'input', source: { column, transform: 'value' }, forced, scan: new ColumnScan(forced === 'categorical') });
    }
    for (const c of inputs.values()) c.scan.add(readSource(record, c.source, cache), line);
    for (const c of signals) c.scan.add(readSource(record, c.source, cache), line);
    for (const e of embeddings) e.add(record[e.column], line);
  }
  if (rows === 0) throw new DwError('DW_ERR_INPUT_EMPTY', 'the input holds no rows', { file: source.file });
  return { inputs: [...inputs.values()], signals, embeddings, seenColumns };
}

/** Every column a flag names must be in the input. */
function checkNamedColumns(seenColumns: ReadonlySet<string>, { options, file }: BuildContext): void {
  const named: [string | undefined, string][] = [
    ...options.numeric.map((c): [string, string] => [c, '--numeric']),
    ...options.categorical.map((c): [string, string] => [c, '--categorical']),
    ...options.exclude.map((c): [string, string] => [c, '--exclude']),
    [options.confidenceColumn, '--confidence-column'],
    [options.predictionColumn, '--prediction-column'],
    [options.probabilityColumn, '--probability-column'],
    ...options.embedding.map((c): [string, string] => [c, '--embedding-column']),
  ];
  for (const [column, flag] of named) {
    if (column !== undefined && !seenColumns.has(column)) {
      throw new DwError('DW_ERR_BASELINE_OPTIONS', `${flag} names column '${column}', which the input does not have`, { file, field: column });
    }
  }
}

/**
 * Names and identifier columns (column-checks.ts), before any feature is drafted: every feature
 * name (and embedding column, the prefix of its derived features) safe, a CSV header that is not a
 * data row, no text column of nearly all distinct values.
 */
function checkColumns(sketch: Sketch, ctx: BuildContext, headerFromFile: boolean): void {
  checkFeatureNames([...sketch.inputs, ...sketch.signals].map((c) => c.name).concat(sketch.embeddings.map((e) => e.column)), ctx.file);
  const inputs = sketch.inputs.map((c) => ({ name: c.name, column: c.source.column, forced: c.forced, type: decideType(c, ctx.options), scan: c.scan }));
  if (headerFromFile) checkHeaderIsNotData(inputs, ctx.file);
  checkIdentifierColumns(inputs, ctx.file);
}

/** Decides each candidate's type and drafts its bins; a column with nothing usable is left out (an input) or refused (a signal). */
function draftFeatures(candidates: readonly Candidate[], ctx: BuildContext): FeatureProfile[] {
  const { options, file, warnings, failOrWarn } = ctx;
  const drafts: FeatureProfile[] = [];
  for (const c of candidates) {
    if (c.scan.firstInvalid !== undefined) {
      const { line, reason } = c.scan.firstInvalid;
      const hint = c.role === 'input' ? `; leave it out with --exclude ${c.source.column}` : '';
      const error = new DwError('DW_ERR_INPUT_VALUE', `${reason}${hint}`, { file, line, field: c.source.column });
      if (c.role === 'input') {
        failOrWarn(error);
        warnings.push(`column '${c.name}' left out: it holds nested values`);
        continue;
      }
      failOrWarn(error); // signals: the bad rows are skipped in pass 2
    }
    const type = decideType(c, options);
    if (c.scan.present - c.scan.invalid === 0 || (type === 'numeric' && !c.scan.hasRange)) {
      if (c.role !== 'input') {
        throw new DwError('DW_ERR_BASELINE_OPTIONS', `column '${c.source.column}' has no usable values`, { file, field: c.source.column });
      }
      warnings.push(`column '${c.name}' left out: it has no ${type === 'numeric' ? 'finite numeric ' : ''}values`);
      continue;
    }
    if (type === 'numeric') {
      const { mean, std } = c.scan.moments();
      const edges = quantileEdges(c.scan.min, c.scan.max, options.bins, (q) => c.scan.quantile(q));
      drafts.push({ name: c.name, role: c.role, source: c.source, type, edges, mean, std, counts: [0, 0], proportions: [0, 0] });
    } else {
      drafts.push({ name: c.name, role: c.role, source: c.source, type, categories: c.scan.categoryCandidates(), counts: [0, 0], proportions: [0, 0] });
    }
  }
  if (drafts.length === 0) throw new DwError('DW_ERR_INPUT_EMPTY', 'no usable feature columns', { file });
  return drafts;
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

/** Pass 2: exact counts into the drafted bins; a row with a problem fails the build or is skipped. */
async function countRows(source: RowSource, drafts: FeatureProfile[], rowProblem: RowProblem, ctx: BuildContext, hooks: BuildHooks): Promise<{ counter: ProfileCounter; skippedRows: number }> {
  const counter = new ProfileCounter(drafts);
  let skippedRows = 0;
  for await (const { line, record } of source.rows()) {
    const problem = rowProblem(record, counter);
    if (problem === undefined) continue;
    const error = new DwError('DW_ERR_INPUT_VALUE', problem.message, { file: ctx.file, line, field: problem.field });
    if (ctx.options.onError === 'fail') throw error;
    skippedRows++;
    hooks.onProblem?.(error);
  }
  if (counter.n === 0) throw new DwError('DW_ERR_INPUT_EMPTY', 'no row could be counted', { file: ctx.file });
  if (skippedRows > 0) ctx.warnings.push(`${skippedRows} row(s) skipped for invalid values`);
  return { counter, skippedRows };
}

/** The drafts with their counts: numeric bins merged where empty, categories cut to the top K (the rest is "other"). */
function finalFeatures(drafts: readonly FeatureProfile[], counter: ProfileCounter, options: BuildOptions): FeatureProfile[] {
  const rowCount = counter.n;
  return drafts.map((draft, i): FeatureProfile => {
    const counts = Array.from(counter.counts[i]!);
    if (draft.type === 'numeric') {
      const merged = mergeEmptyBins(draft.edges, counts);
      return { ...draft, edges: merged.edges, counts: merged.counts, proportions: merged.counts.map((x) => x / rowCount) };
    }
    const k = draft.categories.length;
    const ranked = draft.categories
      .map((category, j) => ({ category, count: counts[j]! }))
      .filter((entry) => entry.count > 0)
      .sort((a, b) => b.count - a.count || (a.category < b.category ? -1 : a.category > b.category ? 1 : 0));
    const kept = ranked.slice(0, options.topK);
    const other = counts[k]! + ranked.slice(options.topK).reduce((sum, e) => sum + e.count, 0);
    const finalCounts = [...kept.map((e) => e.count), other, counts[k + 1]!];
    return { ...draft, categories: kept.map((e) => e.category), counts: finalCounts, proportions: finalCounts.map((x) => x / rowCount) };
  });
}

/**
 * Passes 3 to 5: fits the multivariate and embedding projections over the rows pass 2 counted,
 * appends their derived features to `features`, and returns the projections.
 */
async function addProjections(source: RowSource, plan: ProjectionPlan, features: FeatureProfile[], drafts: FeatureProfile[], rowProblem: RowProblem,
  ctx: BuildContext, hooks: BuildHooks): Promise<BaselineProfile['projections']> {
  const check = new ProfileCounter(drafts);
  const fitted = await fitProjections(source, plan, (record) => {
    check.reset();
    return rowProblem(record, check) === undefined;
  }, hooks.onPass);
  const taken = new Set(features.map((f) => f.name));
  for (const f of fitted.features) {
    if (taken.has(f.name)) {
      throw new DwError('DW_ERR_BASELINE_OPTIONS', `the derived feature '${f.name}' has the name of a column; rename the column or --exclude it`, { file: ctx.file, field: f.name });
    }
  }
  features.push(...fitted.features);
  ctx.warnings.push(...fitted.warnings);
  return fitted.projections;
}

/** Which projections to fit: the tabular one (asked for, or by default with enough numeric inputs) and each embedding. */
function projectionPlan(features: readonly FeatureProfile[], options: BuildOptions, embeddings: readonly EmbeddingScan[]): ProjectionPlan | undefined {
  const inputs = features.filter((f) => f.role === 'input');
  const numeric = inputs.filter((f) => f.type === 'numeric').length;
  const tabular = options.multivariate ?? numeric >= MULTIVARIATE_MIN_NUMERIC;
  if (!tabular && embeddings.length === 0) return undefined;
  return {
    ...(tabular ? { tabular: inputs } : {}),
    tabularRequired: options.multivariate === true,
    embeddings: embeddings.map((e) => ({ column: e.column, dimension: e.dimension! })),
    varianceTarget: options.pcaVariance,
    embeddingScores: options.embeddingScores,
    bins: options.bins,
  };
}
