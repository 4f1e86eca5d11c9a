/**
 * `npm run bench:baseline`: the baseline build against its peers on the same generated training
 * files (8 numeric and 2 categorical columns, 0.5 M and 5 M rows; the issue-21 layout):
 *
 *   - driftwatch `baseline build` (multivariate on, the default), `--no-multivariate`, and the
 *     same rows as a Parquet file;
 *   - pandas `read_csv` + NumPy deciles + `searchsorted`/`bincount` + `value_counts`
 *     (bench/peers/baseline_numpy.py);
 *   - whylogs' full default profile (bench/peers/baseline_whylogs.py).
 *
 * Every contender is a whole process, timed from spawn to exit (interpreter start and imports
 * included, as a user waits for them), `--repeat` times; the table gives the fastest and slowest
 * run, peak RSS, and the ratios of driftwatch's fastest to each peer's fastest. The peers are
 * pip-installed into the user cache by the bench, never by `npm test`. A peer that fails stops
 * the bench. Last, a build of the largest file under `--memory-limit 128` shows the engine's
 * memory staying bounded on an input several times its limit.
 *
 *   npm run bench:baseline -- [--rows 500000,5000000] [--repeat 2]
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { ensurePythonVenv, readRequirements } from '../scripts/lib/python-venv.js';
import { CACHE_DIR } from '../scripts/lib/user-cache.js';
import { seededNormal } from '../scripts/lib/seeded-normal.js';

const { values: flags } = parseArgs({ options: { rows: { type: 'string', default: '500000,5000000' }, repeat: { type: 'string', default: '2' } } });
const SIZES = flags.rows.split(',').map(Number);
const REPEAT = Number(flags.repeat);
const DATA = join(CACHE_DIR, 'bench-baseline-data-v1');
const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const peer = (name: string): string => fileURLToPath(new URL(`peers/${name}`, import.meta.url));

/** The generated training CSV of `rows` rows (seeded, so every machine bench the same file), cached. */
async function trainingCsv(rows: number): Promise<string> {
  const path = join(DATA, `train-${rows}.csv`);
  if (existsSync(path)) return path;
  mkdirSync(DATA, { recursive: true });
  const { normal, uniform } = seededNormal(rows);
  const out = createWriteStream(`${path}.tmp`);
  out.write('a,b,c,d,e,f,g,h,region,channel\n');
  const regions = ['north', 'south', 'east', 'west'];
  const channels = ['web', 'app', 'branch'];
  for (let i = 0; i < rows; i++) {
    const nums = Array.from({ length: 8 }, (_, j) => (normal() * (j + 1)).toFixed(4));
    const line = `${nums.join(',')},${regions[Math.floor(uniform() * 4)]},${uniform() < 0.05 ? '' : channels[Math.floor(uniform() * 3)]}\n`;
    if (!out.write(line)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
  renameSync(`${path}.tmp`, path);
  return path;
}

/** The same rows as Parquet (written by DuckDB's COPY), cached. */
async function parquetTwin(csv: string): Promise<string> {
  const path = csv.replace(/\.csv$/, '.parquet');
  if (existsSync(path)) return path;
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  await connection.run(`COPY (SELECT * FROM read_csv('${csv}', header=true)) TO '${path}.tmp' (FORMAT parquet)`);
  connection.closeSync();
  db.closeSync();
  renameSync(`${path}.tmp`, path);
  return path;
}

interface Run {
  seconds: number;
  rssMiB: number;
}

/** One contender run as a whole process under GNU time (peak RSS); a failure stops the bench with its stderr. */
function timed(label: string, command: string, args: readonly string[]): Run {
  const started = performance.now();
  const run = spawnSync('/usr/bin/time', ['-f', 'DW_PEAK_RSS_KIB=%M', command, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = (performance.now() - started) / 1000;
  if (run.status !== 0) throw new Error(`${label} failed (exit ${String(run.status ?? run.signal)}):\n${(run.stderr || run.error?.message || '').slice(-3000)}`);
  const rss = /DW_PEAK_RSS_KIB=(\d+)/.exec(run.stderr);
  return { seconds, rssMiB: rss === null ? NaN : Number(rss[1]) / 1024 };
}

function repeated(label: string, command: string, args: readonly string[]): Run[] {
  return Array.from({ length: REPEAT }, () => timed(label, command, args));
}

const fastest = (runs: readonly Run[]): number => Math.min(...runs.map((r) => r.seconds));
const span = (runs: readonly Run[]): string => {
  const s = runs.map((r) => r.seconds);
  return Math.min(...s) === Math.max(...s) ? Math.min(...s).toFixed(2) : `${Math.min(...s).toFixed(2)}–${Math.max(...s).toFixed(2)}`;
};
const rss = (runs: readonly Run[]): string => Math.max(...runs.map((r) => r.rssMiB)).toFixed(0);

const numpy = await ensurePythonVenv('bench-numpy', readRequirements(fileURLToPath(new URL('peers/requirements-numpy.txt', import.meta.url))));
const whylogs = await ensurePythonVenv('bench-whylogs', readRequirements(fileURLToPath(new URL('peers/requirements-whylogs.txt', import.meta.url))));

console.log('| rows | CSV MiB | contender | wall s (fastest–slowest) | peak RSS MiB | driftwatch ÷ it |');
console.log('|---:|---:|---|---:|---:|---:|');
for (const rows of SIZES) {
  const csv = await trainingCsv(rows);
  const parquet = await parquetTwin(csv);
  const mib = (statSync(csv).size / 1048576).toFixed(0);
  const out = `${csv}.baseline.json`;
  const contenders: [string, Run[]][] = [
    ['driftwatch build (multivariate)', repeated('driftwatch', 'node', [cli, 'baseline', 'build', '--input', csv, '--out', out])],
    ['driftwatch build --no-multivariate', repeated('driftwatch', 'node', [cli, 'baseline', 'build', '--input', csv, '--out', out, '--no-multivariate'])],
    ['driftwatch build, Parquet twin (multivariate)', repeated('driftwatch', 'node', [cli, 'baseline', 'build', '--input', parquet, '--out', out])],
    ['pandas read_csv + NumPy deciles/bincount + value_counts', repeated('pandas/NumPy peer', numpy.python, [peer('baseline_numpy.py'), csv])],
    ['whylogs 1.6 profile (pandas read + KLL/HLL/frequent items)', repeated('whylogs peer', whylogs.python, [peer('baseline_whylogs.py'), csv])],
  ];
  const ours = fastest(contenders[0]![1]);
  for (const [label, runs] of contenders) {
    console.log(`| ${rows} | ${mib} | ${label} | ${span(runs)} | ${rss(runs)} | ${(ours / fastest(runs)).toFixed(2)} |`);
  }
  console.log(`| ${rows} | ${mib} | multivariate ÷ --no-multivariate | | | ${(ours / fastest(contenders[1]![1])).toFixed(2)} |`);
}

const largest = await trainingCsv(Math.max(...SIZES));
const bounded = timed('driftwatch --memory-limit 128', 'node', [cli, 'baseline', 'build', '--input', largest, '--out', `${largest}.bounded.json`, '--memory-limit', '128']);
console.log(`\nBounded memory: ${(statSync(largest).size / 1048576).toFixed(0)} MiB CSV under --memory-limit 128: ${bounded.seconds.toFixed(1)} s, peak RSS ${bounded.rssMiB.toFixed(0)} MiB.`);
