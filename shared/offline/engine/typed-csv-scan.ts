import { closeSync, openSync, readSync } from 'node:fs';
import { MISSING_TEXT } from '../../core/aggregation/value-coercion.js';
import type { TableInput } from '../input/row-source.js';
import type { EngineSession } from './duckdb-session.js';
import { describeScan, scanSql } from './table-scan.js';
import { literal } from './sql-text.js';

/**
 * The fast way to read a CSV: the engine's own DOUBLE reader for the columns its sniffer finds
 * numeric, instead of reading every value as text and classifying it (typed-table.ts), which
 * takes twice as long. It is used only where it reads every value as value-coercion.ts does:
 *
 * - any value of a numeric column that the reader cannot parse fails the whole read, and the
 *   caller falls back to the text read (which names the line);
 * - the usual missing spellings are NULL (NaN is read as NaN, then missing); another case of
 *   them fails the read, as above;
 * - the one spelling the engine's reader accepts and JavaScript does not, digits separated by `_`
 *   (`1_000`), is looked for in the files' bytes first: a file holding a digit, `_`, digit after
 *   its header is read as text;
 * - compressed files are read as text (their bytes would have to be inflated for that check).
 */

/**
 * The missing spellings (value-coercion.ts's) read as NULL in numeric columns, in lower, upper and
 * capitalised case only, since each one costs the reader time on every value (all 40 case variants
 * cost a third more than the whole typed read); another case of them (`nA`, `NuLl`) fails the typed
 * read, and the text read takes over. `nan` is left to the DOUBLE reader, which reads it as NaN.
 */
const MISSING_SPELLINGS = [...new Set([...MISSING_TEXT].filter((w) => w !== 'nan')
  .flatMap((w) => [w, w.toUpperCase(), w.charAt(0).toUpperCase() + w.slice(1)]))];
const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL.*)$/;
const CHUNK = 1 << 20;
/**
 * Rows the sniffer looks at (the engine's default is 20 480): a fifth of the time, and a wrong
 * guess only costs speed, since a value the typed read cannot parse sends the input to the text read.
 */
const SNIFF_ROWS = 4096;
const UNDERSCORE = 0x5f;

const isDigit = (b: number | undefined): boolean => b !== undefined && b >= 0x30 && b <= 0x39;

/** Whether a file holds a digit, `_`, digit after its first line (when that line is a header). */
export function hasDigitSeparators(path: string, skipFirstLine: boolean): boolean {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(CHUNK + 2);
    let carry = 0; // bytes kept from the previous chunk: a separator may straddle chunks
    let inHeader = skipFirstLine;
    for (;;) {
      const read = readSync(fd, buffer, carry, CHUNK, null);
      const end = carry + read;
      let from = 0;
      if (inHeader) {
        const newline = buffer.indexOf(0x0a, 0);
        if (newline < 0 || newline >= end) {
          if (read === 0) return false;
          carry = 0;
          continue;
        }
        inHeader = false;
        from = newline + 1;
      }
      for (let i = buffer.indexOf(UNDERSCORE, from); i >= 0 && i < end; i = buffer.indexOf(UNDERSCORE, i + 1)) {
        // A `_` that ends the chunk is looked at again in the next, with both neighbours.
        if (i + 1 < end && isDigit(buffer[i - 1]) && isDigit(buffer[i + 1])) return true;
      }
      if (read === 0) return false;
      // Keep the last two bytes, so a digit, `_` split across chunks is seen with its neighbours.
      buffer.copy(buffer, 0, end - 2, end);
      carry = 2;
    }
  } finally {
    closeSync(fd);
  }
}

/** A typed read of a CSV input: the scan, and its columns with the types it reads them as. */
export interface TypedCsvScan {
  scan: string;
  columns: { name: string; type: string }[];
}

/**
 * The scan that reads a CSV input with numeric columns as DOUBLE (the engine sniffer's choice,
 * then held strictly: a value that does not parse fails the read) and its columns, or undefined
 * when the input must be read as text (compressed, or no numeric column). It does not look for
 * digit separators: `readCsvTyped` does, while the engine reads.
 */
export async function typedCsvScan(session: EngineSession, files: readonly string[], input: TableInput): Promise<TypedCsvScan | undefined> {
  if (input.format !== 'csv' || files.some((f) => /\.gz$/i.test(f))) return undefined;
  const nulls = `nullstr=[${MISSING_SPELLINGS.map(literal).join(', ')}]`;
  const sniffed = await describeScan(session, scanSql(files, input, false, [], `all_varchar=false, sample_size=${SNIFF_ROWS}, ${nulls}`));
  if (!sniffed.some((c) => NUMERIC.test(c.type))) return undefined;
  const columns = sniffed.map((c) => ({ name: c.name, type: NUMERIC.test(c.type) ? 'DOUBLE' : 'VARCHAR' }));
  const types = columns.map((c) => `${literal(c.name)}: '${c.type}'`).join(', ');
  // The sniffer's work is done: the read takes the columns as given, without sniffing again.
  return { scan: scanSql(files, input, false, [], `auto_detect=false, columns={${types}}, ${nulls}`), columns };
}

/**
 * Reads a CSV input typed: `load` runs on the engine's threads while this one reads the files'
 * bytes for digit separators. Undefined when the input must be read as text instead (the caller
 * then drops what `load` made); a failure of `load` (a value the reader cannot parse, a malformed
 * row) is thrown, and means the same.
 */
export async function readCsvTyped<T>(session: EngineSession, files: readonly string[], input: TableInput, load: (typed: TypedCsvScan) => Promise<T>): Promise<T | undefined> {
  const typed = await typedCsvScan(session, files, input);
  if (typed === undefined) return undefined;
  const loading = load(typed);
  let separated: boolean;
  try {
    separated = files.some((f) => hasDigitSeparators(f, input.headerRow !== false));
  } catch (err) {
    await loading.catch(() => undefined);
    throw err;
  }
  const loaded = await loading;
  return separated ? undefined : loaded;
}
