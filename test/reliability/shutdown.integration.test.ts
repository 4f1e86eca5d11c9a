import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startAgent, waitForDrain, type AgentProcess } from '../helpers/agent-process.js';
import { openStores } from '../helpers/state-stores.js';
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

  /** Waits until the agent's one sink has failed `attempts` times in a row (it is backing off). */
  async function backingOff(agent: AgentProcess, attempts: number): Promise<void> {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const outbox = (await agent.get('/v1/status')).body.outbox as { count: number; failingAttempts: number }[];
      if (outbox[0]!.failingAttempts >= attempts && outbox[0]!.count >= 3) return;
      if (Date.now() > deadline) throw new Error(`the sink never backed off: ${JSON.stringify(outbox)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Unsent windows left in a stopped agent's state file. */
  function unsent(runDir: string, sink: string): number {
    const store = openStores(join(runDir, '.driftwatch', 'agent.db'));
    try {
      return store.outbox.backlog(sink).count;
    } finally {
      store.database.close();
    }
  }

  // Issue 16, finding 15: a SIGTERM while the sink waits between retries, the peer back again.
  for (const sink of ['cloudwatch', 'otlp'] as const) {
    it(`${sink}: a SIGTERM during a backoff cuts it short and sends every pending window once the peer is back`, async () => {
      const runDir = mkdtempSync(join(dir, `backoff-${sink}-`));
      let collector: AgentProcess | undefined;
      let target = endpoint;
      if (sink === 'otlp') {
        collector = await startAgent({ models: [{ name: 'stop', baseline: join(dir, 'loans.json') }], receiver: { port: 0 },
          windows: { seconds: 60, graceSeconds: 3600 }, sinks: { file: { path: join(runDir, 'collector.ndjson') } } },
        { dir: mkdtempSync(join(runDir, 'collector-')), command: 'collector' });
        target = collector.address;
      }
      const hop = await cuttableLink(target);
      const sinks = sink === 'cloudwatch'
        ? { cloudwatch: { namespace: `DwStop${Date.now()}`, endpoint: hop.url, region: 'eu-west-1', requestTimeoutMs: 1000 } }
        : { otlp: { endpoint: `${hop.url}/v1/metrics`, timeoutMs: 1000 } };
      const agent = await startAgent({
        models: [{ name: 'stop', baseline: join(dir, 'loans.json') }], api: { port: 0 },
        windows: { seconds: 60, graceSeconds: 0, clock: 'event' }, sinks, shutdown: { deadlineSeconds: 20 },
      }, { dir: runDir, env });
      try {
        hop.set('blackhole');
        expect((await agent.postEvents([...events(0, 30), ...events(1, 30), ...events(2, 30), ...events(3, 5)])).status).toBe(200);
        // Four failures in a row: the next try is 2-4 s away.
        await backingOff(agent, 4);
        hop.set('up');
        const started = Date.now();
        expect(await agent.stop()).toBe(0);
        const took = Date.now() - started;
        console.log(`shutdown during a ${sink} backoff: exit 0 after ${(took / 1000).toFixed(1)} s, ${unsent(runDir, sink)} windows unsent`);
        expect(unsent(runDir, sink)).toBe(0);
        expect(took).toBeLessThan(15_000);
        if (collector !== undefined) {
          const open = ((await collector.get('/v1/status')).body.models as { openWindows: { events: number }[] }[])[0]!.openWindows;
          expect(open.map((w) => w.events)).toEqual([30, 30, 30]);
        }
      } finally {
        await hop.close();
        await collector?.stop();
      }
    }, 180_000);
  }
});
