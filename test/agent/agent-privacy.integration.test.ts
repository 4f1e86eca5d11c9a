import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, waitForDrain, type AgentProcess } from '../helpers/agent-process.js';
import { exampleBaseline, exampleRows, toEvent } from '../helpers/example-events.js';

const dir = mkdtempSync(join(tmpdir(), 'dw-privacy-'));
const WINDOW_MS = 60_000;
const t0 = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - 20 * WINDOW_MS;
const rows = exampleRows('loans-stable.csv');
let agent: AgentProcess;
let features: number;
/** What the agent's self-telemetry exported (OTLP/HTTP bodies). */
const telemetry: Buffer[] = [];
let receiver: Server;

type Put = { MetricData: { MetricName: string; Value?: number; Timestamp: string }[] };
const payloads = (): Put[] => readFileSync(join(dir, 'payloads.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Put);

beforeAll(async () => {
  const profile = await exampleBaseline();
  features = profile.features.length;
  writeFileSync(join(dir, 'loans.json'), JSON.stringify(profile));
  receiver = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      telemetry.push(Buffer.concat(parts));
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  agent = await startAgent({
    telemetry: { otlpEndpoint: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/metrics`, exportIntervalMs: 1000 },
    models: [{ name: 'loans', baseline: join(dir, 'loans.json') }],
    api: { port: 0 },
    windows: { seconds: 60, graceSeconds: 0, clock: 'event' },
    privacy: { minCount: 20, epsilon: 0.5 },
    sinks: { file: { path: join(dir, 'payloads.ndjson') } },
  }, { dir });
  // Three windows of 200 events, 50 of them refused for a bad value.
  const events = [0, 1, 2].flatMap((w) => rows.slice(w * 200, (w + 1) * 200).map((r, i) => {
    const e = toEvent(r, 'loans', t0 + w * WINDOW_MS + i * 100) as { features: Record<string, unknown> };
    if (i % 4 === 0) e.features.age = 'not a number';
    return e;
  }));
  expect((await agent.postEvents(events)).status).toBe(422);
  expect((await agent.post('/v1/flush', '')).status).toBe(200);
  await waitForDrain(agent);
  const deadline = Date.now() + 60_000;
  while (!telemetry.some((b) => b.includes('driftwatch.windows.closed')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
});

afterAll(async () => {
  await agent?.stop();
  await new Promise((r) => receiver?.close(r));
});

describe('privacy controls', () => {
  it('reports ε per window, the sensitivity and the budget spent in /v1/status', async () => {
    const model = ((await agent.get('/v1/status')).body.models as { privacy: unknown }[])[0]!;
    expect(model.privacy).toEqual({ epsilonPerWindow: 0.5, sensitivity: features + 1, windowsReleased: 3, epsilonSpent: 1.5 });
  });

  it('ships noisy whole counts, and scores computed from them', () => {
    const all = payloads().flatMap((p) => p.MetricData);
    const counts = all.filter((d) => d.MetricName === 'EventCount').map((d) => d.Value!);
    expect(counts).toHaveLength(3);
    for (const c of counts) expect(Number.isInteger(c) && c >= 0).toBe(true);
    // The noise has scale 2(F + 1) = 20: the chance that all three counts stay exactly 150 is about 1e-5.
    expect(counts).not.toEqual([150, 150, 150]);
    expect(all.filter((d) => d.MetricName === 'FeaturePSI').length).toBeGreaterThan(0);
  });

  it('noises the refused-event counts too (issue 16, finding 4)', () => {
    const rejected = payloads().flatMap((p) => p.MetricData).filter((d) => d.MetricName === 'EventsRejected').map((d) => d.Value!);
    expect(rejected).toHaveLength(3);
    for (const c of rejected) expect(Number.isInteger(c) && c >= 0).toBe(true);
    // 13 reasons, each with noise of scale 20: the chance that all three sums stay exactly 50 is negligible.
    expect(rejected).not.toEqual([50, 50, 50]);
  });

  it('keeps the exact event counters out of its self-telemetry, and in /v1/status', async () => {
    const exported = Buffer.concat(telemetry);
    expect(exported.includes('driftwatch.windows.closed')).toBe(true);
    expect(exported.includes('driftwatch.events.accepted')).toBe(false);
    expect(exported.includes('driftwatch.events.rejected')).toBe(false);
    const totals = (await agent.get('/v1/status')).body.totals as { eventsAccepted: number };
    expect(totals.eventsAccepted).toBe(450);
  });
});
