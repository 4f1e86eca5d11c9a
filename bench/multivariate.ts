/**
 * Multivariate benchmark (issue 8; not part of `npm test`): events per second through a real agent
 * process with the PCA checks on, each against a peer run of the same events in the same run with
 * the check off:
 *  1. 20 numeric features, multivariate on vs off (--no-multivariate);
 *  2. 200 numeric features, on vs off;
 *  3. a 384-dimensional embedding (plus 4 numeric features), watched vs ignored (the agent skips
 *     the column: it still parses every vector, but projects none).
 * Batches posted back to back over 4 keep-alive connections; RSS after each run.
 *
 *   npm run bench:multivariate [-- --seconds 10]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededNormal } from '../scripts/lib/seeded-normal.js';
import { buildBaseline } from '../shared/offline/baseline/build-baseline.js';
import { arrayRowSource } from '../shared/offline/input/row-source.js';
import { startBenchAgent } from './lib/bench-agent.js';
import { postLoad, rssMiB } from './lib/http-load.js';
import { rowsFor } from './lib/synthetic-rows.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg('seconds', 10);
const dir = mkdtempSync(join(tmpdir(), 'dw-bench-multivariate-'));

/** Rows with a 384-dimensional embedding on a 12-dimensional subspace plus noise, and 4 numeric columns. */
function embeddingRows(count: number, seed: number): Record<string, unknown>[] {
  const { normal } = seededNormal(seed);
  const { normal: fixed } = seededNormal(384);
  const axes = Array.from({ length: 12 }, () => Array.from({ length: 384 }, () => fixed() / 20));
  return Array.from({ length: count }, (_, r) => {
    const latent = axes.map((_, i) => normal() * (12 - i));
    const emb = Array.from({ length: 384 }, (_, j) => Math.round((latent.reduce((s, l, i) => s + l * axes[i]![j]!, 0) + 0.05 * normal()) * 1e5) / 1e5);
    return { ...rowsFor(4, 0, 1, seed * 100_000 + r)[0], emb };
  });
}

interface Run { eventsPerSecond: number; rssMiB: number; projection: string }

async function run(tag: string, training: Record<string, unknown>[], traffic: Record<string, unknown>[], perBatch: number, options: object, ignoreUnknown = false): Promise<Run> {
  const { profile } = await buildBaseline(arrayRowSource(training), options);
  const baseline = join(dir, `${tag}.json`);
  writeFileSync(baseline, JSON.stringify(profile));
  const agent = await startBenchAgent(dir, baseline, tag, {
    models: [{ name: 'bench', baseline, ...(ignoreUnknown ? { unknownFeatures: 'ignore' } : {}) }],
    api: { port: 0, maxConcurrentRequests: 64 },
  });
  const batches = Array.from({ length: Math.floor(traffic.length / perBatch) }, (_, i) => Buffer.from(JSON.stringify(traffic.slice(i * perBatch, (i + 1) * perBatch).map((features) => ({ model: 'bench', features })))));
  await postLoad(agent.url, batches[0]!, 4, 2); // warm-up
  let accepted = 0;
  const started = performance.now();
  const until = started + SECONDS * 1000;
  for (let i = 0; performance.now() < until; i++) {
    const result = await postLoad(agent.url, batches[i % batches.length]!, 4, Math.min(1, (until - performance.now()) / 1000));
    accepted += result.statuses[200] ?? 0;
  }
  const seconds = (performance.now() - started) / 1000;
  const rss = await rssMiB(agent.pid);
  agent.stop();
  const p = profile.projections.map((x) => `${x.name} ${x.components.length}/${x.dimension}`).join(', ') || 'none';
  return { eventsPerSecond: (accepted * perBatch) / seconds, rssMiB: rss, projection: p };
}

const cases: { name: string; on: () => Promise<Run>; off: () => Promise<Run> }[] = [
  (() => {
    const training = rowsFor(20, 0, 20_000, 1);
    const traffic = rowsFor(20, 0, 20_000, 2);
    return { name: '20 numeric features', on: () => run('on-20', training, traffic, 1000, {}), off: () => run('off-20', training, traffic, 1000, { multivariate: false }) };
  })(),
  (() => {
    const training = rowsFor(200, 0, 5_000, 3);
    const traffic = rowsFor(200, 0, 5_000, 4);
    return { name: '200 numeric features', on: () => run('on-200', training, traffic, 100, {}), off: () => run('off-200', training, traffic, 100, { multivariate: false }) };
  })(),
  (() => {
    const training = embeddingRows(3_000, 5);
    const traffic = embeddingRows(2_000, 6);
    return {
      name: '384-dim embedding + 4 numeric',
      on: () => run('on-emb', training, traffic, 100, { embedding: ['emb'], multivariate: false }),
      off: () => run('off-emb', training, traffic, 100, { exclude: ['emb'], multivariate: false }, true),
    };
  })(),
];

const f = (x: number, d = 0): string => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(`driftwatch multivariate benchmark: ${SECONDS} s per run, agent as its own process, batches over 4 connections`);
console.log('');
console.log('| events | projection (components/dimension) | check on | check off (peer) | ratio | RSS on / off |');
console.log('|---|---|---:|---:|---:|---:|');
for (const c of cases) {
  const off = await c.off();
  const on = await c.on();
  console.log(`| ${c.name} | ${on.projection} | ${f(on.eventsPerSecond)} events/s | ${f(off.eventsPerSecond)} events/s | ${f(on.eventsPerSecond / off.eventsPerSecond, 2)}× | ${f(on.rssMiB)} / ${f(off.rssMiB)} MiB |`);
}
