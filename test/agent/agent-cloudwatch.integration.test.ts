import { CloudWatchClient, ListMetricsCommand, type Dimension, type Metric } from '@aws-sdk/client-cloudwatch';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { exampleBaseline, exampleRows, toEvent, type ExampleRow } from '../helpers/example-events.js';
import { metricSeries } from '../helpers/cloudwatch-series.js';
import { startAgent, waitForDrain, type AgentProcess } from '../helpers/agent-process.js';
import { runCli } from '../helpers/run-cli.js';

const endpoint = inject('motoEndpoint');
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const cw = new CloudWatchClient({ endpoint, region: 'eu-west-1', credentials });
const namespace = `DwTest${Date.now()}`;
const dir = mkdtempSync(join(tmpdir(), 'dw-cw-'));
const WINDOW_MS = 60_000;
// Five event-time windows in the recent past (CloudWatch takes timestamps up to 14 days old).
const t0 = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - 30 * WINDOW_MS;
const stable = exampleRows('loans-stable.csv');
const drifted = exampleRows('loans-drifted.jsonl').slice(400); // the drift starts at row 400
const windows: ExampleRow[][] = [stable.slice(0, 200), stable.slice(200, 400), drifted.slice(0, 200), drifted.slice(200, 400), drifted.slice(400, 600)];
const featureNames = ['age', 'income', 'credit_utilization', 'num_accounts', 'region', 'channel', 'tenure_months'];
let agent: AgentProcess;

const series = (name: string, dims: Dimension[], stat = 'Maximum'): Promise<Map<number, number>> =>
  metricSeries(cw, namespace, name, dims, { from: t0 - WINDOW_MS, to: t0 + 10 * WINDOW_MS }, stat);

beforeAll(async () => {
  writeFileSync(join(dir, 'loans.json'), JSON.stringify(await exampleBaseline()));
  agent = await startAgent({
    models: [{ name: 'loans', baseline: join(dir, 'loans.json') }],
    api: { port: 0 },
    windows: { seconds: 60, graceSeconds: 0, clock: 'event' },
    sinks: { cloudwatch: { namespace, endpoint, region: 'eu-west-1' } },
  }, { dir, env: { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey } });
  for (let w = 0; w < windows.length; w++) {
    const events = windows[w]!.map((row, i) => toEvent(row, 'loans', t0 + w * WINDOW_MS + i * 100));
    const res = await agent.postEvents(events);
    expect(res.status).toBe(200);
  }
  const flushed = await agent.post('/v1/flush', '');
  expect(flushed.status).toBe(200);
  await waitForDrain(agent);
}, 120_000);

afterAll(async () => {
  await agent?.stop();
});

describe('agent → CloudWatch (moto)', () => {
  it('ships every metric with the allowed dimensions', async () => {
    const metrics: Metric[] = [];
    let token: string | undefined;
    do {
      const page = await cw.send(new ListMetricsCommand({ Namespace: namespace, NextToken: token }));
      metrics.push(...(page.Metrics ?? []));
      token = page.NextToken;
    } while (token !== undefined);
    // moto lists a metric once per datapoint; CloudWatch once per name and dimension set.
    const unique = [...new Map(metrics.map((m) => [JSON.stringify([m.MetricName, m.Dimensions]), m])).values()];
    const names = new Set(unique.map((m) => m.MetricName));
    for (const name of ['EventCount', 'EventsRejected', 'EventsDropped', 'FeaturePSI', 'MaxFeaturePSI', 'DriftedFeatureCount', 'PredictionPSI',
      'ConfidencePSI', 'Confidence', 'MissingRate', 'OutOfRangeRate', 'RetrainingRecommended', 'OutboxBacklog', 'OldestUnsentAgeSeconds',
      'MultivariatePSI', 'ReconstructionError', 'AuditEntries', 'AuditHeadDigest']) {
      expect(names, name).toContain(name);
    }
    for (const m of unique) {
      const dims = Object.fromEntries((m.Dimensions ?? []).map((d): [string, string] => [d.Name ?? '', d.Value ?? '']));
      if (['OutboxBacklog', 'OldestUnsentAgeSeconds', 'AuditEntries', 'AuditHeadDigest'].includes(m.MetricName ?? '')) {
        expect(dims).toEqual({});
      } else if (m.MetricName === 'ReconstructionError') {
        expect(dims).toEqual({ Model: 'loans', Feature: 'multivariate.reconstruction_error' });
      } else if (m.MetricName === 'FeaturePSI') {
        expect(Object.keys(dims).sort()).toEqual(['Feature', 'Model']);
        expect(featureNames).toContain(dims.Feature);
      } else {
        expect(dims).toEqual({ Model: 'loans' });
      }
    }
    expect(unique.filter((m) => m.MetricName === 'FeaturePSI')).toHaveLength(featureNames.length);
  });

  it('puts each window in the CloudWatch period it covers, with its event count', async () => {
    const counts = await series('EventCount', [{ Name: 'Model', Value: 'loans' }], 'Sum');
    expect([...counts.keys()].sort()).toEqual(windows.map((_, w) => t0 + w * WINDOW_MS));
    expect([...counts.values()]).toEqual(windows.map((w) => w.length));
  });

  it('ships per-feature PSI equal to `driftwatch score` on the same events', async () => {
    for (const w of [0, 3]) {
      const file = join(dir, `window-${w}.jsonl`);
      writeFileSync(file, windows[w]!.map((r) => JSON.stringify(r)).join('\n'));
      const offline = JSON.parse(runCli(['score', '--baseline', join(dir, 'loans.json'), '--current', file, '--json']).stdout) as {
        features: { name: string; psi: number }[];
      };
      for (const name of featureNames) {
        // With dimensions in the query, moto 5.2.5 ignores the namespace: this test's Model is its own.
        const shipped = await series('FeaturePSI', [{ Name: 'Model', Value: 'loans' }, { Name: 'Feature', Value: name }]);
        const at = t0 + w * WINDOW_MS;
        const expected = offline.features.find((f) => f.name === name)!.psi;
        expect(shipped.get(at), `${name} in window ${w}`).toBeCloseTo(expected, 12);
      }
    }
  });

  it('raises RetrainingRecommended once 3 of the last 5 windows drifted', async () => {
    const drift = await series('DriftedFeatureCount', [{ Name: 'Model', Value: 'loans' }]);
    const flags = [...drift.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v > 0);
    expect(flags).toEqual([false, false, true, true, true]);
    const retrain = await series('RetrainingRecommended', [{ Name: 'Model', Value: 'loans' }]);
    expect([...retrain.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v)).toEqual([0, 0, 0, 0, 1]);
  });

  it('ships the confidence distribution as a statistic set', async () => {
    const samples = await series('Confidence', [{ Name: 'Model', Value: 'loans' }], 'SampleCount');
    expect([...samples.values()]).toEqual(windows.map((w) => w.length));
  });
});

describe('CloudWatch unreachable, then back after a restart', () => {
  it('keeps closed windows in the outbox, says why, and ships them from the state file after a restart', async () => {
    const here = mkdtempSync(join(tmpdir(), 'dw-cw-outage-'));
    const ns = `DwOutage${Date.now()}`;
    // Its own model name too: moto 5.2.5's GetMetricData drops the namespace filter when the query
    // names dimensions, so the same Model would also match the other test's datums.
    // A loopback port with nobody listening: every PutMetricData fails to connect.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const deadPort = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const agentConfig = (cwEndpoint: string): Record<string, unknown> => ({
      models: [{ name: 'loans-outage', baseline: join(dir, 'loans.json') }],
      api: { port: 0 },
      windows: { seconds: 60, graceSeconds: 0, clock: 'event' },
      sinks: { cloudwatch: { namespace: ns, endpoint: cwEndpoint, region: 'eu-west-1', requestTimeoutMs: 2000 } },
    });
    const staticKeys = { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey };

    const first = await startAgent(agentConfig(`http://127.0.0.1:${deadPort}`), { dir: here, env: staticKeys });
    const at = t0 + 2 * WINDOW_MS;
    expect((await first.postEvents(stable.slice(0, 120).map((r, i) => toEvent(r, 'loans-outage', at + i * 100)))).status).toBe(200);
    expect((await first.post('/v1/flush', '')).status).toBe(200);
    const deadline = Date.now() + 60_000;
    let outbox: { sink: string; count: number; failingAttempts: number }[] = [];
    do {
      await new Promise((r) => setTimeout(r, 100));
      outbox = (await first.get('/v1/status')).body.outbox as typeof outbox;
    } while (!(outbox[0]!.failingAttempts >= 1) && Date.now() < deadline);
    expect(outbox).toEqual([{ sink: 'cloudwatch', count: 1, oldestAgeSeconds: expect.any(Number) as number, failingAttempts: expect.any(Number) as number }]);
    expect(outbox[0]!.failingAttempts).toBeGreaterThanOrEqual(1);
    expect(first.logs.some((l) => l.level === 40 && String(l.msg).startsWith('Long-lived static AWS keys'))).toBe(true);
    expect(first.logs.some((l) => Number(l.level) >= 40 && l.sink === 'cloudwatch' && l.err !== undefined)).toBe(true);
    expect(await first.stop()).toBe(0);

    // Same folder, same state file; CloudWatch reachable again, temporary credentials this time.
    const second = await startAgent(agentConfig(endpoint), { dir: here, env: { ...staticKeys, AWS_SESSION_TOKEN: 'session' } });
    try {
      await waitForDrain(second);
      const counts = await metricSeries(cw, ns, 'EventCount', [{ Name: 'Model', Value: 'loans-outage' }], { from: at - WINDOW_MS, to: at + 2 * WINDOW_MS }, 'Sum');
      expect([...counts]).toEqual([[at, 120]]);
      expect(second.logs.some((l) => String(l.msg).startsWith('Long-lived static AWS keys'))).toBe(false);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  }, 120_000);
});
