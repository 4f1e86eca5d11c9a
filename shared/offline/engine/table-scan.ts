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

/**
 * The table function that reads the files. Every CSV value is read as text and JSONL values as
 * JSON, so driftwatch, not the engine's sniffer, decides what a value is (typed-table.ts).
 * `lenient` skips malformed rows (the `skip` mode, once they have been reported).
 */
export function scanSql(files: readonly string[], input: TableInput, lenient: boolean): string {
  const list = `[${files.map(literal).join(', ')}]`;
  const many = files.length > 1 || isMultiFile(input.path);
  const common = `union_by_name=${many}, hive_partitioning=${many}, ignore_errors=${lenient}`;
  switch (input.format) {
    case 'csv': {
      const names = input.columnNames === undefined ? '' : `, names=[${input.columnNames.map(literal).join(', ')}]`;
      return `read_csv(${list}, header=${input.headerRow !== false}, all_varchar=true, delim=',', quote='"', escape='"', `
        + `null_padding=false, strict_mode=true, skip=0, ${common}${names})`;
    }
    case 'jsonl':
      return `read_json(${list}, format='newline_delimited', records=true, maximum_depth=1, sample_size=-1, ${common})`;
    case 'parquet':
      return `read_parquet(${list}, union_by_name=true, hive_partitioning=${many})`;
  }
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
