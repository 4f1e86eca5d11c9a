/**
 * The user cache folder for what is slow to build or install for tests and benches (Python
 * virtualenvs, a Go-built binary): $XDG_CACHE_HOME or ~/.cache, then driftwatch/. Each entry's
 * name carries its version, so a fresh clone reuses it and a new version builds a new one.
 */
import { mkdirSync, rmdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const CACHE_DIR = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'driftwatch');

/**
 * Runs `install` holding the lock directory `path` (made atomically), waiting up to 20 minutes
 * while another run holds it, so two runs never build into one entry at once.
 */
export async function withInstallLock<T>(path: string, label: string, install: () => T | Promise<T>): Promise<T> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const deadline = Date.now() + 1_200_000;
  for (;;) {
    try {
      mkdirSync(path);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${label}: ${path} is held for over 20 minutes; remove it if no run is installing`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await install();
  } finally {
    rmdirSync(path);
  }
}
