import { statSync } from 'node:fs';
import { DwError } from '../../platform/errors.js';

/** Supported tabular input formats. */
export type InputFormat = 'csv' | 'jsonl' | 'parquet';

/** What to do with a malformed row: stop with an error (default) or report it and go on. */
export type OnError = 'skip' | 'fail';

const FORMATS: readonly InputFormat[] = ['csv', 'jsonl', 'parquet'];

/** Whether a path names many files: a glob (`*`, `?`, `[`), or a folder (read as hive-partitioned). */
export function isMultiFile(path: string): boolean {
  if (/[*?[]/.test(path)) return true;
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The format of an input from its extension (`.csv`, `.jsonl`, `.ndjson`, each optionally `.gz`;
 * `.parquet`), a glob's extension, or, for a folder, Parquet unless `explicit` says otherwise.
 */
export function inferFormat(path: string, explicit?: string): InputFormat {
  if (explicit !== undefined) {
    if ((FORMATS as readonly string[]).includes(explicit)) return explicit as InputFormat;
    throw new DwError('DW_ERR_USAGE', `--format must be csv, jsonl or parquet, not '${explicit}'`, { field: 'format' });
  }
  const name = path.toLowerCase().replace(/\.gz$/, '');
  if (name.endsWith('.csv')) return 'csv';
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson')) return 'jsonl';
  if (name.endsWith('.parquet') || name.endsWith('.pq')) return 'parquet';
  if (!/[*?[]/.test(path) && isMultiFile(path)) return 'parquet';
  throw new DwError('DW_ERR_FILE_FORMAT', 'cannot tell the format from the extension; pass --format csv|jsonl|parquet', { file: path });
}
