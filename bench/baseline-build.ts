/**
 * Baseline builder throughput and memory on generated CSV files of growing size: memory must stay
 * flat as the file grows (it streams), and rows/s is printed with a peer, NumPy's quantile +
 * searchsorted + bincount over the same file loaded whole into memory (in the same run when
 * python3 with numpy is available). Not part of `npm test`.
 *
 *   npx tsx bench/baseline-build.ts [rows...]      (default: 200000 2000000)
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededNormal } from '../scripts/lib/seeded-normal.js';

const sizes = process.argv.slice(2).map(Number).filter((x) => x > 0);
const ROWS = sizes.length > 0 ? sizes : [200_000, 2_000_000];
const dir = mkdtempSync(join(tmpdir(), 'dw-bench-build-'));
const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

async function writeCsv(path: string, rows: number): Promise<void> {
  const { normal, uniform } = seededNormal(rows);
  const out = createWriteStream(path);
  out.write('a,b,c,d,e,f,g,h,region,channel\n');
  const regions = ['north', 'south', 'east', 'west'];
  const channels = ['web', 'app', 'branch'];
  for (let i = 0; i < rows; i++) {
    const nums = Array.from({ length: 8 }, (_, j) => (normal() * (j + 1)).toFixed(4));
    const line = `${nums.join(',')},${regions[Math.floor(uniform() * 4)]},${uniform() < 0.05 ? '' : channels[Math.floor(uniform() * 3)]}\n`;
    if (!out.write(line)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
}

const NUMPY_PEER = `
import sys, time, numpy as np
t = time.perf_counter()
data = np.genfromtxt(sys.argv[1], delimiter=',', skip_header=1, usecols=range(8))
for j in range(8):
    col = data[:, j]
    edges = np.unique(np.quantile(col, np.linspace(0, 1, 11)))
    np.bincount(np.searchsorted(edges, col, side='right'), minlength=len(edges) + 2)
print(time.perf_counter() - t)
`;

console.log('| rows | file MiB | driftwatch s | rows/s | peak RSS MiB | --no-multivariate s | numpy peer s (numeric columns only, whole file in memory) | ratio |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const rows of ROWS) {
  const csv = join(dir, `train-${rows}.csv`);
  await writeCsv(csv, rows);
  const mib = statSync(csv).size / 1048576;
  // A child process per run so peak RSS is this build's alone (GNU time's %M is in KiB).
  const build = (flags: string): { seconds: number; rssKiB: number } => {
    const started = performance.now();
    const run = spawnSync('/usr/bin/env', ['bash', '-c',
      `command -v /usr/bin/time >/dev/null && /usr/bin/time -f '%M' node ${cli} baseline build --input ${csv} --out ${csv}.json ${flags} 2>&1 >/dev/null | tail -1 || node -e "process.exit(1)"`],
    { encoding: 'utf8' });
    return { seconds: (performance.now() - started) / 1000, rssKiB: Number(run.stdout.trim().split('\n').pop()) };
  };
  // Default: with the multivariate check (8 numeric columns), five passes; the peer run has two.
  const { seconds, rssKiB } = build('');
  const univariate = build('--no-multivariate');
  const peer = spawnSync('python3', ['-c', NUMPY_PEER, csv], { encoding: 'utf8' });
  const peerSeconds = peer.status === 0 ? Number(peer.stdout.trim()) : NaN;
  console.log(`| ${rows} | ${mib.toFixed(0)} | ${seconds.toFixed(1)} | ${Math.round(rows / seconds)} | ${Number.isFinite(rssKiB) ? (rssKiB / 1024).toFixed(0) : 'n/a'} | ${univariate.seconds.toFixed(1)} | ${Number.isFinite(peerSeconds) ? peerSeconds.toFixed(1) : 'n/a'} | ${Number.isFinite(peerSeconds) ? (seconds / peerSeconds).toFixed(2) : 'n/a'} |`);
  rmSync(csv);
}
rmSync(dir, { recursive: true, force: true });
