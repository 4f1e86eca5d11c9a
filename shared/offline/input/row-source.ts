import type { InputRecord } from '../../core/aggregation/read-source.js';
import type { InputFormat } from './input-format.js';

/** One parsed row with its 1-based line number in the source (its row number in a Parquet input). */
export interface InputRow {
  line: number;
  record: InputRecord;
  /** The file it is in, when the input is many files (a glob, a folder). */
  file?: string;
}

/** An input the columnar engine can read directly: one file, a glob, or a hive-partitioned folder. */
export interface TableInput {
  path: string;
  format: InputFormat;
  /** CSV only: names replacing the header row (or naming the columns of a file without one). */
  columnNames?: readonly string[];
  /** CSV only: whether the first row is a header (default true). */
  headerRow?: boolean;
}

/** A re-readable source of rows: the baseline builder reads it twice. */
export interface RowSource {
  /** File name for messages and the profile's provenance. */
  readonly file: string;
  readonly format: InputFormat;
  /** The column names were given by the user (`--column-names`), not read from the data. */
  readonly namesGiven?: boolean;
  /** A fresh pass over every good row, in order. */
  rows(): AsyncIterable<InputRow>;
  /** Files only: the input as the columnar engine reads it (the baseline build's fast path). */
  readonly table?: TableInput;
}

/** Rows from memory (tests, simulations). Line numbers count from 1. */
export function arrayRowSource(records: readonly InputRecord[], file = '(memory)', format: InputFormat = 'jsonl'): RowSource {
  return {
    file,
    format,
    // eslint-disable-next-line @typescript-eslint/require-await -- memory has nothing to wait for
    async *rows() {
      for (let i = 0; i < records.length; i++) yield { line: i + 1, record: records[i]! };
    },
  };
}
