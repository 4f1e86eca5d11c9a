import { DwError } from '../../platform/errors.js';
import type { EngineSession } from './duckdb-session.js';
import { ident } from './sql-text.js';

/**
 * The table every query of a build reads: one row per input row. Loaded in parallel, its rows are
 * not in input order (DuckDB may write row groups out of order); with one thread they are.
 */
export const ROWS_TABLE = 'dw_rows';

/**
 * One input column in the typed table: the SQL columns holding its number (a DOUBLE; NULL when the
 * value is missing or not a number; NaN is missing), its text (non-missing values that are not
 * numbers; for a column the input types as numbers, the expression `NULL::VARCHAR`, not stored)
 * and, where the input can nest, the JSON text of a nested value.
 */
export interface TypedColumn {
  name: string;
  type: string;
  number: string;
  text: string;
  nested: string | undefined;
}

/**
 * Text that means "no value" as value-coercion.ts reads it (trimmed, any case: empty, NA, N/A, NaN,
 * null, None), as one RE2 match: JavaScript's trim() whitespace is \s, \v, the Unicode spaces and
 * the BOM. (A regular expression costs a fifth of lower(trim(...)) on the engine.)
 */
const MISSING_TEXT = String.raw`'(?i)[\s\x{0B}\p{Z}\x{FEFF}]*(?:na|n/a|nan|null|none)?[\s\x{0B}\p{Z}\x{FEFF}]*'`;

/** The text of a column typed as numbers by its input: none, and nothing stored for it. */
export const NO_TEXT = 'NULL::VARCHAR';

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL.*)$/;
const NESTED = /(\[\d*\]$|^STRUCT|^MAP|^UNION)/;

/**
 * Whether a text starts with an ASCII letter other than i or n: then it is no number to either
 * reader (only inf, infinity and nan start with a letter) nor a missing spelling (those start with
 * a space or n), so it is text. A look at one character costs the engine far less than the cast or
 * the regular expressions, and most categories start so.
 */
function startsWithWord(text: string): string {
  return `(ascii(${text}) BETWEEN 65 AND 90 OR ascii(${text}) BETWEEN 97 AND 122) AND ascii(${text}) NOT IN (73, 78, 105, 110)`;
}

/**
 * Numeric text parsed the way value-coercion.ts parses it: DuckDB's DOUBLE cast, less the `_`
 * digit separators JavaScript refuses. NULL when the text is not a number.
 */
function parseNumber(text: string): string {
  return `CASE WHEN ${startsWithWord(text)} THEN NULL WHEN strpos(${text}, '_') = 0 THEN TRY_CAST(${text} AS DOUBLE) END`;
}

/**
 * A text value read the way value-coercion.ts reads it, from its text and its `parseNumber`
 * (computed once, in the inner query): a number is a number (NaN is missing), the missing
 * spellings are missing, anything else is text.
 */
function fromText(text: string, parsed: string): { number: string; text: string } {
  return {
    number: `CASE WHEN NOT isnan(${parsed}) THEN ${parsed} END`,
    text: `CASE WHEN ${startsWithWord(text)} THEN ${text} WHEN ${parsed} IS NULL AND NOT regexp_full_match(${text}, ${MISSING_TEXT}) THEN ${text} END`,
  };
}

/** Inner (parse once) and outer (classify) expressions of one column, by its engine type. */
function columnExpressions(v: string, type: string, i: number): { inner: string[]; outer: { number: string; text: string; nested?: string } } {
  const s = `s${i}`;
  const d = `d${i}`;
  if (type === 'VARCHAR') return { inner: [`${v} AS ${s}`, `${parseNumber(v)} AS ${d}`], outer: fromText(s, d) };
  if (type === 'JSON') {
    const kind = `k${i}`;
    const j = `j${i}`;
    const text = fromText(s, d);
    return {
      inner: [`json_type(${v}) AS ${kind}`, `${v} AS ${j}`, `CASE WHEN json_type(${v}) = 'VARCHAR' THEN ${v} ->> '$' END AS ${s}`,
        `CASE WHEN json_type(${v}) = 'VARCHAR' THEN ${parseNumber(`(${v} ->> '$')`)} WHEN json_type(${v}) IN ('BIGINT', 'UBIGINT', 'DOUBLE') THEN CAST(${v} AS DOUBLE) END AS ${d}`],
      outer: {
        number: `CASE WHEN ${kind} IN ('BIGINT', 'UBIGINT', 'DOUBLE') THEN ${d} WHEN ${kind} = 'VARCHAR' THEN ${text.number} END`,
        text: `CASE WHEN ${kind} = 'VARCHAR' THEN ${text.text} WHEN ${kind} = 'BOOLEAN' THEN ${j} ->> '$' END`,
        nested: `CASE WHEN ${kind} IN ('ARRAY', 'OBJECT') THEN CAST(${j} AS VARCHAR) END`,
      },
    };
  }
  if (NUMERIC.test(type)) {
    return { inner: [`CAST(${v} AS DOUBLE) AS ${d}`], outer: { number: `CASE WHEN NOT isnan(${d}) THEN ${d} END`, text: NO_TEXT } };
  }
  if (type === 'BOOLEAN') return { inner: [`${v} AS ${s}`], outer: { number: 'NULL::DOUBLE', text: `CASE WHEN ${s} THEN 'true' WHEN NOT ${s} THEN 'false' END` } };
  if (NESTED.test(type)) {
    return { inner: [`CAST(to_json(${v}) AS VARCHAR) AS ${s}`], outer: { number: 'NULL::DOUBLE', text: 'NULL::VARCHAR', nested: s } };
  }
  // Dates, times, UUIDs...: their text, like a CSV cell's.
  return { inner: [`CAST(${v} AS VARCHAR) AS ${s}`], outer: { number: 'NULL::DOUBLE', text: `CASE WHEN NOT regexp_full_match(${s}, ${MISSING_TEXT}) THEN ${s} END` } };
}

/**
 * Reads the input once into the typed table (the engine spills it to disk beyond its memory limit):
 * for each column kept, `n<i>` its number, `t<i>` its text, and `x<i>` a nested value's JSON.
 */
export async function loadTypedTable(session: EngineSession, scan: string, columns: readonly { name: string; type: string }[]): Promise<TypedColumn[]> {
  if (columns.length === 0) throw new DwError('DW_ERR_INPUT_EMPTY', 'no usable feature columns');
  const inner: string[] = [];
  const outer: string[] = [];
  const typed: TypedColumn[] = columns.map(({ name, type }, i) => {
    const e = columnExpressions(ident(name), type, i);
    inner.push(...e.inner);
    const noText = e.outer.text === NO_TEXT;
    outer.push(`${e.outer.number} AS n${i}`, ...(noText ? [] : [`${e.outer.text} AS t${i}`]));
    if (e.outer.nested !== undefined) outer.push(`${e.outer.nested} AS x${i}`);
    return { name, type, number: `n${i}`, text: noText ? NO_TEXT : `t${i}`, nested: e.outer.nested === undefined ? undefined : `x${i}` };
  });
  await session.run(`CREATE TABLE ${ROWS_TABLE} AS SELECT ${outer.join(', ')} FROM (SELECT ${inner.join(', ')} FROM ${scan})`);
  return typed;
}
