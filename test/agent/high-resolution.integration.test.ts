import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { replay, startAgent, type AgentProcess } from '../helpers/agent-process.js';
import { metricSeries } from '../helpers/cloudwatch-series.js';
import { exampleBaseline, exampleRows, toEvent } from '../helpers/example-events.js';
import { runCli } from '../helpers/run-cli.js';

/**
 * Windows shorter than a minute: at CloudWatch's standard resolution the six 10-second windows of a
 * minute would merge into one datapoint, so their datums carry StorageResolution 1 and their alarms
 * a 10-second period. Read back from moto with the window's period: one datapoint per window.
 * (moto keeps every datapoint whatever its resolution, so the flag itself is checked on the
 * PutMetricData inputs the agent wrote.)
 */
const endpoint = inject('motoEndpoint');
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const cw = new CloudWatchClient({ endpoint, region: 'eu-west-1', credentials });
const namespace = `DwHighRes${Date.now()}`;
const model = 'loanshighres';
const WINDOW_MS = 10_000;
const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
const dir = mkdtempSync(join(tmpdir(), 'dw-highres-'));
let agent: AgentProcess;

beforeAll(async () => {
  writeFileSync(join(dir, 'loans.json'), JSON.stringify(await exampleBaseline()));
  agent = await startAgent({
    models: [{ name: model, baseline: join(dir, 'loans.json') }],
    api: { port: 0 },
    windows: { seconds: 10, graceSeconds: 0, clock: 'event' },
    sinks: { cloudwatch: { namespace, endpoint, region: 'eu-west-1' }, file: { path: join(dir, 'requests.ndjson') } },
  }, { dir, env: { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey } });
  const rows = exampleRows('loans-stable.csv');
  await replay(agent, Array.from({ length: 6 }, (_, w) => rows.slice(w * 40, (w + 1) * 40).map((row, i) => toEvent(row, model, t0 + w * WINDOW_MS + i * 200))));
}, 120_000);

afterAll(async () => {
  await agent?.stop();
});

describe('windows shorter than a minute', () => {
  it('are one datapoint each when read back with the window period', async () => {
    const dims = [{ Name: 'Model', Value: model }];
    const range = { from: t0 - 60_000, to: t0 + 120_000 };
    const perWindow = await metricSeries(cw, namespace, 'EventCount', dims, range, 'Sum', 10);
    expect([...perWindow].sort(([a], [b]) => a - b)).toEqual(Array.from({ length: 6 }, (_, w) => [t0 + w * WINDOW_MS, 40]));
    const perMinute = await metricSeries(cw, namespace, 'EventCount', dims, range, 'Sum', 60);
    expect([...perMinute.values()]).toEqual([240]);
  });

  it('ship every window datum at StorageResolution 1', () => {
    const requests = readFileSync(join(dir, 'requests.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { MetricData: { MetricName: string; Dimensions: { Name: string }[]; StorageResolution?: number }[] });
    const windowDatums = requests.flatMap((r) => r.MetricData).filter((d) => d.Dimensions.some((dim) => dim.Name === 'Model'));
    expect(windowDatums.filter((d) => d.MetricName === 'EventCount')).toHaveLength(6);
    for (const d of windowDatums) expect(d, d.MetricName).toMatchObject({ StorageResolution: 1 });
  });

  it('get alarms with the window as their period, and a window no alarm period fits is refused', () => {
    const plan = runCli(['alarms', 'plan', '--config', join(dir, 'driftwatch.yaml'), '--offline', '--json']);
    expect(plan.status, plan.stderr).toBe(0);
    const alarms = (JSON.parse(plan.stdout) as { alarms: { AlarmName: string; Period: number }[] }).alarms;
    expect(alarms).toHaveLength(7);
    for (const a of alarms) expect(a, a.AlarmName).toMatchObject({ Period: 10 });

    const odd = join(dir, 'odd.yaml');
    writeFileSync(odd, JSON.stringify({ models: [{ name: model, baseline: join(dir, 'loans.json') }], windows: { seconds: 45 }, sinks: { cloudwatch: { namespace } } }));
    const refused = runCli(['alarms', 'plan', '--config', odd, '--offline']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/windows\.seconds: 45 s is not a period a CloudWatch alarm accepts/);
  });
});
