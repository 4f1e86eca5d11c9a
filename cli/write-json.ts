import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DwError } from '../shared/platform/errors.js';

/** Writes pretty JSON, making the folder if needed; failures are DW_ERR_FILE_WRITE naming the file. */
export function writeJson(path: string, value: unknown): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new DwError('DW_ERR_FILE_WRITE', `cannot write file (${reason})`, { file: path }, { cause: err });
  }
}
