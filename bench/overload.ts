/**
 * Overload benchmark (not part of `npm test`): a real agent process flooded by `--connections`
 * keep-alive senders of 1 000-event batches, with the shipped admission limits and, as the peer in
 * the same run, with the limits lifted. Prints accepted events/s, shed requests, accepted-request
 * latency (p50 / p99 / max) and peak resident memory, and the ratios between the two.
 *
 *   npm run bench:overload [-- --seconds 10 --connections 128]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBaseline } from '../shared/offline/baseline/build-baseline.js';
import { arrayRowSource } from '../shared/offline/input/row-source.js';
import { startBenchAgent, type BenchAgent } from './lib/bench-agent.js';
import { postLoad, quantile, rssMiB } from './lib/http-load.js';
import { rowsFor } from './lib/synthetic-rows.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg('seconds', 10);
const CONNECTIONS = arg('connections', 128);
const dir = mkdtempSync(join(tmpdir(), 'dw-bench-overload-'));

const startAgent = (baseline: string, tag: string, api: object): Promise<BenchAgent> =>
  startBenchAgent(dir, baseline, tag, { api: { port: 0, ...api }, windows: { seconds: 3600 }, log: { level: 'info' } });

async function run(baseline: string, tag: string, api: object, body: Buffer): Promise<{ eventsPerSecond: number; shedShare: number; p50: number; p99: number; max: number; peakMiB: number; idleMiB: number }> {
  const agent = await startAgent(baseline, tag, api);
  const idleMiB = await rssMiB(agent.pid);
  let peakMiB = idleMiB;
  const sampler = setInterval(() => void rssMiB(agent.pid).then((m) => { peakMiB = Math.max(peakMiB, m); }, () => undefined), 50);
  const load = await postLoad(agent.url, body, CONNECTIONS, SECONDS);
  clearInterval(sampler);
  agent.stop();
  const total = Object.values(load.statuses).reduce((a, b) => a + b, 0);
  const l = load.acceptedLatencyMs;
  return { eventsPerSecond: ((load.statuses[200] ?? 0) * 1000) / SECONDS, shedShare: (load.statuses[503] ?? 0) / total, p50: quantile(l, 0.5), p99: quantile(l, 0.99), max: Math.max(...l), peakMiB, idleMiB };
}

const rows = rowsFor(16, 4, 20_000, 1);
const { profile } = await buildBaseline(arrayRowSource(rows), {});
const baseline = join(dir, 'baseline.json');
writeFileSync(baseline, JSON.stringify(profile));
const body = Buffer.from(JSON.stringify(rows.slice(0, 1000).map((features) => ({ model: 'bench', features }))));
process.stdout.write(`overload: ${CONNECTIONS} connections posting 1000-event batches (20 features, ${(body.length / 1024).toFixed(0)} KiB) for ${SECONDS} s each\n`);
const shipped = await run(baseline, 'limits', {}, body);
const lifted = await run(baseline, 'nolimits', { maxConcurrentRequests: 10_000, maxEventLoopDelayMs: 60_000 }, body);
const line = (name: string, r: typeof shipped): string =>
  `${name.padEnd(22)} ${Math.round(r.eventsPerSecond).toString().padStart(9)} events/s  shed ${(100 * r.shedShare).toFixed(1).padStart(5)} %  accepted latency p50 ${r.p50.toFixed(0)} ms p99 ${r.p99.toFixed(0)} ms max ${r.max.toFixed(0)} ms  RSS ${r.idleMiB.toFixed(0)} → ${r.peakMiB.toFixed(0)} MiB\n`;
process.stdout.write(line('shipped limits', shipped));
process.stdout.write(line('limits lifted (peer)', lifted));
process.stdout.write(`ratio shipped/peer: throughput ${(shipped.eventsPerSecond / lifted.eventsPerSecond).toFixed(2)}, p99 latency ${(shipped.p99 / lifted.p99).toFixed(2)}, peak RSS ${(shipped.peakMiB / lifted.peakMiB).toFixed(2)}\n`);
