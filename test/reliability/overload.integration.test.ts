import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { postLoad, rssMiB } from '../../bench/lib/http-load.js';
import { startAgent } from '../helpers/agent-process.js';
import { exampleBaseline, exampleRows, toEvent } from '../helpers/example-events.js';

/**
 * Overload: far more concurrent senders than the agent takes at once. It answers the excess 503
 * with Retry-After before reading their bodies, counts exactly what it answered 200 for, keeps its
 * memory bounded, crashes not, and serves normally once the load stops. (Throughput and latency
 * figures: `npm run bench:overload`.)
 */
const CONNECTIONS = 64;
/** The bound the test holds the agent to while flooded (docs/reliability.md#overload derives it). */
const RSS_BOUND_MIB = 300;

describe('overload', () => {
  it('sheds load with 503 + Retry-After, stays within its memory bound, loses nothing it accepted, and recovers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-overload-'));
    writeFileSync(join(dir, 'loans.json'), JSON.stringify(await exampleBaseline()));
    const rows = exampleRows('loans-stable.csv');
    // Gzipped: 1000 events cost the sender a few KiB and the agent a gunzip and a parse, so the
    // agent, not this process, is the bottleneck and the load is several times what it can take.
    const batch = gzipSync(JSON.stringify(Array.from({ length: 1000 }, (_, i) => toEvent(rows[i % rows.length]!, 'loans'))));
    const agent = await startAgent({
      models: [{ name: 'loans', baseline: join(dir, 'loans.json') }], api: { port: 0, maxConcurrentRequests: 8 },
      windows: { seconds: 3600 }, sinks: { file: { path: join(dir, 'metrics.ndjson') } },
    }, { dir });
    try {
      const pid = agent.child.pid!;
      const idle = await rssMiB(pid);
      let peak = idle;
      const sampler = setInterval(() => void rssMiB(pid).then((m) => { peak = Math.max(peak, m); }, () => undefined), 50);
      const load = await postLoad(agent.address, batch, CONNECTIONS, 6, { 'content-encoding': 'gzip' });
      clearInterval(sampler);
      const accepted = load.statuses[200] ?? 0;
      const shed = load.statuses[503] ?? 0;
      expect(shed, JSON.stringify(load.statuses)).toBeGreaterThan(0);
      expect(load.retryAfter).toBe(shed);
      // Only 200 and 503: no other error, no dropped connection.
      expect(Object.keys(load.statuses).sort()).toEqual(['200', '503']);
      expect(peak).toBeLessThan(RSS_BOUND_MIB);
      // It counted exactly the events it said it had.
      const status = (await agent.get('/v1/status')).body as { totals: { eventsAccepted: number; apiRefused: Record<string, number> }; ready: boolean };
      expect(status.totals.eventsAccepted).toBe(accepted * 1000);
      expect((status.totals.apiRefused.overloaded ?? 0) + (status.totals.apiRefused.event_loop_delay ?? 0)).toBe(shed);
      // And recovers once the load stops.
      await new Promise((r) => setTimeout(r, 300));
      expect((await agent.get('/readyz')).status).toBe(200);
      expect((await agent.postEvents([toEvent(rows[0]!, 'loans')])).status).toBe(200);
      console.log(`overload: ${CONNECTIONS} connections × 1000-event batches for ${load.seconds} s: ${accepted} accepted, ${shed} shed (503), RSS ${idle.toFixed(0)} → peak ${peak.toFixed(0)} MiB`);
    } finally {
      expect(await agent.stop()).toBe(0);
    }
  }, 120_000);
});

/** The collector's peak resident memory (the kernel's high-water mark), MiB. */
function peakRssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'))!;
  return Number(line.replace(/\D+/g, '')) / 1024;
}

describe('collector overload (issue 16, finding 8)', () => {
  it('caps concurrent uploads and bytes in flight: 40 uploads of 15 MiB at once get 503 + Retry-After beyond the caps, and memory stays under its 512 Mi limit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-collector-overload-'));
    writeFileSync(join(dir, 'loans.json'), JSON.stringify(await exampleBaseline()));
    const collector = await startAgent({
      models: [{ name: 'loans', baseline: join(dir, 'loans.json') }], receiver: { port: 0 },
      windows: { seconds: 60, graceSeconds: 600 }, sinks: { file: { path: join(dir, 'metrics.ndjson') } },
    }, { dir, command: 'collector' });
    try {
      const body = Buffer.from(`{"resourceMetrics":[],"padding":"${'x'.repeat(15 * 1024 * 1024)}"}`);
      const answers = await Promise.all(Array.from({ length: 40 }, async () => {
        try {
          const res = await fetch(`${collector.address}/v1/metrics`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
          await res.arrayBuffer();
          return { status: res.status, retryAfter: res.headers.get('retry-after') };
        } catch {
          return { status: 0, retryAfter: null }; // the connection closed under a refused upload
        }
      }));
      const shed = answers.filter((a) => a.status === 503);
      expect(shed.length, JSON.stringify(answers.map((a) => a.status))).toBeGreaterThanOrEqual(20);
      expect(shed.every((a) => a.retryAfter === '1')).toBe(true);
      expect(answers.filter((a) => a.status !== 503).length, 'uploads admitted within the caps finish').toBeGreaterThan(0);
      // Each admitted upload was read and answered (200: a valid, empty request with an unknown field ignored, or 400).
      expect(answers.every((a) => [200, 400, 503, 0].includes(a.status))).toBe(true);
      const peak = peakRssMiB(collector.child.pid!);
      process.stdout.write(`collector overload: 40 × 15 MiB uploads, ${shed.length} shed with 503, peak RSS ${peak.toFixed(0)} MiB\n`);
      expect(peak).toBeLessThan(400);
      const refused = ((await collector.get('/v1/status')).body as { totals: { requestsRefused: Record<string, number> } }).totals.requestsRefused;
      expect(refused.overloaded).toBe(shed.length);
      expect((await collector.get('/healthz')).status).toBe(200);
    } finally {
      await collector.stop();
    }
  }, 180_000);
});
