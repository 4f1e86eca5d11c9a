import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, waitForDrain, type AgentProcess } from '../helpers/agent-process.js';
import { exampleBaseline, exampleRows, toEvent } from '../helpers/example-events.js';

const dir = mkdtempSync(join(tmpdir(), 'dw-privacy-'));
const WINDOW_MS = 60_000;
const t0 = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - 20 * WINDOW_MS;
const rows = exampleRows('loans-stable.csv');
let agent: AgentProcess;
let features: number;

type Put = { MetricData: { MetricName: string; Value?: number; Timestamp: string }[] };
const payloads = (): Put[] => readFileSync(join(dir, 'payloads.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Put);

beforeAll(async () => {
  const profile = await exampleBaseline();
  features = profile.features.length;
  writeFileSync(join(dir, 'loans.json'), JSON.stringify(profile));
  agent = await startAgent({
    models: [{ name: 'loans', baseline: join(dir, 'loans.json') }],
    api: { port: 0 },
    windows: { seconds: 60, graceSeconds: 0, clock: 'event' },
    privacy: { minCount: 20, epsilon: 0.5 },
    sinks: { file: { path: join(dir, 'payloads.ndjson') } },
  }, { dir });
  // Three windows of 200 events.
  const events = [0, 1, 2].flatMap((w) => rows.slice(w * 200, (w + 1) * 200).map((r, i) => toEvent(r, 'loans', t0 + w * WINDOW_MS + i * 100)));
  expect((await agent.postEvents(events)).status).toBe(200);
  expect((await agent.post('/v1/flush', '')).status).toBe(200);
  await waitForDrain(agent);
});

afterAll(async () => {
  await agent?.stop();
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
    // The noise has scale 2(F + 1) = 20: the chance that all three counts stay exactly 200 is about 1e-5.
    expect(counts).not.toEqual([200, 200, 200]);
    expect(all.filter((d) => d.MetricName === 'FeaturePSI').length).toBeGreaterThan(0);
  });
});
