/**
 * Durability benchmark (not part of `npm test`): what `windows.durability: strict` costs. A real
 * agent process per mode, each fed the same closed-loop load: 1 000-event batches over 4
 * connections, then single-event POSTs over 16 connections. The peer is the default `checkpoint`
 * mode in the same run; strict is measured with `state.synchronous` NORMAL (survives a process
 * crash) and FULL (also survives power loss). Prints events/s, accepted-request latency p50 / p99
 * and the ratio to the peer.
 *
 *   npm run bench:durability [-- --seconds 8]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { buildBaseline } from '../shared/offline/baseline/build-baseline.js';
import { arrayRowSource } from '../shared/offline/input/row-source.js';
import { postLoad, quantile } from './lib/http-load.js';
import { rowsFor } from './lib/synthetic-rows.js';

const i = process.argv.indexOf('--seconds');
const SECONDS = i > 0 ? Number(process.argv[i + 1]) : 8;
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'dw-bench-durability-'));

interface Mode { name: string; durability: 'checkpoint' | 'strict'; synchronous: 'NORMAL' | 'FULL' }
const MODES: Mode[] = [
  { name: 'checkpoint (peer)', durability: 'checkpoint', synchronous: 'NORMAL' },
  { name: 'strict, NORMAL', durability: 'strict', synchronous: 'NORMAL' },
  { name: 'strict, FULL', durability: 'strict', synchronous: 'FULL' },
];

async function startAgent(baseline: string, mode: Mode, tag: string): Promise<{ url: string; stop: () => void }> {
  const config = join(dir, `${tag}.yaml`);
  writeFileSync(config, JSON.stringify({
    models: [{ name: 'bench', baseline }], api: { port: 0, maxConcurrentRequests: 64 }, log: { level: 'warn' },
    windows: { seconds: 3600, durability: mode.durability }, state: { path: join(dir, `${tag}.db`), synchronous: mode.synchronous },
    sinks: { file: { path: join(dir, `${tag}.ndjson`) } },
  }));
  const child = spawn(process.execPath, [CLI, 'agent', '--config', config], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, DRIFTWATCH_LOG__LEVEL: 'info' } });
  const url = await new Promise<string>((resolve) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; address?: string };
      if (entry.msg === 'Agent listening.') resolve(entry.address!);
    });
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

const rows = rowsFor(16, 4, 20_000, 1);
const { profile } = await buildBaseline(arrayRowSource(rows), {});
const baseline = join(dir, 'baseline.json');
writeFileSync(baseline, JSON.stringify(profile));
const event = (features: Record<string, number | string>) => ({ model: 'bench', features });
const loads = [
  { name: '1000-event batches, 4 connections', body: Buffer.from(JSON.stringify(rows.slice(0, 1000).map(event))), events: 1000, connections: 4 },
  { name: 'single events, 16 connections', body: Buffer.from(JSON.stringify([event(rows[0]!)])), events: 1, connections: 16 },
];

process.stdout.write(`durability: ${SECONDS} s per load and mode, 20-feature events\n`);
for (const load of loads) {
  process.stdout.write(`\n${load.name}\n`);
  let peer = 0;
  for (const [m, mode] of MODES.entries()) {
    const agent = await startAgent(baseline, mode, `${m}-${load.events}`);
    const result = await postLoad(agent.url, load.body, load.connections, SECONDS);
    agent.stop();
    const rate = ((result.statuses[200] ?? 0) * load.events) / SECONDS;
    if (m === 0) peer = rate;
    const l = result.acceptedLatencyMs;
    const other = Object.entries(result.statuses).filter(([s]) => s !== '200').map(([s, n]) => `${n}×${s}`).join(' ');
    process.stdout.write(`  ${mode.name.padEnd(18)} ${Math.round(rate).toString().padStart(8)} events/s  p50 ${quantile(l, 0.5).toFixed(2)} ms  p99 ${quantile(l, 0.99).toFixed(2)} ms  ratio to peer ${(rate / peer).toFixed(2)}${other === '' ? '' : `  (${other})`}\n`);
  }
}
