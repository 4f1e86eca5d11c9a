import { CloudWatchClient, type Dimension } from '@aws-sdk/client-cloudwatch';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { metricSeries } from '../helpers/cloudwatch-series.js';
import { startAgent, waitForDrain, type AgentProcess } from '../helpers/agent-process.js';
import { exampleBaseline, exampleRows, toEvent, type ExampleRow } from '../helpers/example-events.js';
import { runCli } from '../helpers/run-cli.js';

/**
 * Fleet mode end to end (SPEC §3.5): three agent processes, each seeing a third of the traffic,
 * export their windows over OTLP to one collector process, which merges them, judges drift on the
 * merged counts and ships to CloudWatch (moto). Each agent's slice (40 events a window) is below
 * the 50 events needed to judge drift at all; the fleet's 120 are not.
 */
const endpoint = inject('motoEndpoint');
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const cw = new CloudWatchClient({ endpoint, region: 'eu-west-1', credentials });
const namespace = `DwFleet${Date.now()}`;
// moto 5.2.5 ignores the namespace when a query names dimensions: this test's Model is its own.
const MODEL = 'fleet-loans';
const dir = mkdtempSync(join(tmpdir(), 'dw-fleet-'));
const WINDOW_MS = 60_000;
const PER_AGENT = 40;
const t0 = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - 30 * WINDOW_MS;
const stable = exampleRows('loans-stable.csv');
const drifted = exampleRows('loans-drifted.jsonl').slice(400);
/** Five windows of 120 events: two like training, then three from the shifted population. */
const windows: ExampleRow[][] = [stable.slice(0, 120), stable.slice(120, 240), drifted.slice(0, 120), drifted.slice(120, 240), drifted.slice(240, 360)];
const featureNames = ['age', 'income', 'credit_utilization', 'num_accounts', 'region', 'channel', 'tenure_months'];
let collector: AgentProcess;
const agents: AgentProcess[] = [];

const series = (name: string, dims: Dimension[], stat = 'Maximum'): Promise<Map<number, number>> =>
  metricSeries(cw, namespace, name, dims, { from: t0 - WINDOW_MS, to: t0 + 10 * WINDOW_MS }, stat);

beforeAll(async () => {
  writeFileSync(join(dir, 'loans.json'), JSON.stringify(await exampleBaseline()));
  collector = await startAgent({
    models: [{ name: MODEL, baseline: join(dir, 'loans.json') }],
    receiver: { port: 0 },
    // Long grace: the test closes the merged windows itself once every agent has delivered.
    windows: { seconds: 60, graceSeconds: 600 },
    sinks: { cloudwatch: { namespace, endpoint, region: 'eu-west-1' } },
  }, { dir: mkdtempSync(join(dir, 'collector-')), command: 'collector', env: { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey } });
  for (let a = 0; a < 3; a++) {
    agents.push(await startAgent({
      instanceId: `agent-${a}`,
      models: [{ name: MODEL, baseline: join(dir, 'loans.json') }],
      api: { port: 0 },
      windows: { seconds: 60, graceSeconds: 0, clock: 'event' },
      sinks: { otlp: { endpoint: `${collector.address}/v1/metrics`, protocol: a === 2 ? 'http/json' : 'http/protobuf' } },
    }, { dir: mkdtempSync(join(dir, `agent-${a}-`)) }));
  }
  for (let w = 0; w <= windows.length; w++) {
    for (let a = 0; a < 3; a++) {
      // The window after the last holds one event per agent: it moves their event clocks on,
      // which closes the last real window.
      const slice = w < windows.length ? windows[w]!.slice(a * PER_AGENT, (a + 1) * PER_AGENT) : [stable[0]!];
      const res = await agents[a]!.postEvents(slice.map((r, i) => toEvent(r, MODEL, t0 + w * WINDOW_MS + a * 10_000 + i * 100)));
      expect(res.status).toBe(200);
    }
  }
  for (const a of agents) await waitForDrain(a, 60_000, windows.length);
  expect((await collector.post('/v1/flush', '')).status).toBe(200);
  await waitForDrain(collector);
}, 120_000);

afterAll(async () => {
  for (const a of agents) await a.stop();
  await collector?.stop();
});

describe('three agents → collector → CloudWatch (moto)', () => {
  it('merges the three slices of every window', async () => {
    const counts = await series('EventCount', [{ Name: 'Model', Value: MODEL }], 'Sum');
    expect([...counts.entries()].sort((a, b) => a[0] - b[0])).toEqual(windows.map((w, i) => [t0 + i * WINDOW_MS, w.length]));
    const status = (await collector.get('/v1/status')).body as { totals: { points: Record<string, number> } };
    expect(status.totals.points.accepted).toBeGreaterThan(0);
    expect(Object.keys(status.totals.points).sort()).toEqual(['accepted']);
    // The collector keeps its merged windows on the host, as the agents keep theirs (issue 19).
    const kept = (await collector.get(`/v1/windows?model=${MODEL}&limit=1000`)).body.windows as { start: string; events: number }[];
    expect(kept.filter((w) => Date.parse(w.start) < t0 + windows.length * WINDOW_MS).map((w) => [Date.parse(w.start), w.events]))
      .toEqual(windows.map((w, i) => [t0 + i * WINDOW_MS, w.length]));
  });

  it('ships fleet PSI equal to `driftwatch score` on the union of the slices', async () => {
    for (const w of [0, 3]) {
      const file = join(dir, `union-${w}.jsonl`);
      writeFileSync(file, windows[w]!.map((r) => JSON.stringify(r)).join('\n'));
      const offline = JSON.parse(runCli(['score', '--baseline', join(dir, 'loans.json'), '--current', file, '--json']).stdout) as {
        features: { name: string; psi: number }[];
      };
      for (const name of featureNames) {
        const shipped = await series('FeaturePSI', [{ Name: 'Model', Value: MODEL }, { Name: 'Feature', Value: name }]);
        expect(shipped.get(t0 + w * WINDOW_MS), `${name} in window ${w}`).toBeCloseTo(offline.features.find((f) => f.name === name)!.psi, 12);
      }
    }
  });

  it('flags the drift the fleet sees though no agent had enough events to judge it', async () => {
    for (const a of agents) {
      const last = ((await a.get('/v1/status')).body.models as { lastClosedWindow: { drift: boolean; features: { status: string }[] } }[])[0]!.lastClosedWindow;
      expect(last.drift).toBe(false);
      expect(new Set(last.features.map((f) => f.status))).toEqual(new Set(['insufficient_data']));
    }
    const drift = await series('DriftedFeatureCount', [{ Name: 'Model', Value: MODEL }]);
    expect([...drift.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v > 0)).toEqual([false, false, true, true, true]);
    const retrain = await series('RetrainingRecommended', [{ Name: 'Model', Value: MODEL }]);
    expect([...retrain.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v)).toEqual([0, 0, 0, 0, 1]);
  });
});
