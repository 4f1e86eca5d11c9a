import { accessSync, constants, createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse, CsvError } from 'csv-parse';
import type { InputRecord } from '../../core/aggregation/read-source.js';
import { DwError } from '../../platform/errors.js';
import { expandFiles, parquetRows } from '../engine/engine-rows.js';
import { inferFormat, isMultiFile, type InputFormat, type OnError } from './input-format.js';
import type { InputRow, RowSource, TableInput } from './row-source.js';

/** How to read a file. */
export interface FileRowSourceOptions {
  /** Explicit format; inferred from the extension when absent. */
  format?: string;
  /** `fail` (default) throws on the first malformed row; `skip` reports it and goes on. */
  onError?: OnError;
  /** Receives each skipped row's error in `skip` mode. */
  onProblem?: (problem: DwError) => void;
  /**
   * CSV only: the names of the columns, in order, given by the user. They replace the header row,
   * or, with `headerRow: false`, name the columns of a file that has none.
   */
  columnNames?: readonly string[];
  /** CSV only: whether the first row is a header (default true). Without one, `columnNames` is required. */
  headerRow?: boolean;
  /** Receives bytes read so far and the file size, now and then. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/** The size of a readable regular file, or a DW_ERR_FILE_READ naming why not. */
function readableSize(path: string): number {
  let stat;
  try {
    stat = statSync(path);
  } catch (err) {
    throw readFailure(path, err);
  }
  if (!stat.isFile()) throw new DwError('DW_ERR_FILE_READ', 'cannot read file (not a regular file)', { file: path });
  try {
    accessSync(path, constants.R_OK);
  } catch (err) {
    throw readFailure(path, err);
  }
  return stat.size;
}

function openFile(path: string): { stream: Readable; raw: ReturnType<typeof createReadStream>; size: number } {
  const size = readableSize(path);
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  const stream = path.toLowerCase().endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  // Errors from the gunzip stage surface on iteration; from the raw stage, forward them.
  if (stream !== raw) raw.on('error', (err) => stream.destroy(err));
  return { stream, raw, size };
}

function readFailure(path: string, err: unknown): DwError {
  const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  return new DwError('DW_ERR_FILE_READ', `cannot read file (${reason})`, { file: path }, { cause: err });
}

/** Column names must be present and distinct. */
function checkedHeader(names: string[], path: string, from: 'header' | '--column-names'): string[] {
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (name === '') throw new DwError('DW_ERR_INPUT_ROW', `${from} column ${i + 1} has no name`, { file: path, line: 1 });
    if (seen.has(name)) throw new DwError('DW_ERR_INPUT_ROW', `${from} names column '${name}' twice`, { file: path, line: 1, field: name });
    seen.add(name);
  });
  return names;
}

async function* csvRows(path: string, options: FileRowSourceOptions): AsyncGenerator<InputRow> {
  const { stream, raw, size } = openFile(path);
  const skip = options.onError === 'skip';
  const given = options.columnNames;
  // Names as an array: every row is data. As a function: the first row is the header, and given names replace it.
  const columns = options.headerRow === false
    ? checkedHeader([...given ?? []], path, '--column-names')
    : (header: string[]): string[] => (given === undefined ? checkedHeader(header, path, 'header') : checkedHeader([...given], path, '--column-names'));
  const parser = parse({
    bom: true,
    columns,
    info: true,
    skip_empty_lines: true,
    skip_records_with_error: skip,
  });
  parser.on('skip', (err: CsvError) => {
    options.onProblem?.(new DwError('DW_ERR_INPUT_ROW', err.message.replace(/^Invalid Record Length: /, ''), { file: path, line: Number(err.lines) || undefined }));
  });
  stream.on('error', (err) => parser.destroy(err));
  stream.pipe(parser);
  let rows = 0;
  try {
    for await (const item of parser as AsyncIterable<{ record: InputRecord; info: { lines: number } }>) {
      if (++rows % 4096 === 0) options.onProgress?.(raw.bytesRead, size);
      yield { line: item.info.lines, record: item.record };
    }
  } catch (err) {
    if (err instanceof DwError) throw err;
    if (err instanceof CsvError) {
      throw new DwError('DW_ERR_INPUT_ROW', `malformed CSV row: ${err.message}`, { file: path, line: Number(err.lines) || undefined });
    }
    throw readFailure(path, err);
  } finally {
    stream.destroy();
  }
  options.onProgress?.(size, size);
}

async function* jsonlRows(path: string, options: FileRowSourceOptions): AsyncGenerator<InputRow> {
  const { stream, raw, size } = openFile(path);
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      if (line % 4096 === 0) options.onProgress?.(raw.bytesRead, size);
      if (text.trim() === '') continue;
      let record: unknown;
      let problem: string | undefined;
      try {
        record = JSON.parse(text);
        if (record === null || typeof record !== 'object' || Array.isArray(record)) problem = 'expected a JSON object';
      } catch (err) {
        problem = `malformed JSON: ${(err as Error).message}`;
      }
      if (problem !== undefined) {
        const error = new DwError('DW_ERR_INPUT_ROW', problem, { file: path, line });
        if (options.onError !== 'skip') throw error;
        options.onProblem?.(error);
        continue;
      }
      yield { line, record: record as InputRecord };
    }
  } catch (err) {
    if (err instanceof DwError) throw err;
    throw readFailure(path, err);
  } finally {
    lines.close();
    stream.destroy();
  }
  options.onProgress?.(size, size);
}

/** The rows of each file of a glob or folder of CSV or JSONL files, in order, each naming its file. */
async function* manyFileRows(input: TableInput, options: FileRowSourceOptions): AsyncGenerator<InputRow> {
  for (const file of await expandFiles(input)) {
    const rows = input.format === 'csv' ? csvRows(file, options) : jsonlRows(file, options);
    for await (const row of rows) yield { ...row, file };
  }
}

/**
 * Rows of a CSV or JSONL file (optionally gzipped), or of a Parquet file, streamed: memory does not
 * grow with the file. A glob (`data/*.parquet`) or a folder (hive-partitioned: `year=2026/...`)
 * reads every file it names, in path order.
 */
export function fileRowSource(path: string, options: FileRowSourceOptions = {}): RowSource {
  const many = isMultiFile(path);
  // Fail early, before any pass, on a file that is not there.
  if (!many) readableSize(path);
  const format: InputFormat = inferFormat(path, options.format);
  if (options.headerRow === false && options.columnNames === undefined) {
    throw new DwError('DW_ERR_USAGE', 'a file without a header row needs its column names (--column-names a,b,...)', { file: path });
  }
  if (format !== 'csv' && (options.columnNames !== undefined || options.headerRow === false)) {
    throw new DwError('DW_ERR_USAGE', 'column names and --no-header-row apply to CSV files only', { file: path });
  }
  const table: TableInput = { path, format, columnNames: options.columnNames, headerRow: options.headerRow };
  const rows = (): AsyncIterable<InputRow> => {
    if (format === 'parquet') return parquetRows(table);
    if (many) return manyFileRows(table, options);
    return format === 'csv' ? csvRows(path, options) : jsonlRows(path, options);
  };
  return { file: path, format, namesGiven: options.columnNames !== undefined, rows, table };
}
