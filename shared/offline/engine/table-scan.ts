import { statSync } from 'node:fs';
import { DwError } from '../../platform/errors.js';
import { isMultiFile, type InputFormat } from '../input/input-format.js';
import type { TableInput } from '../input/row-source.js';
import type { EngineSession } from './duckdb-session.js';
import { ident, literal } from './sql-text.js';


const EXTENSIONS: Record<InputFormat, string> = { csv: 'csv', jsonl: 'jsonl', parquet: 'parquet' };

/**
 * The files of an input, in the order they are read: a single file as it is; a glob's matches and
 * a folder's files (every `*.<format>` below it) sorted by path. No match is an error naming the
 * pattern.
 */
export async function inputFiles(session: EngineSession, input: TableInput): Promise<string[]> {
  if (!isMultiFile(input.path)) return [input.path];
  const folder = !/[*?[]/.test(input.path) && statSync(input.path).isDirectory();
  const pattern = folder ? `${input.path.replace(/\/+$/, '')}/**/*.${EXTENSIONS[input.format]}` : input.path;
  const rows = await session.rows(`SELECT file FROM glob(${literal(pattern)}) ORDER BY file`);
  if (rows.length === 0) throw new DwError('DW_ERR_FILE_READ', `no ${input.format} file matches ${pattern}`, { file: input.path });
  return rows.map((r) => String(r.file));
}

/** JSONL lines as JSON values: malformed lines are errors, or (lenient) NULL. */
function jsonLines(files: readonly string[], lenient: boolean): string {
  return `read_ndjson_objects([${files.map(literal).join(', ')}], ignore_errors=${lenient})`;
}

/** A key as a JSON Pointer (RFC 6901: `~` as `~0`, `/` as `~1`). */
function pointer(key: string): string {
  return literal(`/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
}

/**
 * How the engine reads the files, as a FROM item. CSV values are read as text and JSONL values as
 * JSON, so driftwatch, not the engine's sniffer, decides what a value is (typed-table.ts). A JSONL
 * line is a row when it is an object (others are found and reported by the row reader); its keys
 * are the union of every line's, found first (`jsonlKeys`). `lenient` skips malformed rows (the
 * `skip` mode, once the row reader has reported them). `csvTypes` replaces the CSV reader's
 * all-text setting (typed-csv-scan.ts).
 */
export function scanSql(files: readonly string[], input: TableInput, lenient: boolean, jsonKeys: readonly string[] = [], csvTypes = 'all_varchar=true'): string {
  const list = `[${files.map(literal).join(', ')}]`;
  const many = files.length > 1 || isMultiFile(input.path);
  switch (input.format) {
    case 'csv': {
      const names = input.columnNames === undefined ? '' : `, names=[${input.columnNames.map(literal).join(', ')}]`;
      return `read_csv(${list}, header=${input.headerRow !== false}, ${csvTypes}, delim=',', quote='"', escape='"', `
        + `null_padding=false, strict_mode=true, skip=0, union_by_name=${many}, hive_partitioning=${many}, ignore_errors=${lenient}${names})`;
    }
    case 'jsonl': {
      const columns = jsonKeys.map((k) => `json -> ${pointer(k)} AS ${ident(k)}`).join(', ');
      return `(SELECT ${columns || 'NULL::JSON AS dw_none'} FROM ${jsonLines(files, lenient)} WHERE json_type(json) = 'OBJECT')`;
    }
    case 'parquet':
      return `read_parquet(${list}, union_by_name=true, hive_partitioning=${many})`;
  }
}

/** The keys of a JSONL input's objects (every line's, in first-seen order), and how many lines are not objects. */
export async function jsonlKeys(session: EngineSession, files: readonly string[], lenient: boolean): Promise<{ keys: string[]; notObjects: number }> {
  const lines = jsonLines(files, lenient);
  // First-seen order, as a row reader meets them: by line, then by place in the line.
  const keys = await session.rows(`SELECT k FROM (SELECT r, unnest(keys) AS k, unnest(range(len(keys))) AS i FROM `
    + `(SELECT json_keys(json) AS keys, row_number() OVER () AS r FROM ${lines} WHERE json_type(json) = 'OBJECT')) GROUP BY k ORDER BY min(r * 100000 + i)`);
  const [{ n }] = (await session.rows(`SELECT count(*) AS n FROM ${lines} WHERE json IS NOT NULL AND json_type(json) <> 'OBJECT'`)) as [{ n: number }];
  return { keys: keys.map((r) => String(r.k)), notObjects: n };
}

/** The columns of a scan with their engine types, in order. */
export async function describeScan(session: EngineSession, scan: string): Promise<{ name: string; type: string }[]> {
  const rows = await session.rows(`DESCRIBE SELECT * FROM ${scan}`);
  return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
}

/** A SELECT list that reads a scan's columns as plain values: temporal and other exotic types as text. */
export function plainColumns(columns: readonly { name: string; type: string }[]): string {
  return columns.map(({ name, type }) => (PLAIN.test(type) ? ident(name) : `CAST(${ident(name)} AS VARCHAR) AS ${ident(name)}`)).join(', ');
}

const PLAIN = /^(VARCHAR|JSON|BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL.*|.*\[\]|STRUCT.*|MAP.*)$/;
