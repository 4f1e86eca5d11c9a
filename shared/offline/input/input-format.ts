import { DwError } from '../../platform/errors.js';

/** Supported tabular input formats. */
export type InputFormat = 'csv' | 'jsonl';

/** What to do with a malformed row: stop with an error (default) or report it and go on. */
export type OnError = 'skip' | 'fail';

/** The format of a file from its extension (`.csv`, `.jsonl`, `.ndjson`, each optionally `.gz`). */
export function inferFormat(path: string, explicit?: string): InputFormat {
  if (explicit !== undefined) {
    if (explicit === 'csv' || explicit === 'jsonl') return explicit;
    throw new DwError('DW_ERR_USAGE', `--format must be csv or jsonl, not '${explicit}'`, { field: 'format' });
  }
  const name = path.toLowerCase().replace(/\.gz$/, '');
  if (name.endsWith('.csv')) return 'csv';
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson')) return 'jsonl';
  throw new DwError('DW_ERR_FILE_FORMAT', 'cannot tell the format from the extension; pass --format csv|jsonl', { file: path });
}
