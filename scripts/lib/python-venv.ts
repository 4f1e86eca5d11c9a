/**
 * Python virtualenvs for test peers and bench peers, cached in the user's cache folder
 * ($XDG_CACHE_HOME or ~/.cache, then driftwatch/<name>-<key>). The key is built from the
 * requirement list and the Python version, so a fresh clone reuses the virtualenv and a changed
 * requirement list installs a new one. A lock directory keeps two runs from installing into one
 * virtualenv at once. Python here is for test and bench peers only, never for product code.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_DIR, withInstallLock } from './user-cache.js';

export interface PythonVenv {
  dir: string;
  python: string;
  /** A console script of an installed package, by name (e.g. `moto_server`). */
  bin: (name: string) => string;
}

function run(label: string, command: string, args: string[]): void {
  const result = spawnSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 1_200_000 });
  if (result.status !== 0) {
    throw new Error(`${label}: ${command} ${args.join(' ')} exited ${result.status}\n${result.stderr.slice(-2000)}`);
  }
}

/**
 * The virtualenv `name` holding `requirements` (pip requirement specifiers), installed on first use.
 * `marker` is a console script that must exist afterwards (a cheap check that the install worked).
 */
export async function ensurePythonVenv(name: string, requirements: readonly string[], marker?: string): Promise<PythonVenv> {
  const pythonVersion = spawnSync('python3', ['--version'], { encoding: 'utf8' }).stdout.trim();
  const list = requirements.join('\n');
  const key = createHash('sha256').update(`${pythonVersion}\n${list}`).digest('hex').slice(0, 12);
  const dir = join(CACHE_DIR, `${name}-${key}`);
  const bin = (script: string): string => join(dir, 'bin', script);
  const stamp = join(dir, 'driftwatch-requirements.txt');
  const installed = (): boolean => existsSync(stamp) && readFileSync(stamp, 'utf8') === list && (marker === undefined || existsSync(bin(marker)));
  const venv = { dir, python: bin('python'), bin };
  if (installed()) return venv;
  const label = `${name} setup failed`;
  return withInstallLock(`${dir}.lock`, label, () => {
    if (installed()) return venv; // another run installed it while this one waited
    process.stderr.write(`[${name}] installing ${requirements.join(' ')} into ${dir} (first run on this machine only)\n`);
    if (!existsSync(bin('pip'))) run(label, 'python3', ['-m', 'venv', dir]);
    run(label, bin('pip'), ['install', '--quiet', '--disable-pip-version-check', ...requirements]);
    if (marker !== undefined && !existsSync(bin(marker))) throw new Error(`${label}: ${bin(marker)} is missing after pip install`);
    writeFileSync(stamp, list);
    return venv;
  });
}

/** Requirement specifiers from a requirements file: one per line, `#` comments and blank lines dropped. */
export function readRequirements(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter((l) => l.length > 0);
}
