/**
 * How long closing takes: `POST /v1/flush` of two small windows (170 events each, two models of 20
 * features: the Monte-Carlo thresholds' sizes) on a loaded machine (two busy-loop processes on the
 * two cores), on a fresh agent (nothing cached) and again on the same agent. Not part of `npm test`.
 *
 *   npm run bench:flush [-- --runs 3 --events 170]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBaseline } from '../shared/offline/baseline/build-baseline.js';
import { arrayRowSource } from '../shared/offline/input/row-source.js';
import { startBenchAgent } from './lib/bench-agent.js';
import { rowsFor } from './lib/synthetic-rows.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg('runs', 3);
const EVENTS = arg('events', 170);
const dir = mkdtempSync(join(tmpdir(), 'dw-bench-flush-'));
const { profile } = await buildBaseline(arrayRowSource(rowsFor(16, 4, 20_000, 1)), {});
const baseline = join(dir, 'bench.json');
writeFileSync(baseline, JSON.stringify(profile));
const models = ['bench', 'bench2'];

async function post(url: string, path: string, body: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await res.text();
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
  return performance.now() - started;
}

/** Waits for a background tick to have seen the open windows and for no model's thresholds to be warming; returns the seconds waited. */
async function warmedUp(url: string): Promise<number> {
  const started = performance.now();
  await new Promise((r) => setTimeout(r, 1500)); // one background tick (every second) has seen the windows
  for (;;) {
    const status = await (await fetch(`${url}/v1/status`)).json() as { models: { thresholds?: { warming: boolean } }[] };
    if (status.models.every((m) => m.thresholds?.warming !== true)) return (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Two busy loops: the agent shares the machine's two cores with them. */
function hogs(): ChildProcess[] {
  return [0, 1].map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}

const rows: string[] = [];
for (let run = 0; run < RUNS; run++) {
  const agent = await startBenchAgent(dir, baseline, `flush-${run}`, { models: models.map((name) => ({ name, baseline })), windows: { seconds: 3600 } });
  const load = hogs();
  const times: number[] = [];
  const warmUp: number[] = [];
  for (let round = 0; round < 3; round++) {
    const traffic = rowsFor(16, 4, Math.round(EVENTS * (round === 1 ? 0.8 : 1)), 100 + run * 10 + round);
    for (const model of models) await post(agent.url, '/v1/events', JSON.stringify(traffic.map((features) => ({ model, features }))));
    // Round 0: the flush at once, before anything is simulated. Round 1 (a new size, 20 % fewer
    // events): as when events arrive over a while, the flush comes once the background is done.
    if (round === 1) warmUp.push(await warmedUp(agent.url));
    times.push(await post(agent.url, '/v1/flush', ''));
  }
  for (const h of load) h.kill('SIGKILL');
  agent.stop();
  rows.push(`| ${run + 1} | ${times[0]!.toFixed(0)} | ${warmUp[0]!.toFixed(1)} | ${times[1]!.toFixed(0)} | ${times[2]!.toFixed(0)} |`);
}
console.log(`POST /v1/flush of ${models.length} windows of ${EVENTS} events (20 features), two busy loops on the two cores`);
console.log('');
console.log(`| run | fresh agent, flush at once (nothing simulated yet): ms | windows of ${Math.round(EVENTS * 0.8)} events: background simulation after they arrived, s | then flush: ms | windows of ${EVENTS} again: flush ms |`);
console.log('|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(r);
