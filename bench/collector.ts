/**
 * Collector benchmark (not part of `npm test`): a real collector process receiving agents'
 * windows as OTLP protobuf (20-feature model, 300 s windows, built with the same converter and the
 * OpenTelemetry serializer the agents use).
 *  1. windows merged per second: one window from each of N distinct agents, posted over
 *     --connections keep-alive connections (default 32); requests that arrive together are
 *     committed to SQLite in one transaction, and each is answered once it is committed;
 *  2. closing: the merged windows of 50 periods scored and written to the outbox (one flush);
 *  3. memory: collector RSS with 1 model and with 201 models, each with an open merged window;
 *  4. peer: NumPy summing the same count arrays and computing PSI per merged window, same run.
 *
 *   npx tsx bench/collector.ts [--agents 3000] [--connections 32]
 */
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent as HttpAgent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { buildBaseline } from '../shared/offline/baseline/build-baseline.js';
import { DEFAULT_DRIFT_RULE } from '../shared/core/drift/drift-rule.js';
import type { WindowReport } from '../shared/core/drift/window-report.js';
import { arrayRowSource } from '../shared/offline/input/row-source.js';
import { windowToResourceMetrics } from '../shared/pipeline/otlp/window-metrics.js';
import { layoutFingerprint, ModelWindows } from '../shared/pipeline/windows/model-windows.js';
import { rowsFor } from './lib/synthetic-rows.js';
import { peerNumber, runPythonPeer } from './lib/python-peer.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const AGENTS = arg('agents', 3000);
/** Agents posting at once (each a keep-alive connection): a fleet's agents send concurrently. */
const CONNECTIONS = arg('connections', 32);
const PERIODS = 50;
const WINDOW_MS = 300_000;
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'dw-bench-collector-'));
const keepAlive = new HttpAgent({ keepAlive: true, maxSockets: 256 });

/** A process's CPU time so far (user + system), in seconds. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

async function startCollector(models: string[], tag: string): Promise<{ url: string; pid: number; stop: () => void }> {
  const config = join(dir, `${tag}.yaml`);
  writeFileSync(config, JSON.stringify({
    models: models.map((name) => ({ name, baseline: join(dir, 'baseline.json') })), receiver: { port: 0, maxConcurrentRequests: Math.max(8, CONNECTIONS) }, log: { level: 'warn' },
    windows: { seconds: WINDOW_MS / 1000, graceSeconds: 86_400 }, state: { path: join(dir, `${tag}.db`) }, sinks: { file: { path: join(dir, `${tag}.ndjson`) } },
  }));
  const child = spawn(process.execPath, [CLI, 'collector', '--config', config], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, DRIFTWATCH_LOG__LEVEL: 'info' } });
  const url = await new Promise<string>((resolve) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const entry = JSON.parse(line) as { msg: string; address?: string };
      if (entry.msg === 'Collector listening.') resolve(entry.address!);
    });
  });
  // A bench that fails midway leaves no collector behind.
  process.on('exit', () => child.kill('SIGKILL'));
  return { url, pid: child.pid!, stop: () => child.kill('SIGTERM') };
}

function post(url: string, path: string, body: Uint8Array, type = 'application/x-protobuf'): Promise<number> {
  const u = new URL(`${url}${path}`);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent: keepAlive,
      headers: { 'content-type': type, 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const { profile } = await buildBaseline(arrayRowSource(rowsFor(16, 4, 20_000, 1)), {});
writeFileSync(join(dir, 'baseline.json'), JSON.stringify(profile));
const layout = layoutFingerprint(profile);
const now = Date.now();
const firstPeriod = Math.floor(now / WINDOW_MS) * WINDOW_MS - (PERIODS + 2) * WINDOW_MS;

// One closed 100-event window per agent, spread over PERIODS periods.
const windows = new ModelWindows('m0', profile, WINDOW_MS, DEFAULT_DRIFT_RULE, { m: 3, n: 5 });
const traffic = rowsFor(16, 4, 100 * 20, 2);
const reports: WindowReport[] = [];
for (let k = 0; k < 20; k++) {
  for (const row of traffic.slice(k * 100, (k + 1) * 100)) windows.add(row, '', firstPeriod);
  reports.push((await windows.close(windows.windows()[0]!, firstPeriod + WINDOW_MS)).report);
}
const bodies = Array.from({ length: AGENTS }, (_, a) => {
  const period = firstPeriod + (a % PERIODS) * WINDOW_MS;
  const report = { ...reports[a % reports.length]!, startMs: period, endMs: period + WINDOW_MS };
  return ProtobufMetricsSerializer.serializeRequest(windowToResourceMetrics(report, profile, layout, { instanceId: `agent-${a}`, version: 'bench' }))!;
});

/** Posts every body over CONNECTIONS connections; returns the wall seconds and the collector's CPU seconds. */
async function postAll(pid: number, url: string, all: readonly Uint8Array[]): Promise<{ seconds: number; cpu: number }> {
  let next = 0;
  const cpuBefore = cpuSeconds(pid);
  const started = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (next < all.length) {
      const status = await post(url, '/v1/metrics', all[next++]!);
      if (status !== 200) throw new Error(`status ${status}`);
    }
  }));
  return { seconds: (performance.now() - started) / 1000, cpu: cpuSeconds(pid) - cpuBefore };
}

// 1. Merge throughput: one window per request, then ten windows of one agent per request (a
// backlog after an outage; repeated ResourceMetrics concatenate in protobuf).
const collector = await startCollector(['m0'], 'merge');
const idleRss = rssMiB(collector.pid);
const single = await postAll(collector.pid, collector.url, bodies);
const mergeSeconds = single.seconds;
const afterMergeRss = rssMiB(collector.pid);
collector.stop();
const batched = await startCollector(['m0'], 'batched');
const tens = Array.from({ length: Math.ceil(AGENTS / 10) }, (_, k) => Buffer.concat(bodies.slice(k * 10, k * 10 + 10)));
const ten = await postAll(batched.pid, batched.url, tens);
batched.stop();
const collectorForClose = await startCollector(['m0'], 'close');
await postAll(collectorForClose.pid, collectorForClose.url, bodies);
// 2. Closing PERIODS merged windows (scoring, outbox).
const closeStarted = performance.now();
if (await post(collectorForClose.url, '/v1/flush', new Uint8Array(0), 'application/json') !== 200) throw new Error('flush failed');
const closeSeconds = (performance.now() - closeStarted) / 1000;
collectorForClose.stop();

// 3. Memory per model.
const one = await startCollector(['m0'], 'one');
const oneRss = rssMiB(one.pid);
one.stop();
const names = Array.from({ length: 201 }, (_, i) => `m${i}`);
const many = await startCollector(names, 'many');
for (const name of names) {
  const body = ProtobufMetricsSerializer.serializeRequest(windowToResourceMetrics({ ...reports[0]!, model: name }, profile, layout, { instanceId: 'a', version: 'bench' }))!;
  if (await post(many.url, '/v1/metrics', body) !== 200) throw new Error('post failed');
}
const manyRss = rssMiB(many.pid);
many.stop();

// 4. NumPy peer: the same count arrays, summed per period, PSI per feature.
const countsFile = join(dir, 'counts.json');
writeFileSync(countsFile, JSON.stringify({ proportions: profile.features.map((f) => f.proportions), windows: bodies.map((_, a) => reports[a % reports.length]!.counts), periods: PERIODS }));
const NUMPY_PEER = `
import json, sys, time, numpy as np
d = json.load(open(sys.argv[1]))
p = [np.maximum(np.asarray(x), 1e-4) for x in d['proportions']]
wins = [[np.asarray(c, dtype=float) for c in w] for w in d['windows']]
t = time.perf_counter()
merged = {}
for i, w in enumerate(wins):
    k = i % d['periods']
    if k not in merged: merged[k] = [c.copy() for c in w]
    else:
        for j, c in enumerate(w): merged[k][j] += c
for k, m in merged.items():
    for j, c in enumerate(m):
        q = np.maximum(c / c.sum(), 1e-4)
        psi = float(np.sum((q - p[j]) * np.log(q / p[j])))
print(len(wins) / (time.perf_counter() - t))
`;
const peerRate = peerNumber('NumPy peer', await runPythonPeer('NumPy peer', NUMPY_PEER, [countsFile]));

const f = (x: number, d = 0): string => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const rate = AGENTS / mergeSeconds;
console.log(`driftwatch collector benchmark: ${f(AGENTS)} agent windows (20 features, protobuf, ${f(bodies[0]!.length)} bytes each) over ${PERIODS} periods`);
console.log('');
console.log('| measure | value |');
console.log('|---|---:|');
console.log(`| windows merged, one per request (HTTP + decode + checks + SQLite group commit, each answered once durable), ${CONNECTIONS} connections | ${f(rate)} windows/s |`);
console.log(`| the same, per second of the collector's own CPU (the client shares the machine) | ${f(AGENTS / single.cpu)} windows/s |`);
console.log(`| windows merged, ten of one agent per request | ${f(AGENTS / ten.seconds)} windows/s (${f(AGENTS / ten.cpu)} per CPU-second) |`);
console.log(`| closing ${PERIODS} merged windows (score, M-of-N, outbox) | ${f(closeSeconds * 1000)} ms |`);
console.log(`| collector RSS: idle / after merging | ${f(idleRss)} / ${f(afterMergeRss)} MiB |`);
console.log(`| collector RSS with 1 model / 201 models, each with an open window | ${f(oneRss)} / ${f(manyRss)} MiB |`);
console.log(`| memory per model | ${f(((manyRss - oneRss) * 1024) / 200)} KiB |`);
console.log(`| NumPy peer: sum the same count arrays + PSI, in memory | ${f(peerRate)} windows/s |`);
console.log(`| ratio driftwatch / NumPy | ${(rate / peerRate).toFixed(3)} |`);
