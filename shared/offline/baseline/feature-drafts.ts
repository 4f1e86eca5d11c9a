import { constantBaseline } from '../../core/profile/baseline-profile.js';
import { DwError } from '../../platform/errors.js';
import { safeNameProblem } from '../../platform/safe-name.js';
import {
  BASELINE_SCHEMA_ID,
  BASELINE_SCHEMA_VERSION,
  baselineProfileSchema,
  type BaselineProfile,
  type ColumnSource,
  type FeatureProfile,
  type FeatureRole,
} from '../../core/profile/baseline-profile.js';
import type { BuildOptions } from './build-options.js';
import { checkFeatureNames, checkHeaderIsNotData, checkIdentifierColumns } from './column-checks.js';
import type { ColumnSummary } from './column-summary.js';
import type { ProjectionPass, ProjectionPlan } from './fit-projections.js';
import { mergeEmptyBins, quantileEdges } from './numeric-edges.js';

/** Most feature candidates one input may have (a JSONL file with a key per row would be unbounded). */
export const MAX_COLUMNS = 10_000;
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

/** A column that may become a feature, with what the first look found in it. */
export interface Candidate<S extends ColumnSummary = ColumnSummary> {
  name: string;
  role: FeatureRole;
  source: ColumnSource;
  forced: 'numeric' | 'categorical' | undefined;
  scan: S;
}

/** What every step of one build shares: the options, the input's name, and what was noticed. */
export interface BuildContext {
  options: BuildOptions;
  file: string;
  warnings: string[];
  /** Throws `error` in `fail` mode; in `skip` mode records it as a warning and goes on. */
  failOrWarn: (error: DwError) => void;
}

export function buildContext(options: BuildOptions, file: string): BuildContext {
  const warnings: string[] = [];
  return {
    options, file, warnings,
    failOrWarn: (error) => {
      if (options.onError === 'fail') throw error;
      warnings.push(error.toLine());
    },
  };
}

/** The model-signal candidates the options name (confidence, prediction, probability vector). */
export function signalCandidates<S extends ColumnSummary>(options: BuildOptions, summary: (forced: 'numeric' | 'categorical', column: string) => S): Candidate<S>[] {
  const out: Candidate<S>[] = [];
  const add = (name: string, role: FeatureRole, source: ColumnSource, forced: 'numeric' | 'categorical'): void => {
    out.push({ name, role, source, forced, scan: summary(forced, source.column) });
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

/** Columns the options give a role other than "input" (signals, exclusions, embeddings). */
export function reservedColumns(options: BuildOptions): Set<string | undefined> {
  return new Set([options.confidenceColumn, options.predictionColumn, options.probabilityColumn, options.labelColumn, ...options.exclude, ...options.embedding]);
}

/** The type a flag forces on an input column, if any. */
export function forcedType(options: BuildOptions, column: string): 'numeric' | 'categorical' | undefined {
  return options.numeric.includes(column) ? 'numeric' : options.categorical.includes(column) ? 'categorical' : undefined;
}

export function decideType(c: Candidate, options: BuildOptions): 'numeric' | 'categorical' {
  if (c.forced !== undefined) return c.forced;
  const { numbers, texts } = c.scan;
  if (texts === 0) return c.scan.fewIntegerValues(options.maxCategoricalDistinct) ? 'categorical' : 'numeric';
  return numbers > texts ? 'numeric' : 'categorical';
}

/** Every column a flag names must be in the input. */
export function checkNamedColumns(seenColumns: ReadonlySet<string>, { options, file }: BuildContext): void {
  const named: [string | undefined, string][] = [
    ...options.numeric.map((c): [string, string] => [c, '--numeric']),
    ...options.categorical.map((c): [string, string] => [c, '--categorical']),
    ...options.exclude.map((c): [string, string] => [c, '--exclude']),
    [options.confidenceColumn, '--confidence-column'],
    [options.predictionColumn, '--prediction-column'],
    [options.probabilityColumn, '--probability-column'],
    [options.labelColumn, '--label-column'],
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
export function checkColumns(candidates: readonly Candidate[], embeddingColumns: readonly string[], ctx: BuildContext, headerFromFile: boolean): void {
  checkFeatureNames(candidates.map((c) => c.name).concat(embeddingColumns), ctx.file);
  const inputs = candidates.filter((c) => c.role === 'input').map((c) => ({ name: c.name, column: c.source.column, forced: c.forced, type: decideType(c, ctx.options), scan: c.scan }));
  if (headerFromFile) checkHeaderIsNotData(inputs, ctx.file);
  checkIdentifierColumns(inputs, ctx.file);
}

/** Decides each candidate's type and drafts its bins; a column with nothing usable is left out (an input) or refused (a signal). */
export function draftFeatures(candidates: readonly Candidate[], ctx: BuildContext): FeatureProfile[] {
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
      failOrWarn(error); // signals: the bad rows are skipped when counting
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

/** The drafts with their counts: numeric bins merged where empty, categories cut to the top K (the rest is "other"). */
export function finalFeatures(drafts: readonly FeatureProfile[], counts: readonly ArrayLike<number>[], rowCount: number, ctx: BuildContext): FeatureProfile[] {
  const features = drafts.map((draft, i): FeatureProfile => {
    const row = Array.from(counts[i]!);
    if (draft.type === 'numeric') {
      const merged = mergeEmptyBins(draft.edges, row);
      return { ...draft, edges: merged.edges, counts: merged.counts, proportions: merged.counts.map((x) => x / rowCount) };
    }
    const k = draft.categories.length;
    const ranked = draft.categories
      .map((category, j) => ({ category, count: row[j]! }))
      .filter((entry) => entry.count > 0)
      .sort((a, b) => b.count - a.count || (a.category < b.category ? -1 : a.category > b.category ? 1 : 0));
    const kept = ranked.slice(0, ctx.options.topK);
    const other = row[k]! + ranked.slice(ctx.options.topK).reduce((sum, e) => sum + e.count, 0);
    const finalCounts = [...kept.map((e) => e.count), other, row[k + 1]!];
    return { ...draft, categories: kept.map((e) => e.category), counts: finalCounts, proportions: finalCounts.map((x) => x / rowCount) };
  });
  for (const f of features) {
    if (constantBaseline(f)) ctx.warnings.push(`column '${f.name}' holds one value only: it is judged by the effect floor alone (any other value is a change), outside the alpha correction`);
  }
  return features;
}

/** Which projections to fit: the tabular one (asked for, or by default with enough numeric inputs) and each embedding. */
export function projectionPlan(features: readonly FeatureProfile[], options: BuildOptions, embeddings: readonly { column: string; dimension: number }[]): ProjectionPlan | undefined {
  const inputs = features.filter((f) => f.role === 'input');
  const numeric = inputs.filter((f) => f.type === 'numeric').length;
  const tabular = options.multivariate ?? numeric >= MULTIVARIATE_MIN_NUMERIC;
  if (!tabular && embeddings.length === 0) return undefined;
  return {
    ...(tabular ? { tabular: inputs } : {}),
    tabularRequired: options.multivariate === true,
    embeddings: embeddings.map((e) => ({ column: e.column, dimension: e.dimension })),
    varianceTarget: options.pcaVariance,
    fitRows: options.fitRows,
    embeddingScores: options.embeddingScores,
    bins: options.bins,
  };
}

/** Refuses a derived feature (from a projection) that has a column's name. */
export function checkDerivedNames(features: readonly FeatureProfile[], derived: readonly FeatureProfile[], file: string): void {
  const taken = new Set(features.map((f) => f.name));
  for (const f of derived) {
    if (taken.has(f.name)) {
      throw new DwError('DW_ERR_BASELINE_OPTIONS', `the derived feature '${f.name}' has the name of a column; rename the column or --exclude it`, { file, field: f.name });
    }
  }
}

/** The profile as written: the features and projections with the build's provenance. */
export function assembleProfile(file: string, format: string, rowCount: number, options: BuildOptions, features: FeatureProfile[],
  projections: BaselineProfile['projections'], performance?: BaselineProfile['performance']): BaselineProfile {
  return baselineProfileSchema.parse({
    schema: BASELINE_SCHEMA_ID,
    schemaVersion: BASELINE_SCHEMA_VERSION,
    createdAt: new Date().toISOString(),
    source: { file: file.split(/[\\/]/).pop() ?? file, format },
    rowCount,
    // An excluded column's name stays out of the profile when it is not a safe name (it may be data).
    options: { bins: options.bins, topK: options.topK, excluded: options.exclude.filter((c) => safeNameProblem(c) === undefined) },
    features,
    projections,
    ...(performance === undefined ? {} : { performance }),
  });
}
