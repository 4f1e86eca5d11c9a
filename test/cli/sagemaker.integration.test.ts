import { CloudWatchClient, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startAgent, waitForDrain, type AgentProcess } from '../helpers/agent-process.js';
import { metricSeries } from '../helpers/cloudwatch-series.js';
import { ROOT, runCli } from '../helpers/run-cli.js';

/**
 * SageMaker Model Monitor compatibility. The fixtures (test/fixtures/sagemaker, made by
 * scripts/make-sagemaker-fixtures.py) are a training set summarised in Model Monitor's
 * statistics.json / constraints.json format, a shifted production set, and the violations Model
 * Monitor's own comparison gives on it, computed in Python from the raw rows (Deequ's Distance:
 * the largest gap between the empirical CDFs, or between category frequencies, less
 * 1.8·sqrt((n+m)/(n·m)) for "Robust", flagged above 0.1). driftwatch imports the pair, scores the
 * shifted set with --format sagemaker, and judges the same rows in an agent window that ships
 * Model Monitor's metric names to CloudWatch (moto).
 */
const FIXTURES = join(ROOT, 'test', 'fixtures', 'sagemaker');
const endpoint = inject('motoEndpoint');
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const cw = new CloudWatchClient({ endpoint, region: 'eu-west-1', credentials });
const dir = mkdtempSync(join(tmpdir(), 'dw-sagemaker-'));
const baseline = join(dir, 'imported.json');
const smNamespace = `aws/sagemaker/Endpoints/data-metrics-${Date.now()}`;
const WINDOW_MS = 60_000;
const t0 = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - 5 * WINDOW_MS;
type Statistics = { dataset: { item_count: number }; features: { name: string; numerical_statistics?: { common: { num_present: number; num_missing: number };
  distribution: { kll: { buckets: { lower_bound: number; upper_bound: number; count: number }[] } } }; string_statistics?: { distribution: { categorical: { buckets: { value: string; count: number }[] } } } }[] };
type Expected = { checks: { feature_name: string; constraint_check_type: string; distance?: number; flagged?: boolean }[] };
const statistics = JSON.parse(readFileSync(join(FIXTURES, 'statistics.json'), 'utf8')) as Statistics;
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected-violations.json'), 'utf8')) as Expected;
const shifted = readFileSync(join(FIXTURES, 'shifted.csv'), 'utf8').trim().split(/\r?\n/);
let agent: AgentProcess;

/** The shifted rows as events: numbers as numbers, a missing value left out, text as text. */
function events(): unknown[] {
  const [header, ...lines] = shifted;
  const names = header!.split(',');
  return lines.map((line, i) => {
    const cells = line.split(',');
    const features = Object.fromEntries(names.flatMap((n, j) => (cells[j] === '' ? [] : [[n, /^-?[\d.]+$/.test(cells[j]!) ? Number(cells[j]) : cells[j]]])));
    return { model: 'loansmm', timestamp: t0 + i * 10, features };
  }).filter((e) => Object.values((e as { features: Record<string, unknown> }).features).every((v) => v !== 'n/a'));
}

beforeAll(async () => {
  const imported = runCli(['baseline', 'import', '--statistics', join(FIXTURES, 'statistics.json'), '--constraints', join(FIXTURES, 'constraints.json'), '--out', baseline]);
  expect(imported.status, imported.stderr).toBe(0);
  agent = await startAgent({
    models: [{ name: 'loansmm', baseline }],
    api: { port: 0 },
    windows: { seconds: 60, graceSeconds: 0, clock: 'event' },
    sinks: { cloudwatch: { namespace: `DwSm${Date.now()}`, endpoint, region: 'eu-west-1', sagemaker: { endpoint: 'loans-prod', monitoringSchedule: 'loans-data-quality', namespace: smNamespace } } },
  }, { dir, env: { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey } });
  const posted = await agent.postEvents(events());
  expect(posted.status, JSON.stringify(posted.body).slice(0, 500)).toBe(200);
  expect((await agent.post('/v1/flush', '')).status).toBe(200);
  await waitForDrain(agent);
}, 120_000);

afterAll(async () => {
  await agent?.stop();
});

describe('driftwatch baseline import (Model Monitor statistics.json, constraints.json)', () => {
  it('bins numeric features at the KLL buckets and string features at their values, N = item_count, and says what it cannot know', () => {
    const profile = JSON.parse(readFileSync(baseline, 'utf8')) as { rowCount: number; source: { format: string };
      features: { name: string; edges?: number[]; categories?: string[]; counts: number[] }[]; modelMonitor: { monitoring: { comparisonMethod: string; comparisonThreshold: number } } };
    expect(profile.rowCount).toBe(statistics.dataset.item_count);
    expect(profile.source.format).toBe('sagemaker-model-monitor');
    const income = statistics.features.find((f) => f.name === 'income')!.numerical_statistics!;
    const buckets = income.distribution.kll.buckets;
    const f = profile.features.find((x) => x.name === 'income')!;
    expect(f.edges).toEqual([buckets[0]!.lower_bound, ...buckets.map((b) => b.upper_bound)]);
    expect(f.counts).toEqual([0, ...buckets.map((b) => b.count), 0, income.common.num_missing]);
    const region = statistics.features.find((x) => x.name === 'region')!.string_statistics!.distribution.categorical.buckets;
    const r = profile.features.find((x) => x.name === 'region')!;
    expect(Object.fromEntries(r.categories!.map((c, i) => [c, r.counts[i]]))).toEqual(Object.fromEntries(region.map((b) => [b.value, b.count])));
    expect(profile.modelMonitor.monitoring).toMatchObject({ comparisonMethod: 'Robust', comparisonThreshold: 0.1 });
    const again = runCli(['baseline', 'import', '--statistics', join(FIXTURES, 'statistics.json'), '--out', join(dir, 'again.json')]);
    expect(again.stderr).toMatch(/note: prediction signals: statistics\.json describes columns/);
    expect(again.stderr).toMatch(/note: multivariate check: needs the baseline rows/);
  });

  it('refuses a file that is not Model Monitor\'s, naming the member', () => {
    const bad = join(dir, 'bad-statistics.json');
    writeFileSync(bad, JSON.stringify({ version: 0, features: [] }));
    const result = runCli(['baseline', 'import', '--statistics', bad, '--out', join(dir, 'x.json')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/dataset: .*\[DW_ERR_BASELINE_SCHEMA\]/);
  });
});

describe('score --format sagemaker on a shifted set', () => {
  const run = runCli.bind(null);
  it('flags what Model Monitor\'s comparison flags, as constraint_violations.json', () => {
    const result = run(['score', '--baseline', baseline, '--current', join(FIXTURES, 'shifted.csv'), '--format', 'sagemaker']);
    expect(result.status, result.stderr).toBe(1);
    const { violations } = JSON.parse(result.stdout) as { violations: { feature_name: string; constraint_check_type: string; description: string }[] };
    const key = (v: { feature_name: string; constraint_check_type: string }): string => `${v.feature_name}:${v.constraint_check_type}`;
    const reference = expected.checks.filter((c) => c.flagged !== false).map(key).sort();
    expect(violations.map(key).sort()).toEqual(reference);
    // Distances: driftwatch sees the CDF at the 10 bucket bounds only, so its distance is at most
    // Model Monitor's (exact rows); on every feature the verdict is the same.
    for (const c of expected.checks.filter((x) => x.constraint_check_type === 'baseline_drift_check')) {
      const ours = violations.find((v) => v.feature_name === c.feature_name && v.constraint_check_type === 'baseline_drift_check');
      expect(ours !== undefined, c.feature_name).toBe(c.flagged);
      if (ours !== undefined) expect(Number(/distance: ([\d.e-]+)/.exec(ours.description)![1])).toBeLessThanOrEqual(c.distance! + 1e-12);
    }
  });

  it('says so when the baseline carries no constraints', () => {
    const result = run(['score', '--baseline', join(dir, 'again.json'), '--current', join(FIXTURES, 'shifted.csv'), '--format', 'sagemaker']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/carries no Model Monitor constraints/);
  });
});

describe('an agent window judged by Model Monitor\'s checks', () => {
  it('keeps the constraint_violations.json-shaped result in the window history', async () => {
    const kept = (await agent.get('/v1/windows?model=loansmm')).body.windows as { report: { modelMonitor: { violations: { feature_name: string; constraint_check_type: string }[]; notEvaluated: string[] } } }[];
    expect(kept).toHaveLength(1);
    const mm = kept[0]!.report.modelMonitor;
    const drifted = mm.violations.filter((v) => v.constraint_check_type === 'baseline_drift_check').map((v) => v.feature_name).sort();
    expect(drifted).toEqual(expected.checks.filter((c) => c.constraint_check_type === 'baseline_drift_check' && c.flagged === true).map((c) => c.feature_name).sort());
    expect(mm.violations.some((v) => v.feature_name === 'credit_score' && v.constraint_check_type === 'completeness_check')).toBe(true);
    expect(mm.notEvaluated.join(' ')).toMatch(/extra_column_check/);
    // The same result, read from the state file as Model Monitor's constraint_violations.json.
    const read = runCli(['score', '--format', 'sagemaker', '--state', join(dir, '.driftwatch', 'agent.db'), '--model', 'loansmm']);
    expect(read.status, read.stderr).toBe(1);
    expect(JSON.parse(read.stdout)).toEqual({ violations: mm.violations });
    expect(read.stderr).toMatch(/not evaluated in a window: extra_column_check, data_type_check/);
    expect(runCli(['score', '--state', join(dir, '.driftwatch', 'agent.db'), '--model', 'loansmm']).status).toBe(2);
  });

  it('emits Model Monitor\'s metric names in its namespace and dimensions, and no category value', async () => {
    const metrics = await cw.send(new ListMetricsCommand({ Namespace: smNamespace }));
    const names = new Set((metrics.Metrics ?? []).map((m) => m.MetricName));
    for (const f of ['income', 'region', 'age', 'channel']) {
      expect(names.has(`feature_baseline_drift_${f}`), f).toBe(true);
      expect(names.has(`feature_non_null_${f}`), f).toBe(true);
    }
    for (const m of metrics.Metrics ?? []) expect(m.Dimensions?.map((d) => `${d.Name}=${d.Value}`).sort()).toEqual(['Endpoint=loans-prod', 'MonitoringSchedule=loans-data-quality']);
    const dims = [{ Name: 'Endpoint', Value: 'loans-prod' }, { Name: 'MonitoringSchedule', Value: 'loans-data-quality' }];
    const income = await metricSeries(cw, smNamespace, 'feature_baseline_drift_income', dims, { from: t0 - WINDOW_MS, to: t0 + 3 * WINDOW_MS });
    expect([...income.values()][0]).toBeGreaterThan(0.1);
    const audit = runCli(['audit', 'show', '--state', join(dir, '.driftwatch', 'agent.db'), '--json']).stdout;
    expect(audit).toContain('feature_baseline_drift_income');
    for (const category of ['north', 'south', 'branch', 'kiosk']) expect(audit).not.toContain(`"${category}"`);
  });
});
