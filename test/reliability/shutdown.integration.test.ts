import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startAgent, waitForDrain } from '../helpers/agent-process.js';
import { cuttableLink, type CuttableLink } from '../helpers/cuttable-link.js';
import { exampleBaseline, exampleRows, toEvent } from '../helpers/example-events.js';

/**
 * Graceful shutdown on SIGTERM: stop accepting, checkpoint, a final send within
 * `shutdown.deadlineSeconds`, exit 0, also when the peer is unreachable.
 */
const endpoint = inject('motoEndpoint');
const env = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' };
const WINDOW_MS = 60_000;
const rows = exampleRows('loans-stable.csv');
const t0 = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - 3600_000;
let dir: string;
let link: CuttableLink;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dw-stop-'));
  writeFileSync(join(dir, 'loans.json'), JSON.stringify(await exampleBaseline()));
  link = await cuttableLink(endpoint);
}, 120_000);

afterAll(async () => {
  await link?.close();
});

const events = (w: number, n: number) => rows.slice(0, n).map((row, i) => toEvent(row, 'stop', t0 + w * WINDOW_MS + i * 100));

describe('graceful shutdown', () => {
  it('sends what is pending and exits 0 on SIGTERM', async () => {
    const runDir = mkdtempSync(join(dir, 'ok-'));
    const sinkFile = join(runDir, 'metrics.ndjson');
    const agent = await startAgent({
      models: [{ name: 'stop', baseline: join(dir, 'loans.json') }], api: { port: 0 },
      windows: { seconds: 60, graceSeconds: 0, clock: 'event' }, sinks: { file: { path: sinkFile } },
    }, { dir: runDir });
    expect((await agent.postEvents([...events(0, 30), ...events(1, 10)])).status).toBe(200);
    const started = Date.now();
    expect(await agent.stop()).toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
    // Window 0 closed and was sent before exit; window 1 is still open and was checkpointed.
    expect(readFileSync(sinkFile, 'utf8')).toContain('"EventCount"');
    const again = await startAgent({
      models: [{ name: 'stop', baseline: join(dir, 'loans.json') }], api: { port: 0 },
      windows: { seconds: 60, graceSeconds: 0, clock: 'event' }, sinks: { file: { path: sinkFile } },
    }, { dir: runDir });
    const status = (await again.get('/v1/status')).body as { models: { openWindows: { events: number }[] }[] };
    expect(status.models[0]!.openWindows.map((w) => w.events)).toEqual([10]);
    expect(await again.stop()).toBe(0);
  }, 120_000);

  it('exits 0 within shutdown.deadlineSeconds when CloudWatch is unreachable, keeping the unsent window for the next start', async () => {
    const runDir = mkdtempSync(join(dir, 'deadline-'));
    const config = {
      models: [{ name: 'stop', baseline: join(dir, 'loans.json') }], api: { port: 0 },
      windows: { seconds: 60, graceSeconds: 0, clock: 'event' },
      sinks: { cloudwatch: { namespace: `DwStop${Date.now()}`, endpoint: link.url, region: 'eu-west-1', requestTimeoutMs: 30_000 } },
      shutdown: { deadlineSeconds: 3 },
    };
    const agent = await startAgent(config, { dir: runDir, env });
    link.set('blackhole');
    try {
      expect((await agent.postEvents([...events(0, 30), ...events(1, 10)])).status).toBe(200);
      await new Promise((r) => setTimeout(r, 500)); // the send of window 0 hangs on the dead link
      const started = Date.now();
      expect(await agent.stop()).toBe(0);
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(2500);
      expect(took).toBeLessThan(8000);
      expect(agent.logs.some((l) => /shutdown deadline passed/.test(String(l.msg)))).toBe(true);
      console.log(`shutdown: CloudWatch unreachable, deadline 3 s: exit 0 after ${(took / 1000).toFixed(1)} s`);
    } finally {
      link.set('up');
    }
    const again = await startAgent(config, { dir: runDir, env });
    const status = (await again.get('/v1/status')).body as { models: { openWindows: { events: number }[] }[] };
    expect(status.models[0]!.openWindows.map((w) => w.events)).toEqual([10]);
    // The window the first run could not send goes out from the second.
    await waitForDrain(again, 60_000);
    const after = (await again.get('/v1/status')).body as { totals: { sends: Record<string, { succeeded: number }> } };
    expect(after.totals.sends.cloudwatch!.succeeded).toBeGreaterThanOrEqual(1);
    expect(await again.stop()).toBe(0);
  }, 120_000);
});
