import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { exampleBaseline } from '../helpers/example-events.js';
import { runCli } from '../helpers/run-cli.js';

/**
 * `driftwatch alarms plan|apply` against moto, read back with DescribeAlarms through the real AWS
 * SDK: plan changes nothing, apply creates the per-model alarms, a second apply changes nothing,
 * a changed setting shows as a diff and is applied as an update.
 */
const endpoint = inject('motoEndpoint');
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const cw = new CloudWatchClient({ endpoint, region: 'eu-west-1', credentials });
const namespace = `DwAlarms${Date.now()}`;
let config: string;
let baseline: unknown;

async function alarms(): Promise<MetricAlarm[]> {
  const out = await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'driftwatch-', AlarmTypes: ['MetricAlarm'] }));
  return (out.MetricAlarms ?? []).filter((a) => a.Namespace === namespace);
}

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
  const dir = mkdtempSync(join(tmpdir(), 'dw-alarms-'));
  baseline = await exampleBaseline();
  writeFileSync(join(dir, 'loans.json'), JSON.stringify(baseline));
  config = join(dir, 'driftwatch.yaml');
  writeFileSync(config, JSON.stringify({
    site: 'dc1',
    models: [{ name: 'loans', baseline: 'loans.json' }, { name: 'churn', baseline: 'loans.json' }],
    windows: { seconds: 60 },
    sinks: { cloudwatch: { namespace, region: 'eu-west-1', endpoint } },
  }));
});

describe('driftwatch alarms', () => {
  it('plans without changing anything, then creates the alarms of every model', async () => {
    const plan = runCli(['alarms', 'plan', '--config', config, '--json']);
    expect(plan.status, plan.stderr).toBe(0);
    const actions = JSON.parse(plan.stdout) as { action: string; alarm: string }[];
    expect(actions.map((a) => a.action)).toEqual(Array(14).fill('create'));
    expect(await alarms()).toEqual([]);

    const topic = 'arn:aws:sns:eu-west-1:123456789012:driftwatch-oncall';
    const apply = runCli(['alarms', 'apply', '--config', config, '--topic-arn', topic]);
    expect(apply.status, apply.stderr).toBe(0);
    expect(apply.stdout).toMatch(/14 to create, 0 to update, 0 unchanged/);
    const created = await alarms();
    expect(created.map((a) => a.AlarmName).sort()).toEqual(['churn-accuracy', 'churn-drift', 'churn-heartbeat', 'churn-missing', 'churn-multivariate', 'churn-retraining', 'churn-segment', 'loans-accuracy', 'loans-drift', 'loans-heartbeat', 'loans-missing', 'loans-multivariate', 'loans-retraining', 'loans-segment'].map((n) => `driftwatch-${n}`));
    const drift = created.find((a) => a.AlarmName === 'driftwatch-loans-drift')!;
    expect(drift).toMatchObject({ MetricName: 'DriftedFeatureCount', Statistic: 'Maximum', Period: 60, EvaluationPeriods: 5, DatapointsToAlarm: 3, Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold', AlarmActions: [topic] });
    expect(drift.Dimensions).toEqual(expect.arrayContaining([{ Name: 'Model', Value: 'loans' }, { Name: 'Site', Value: 'dc1' }]));
    expect(created.find((a) => a.AlarmName === 'driftwatch-loans-heartbeat')).toMatchObject({ MetricName: 'EventCount', TreatMissingData: 'breaching' });

    // Idempotent: applying again changes nothing.
    const again = runCli(['alarms', 'plan', '--config', config, '--topic-arn', topic]);
    expect(again.stdout).toMatch(/0 to create, 0 to update, 14 unchanged/);
  });

  it('shows a changed setting as a diff and applies it as an update', async () => {
    const topic = 'arn:aws:sns:eu-west-1:123456789012:driftwatch-oncall';
    const plan = runCli(['alarms', 'plan', '--config', config, '--topic-arn', topic, '--drift-datapoints', '2', '--json']);
    const actions = JSON.parse(plan.stdout) as { action: string; alarm: string; changes: { field: string; from: unknown; to: unknown }[] }[];
    const updates = actions.filter((a) => a.action === 'update');
    expect(updates.map((a) => a.alarm).sort()).toEqual(['driftwatch-churn-accuracy', 'driftwatch-churn-drift', 'driftwatch-churn-multivariate', 'driftwatch-churn-segment', 'driftwatch-loans-accuracy', 'driftwatch-loans-drift', 'driftwatch-loans-multivariate', 'driftwatch-loans-segment']);
    expect(updates[0]!.changes).toEqual(expect.arrayContaining([{ field: 'DatapointsToAlarm', from: 3, to: 2 }]));
    expect(runCli(['alarms', 'apply', '--config', config, '--topic-arn', topic, '--drift-datapoints', '2']).status).toBe(0);
    expect((await alarms()).find((a) => a.AlarmName === 'driftwatch-loans-drift')!.DatapointsToAlarm).toBe(2);
  });

  it('keeps the paging that is there when run again without --topic-arn, and removes it only when asked', async () => {
    const topic = 'arn:aws:sns:eu-west-1:123456789012:driftwatch-oncall';
    const plan = runCli(['alarms', 'plan', '--config', config, '--drift-datapoints', '2']);
    expect(plan.status, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/0 to create, 0 to update, 14 unchanged/);
    expect(runCli(['alarms', 'apply', '--config', config]).status).toBe(0);
    for (const a of await alarms()) expect(a, a.AlarmName).toMatchObject({ AlarmActions: [topic], OKActions: [topic] });

    const remove = runCli(['alarms', 'apply', '--config', config, '--drift-datapoints', '2', '--remove-actions']);
    expect(remove.status, remove.stderr).toBe(0);
    expect(remove.stdout).toMatch(/0 to create, 14 to update, 0 unchanged/);
    for (const a of await alarms()) expect(a.AlarmActions ?? [], a.AlarmName).toEqual([]);
  });

  it('plans without AWS: every alarm field by field, and what only the account can tell', () => {
    const offline = runCli(['alarms', 'plan', '--config', config, '--offline']);
    expect(offline.status, offline.stderr).toBe(0);
    expect(offline.stdout).toMatch(/Offline plan \(no AWS call, as asked by --offline\): the 14 alarms/);
    expect(offline.stdout).toMatch(/driftwatch-loans-drift\n/);
    expect(offline.stdout).toMatch(/MetricName\s+DriftedFeatureCount/);
    expect(offline.stdout).toMatch(/ComparisonOperator\s+GreaterThanOrEqualToThreshold/);
    expect(offline.stdout).toMatch(/Needs the account, so not checked here:[\s\S]*which of these alarms exist already[\s\S]*cloudwatch:PutMetricAlarm/);

    // An account that cannot be reached: plan says why and shows the offline plan; apply fails.
    const dir = mkdtempSync(join(tmpdir(), 'dw-alarms-unreachable-'));
    writeFileSync(join(dir, 'loans.json'), JSON.stringify(baseline));
    const unreachable = join(dir, 'driftwatch.yaml');
    writeFileSync(unreachable, JSON.stringify({ models: [{ name: 'loans', baseline: 'loans.json' }], windows: { seconds: 60 },
      sinks: { cloudwatch: { namespace, region: 'eu-west-1', endpoint: 'http://127.0.0.1:9' } } }));
    const fallback = runCli(['alarms', 'plan', '--config', unreachable]);
    expect(fallback.status, fallback.stderr).toBe(0);
    expect(fallback.stderr).toMatch(/the account's alarms cannot be read .*showing the offline plan/);
    expect(fallback.stdout).toMatch(/Offline plan \(the account could not be read\): the 7 alarms/);
    expect(runCli(['alarms', 'apply', '--config', unreachable]).status).not.toBe(0);
  });

  it('alarms on raw PSI only when asked, with a warning', () => {
    const plan = runCli(['alarms', 'plan', '--config', config, '--offline', '--json', '--rule', 'psi', '--psi-threshold', '0.3']);
    expect(plan.status, plan.stderr).toBe(0);
    expect(plan.stderr).toMatch(/^warning: rule psi alarms on raw PSI .* pages on noise/);
    const drift = (JSON.parse(plan.stdout) as { alarms: MetricAlarm[] }).alarms.find((a) => a.AlarmName === 'driftwatch-loans-drift');
    expect(drift).toMatchObject({ MetricName: 'MaxFeaturePSI', Threshold: 0.3, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('refuses a bad setting with exit code 2, naming the flag', () => {
    const bad = runCli(['alarms', 'plan', '--config', config, '--psi-threshold', 'abc']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--psi-threshold/);
    const rule = runCli(['alarms', 'plan', '--config', config, '--rule', 'loud']);
    expect(rule.status).toBe(2);
    expect(rule.stderr).toMatch(/--rule takes calibrated or psi/);
    const both = runCli(['alarms', 'plan', '--config', config, '--topic-arn', 'arn:aws:sns:eu-west-1:123456789012:x', '--remove-actions']);
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/--topic-arn and --remove-actions/);
  });
});
