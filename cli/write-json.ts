import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DwError } from '../shared/platform/errors.js';

/** Writes pretty JSON, making the folder if needed; failures are DW_ERR_FILE_WRITE naming the file. */
export function writeJson(path: string, value: unknown): void {
  writeText(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Writes a text file (a report), making the folder if needed; failures are DW_ERR_FILE_WRITE naming the file. */
export function writeText(path: string, text: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new DwError('DW_ERR_FILE_WRITE', `cannot write file (${reason})`, { file: path }, { cause: err });
  }
}
