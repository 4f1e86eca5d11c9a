/**
 * driftwatch against two peers (issue 15, point 5; not part of `npm test`): NannyML 0.13.1
 * (univariate drift and data-reconstruction drift) and Evidently 0.7.23 (the default data-drift
 * preset), each with its defaults, on NannyML's three synthetic datasets (car loan, binary,
 * multiclass), cut into chunks of 5 000, 500 and 100 rows. Drift in each dataset starts at the
 * middle of its analysis period; a feature counts as truly drifting when its distance between the
 * reference and the whole drifted half is at least 0.03 (KS statistic, or total variation for a
 * categorical feature; bench/peers/peers.py prints the gap around that line). The bench installs
 * each peer into its own cached virtualenv (~/.cache/driftwatch; the peers' pins do not agree),
 * runs both peers as subprocesses, scores the same chunks in-process with driftwatch's real
 * baseline builder, counter and scoreWindow, and prints one table per dataset.
 *
 *   npm run bench:peers [-- --sizes 5000,500] [-- --json out.json] [-- --peers-from DIR]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePythonVenv, readRequirements } from '../scripts/lib/python-venv.js';
import type { InputRecord } from '../shared/core/aggregation/read-source.js';
import { ProfileCounter } from '../shared/core/aggregation/profile-counter.js';
import { parseDriftRule, type DriftRule } from '../shared/core/drift/drift-rule.js';
import { scoreWindow } from '../shared/core/drift/score-window.js';
import { projectorsFor } from '../shared/core/multivariate/projector.js';
import { PsiThresholdCache } from '../shared/core/threshold/psi-threshold-cache.js';
import { buildBaseline } from '../shared/offline/baseline/build-baseline.js';
import { fileRowSource } from '../shared/offline/input/file-row-source.js';

const HERE = join(dirname(fileURLToPath(import.meta.url)), 'peers');
const DATASETS = ['car_loan', 'binary', 'multiclass'] as const;
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const SIZES = (arg('sizes') ?? '5000,500,100').split(',').map(Number);

interface Meta {
  features: string[];
  categorical: string[];
  numeric: string[];
  driftStartRow: number;
  truth: string[];
  truthDistance: number;
  distances: Record<string, { clean: number; drifted: number }>;
}
/** One tool's verdicts on one dataset at one chunk size: flagged features and a chunk-level flag per chunk. */
interface Verdicts { univariate: string[][]; multivariate: boolean[] }
/** driftwatch's scores of one feature over the drifted half's chunks, to say why a feature was missed. */
interface Detail { psi: number[]; threshold: number[]; wasserstein: number[]; flagged: number }
type PeerOutput = { peer: string; version: string; results: Record<string, Verdicts & { seconds: number }> };

function python(bin: string, args: string[], label: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [join(HERE, 'peers.py'), ...args], { stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stderr += text;
      for (const line of text.split('\n')) if (/^(nannyml|evidently|car_loan|binary|multiclass)\b/.test(line)) process.stderr.write(`[${label}] ${line}\n`);
    });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${label} exited ${code}\n${stderr.slice(-3000)}`))));
  });
}

async function readRows(path: string): Promise<InputRecord[]> {
  const rows: InputRecord[] = [];
  for await (const { record } of fileRowSource(path).rows()) rows.push(record);
  return rows;
}

/** driftwatch's verdicts, with `rule`, on every chunk of `size` rows. */
async function driftwatch(
  data: string, name: string, meta: Meta, rules: Record<string, DriftRule>, details: Map<string, Detail>,
): Promise<Record<string, Record<number, Verdicts>>> {
  const { profile } = await buildBaseline(fileRowSource(join(data, name, 'reference.csv')), { categorical: meta.categorical, numeric: meta.numeric });
  const analysis = await readRows(join(data, name, 'analysis.csv'));
  const projectors = projectorsFor(profile);
  const out: Record<string, Record<number, Verdicts>> = {};
  for (const [label, rule] of Object.entries(rules)) {
    const thresholds = new PsiThresholdCache(rule);
    out[label] = {};
    for (const size of SIZES) {
      const verdicts: Verdicts = { univariate: [], multivariate: [] };
      for (let start = 0; start + size <= analysis.length; start += size) {
        const counter = new ProfileCounter(profile.features, { projectors });
        for (let i = start; i < start + size; i++) counter.add(analysis[i]!);
        const score = scoreWindow(profile, counter.counts, rule, thresholds, counter.sums);
        verdicts.univariate.push(score.features.filter((f) => f.role !== 'multivariate' && f.status === 'drift').map((f) => f.name));
        verdicts.multivariate.push(score.features.some((f) => f.role === 'multivariate' && f.status === 'drift'));
        if (label !== 'driftwatch' || size !== SIZES[0] || start < meta.driftStartRow) continue;
        for (const f of score.features) {
          if (!meta.truth.includes(f.name)) continue;
          const d = details.get(f.name) ?? { psi: [], threshold: [], wasserstein: [], flagged: 0 };
          details.set(f.name, d);
          d.psi.push(f.psi ?? NaN);
          d.threshold.push(f.threshold ?? NaN);
          if (f.wasserstein !== null) d.wasserstein.push(f.wasserstein);
          if (f.status === 'drift') d.flagged++;
        }
      }
      out[label][size] = verdicts;
    }
  }
  return out;
}

interface Row {
  tool: string;
  size: number;
  cleanChunks: number;
  driftedChunks: number;
  /** Clean half: chunks with any feature flagged; flagged (chunk, feature) pairs. */
  cleanAny: number;
  cleanPairs: number;
  /** Drifted half: truly drifting (chunk, feature) pairs flagged; other pairs flagged. */
  found: number;
  falseInDrifted: number;
  /** Chunks whose flagged set is exactly right (empty in the clean half, the truth in the drifted half). */
  exact: number;
  multivariateClean: number;
  multivariateDrifted: number;
  /** Chunks with any alarm at all (a feature or the chunk-level check): what an on-call engineer sees. */
  alarmClean: number;
  alarmDrifted: number;
  /** Drifted chunks before every drifting feature is flagged for the first time. */
  delay: number | null;
}

function summarize(tool: string, size: number, meta: Meta, v: Verdicts): Row {
  const firstDrifted = meta.driftStartRow / size;
  const truth = new Set(meta.truth);
  const row: Row = {
    tool, size, cleanChunks: 0, driftedChunks: 0, cleanAny: 0, cleanPairs: 0, found: 0, falseInDrifted: 0, exact: 0,
    multivariateClean: 0, multivariateDrifted: 0, alarmClean: 0, alarmDrifted: 0, delay: null,
  };
  v.univariate.forEach((flagged, i) => {
    const drifted = i >= firstDrifted;
    const hits = flagged.filter((f) => truth.has(f)).length;
    const wrong = flagged.length - (drifted ? hits : 0);
    const alarm = flagged.length > 0 || v.multivariate[i] === true;
    if (alarm && drifted) row.alarmDrifted++;
    if (alarm && !drifted) row.alarmClean++;
    if (drifted) {
      row.driftedChunks++;
      row.found += hits;
      row.falseInDrifted += wrong;
      if (v.multivariate[i] === true) row.multivariateDrifted++;
      if (hits === truth.size && wrong === 0) row.exact++;
      if (row.delay === null && hits === truth.size) row.delay = i - firstDrifted;
    } else {
      row.cleanChunks++;
      row.cleanPairs += flagged.length;
      if (flagged.length > 0) row.cleanAny++;
      else row.exact++;
      if (v.multivariate[i] === true) row.multivariateClean++;
    }
  });
  return row;
}

const pct = (k: number, n: number): string => (n === 0 ? '–' : `${((100 * k) / n).toFixed(k === 0 || k === n ? 0 : 1)} %`);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function table(name: string, meta: Meta, rows: Row[], details: Map<string, Detail>): string {
  const others = meta.features.length - meta.truth.length;
  const lines = [
    `\n### ${name}: ${meta.features.length} inputs, drifting in the second half: ${meta.truth.join(', ')}\n`,
    '| chunk | tool | clean half: chunks with a false alarm | clean half: false flags | drifted half: drifting features found | drifted half: false flags | chunks exactly right | chunks to find all | multivariate: clean / drifted | any alarm: clean / drifted |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(`| ${r.size} | ${r.tool} | ${pct(r.cleanAny, r.cleanChunks)} | ${pct(r.cleanPairs, r.cleanChunks * meta.features.length)} | `
      + `${pct(r.found, r.driftedChunks * meta.truth.length)} | ${others === 0 ? '–' : pct(r.falseInDrifted, r.driftedChunks * others)} | `
      + `${pct(r.exact, r.cleanChunks + r.driftedChunks)} | ${r.delay === null ? 'never' : r.delay + 1} | `
      + `${pct(r.multivariateClean, r.cleanChunks)} / ${pct(r.multivariateDrifted, r.driftedChunks)} | `
      + `${pct(r.alarmClean, r.cleanChunks)} / ${pct(r.alarmDrifted, r.driftedChunks)} |`);
  }
  const gap = meta.features.map((f) => `${f} ${meta.distances[f]!.drifted.toFixed(3)}`).join(', ');
  lines.push(`\nDistance of the drifted half from the reference (truth line ${meta.truthDistance}): ${gap}.`);
  lines.push(`\ndriftwatch (default rule) on the drifted half's ${SIZES[0]}-row chunks, per drifting feature (medians):\n`);
  lines.push('| feature | distance | PSI | threshold | W1/sd | chunks flagged |', '|---|---:|---:|---:|---:|---:|');
  for (const [feature, d] of details) {
    const w1 = d.wasserstein.length === 0 ? '–' : median(d.wasserstein).toFixed(3);
    lines.push(`| ${feature} | ${meta.distances[feature]!.drifted.toFixed(3)} | ${median(d.psi).toFixed(3)} | ${median(d.threshold).toFixed(3)} | ${w1} | ${pct(d.flagged, d.psi.length)} |`);
  }
  return lines.join('\n');
}

const started = performance.now();
/** `--peers-from DIR`: reuse a data folder of an earlier run (its CSVs and the peers' verdicts). */
const reuse = arg('peers-from');
let peerRuns: Promise<unknown> = Promise.resolve();
let data = reuse ?? '';
if (reuse === undefined) {
  const nannymlVenv = await ensurePythonVenv('bench-nannyml', readRequirements(join(HERE, 'requirements-nannyml.txt')));
  const evidentlyVenv = await ensurePythonVenv('bench-evidently', readRequirements(join(HERE, 'requirements-evidently.txt')));
  data = mkdtempSync(join(tmpdir(), 'driftwatch-peers-'));
  process.stderr.write(`[bench] data and verdicts in ${data} (--peers-from ${data} reuses them)\n`);
  await python(nannymlVenv.python, ['export', '--data', data], 'export');
  const sizes = SIZES.join(',');
  // The peers run as subprocesses, one per peer and dataset (Evidently takes ~1.7 s a chunk), while
  // driftwatch scores in this one.
  peerRuns = Promise.all(DATASETS.flatMap((name) => [
    python(nannymlVenv.python, ['nannyml', '--data', data, '--sizes', sizes, '--datasets', name, '--out', join(data, `nannyml-${name}.json`)], 'nannyml'),
    python(evidentlyVenv.python, ['evidently', '--data', data, '--sizes', sizes, '--datasets', name, '--out', join(data, `evidently-${name}.json`)], 'evidently'),
  ]));
}
const rules = {
  driftwatch: parseDriftRule({}),
  'driftwatch, effect W1': parseDriftRule({ effect: 'wasserstein' }),
  'driftwatch, min-effect 0': parseDriftRule({ minEffectPsi: 0 }),
};
const metas: Record<string, Meta> = {};
const ours: Record<string, Record<string, Record<number, Verdicts>>> = {};
const details: Record<string, Map<string, Detail>> = {};
for (const name of DATASETS) {
  metas[name] = JSON.parse(readFileSync(join(data, name, 'meta.json'), 'utf8')) as Meta;
  const t = performance.now();
  details[name] = new Map();
  ours[name] = await driftwatch(data, name, metas[name], rules, details[name]);
  process.stderr.write(`[driftwatch] ${name}: ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
}
await peerRuns;
const peers = ['nannyml', 'evidently'].map((peer): PeerOutput => {
  const parts = DATASETS.filter((name) => existsSync(join(data, `${peer}-${name}.json`)))
    .map((name) => JSON.parse(readFileSync(join(data, `${peer}-${name}.json`), 'utf8')) as PeerOutput);
  if (parts.length === 0) throw new Error(`no ${peer} verdicts in ${data}`);
  return { ...parts[0]!, results: Object.assign({}, ...parts.map((p) => p.results)) as PeerOutput['results'] };
});
const label = (p: PeerOutput): string => (p.peer === 'nannyml' ? `NannyML ${p.version}` : `Evidently ${p.version}`);

const report: Record<string, Row[]> = {};
console.log(`\ndriftwatch vs peers on NannyML's synthetic datasets. Multivariate: driftwatch's PCA checks, NannyML's reconstruction drift, Evidently's dataset drift (half the columns).`);
for (const name of DATASETS) {
  const meta = metas[name]!;
  const rows: Row[] = [];
  for (const size of SIZES) {
    for (const [tool, bySize] of Object.entries(ours[name]!)) rows.push(summarize(tool, size, meta, bySize[size]!));
    for (const p of peers) {
      const verdicts = p.results[`${name}/${size}`];
      if (verdicts === undefined) process.stderr.write(`[bench] ${label(p)}: no verdicts for ${name} at ${size} rows (a stopped run?)\n`);
      else rows.push(summarize(label(p), size, meta, verdicts));
    }
  }
  report[name] = rows;
  console.log(table(name, meta, rows, details[name]!));
}
const seconds = (p: PeerOutput): string => Object.values(p.results).reduce((a, r) => a + r.seconds, 0).toFixed(0);
console.log(`\nPeer time: ${peers.map((p) => `${label(p)} ${seconds(p)} s`).join(', ')}; whole bench ${((performance.now() - started) / 1000).toFixed(0)} s.`);
const json = arg('json');
if (json !== undefined) writeFileSync(json, JSON.stringify({ metas, report }, null, 1));
