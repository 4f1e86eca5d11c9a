import { readFileSync } from 'node:fs';
import { DwError } from '../shared/platform/errors.js';

/** Reads a JSON file: DW_ERR_FILE_READ when it cannot be read, DW_ERR_FILE_FORMAT when it is not JSON, naming the file. */
export function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DwError('DW_ERR_FILE_READ', `cannot read ${what} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { file: path });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new DwError('DW_ERR_FILE_FORMAT', `${what} is not JSON (${(err as Error).message})`, { file: path });
  }
}
