/** The SQL engines `driftwatch baseline sql` writes for, and how each spells what the profile needs. */
export type DialectName = 'spark' | 'athena' | 'duckdb';

export const DIALECTS: readonly DialectName[] = ['spark', 'athena', 'duckdb'];

/** The spellings that differ between engines; everything else is standard SQL. */
export interface Dialect {
  readonly name: DialectName;
  /** A quoted identifier (a column or table name as the user gave it). */
  ident(name: string): string;
  /** A string literal. */
  text(value: string): string;
  /** A column read as a double: NULL where it is not a number (a text, a missing spelling). */
  toDouble(column: string): string;
  /** A column read as text (for category labels). */
  toText(column: string): string;
  /** `x` when it is a finite number, else NULL. */
  finite(x: string): string;
  /** `x` when it is +Infinity or −Infinity (sign > 0 or < 0). */
  isInfinite(x: string, sign: 1 | -1): string;
  /** Approximate percentiles of `x` at `ps`, as an array. */
  percentiles(x: string, ps: readonly number[]): string;
  /** Element `i` (0-based) of an array. */
  element(array: string, i: number): string;
  /** Any value of a column constant over the group. */
  anyValue(x: string): string;
  /** A JSON array of numbers, as text. */
  jsonArray(items: readonly string[]): string;
  /** A JSON object of label → count over a subquery's (v, c) rows, as text. */
  jsonObject(subquery: string): string;
  /** The type names of a string, a double and a 64-bit integer. */
  readonly types: { text: string; double: string; integer: string };
}

const quoteText = (value: string): string => `'${value.replace(/'/g, "''")}'`;
const doubleQuoted = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** Spark SQL (3.x): `percentile_approx` (Greenwald–Khanna, accuracy 10 000: rank error ≤ 1/10 000), 0-based arrays. */
const spark: Dialect = {
  name: 'spark',
  ident: (name) => `\`${name.replace(/`/g, '``')}\``,
  text: (value) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`,
  toDouble: (column) => `CAST(${column} AS DOUBLE)`,
  toText: (column) => `CAST(${column} AS STRING)`,
  finite: (x) => `CASE WHEN isnan(${x}) OR abs(${x}) = double('Infinity') THEN NULL ELSE ${x} END`,
  isInfinite: (x, sign) => `${x} = double('${sign > 0 ? '' : '-'}Infinity')`,
  percentiles: (x, ps) => `percentile_approx(${x}, array(${ps.join(', ')}), 10000)`,
  element: (array, i) => `${array}[${i}]`,
  anyValue: (x) => `first(${x})`,
  jsonArray: (items) => `to_json(array(${items.join(', ')}))`,
  jsonObject: (subquery) => `(SELECT to_json(map_from_entries(collect_list(struct(v, c)))) FROM (${subquery}) top)`,
  types: { text: 'STRING', double: 'DOUBLE', integer: 'BIGINT' },
};

/** Amazon Athena (Trino engine): `approx_percentile` (q-digest), 1-based arrays. */
const athena: Dialect = {
  name: 'athena',
  ident: doubleQuoted,
  text: quoteText,
  toDouble: (column) => `TRY_CAST(${column} AS DOUBLE)`,
  toText: (column) => `CAST(${column} AS VARCHAR)`,
  finite: (x) => `CASE WHEN is_finite(${x}) THEN ${x} END`,
  isInfinite: (x, sign) => `${x} = ${sign > 0 ? '' : '-'}infinity()`,
  percentiles: (x, ps) => `approx_percentile(${x}, ARRAY[${ps.join(', ')}])`,
  element: (array, i) => `element_at(${array}, ${i + 1})`,
  anyValue: (x) => `arbitrary(${x})`,
  jsonArray: (items) => `json_format(CAST(ARRAY[${items.join(', ')}] AS JSON))`,
  jsonObject: (subquery) => `(SELECT json_format(CAST(map_agg(v, c) AS JSON)) FROM (${subquery}) top)`,
  types: { text: 'VARCHAR', double: 'DOUBLE', integer: 'BIGINT' },
};

/** DuckDB: `approx_quantile` (t-digest), 1-based lists. */
const duckdb: Dialect = {
  name: 'duckdb',
  ident: doubleQuoted,
  text: quoteText,
  toDouble: (column) => `TRY_CAST(${column} AS DOUBLE)`,
  toText: (column) => `CAST(${column} AS VARCHAR)`,
  finite: (x) => `CASE WHEN isfinite(${x}) THEN ${x} END`,
  isInfinite: (x, sign) => `${x} = '${sign > 0 ? '' : '-'}inf'::DOUBLE`,
  percentiles: (x, ps) => `approx_quantile(${x}, [${ps.join(', ')}])`,
  element: (array, i) => `${array}[${i + 1}]`,
  anyValue: (x) => `any_value(${x})`,
  jsonArray: (items) => `CAST(to_json([${items.join(', ')}]) AS VARCHAR)`,
  jsonObject: (subquery) => `(SELECT CAST(to_json(map(list(v), list(c))) AS VARCHAR) FROM (${subquery}) top)`,
  types: { text: 'VARCHAR', double: 'DOUBLE', integer: 'BIGINT' },
};

export function dialect(name: DialectName): Dialect {
  return { spark, athena, duckdb }[name];
}
