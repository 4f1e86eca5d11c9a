import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { evaluateAlarm, type AlarmEvaluation } from '../helpers/alarm-rule.js';
import { startAgent, waitForDrain, type AgentProcess } from '../helpers/agent-process.js';
import { metricSeries } from '../helpers/cloudwatch-series.js';
import { exampleBaseline, exampleRows, toEvent, type ExampleRow } from '../helpers/example-events.js';
import { runCli } from '../helpers/run-cli.js';

/**
 * Does the default alarm page on noise? Low-traffic windows (60 events each) go through a real
 * agent to CloudWatch (moto); `driftwatch alarms apply` creates the alarms there; each alarm's own
 * definition, as DescribeAlarms returns it, is evaluated by CloudWatch's M-of-N rule on the
 * datapoints read back with the alarm's metric, statistic and period. Ten stable windows must not
 * page; five drifted ones must. The raw-PSI rule (`--rule psi`) is evaluated on the same stable
 * datapoints to show what the calibrated rule saves on-call from.
 */
const endpoint = inject('motoEndpoint');
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const cw = new CloudWatchClient({ endpoint, region: 'eu-west-1', credentials });
const namespace = `DwPaging${Date.now()}`;
const model = 'loanspaging';
const WINDOW_MS = 60_000;
const ROWS = 60;
const t0 = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - 40 * WINDOW_MS;
const stableRange = { from: t0, to: t0 + 10 * WINDOW_MS };
const driftedRange = { from: t0 + 20 * WINDOW_MS, to: t0 + 25 * WINDOW_MS };
let agent: AgentProcess;
let config: string;

function chunks(rows: ExampleRow[], count: number): ExampleRow[][] {
  return Array.from({ length: count }, (_, i) => rows.slice(i * ROWS, (i + 1) * ROWS));
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dw-paging-'));
  writeFileSync(join(dir, 'loans.json'), JSON.stringify(await exampleBaseline()));
  agent = await startAgent({
    models: [{ name: model, baseline: join(dir, 'loans.json') }],
    api: { port: 0 },
    windows: { seconds: 60, graceSeconds: 0, clock: 'event' },
    sinks: { cloudwatch: { namespace, endpoint, region: 'eu-west-1' } },
  }, { dir, env: { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey } });
  config = join(dir, 'driftwatch.yaml');
  const stable = chunks(exampleRows('loans-stable.csv'), 10).map((rows, w) => ({ rows, at: stableRange.from + w * WINDOW_MS }));
  const drifted = chunks(exampleRows('loans-drifted.jsonl').slice(400), 5).map((rows, w) => ({ rows, at: driftedRange.from + w * WINDOW_MS }));
  for (const { rows, at } of [...stable, ...drifted]) {
    const res = await agent.postEvents(rows.map((row, i) => toEvent(row, model, at + i * 500)));
    expect(res.status).toBe(200);
  }
  expect((await agent.post('/v1/flush', '')).status).toBe(200);
  await waitForDrain(agent);
  process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
  const apply = runCli(['alarms', 'apply', '--config', config]);
  expect(apply.status, apply.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await agent?.stop();
});

async function applied(suffix: string): Promise<MetricAlarm> {
  const out = await cw.send(new DescribeAlarmsCommand({ AlarmNames: [`driftwatch-${model}-${suffix}`] }));
  expect(out.MetricAlarms).toHaveLength(1);
  return out.MetricAlarms![0]!;
}

/** The alarm's evaluations over a range, on the datapoints CloudWatch holds for its metric, statistic and period. */
async function evaluate(alarm: MetricAlarm, range: { from: number; to: number }): Promise<{ evaluations: AlarmEvaluation[]; datapoints: number[] }> {
  const series = await metricSeries(cw, alarm.Namespace!, alarm.MetricName!, alarm.Dimensions!, { from: range.from - 10 * WINDOW_MS, to: range.to + WINDOW_MS },
    alarm.Statistic, alarm.Period);
  const datapoints = [...series].filter(([t]) => t >= range.from && t < range.to).sort(([a], [b]) => a - b).map(([, v]) => v);
  return { evaluations: evaluateAlarm(alarm, series, range.from, range.to), datapoints };
}

const pages = (evaluations: AlarmEvaluation[]): number => evaluations.filter((e) => e.state === 'ALARM').length;

describe('the default alarms on low-traffic windows', () => {
  it('do not page on ten stable windows of 60 events, where raw PSI would', async () => {
    const drift = await applied('drift');
    expect(drift).toMatchObject({ MetricName: 'DriftedFeatureCount', Period: 60 });
    const calibrated = await evaluate(drift, stableRange);
    // One datapoint per window: the alarm judges what the agent shipped, not missing data.
    expect(calibrated.datapoints).toHaveLength(10);
    expect(pages(calibrated.evaluations), JSON.stringify(calibrated)).toBe(0);

    const multivariate = await evaluate(await applied('multivariate'), stableRange);
    expect(multivariate.datapoints).toHaveLength(10);
    expect(pages(multivariate.evaluations), JSON.stringify(multivariate)).toBe(0);

    // The same windows under the raw-PSI rule (what the default was): MaxFeaturePSI > 0.25 in 3 of 5 pages.
    const plan = runCli(['alarms', 'plan', '--config', config, '--offline', '--json', '--rule', 'psi']);
    expect(plan.status, plan.stderr).toBe(0);
    expect(plan.stderr).toMatch(/pages on noise/);
    const psiDrift = (JSON.parse(plan.stdout) as { alarms: MetricAlarm[] }).alarms.find((a) => a.AlarmName === `driftwatch-${model}-drift`)!;
    expect(psiDrift).toMatchObject({ MetricName: 'MaxFeaturePSI', Threshold: 0.25 });
    const raw = await evaluate(psiDrift, stableRange);
    expect(raw.datapoints.filter((v) => v > 0.25).length).toBeGreaterThanOrEqual(3);
    expect(pages(raw.evaluations), JSON.stringify(raw)).toBeGreaterThan(0);
  });

  it('page on five drifted windows of 60 events', async () => {
    const drifted = await evaluate(await applied('drift'), driftedRange);
    expect(drifted.datapoints).toHaveLength(5);
    expect(pages(drifted.evaluations), JSON.stringify(drifted)).toBeGreaterThan(0);
  });
});
