/**
 * Ingest benchmark (SPEC §8; not part of `npm test`): a real agent process, 20-feature events.
 *  1. throughput: batches of 1 000 events posted back to back over 4 keep-alive connections;
 *  2. latency: single-event POSTs at a fixed rate (open loop), p50 / p99 / max;
 *  3. resident memory of the agent after each phase, and sampled while 1 000-feature events stream in;
 *  4. peer: NumPy (json.loads + searchsorted + bincount + PSI) on the same events, same run.
 *
 *   npm run bench:ingest [-- --seconds 10 --rate 5000 --agent-flags=--max-semi-space-size=4]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent as HttpAgent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildBaseline } from '../shared/offline/baseline/build-baseline.js';
import { arrayRowSource } from '../shared/offline/input/row-source.js';
import { startBenchAgent, type BenchAgent } from './lib/bench-agent.js';
import { peerNumber, runPythonPeer } from './lib/python-peer.js';
import { rowsFor } from './lib/synthetic-rows.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg('seconds', 10);
const RATE = arg('rate', 5000);
/** V8 flags for the agent process only, e.g. `--agent-flags=--max-semi-space-size=4` (space-separated). */
const AGENT_NODE_FLAGS = (process.argv.find((a) => a.startsWith('--agent-flags='))?.slice('--agent-flags='.length) ?? '').split(' ').filter(Boolean);
const dir = mkdtempSync(join(tmpdir(), 'dw-bench-ingest-'));

const startAgent = (baseline: string, tag: string): Promise<BenchAgent> => startBenchAgent(dir, baseline, tag, {}, AGENT_NODE_FLAGS);

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

const keepAlive = new HttpAgent({ keepAlive: true, maxSockets: 64 });
function post(url: string, body: string): Promise<number> {
  const u = new URL(`${url}/v1/events`);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent: keepAlive,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function throughput(url: string, batches: string[], perBatch: number): Promise<number> {
  const deadline = performance.now() + SECONDS * 1000;
  let events = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (performance.now() < deadline) {
      const status = await post(url, batches[next++ % batches.length]!);
      if (status !== 200) throw new Error(`status ${status}`);
      events += perBatch;
    }
  }));
  return events / ((performance.now() - started) / 1000);
}

async function latency(url: string, singles: string[], seconds = SECONDS): Promise<{ p50: number; p99: number; max: number; sent: number; achieved: number }> {
  const total = RATE * seconds;
  const samples: number[] = [];
  const started = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / RATE;
    // Timers fire up to ~1 ms late, so requests leave in small bursts (≈5 per ms at 5 000/s).
    // Spinning instead costs the client a whole core, which on 2 cores starves the agent.
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const t = performance.now();
    inflight.push(post(url, singles[i % singles.length]!).then(() => { samples.push(performance.now() - t); }));
    if (inflight.length > 2000) await Promise.all(inflight.splice(0, 1000));
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - started) / 1000;
  samples.sort((a, b) => a - b);
  const q = (p: number): number => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]!;
  return { p50: q(0.5), p99: q(0.99), max: samples[samples.length - 1]!, sent: samples.length, achieved: samples.length / elapsed };
}

const NUMPY_PEER = `
import json, sys, time, numpy as np
profile = json.load(open(sys.argv[1]))
lines = open(sys.argv[2]).read().splitlines()
t = time.perf_counter()
events = [json.loads(l) for l in lines]
for f in profile['features']:
    if 'column' not in f['source']:
        continue  # a PCA reconstruction error: the peer bins the columns only
    col = f['source']['column']
    if f['type'] == 'numeric':
        x = np.array([e['features'].get(col, np.nan) for e in events], dtype=float)
        e = np.asarray(f['edges'])
        k = max(1, len(e) - 1)
        b = np.clip(np.searchsorted(e, x, side='right'), 1, k)
        b = np.where(x < e[0], 0, np.where(x > e[-1], k + 1, b))
        b = np.where(np.isnan(x), k + 2, b)
    else:
        index = {c: i for i, c in enumerate(f['categories'])}
        b = np.array([index.get(ev['features'].get(col), len(index)) for ev in events])
    q = np.bincount(b, minlength=len(f['counts'])) / len(events)
    p = np.asarray(f['proportions'])
    q, p = np.maximum(q, 1e-4), np.maximum(p, 1e-4)
    psi = float(np.sum((q - p) * np.log(q / p)))
print(len(events) / (time.perf_counter() - t))
`;

const training = rowsFor(16, 4, 20_000, 1);
const { profile } = await buildBaseline(arrayRowSource(training), {});
const baseline = join(dir, 'bench-20.json');
writeFileSync(baseline, JSON.stringify(profile));
const traffic = rowsFor(16, 4, 20_000, 2).map((features) => ({ model: 'bench', features }));
const batches = Array.from({ length: 20 }, (_, i) => JSON.stringify(traffic.slice(i * 1000, (i + 1) * 1000)));
const singles = traffic.slice(0, 5000).map((e) => JSON.stringify([e]));

// Latency peer: the same client against a node:http server that reads the body and answers at
// once, in its own process. Its p99 is the floor this client and machine can measure.
const NULL_SERVER = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const text = '{"accepted":1,"rejected":0,"errors":[]}';
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': text.length });
    res.end(text);
  });
});
server.listen(0, '127.0.0.1', () => console.log('http://127.0.0.1:' + server.address().port));
`;
const nullServer = spawn(process.execPath, ['-e', NULL_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
const nullUrl = await new Promise<string>((resolve) => createInterface({ input: nullServer.stdout }).once('line', resolve));
await latency(nullUrl, singles, 2);
const nullLat = await latency(nullUrl, singles);
nullServer.kill();

const agent = await startAgent(baseline, 'a20');
const idleRss = rssMiB(agent.pid);
// Warm-up (JIT, connection pool), discarded; then latency, then throughput.
await latency(agent.url, singles, 2);
for (const b of batches.slice(0, 5)) await post(agent.url, b);
const lat = await latency(agent.url, singles);
const afterLatencyRss = rssMiB(agent.pid);
const eventsPerSecond = await throughput(agent.url, batches, 1000);
const afterThroughputRss = rssMiB(agent.pid);
agent.stop();

const wide = rowsFor(900, 100, 3000, 3);
const { profile: wideProfile } = await buildBaseline(arrayRowSource(wide), {});
const wideBaseline = join(dir, 'bench-1000.json');
writeFileSync(wideBaseline, JSON.stringify(wideProfile));
const wideAgent = await startAgent(wideBaseline, 'a1000');
const wideEvents = rowsFor(900, 100, 2000, 4).map((features) => ({ model: 'bench', features }));
// Batches of 100 wide events back to back for a phase, RSS sampled every 100 ms: a single
// sample swings by ±15 MiB with where the collector happens to be.
const wideBatches = Array.from({ length: 20 }, (_, i) => JSON.stringify(wideEvents.slice(i * 100, i * 100 + 100)));
const wideSamples: number[] = [];
const sampler = setInterval(() => wideSamples.push(rssMiB(wideAgent.pid)), 100);
const wideUntil = performance.now() + SECONDS * 1000;
for (let i = 0; performance.now() < wideUntil; i++) await post(wideAgent.url, wideBatches[i % wideBatches.length]!);
clearInterval(sampler);
wideSamples.sort((a, b) => a - b);
await new Promise((r) => setTimeout(r, 3000));
const wideRss = { median: wideSamples[Math.floor(wideSamples.length / 2)]!, max: wideSamples[wideSamples.length - 1]!, settled: rssMiB(wideAgent.pid) };
wideAgent.stop();

const ndjson = join(dir, 'traffic.ndjson');
writeFileSync(ndjson, traffic.map((e) => JSON.stringify(e)).join('\n'));
const peerRate = peerNumber('NumPy peer', await runPythonPeer('NumPy peer', NUMPY_PEER, [baseline, ndjson]));

const f = (x: number, d = 0): string => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(`driftwatch ingest benchmark: ${SECONDS} s per phase, 20-feature events (16 numeric, 4 categorical), agent as its own process`);
console.log('');
console.log('| measure | value | target (SPEC §8) |');
console.log('|---|---:|---:|');
console.log(`| HTTP JSON ingest, batches of 1 000, 4 connections | ${f(eventsPerSecond)} events/s | ≥ 100 000 |`);
console.log(`| single-event POST latency at ${f(lat.achieved)} req/s: p50 / p99 / max | ${f(lat.p50, 2)} / ${f(lat.p99, 2)} / ${f(lat.max, 1)} ms | p99 < 2 ms at 5 000 req/s |`);
console.log(`| the same client against an empty node:http server (floor): p50 / p99 / max | ${f(nullLat.p50, 2)} / ${f(nullLat.p99, 2)} / ${f(nullLat.max, 1)} ms | |`);
console.log(`| p99 added by the agent over the floor | ${f(lat.p99 - nullLat.p99, 2)} ms | |`);
console.log(`| agent RSS: idle / after latency / after throughput | ${f(idleRss)} / ${f(afterLatencyRss)} / ${f(afterThroughputRss)} MiB | |`);
console.log(`| agent RSS with 1 000 features tracked: under load median / max, 3 s after | ${f(wideRss.median)} / ${f(wideRss.max)} / ${f(wideRss.settled)} MiB | < 100 MiB |`);
console.log(`| NumPy peer: json.loads + bin + PSI of the 20 columns, same events (no PCA) | ${f(peerRate)} events/s | |`);
console.log(`| ratio driftwatch / NumPy | ${(eventsPerSecond / peerRate).toFixed(2)} | |`);
console.log('');
console.log('Latency is measured by the client in the same machine, so it includes the client\'s own HTTP work on the other core.');
