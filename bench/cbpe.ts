/**
 * `npm run bench:cbpe`: driftwatch's label-free accuracy estimate against NannyML's CBPE and the
 * realised accuracy, per chunk, on NannyML's own synthetic binary datasets (car_loan, binary).
 *
 * The peer (bench/peers/cbpe_nannyml.py, in the cached NannyML virtualenv that bench:peers uses)
 * exports each dataset's reference period with its labels and its analysis period, and runs
 * NannyML's CBPE on chunks of --chunk rows; the realised accuracy of each chunk comes from the
 * analysis targets (scikit-learn). driftwatch builds the baseline from the reference with
 * `baseline build --label-column label`, then a real agent (dist/) takes the analysis rows as
 * events, each chunk in its own event-clock window, and writes its windows' datums to a file
 * sink: the chunk's `EstimatedAccuracy` is read from there. Printed: per dataset the mean absolute
 * gap of each estimate to the realised accuracy and to each other, and per chunk the figures.
 *
 *   npm run bench:cbpe -- [--chunk 5000]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensurePythonVenv, readRequirements } from '../scripts/lib/python-venv.js';
import { startBenchAgent } from './lib/bench-agent.js';

const { values: flags } = parseArgs({ options: { chunk: { type: 'string', default: '5000' } } });
const CHUNK = Number(flags.chunk);
const HERE = fileURLToPath(new URL('.', import.meta.url));
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const HOUR_MS = 3_600_000;
const T0 = Date.UTC(2026, 0, 5);

interface PeerChunk { start: number; end: number; nannyml: number; realised: number }
interface PeerOutput { nannyml: string; datasets: Record<string, { inputs: string[]; chunks: PeerChunk[] }> }

function run(command: string, args: readonly string[], label: string): string {
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${label} failed (exit ${String(r.status ?? r.signal)}):\n${(r.stderr || r.error?.message || '').slice(-3000)}`);
  return r.stdout;
}

/** A CSV of plain numbers and simple text (the peer's export) as records. */
function readCsv(path: string): Record<string, string>[] {
  const [head, ...lines] = readFileSync(path, 'utf8').trimEnd().split('\n');
  const names = head!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i]!, v])));
}

/** The agent's estimated accuracy per chunk: each chunk's rows are one event-clock window. */
async function agentEstimates(dir: string, name: string, inputs: readonly string[], chunks: readonly PeerChunk[]): Promise<(number | undefined)[]> {
  const baseline = join(dir, `${name}-baseline.json`);
  run(process.execPath, [CLI, 'baseline', 'build', '--input', join(dir, name, 'reference.csv'), '--out', baseline,
    '--prediction-column', 'prediction', '--confidence-column', 'confidence', '--label-column', 'label'], 'baseline build');
  const agent = await startBenchAgent(dir, baseline, name, { windows: { seconds: HOUR_MS / 1000, graceSeconds: 0, clock: 'event' } });
  try {
    const rows = readCsv(join(dir, name, 'analysis.csv'));
    for (const [i, c] of chunks.entries()) {
      const events = rows.slice(c.start, c.end + 1).map((r, j) => ({
        model: 'bench', timestamp: new Date(T0 + i * HOUR_MS + j).toISOString(),
        features: Object.fromEntries(inputs.map((f) => [f, Number.isNaN(Number(r[f])) ? r[f] : Number(r[f])])),
        prediction: { label: r.prediction, confidence: Number(r.confidence) },
      }));
      for (let k = 0; k < events.length; k += 1000) {
        const res = await fetch(`${agent.url}/v1/events`, { method: 'POST', body: JSON.stringify(events.slice(k, k + 1000)), headers: { 'content-type': 'application/json' } });
        if (res.status !== 200) throw new Error(`POST /v1/events: ${res.status} ${await res.text()}`);
      }
    }
    const flushed = await fetch(`${agent.url}/v1/flush`, { method: 'POST' });
    if (flushed.status !== 200) throw new Error(`POST /v1/flush: ${flushed.status}`);
    // The file sink writes each window's PutMetricData inputs once the shipper has sent them.
    const file = join(dir, `${name}.ndjson`);
    const byWindow = new Map<number, number>();
    const deadline = Date.now() + 120_000;
    while (byWindow.size < chunks.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      if (!existsSync(file)) continue;
      for (const line of readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0)) {
        const request = JSON.parse(line) as { MetricData: { MetricName: string; Value?: number; Timestamp: string }[] };
        for (const d of request.MetricData) {
          if (d.MetricName === 'EstimatedAccuracy') byWindow.set(Math.floor((Date.parse(d.Timestamp) - T0) / HOUR_MS), d.Value!);
        }
      }
    }
    return chunks.map((_, i) => byWindow.get(i));
  } finally {
    agent.stop();
  }
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

const venv = await ensurePythonVenv('bench-nannyml', readRequirements(join(HERE, 'peers', 'requirements-nannyml.txt')));
const dir = mkdtempSync(join(tmpdir(), 'driftwatch-cbpe-'));
process.stderr.write(`[bench] data in ${dir}\n`);
const peer = JSON.parse(run(venv.python, [join(HERE, 'peers', 'cbpe_nannyml.py'), '--data', dir, '--chunk', String(CHUNK)], 'NannyML CBPE')) as PeerOutput;
const lines: string[] = [`driftwatch EstimatedAccuracy against NannyML ${peer.nannyml} CBPE and the realised accuracy, chunks of ${CHUNK} rows\n`,
  '| dataset | chunks | mean abs gap: driftwatch − realised | NannyML − realised | driftwatch − NannyML |', '|---|---:|---:|---:|---:|'];
const detail: string[] = [];
for (const [name, data] of Object.entries(peer.datasets)) {
  const ours = await agentEstimates(dir, name, data.inputs, data.chunks);
  const missing = ours.findIndex((x) => x === undefined);
  if (missing >= 0) throw new Error(`${name}: no EstimatedAccuracy for chunk ${missing} in the agent's file sink`);
  const o = ours as number[];
  lines.push(`| ${name} | ${data.chunks.length} | ${mean(o.map((x, i) => Math.abs(x - data.chunks[i]!.realised))).toFixed(4)} | `
    + `${mean(data.chunks.map((c) => Math.abs(c.nannyml - c.realised))).toFixed(4)} | ${mean(o.map((x, i) => Math.abs(x - data.chunks[i]!.nannyml))).toFixed(4)} |`);
  detail.push(`\n${name}, per chunk (rows; realised, NannyML, driftwatch):`);
  data.chunks.forEach((c, i) => detail.push(`  ${c.start}–${c.end}: ${c.realised.toFixed(4)} ${c.nannyml.toFixed(4)} ${o[i]!.toFixed(4)}`));
}
process.stdout.write(`${lines.join('\n')}\n${detail.join('\n')}\n`);
