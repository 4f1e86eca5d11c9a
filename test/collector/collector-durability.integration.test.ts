import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startAgent, waitForDrain, type AgentProcess } from '../helpers/agent-process.js';
import { exampleBaseline, exampleRows, toEvent } from '../helpers/example-events.js';

const dir = mkdtempSync(join(tmpdir(), 'dw-collector-restart-'));
const WINDOW_MS = 60_000;
const t0 = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - 20 * WINDOW_MS;
const rows = exampleRows('loans-stable.csv').slice(0, 30);
const running: AgentProcess[] = [];

type Status = { models: { openWindows: { events: number }[]; lastClosedWindow: { events: number } | null }[]; totals: { points: Record<string, number> } };

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as { port: number };
  await new Promise((r) => probe.close(r));
  return port;
}

afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null) await p.stop();
});

describe('collector outage and restart', () => {
  it('loses nothing while the collector is down, resumes merged windows after a restart, and still counts a re-sent window once', async () => {
    writeFileSync(join(dir, 'loans.json'), JSON.stringify(await exampleBaseline()));
    const port = await freePort();
    const collectorDir = mkdtempSync(join(dir, 'collector-'));
    const collectorConfig = {
      models: [{ name: 'loans', baseline: join(dir, 'loans.json') }],
      receiver: { port },
      windows: { seconds: 60, graceSeconds: 600 },
      sinks: { file: { path: join(collectorDir, 'payloads.ndjson') } },
    };
    const agentConfig = {
      instanceId: 'agent-a',
      models: [{ name: 'loans', baseline: join(dir, 'loans.json') }],
      api: { port: 0 },
      windows: { seconds: 60, graceSeconds: 0, clock: 'event' },
      sinks: { otlp: { endpoint: `http://127.0.0.1:${port}/v1/metrics` } },
    };
    const events = [...rows.map((r, i) => toEvent(r, 'loans', t0 + i * 100)), toEvent(rows[0]!, 'loans', t0 + WINDOW_MS)];

    // The collector is down: the agent keeps the closed window and retries.
    const agent = await startAgent(agentConfig, { dir: mkdtempSync(join(dir, 'agent-')) });
    running.push(agent);
    expect((await agent.postEvents(events)).status).toBe(200);
    const deadline = Date.now() + 60_000;
    let outbox = { count: 0, failingAttempts: 0 };
    while (outbox.failingAttempts === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      outbox = ((await agent.get('/v1/status')).body as { outbox: typeof outbox[] }).outbox[0]!;
    }
    expect(outbox).toMatchObject({ count: 1 });
    expect(outbox.failingAttempts).toBeGreaterThan(0);

    // It comes up: the retry delivers.
    const first = await startAgent(collectorConfig, { dir: collectorDir, command: 'collector' });
    running.push(first);
    await waitForDrain(agent, 60_000);
    expect(((await first.get('/v1/status')).body as Status).models[0]!.openWindows).toEqual([expect.objectContaining({ events: 30 })]);
    expect(await first.stop()).toBe(0);

    // Restarted on the same state: the merged window is back, and the same window from the same agent is a duplicate.
    const second = await startAgent(collectorConfig, { dir: collectorDir, command: 'collector' });
    running.push(second);
    expect(((await second.get('/v1/status')).body as Status).models[0]!.openWindows).toEqual([expect.objectContaining({ events: 30 })]);
    const again = await startAgent(agentConfig, { dir: mkdtempSync(join(dir, 'agent-again-')) });
    running.push(again);
    expect((await again.postEvents(events)).status).toBe(200);
    await waitForDrain(again, 60_000, 1);
    const status = (await second.get('/v1/status')).body as Status;
    expect(status.models[0]!.openWindows).toEqual([expect.objectContaining({ events: 30 })]);
    expect(status.totals.points.duplicate).toBeGreaterThan(0);
    const flushed = (await second.post('/v1/flush', '')).body as { closed: { events: number }[] };
    expect(flushed.closed.map((c) => c.events)).toEqual([30]);
  }, 120_000);
});
