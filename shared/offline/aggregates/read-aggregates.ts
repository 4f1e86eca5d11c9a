import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { DwError } from '../../platform/errors.js';

/**
 * The rows of an aggregates result as a SQL engine saved them: CSV with a header row (Athena's
 * result files, `COPY ... TO` in DuckDB) or JSON lines (Spark's `DataFrame.write.json`), told
 * apart by the extension (`.csv`; `.json`, `.jsonl`, `.ndjson`) or, failing that, the first byte.
 */
export function readAggregateRows(path: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DwError('DW_ERR_FILE_READ', `cannot read file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { file: path }, { cause: err });
  }
  const json = /\.(json|jsonl|ndjson)$/i.test(path) || (!/\.csv$/i.test(path) && text.trimStart().startsWith('{'));
  if (!json) {
    try {
      return parse<Record<string, unknown>>(text, { columns: true, bom: true, skip_empty_lines: true });
    } catch (err) {
      throw new DwError('DW_ERR_INPUT_ROW', `malformed CSV: ${(err as Error).message}`, { file: path });
    }
  }
  return text.split('\n').flatMap((line, i) => {
    if (line.trim() === '') return [];
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch (err) {
      throw new DwError('DW_ERR_INPUT_ROW', `malformed JSON: ${(err as Error).message}`, { file: path, line: i + 1 });
    }
  });
}
