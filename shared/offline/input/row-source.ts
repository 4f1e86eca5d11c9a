import type { InputRecord } from '../../core/aggregation/read-source.js';
import type { InputFormat } from './input-format.js';

/** One parsed row with its 1-based line number in the source. */
export interface InputRow {
  line: number;
  record: InputRecord;
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
