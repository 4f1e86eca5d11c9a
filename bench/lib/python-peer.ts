import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensurePythonVenv, readRequirements } from '../../scripts/lib/python-venv.js';

const REQUIREMENTS = fileURLToPath(new URL('../peers/requirements-numpy.txt', import.meta.url));

/**
 * Runs a Python peer of a bench in the bench's NumPy/pandas virtualenv (pip-installed into the
 * user cache on first use, never by `npm test`), with `args`; returns its stdout. A peer that
 * fails throws with its exit status and stderr, so the bench exits non-zero instead of printing a
 * table without its peer.
 */
export async function runPythonPeer(label: string, source: string, args: readonly string[]): Promise<string> {
  const venv = await ensurePythonVenv('bench-numpy', readRequirements(REQUIREMENTS));
  const run = spawnSync(venv.python, ['-c', source, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`${label} failed (exit ${String(run.status ?? run.signal)}):\n${(run.stderr || run.error?.message || '').slice(-3000)}`);
  return run.stdout;
}

/** The number a peer printed on its last line; a peer that printed something else is an error. */
export function peerNumber(label: string, stdout: string): number {
  const x = Number(stdout.trim().split('\n').pop());
  if (!Number.isFinite(x)) throw new Error(`${label} printed no number: ${stdout.slice(-500)}`);
  return x;
}
