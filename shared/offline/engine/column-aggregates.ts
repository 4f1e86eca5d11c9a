import { toCategory } from '../../core/aggregation/value-coercion.js';
import type { ColumnSummary } from '../baseline/column-summary.js';
import type { EngineSession } from './duckdb-session.js';
import { ROWS_TABLE, type TypedColumn } from './typed-table.js';

/** Distinct integers looked up exactly when the sketch says a column has at most this many. */
const FEW_DISTINCT_LOOKUP = 128;
/** Text values up to which a column that may be an identifier has its distinct values counted exactly. */
const EXACT_DISTINCT_TEXTS = 1_000_000;
/** Category candidates kept per column: the most frequent values, exactly counted. */
export const CANDIDATE_LIMIT = 4096;

/** A ColumnSummary read from one aggregate query (and, for a few columns, a follow-up one). */
export class AggregateSummary implements ColumnSummary {
  numbers = 0;
  texts = 0;
  invalid = 0;
  /** The first unreadable value: its line and why (found by the row reader when `invalid` > 0). */
  firstInvalid: { line: number; reason: string } | undefined;
  min = Infinity;
  max = -Infinity;
  textLength = { min: Infinity, max: -Infinity };
  mean = 0;
  std = 0;
  finite = 0;
  allIntegers = true;
  approxDistinctNumbers = 0;
  approxDistinctTexts = 0;
  /** Quantiles at i / bins, i = 1..bins-1. */
  quantiles: number[] = [];
  /** Exact distinct numbers when few and integer. */
  fewValues: number[] | undefined;
  /** The most frequent values (numbers as their category text), set once the column is known to be categorical. */
  candidates: string[] = [];

  constructor(readonly column: TypedColumn, private readonly bins: number) {}

  get present(): number {
    return this.numbers + this.texts + this.invalid;
  }

  get hasRange(): boolean {
    return this.finite > 0;
  }

  fewIntegerValues(limit: number): number[] | undefined {
    if (this.fewValues === undefined || !this.allIntegers || this.fewValues.length > limit) return undefined;
    return this.fewValues;
  }

  categoryCandidates(): string[] {
    return this.candidates;
  }

  distinctTextCount(): number {
    return this.approxDistinctTexts;
  }

  moments(): { mean: number; std: number } {
    return { mean: this.mean, std: this.std };
  }

  quantile(q: number): number {
    return this.quantiles[Math.round(q * this.bins) - 1]!;
  }
}

/** Rows up to which quantiles are exact (NumPy's default, linear interpolation); beyond, a t-digest. */
const EXACT_QUANTILE_ROWS = 100_000;
/**
 * Rows above which the t-digest reads a systematic sample of at most this many (every M-th row):
 * the digest costs more per value than the rest of the aggregate scan together.
 */
const QUANTILE_SAMPLE = 200_000;

/**
 * The quantiles of `x` at `ps` over a table of `rows` rows, as one aggregate. Up to
 * EXACT_QUANTILE_ROWS they are exact, numpy.quantile's default (`quantile_cont`, linear
 * interpolation between order statistics): repeatable whatever the threads. Beyond, DuckDB's
 * t-digest (`approx_quantile`, rank error well under 0.5 %), which holds memory bounded; above
 * QUANTILE_SAMPLE rows it reads every M-th row by rowid (a systematic sample: sorted input is
 * sampled evenly), adding a rank error of about √(q(1−q)/QUANTILE_SAMPLE) ≤ 0.11 % (one standard
 * deviation).
 */
export function quantilesSql(x: string, ps: readonly number[], rows: number): string {
  const list = `[${ps.join(', ')}]`;
  if (rows <= EXACT_QUANTILE_ROWS) return `quantile_cont(${x}, ${list})`;
  const every = Math.ceil(rows / QUANTILE_SAMPLE);
  return every <= 1 ? `approx_quantile(${x}, ${list})` : `approx_quantile(${x}, ${list}) FILTER (WHERE rowid % ${every} = 0)`;
}

/** The probabilities i / bins, i = 1..bins-1. */
export function binProbabilities(bins: number): number[] {
  return Array.from({ length: bins - 1 }, (_, j) => (j + 1) / bins);
}

/** The aggregates of one column, as SELECT items named `<name>_<i>`, over `f<i>` (its finite numbers). */
function aggregateItems(c: TypedColumn, i: number, bins: number, rows: number): string[] {
  const f = `f${i}`;
  const t = c.text;
  const items = [
    `count(${c.number})::DOUBLE AS numbers_${i}`, `count(${t})::DOUBLE AS texts_${i}`,
    `count(${f})::DOUBLE AS finite_${i}`, `min(${f}) AS min_${i}`, `max(${f}) AS max_${i}`,
    `avg(${f}) AS mean_${i}`, `stddev_pop(${f}) AS std_${i}`, `coalesce(bool_and(${f} = floor(${f})), true) AS ints_${i}`,
    `approx_count_distinct(${t})::DOUBLE AS dt_${i}`, `min(length(${t})) AS lmin_${i}`, `max(length(${t})) AS lmax_${i}`,
    `${quantilesSql(f, binProbabilities(bins), rows)} AS q_${i}`,
  ];
  if (c.nested !== undefined) items.push(`count(${c.nested})::DOUBLE AS bad_${i}`);
  return items;
}

/**
 * The first look at every column in one scan: counts by kind, range, moments, integrality, distinct
 * counts (HyperLogLog) and approximate quantiles (DuckDB's t-digest), then the exact values of
 * integer columns with few of them.
 */
export async function summarizeColumns(session: EngineSession, columns: readonly TypedColumn[], bins: number): Promise<{ rows: number; summaries: AggregateSummary[] }> {
  const [{ n }] = (await session.rows(`SELECT count(*) AS n FROM ${ROWS_TABLE}`)) as [{ n: number }];
  const items = columns.flatMap((c, i) => aggregateItems(c, i, bins, n));
  const finite = columns.map((c, i) => `CASE WHEN isfinite(${c.number}) THEN ${c.number} END AS f${i}`);
  const [row] = await session.rows(`SELECT count(*) AS dw_rows, ${items.join(', ')} FROM (SELECT *, rowid, ${finite.join(', ')} FROM ${ROWS_TABLE})`);
  const r = row!;
  const num = (key: string, fallback: number): number => (r[key] === null || r[key] === undefined ? fallback : Number(r[key]));
  const summaries = columns.map((c, i) => {
    const s = new AggregateSummary(c, bins);
    s.numbers = num(`numbers_${i}`, 0);
    s.texts = num(`texts_${i}`, 0);
    s.finite = num(`finite_${i}`, 0);
    s.min = num(`min_${i}`, Infinity);
    s.max = num(`max_${i}`, -Infinity);
    s.mean = num(`mean_${i}`, 0);
    s.std = num(`std_${i}`, 0);
    s.allIntegers = r[`ints_${i}`] !== false;
    s.approxDistinctTexts = num(`dt_${i}`, 0);
    s.textLength = { min: num(`lmin_${i}`, Infinity), max: num(`lmax_${i}`, -Infinity) };
    s.quantiles = ((r[`q_${i}`] as number[] | null) ?? []).map(Number);
    // Which value is the first nested one, and on which line, the row reader finds (engine-build.ts).
    if (c.nested !== undefined) s.invalid = num(`bad_${i}`, 0);
    return s;
  });
  // The identifier check (column-checks.ts) quotes the distinct count: exact where it is near.
  for (const s of summaries.filter((x) => x.texts >= 50 && x.texts <= EXACT_DISTINCT_TEXTS && x.approxDistinctTexts >= 0.5 * x.texts)) {
    const [d] = await session.rows(`SELECT count(DISTINCT ${s.column.text})::DOUBLE AS d FROM ${ROWS_TABLE}`);
    s.approxDistinctTexts = Number(d!.d);
  }
  const integer = summaries.filter((s) => s.allIntegers && s.numbers > 0);
  if (integer.length > 0) {
    const [d] = await session.rows(`SELECT ${integer.map((s, i) => `approx_count_distinct(${s.column.number})::DOUBLE AS d${i}`).join(', ')} FROM ${ROWS_TABLE}`);
    integer.forEach((s, i) => (s.approxDistinctNumbers = Number(d![`d${i}`])));
  }
  for (const s of integer) {
    if (s.approxDistinctNumbers <= FEW_DISTINCT_LOOKUP) {
      const values = await session.rows(`SELECT DISTINCT ${s.column.number} AS v FROM ${ROWS_TABLE} WHERE ${s.column.number} IS NOT NULL LIMIT 65`);
      if (values.length <= 64) s.fewValues = values.map((v) => Number(v.v)).sort((a, b) => a - b);
    }
  }
  return { rows: num('dw_rows', 0), summaries };
}

/**
 * The category candidates of a column the build treats as categorical: its most frequent texts
 * (and numbers, when the column is declared categorical), exactly counted, plus its few integers.
 */
export async function findCandidates(session: EngineSession, s: AggregateSummary, numbersToo: boolean): Promise<void> {
  const { number: n, text: t } = s.column;
  const where = numbersToo ? `${n} IS NOT NULL OR ${t} IS NOT NULL` : `${t} IS NOT NULL`;
  const groups = await session.rows(`SELECT ${n} AS n, ${t} AS t, count(*) AS c FROM ${ROWS_TABLE} WHERE ${where} GROUP BY ALL ORDER BY c DESC, t, n LIMIT ${CANDIDATE_LIMIT}`);
  const values = groups.map((g) => toCategory(g.t ?? Number(g.n))!);
  s.candidates = [...new Set([...values, ...(s.fewValues ?? []).map((x) => String(x))])];
}
