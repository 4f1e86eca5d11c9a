import type { InputRow, TableInput } from '../input/row-source.js';
import { EngineSession } from './duckdb-session.js';
import { describeScan, inputFiles, plainColumns, scanSql } from './table-scan.js';

/** Memory the engine may take to stream rows (it holds a chunk at a time). */
const STREAM_MEMORY_MIB = 256;

/** The files a glob or folder names, in reading order. */
export async function expandFiles(input: TableInput): Promise<string[]> {
  const session = await EngineSession.open({ memoryMiB: STREAM_MEMORY_MIB, threads: 1 });
  try {
    return await inputFiles(session, input);
  } finally {
    session.close();
  }
}

/**
 * The rows of a Parquet input (a file, a glob, a hive-partitioned folder), streamed a chunk at a
 * time, as plain values (numbers, strings, booleans, arrays and objects; other types as text).
 * `line` is the row's 1-based number in the whole input; hive partition keys are columns.
 */
export async function* parquetRows(input: TableInput): AsyncGenerator<InputRow> {
  const session = await EngineSession.open({ memoryMiB: STREAM_MEMORY_MIB, threads: 1 });
  try {
    const files = await inputFiles(session, input);
    const scan = scanSql(files, input, false);
    const columns = await describeScan(session, scan);
    let line = 0;
    for await (const record of session.stream(`SELECT ${plainColumns(columns)} FROM ${scan}`)) {
      yield { line: ++line, record };
    }
  } finally {
    session.close();
  }
}
