import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DwError } from './errors.js';

/** The installed package's root (where package.json and examples/ are), from src or dist alike. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new DwError('DW_ERR_INTERNAL', 'package.json not found above the driftwatch code: the installation is incomplete');
    dir = parent;
  }
  return dir;
}

/** driftwatch's version, from package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
