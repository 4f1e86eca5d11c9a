import type { MetricDatum, PutMetricDataInput } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { buildBaseline } from '../../../../shared/offline/baseline/build-baseline.js';
import { DEFAULT_DRIFT_RULE } from '../../../../shared/core/drift/drift-rule.js';
import { EgressAllowlist } from '../../../../shared/pipeline/egress/egress-allowlist.js';
import { arrayRowSource } from '../../../../shared/offline/input/row-source.js';
import { windowToResourceMetrics } from '../../../../shared/pipeline/otlp/window-metrics.js';
import { windowRequests } from '../../../../shared/pipeline/sinks/cloudwatch/window-requests.js';
import { layoutFingerprint, ModelWindows } from '../../../../shared/pipeline/windows/model-windows.js';

const { profile } = await buildBaseline(arrayRowSource(Array.from({ length: 400 }, (_, i) => ({ x: i % 37, c: ['north', 'south'][i % 2] }))), {});
const windows = new ModelWindows('loans', profile, 60_000, DEFAULT_DRIFT_RULE, { m: 3, n: 5 });
for (let i = 0; i < 100; i++) windows.add({ x: i % 40, c: i % 3 ? 'north' : 'SSN 078-05-1120' }, '7', 0);
const { report } = await windows.close(windows.windows()[0]!, 60_000);
const allow = new EgressAllowlist({ namespace: 'Driftwatch', site: 'dc1', instanceId: 'pod-1', models: [{ name: 'loans', versions: ['7'], features: ['x', 'c'] }] });
const requests = windowRequests({ id: 1, closedAtMs: 0, report }, { outboxBacklog: 0, oldestUnsentAgeSeconds: 0, atMs: 60_000 }, { namespace: 'Driftwatch', site: 'dc1', topFeatures: 0, minCount: 20 });
const good = requests[0]!;
const tamper = (change: (d: MetricDatum) => void): PutMetricDataInput => {
  const copy = structuredClone(good);
  change(copy.MetricData![0]!);
  return copy;
};

describe('EgressAllowlist: PutMetricData', () => {
  it('lets the requests of a real window through', () => {
    expect(requests.map((r) => allow.checkPutMetricData(r))).toEqual(requests.map(() => undefined));
  });

  it('refuses anything not configured, naming the field', () => {
    expect(allow.checkPutMetricData({ ...good, Namespace: 'Other' })).toMatch(/Namespace 'Other'/);
    expect(allow.checkPutMetricData(tamper((d) => { d.MetricName = 'RawIncome'; }))).toMatch(/MetricData\[0\]\.MetricName 'RawIncome' is not a driftwatch metric/);
    expect(allow.checkPutMetricData(tamper((d) => { d.Dimensions!.push({ Name: 'Customer', Value: 'C-1' }); }))).toMatch(/'Customer' is not an allowed dimension/);
    expect(allow.checkPutMetricData(tamper((d) => { d.Dimensions![0]!.Value = 'other-model'; }))).toMatch(/model 'other-model' is not configured/);
    expect(allow.checkPutMetricData(tamper((d) => { d.Dimensions = [{ Name: 'Model', Value: 'loans' }, { Name: 'ModelVersion', Value: '078-05-1120' }]; }))).toMatch(/version '078-05-1120' is not configured/);
    expect(allow.checkPutMetricData(tamper((d) => { d.Dimensions = [{ Name: 'Model', Value: 'loans' }, { Name: 'Feature', Value: 'north' }]; }))).toMatch(/feature 'north' is not in the model's baseline/);
    expect(allow.checkPutMetricData(tamper((d) => { d.Dimensions = [{ Name: 'Site', Value: 'elsewhere' }]; }))).toMatch(/site 'elsewhere'/);
    // A segment travels as its category's index, never the category.
    expect(allow.checkPutMetricData(tamper((d) => { d.Dimensions = [{ Name: 'Model', Value: 'loans' }, { Name: 'Segment', Value: 'north' }]; }))).toMatch(/segment 'north' is not a category index or 'other'/);
    for (const ok of ['0', '19', 'other']) expect(allow.checkPutMetricData(tamper((d) => { d.Dimensions = [{ Name: 'Model', Value: 'loans' }, { Name: 'Segment', Value: ok }]; }))).toBeUndefined();
    expect(allow.checkPutMetricData(tamper((d) => { d.Dimensions = [{ Name: 'Model', Value: 'loans' }, { Name: 'Segment', Value: '20' }]; }))).toMatch(/segment '20'/);
    expect(allow.checkPutMetricData(tamper((d) => { d.Value = Number.NaN; }))).toMatch(/Value is not a finite number/);
    expect(allow.checkPutMetricData(tamper((d) => { d.Values = [1, Number.POSITIVE_INFINITY]; }))).toMatch(/Values holds a value that is not a finite number/);
    expect(allow.checkPutMetricData(tamper((d) => { Object.assign(d, { Comment: 'free text' }); }))).toMatch(/\.Comment is not an allowed field/);
    expect(allow.checkPutMetricData(tamper((d) => { Object.assign(d, { StorageResolution: 5 }); }))).toMatch(/\.StorageResolution must be 1 or 60/);
    expect(allow.checkPutMetricData(tamper((d) => { Object.assign(d, { StorageResolution: 1 }); }))).toBeUndefined();
  });
});

describe('EgressAllowlist: names are data (issue 16, finding 1)', () => {
  // A spec as a hand-edited baseline and config would give it, past the builder's and loader's checks.
  const edited = new EgressAllowlist({ namespace: 'Driftwatch', site: 'Jane Roe', models: [
    { name: 'loans', versions: ['7'], features: ['x', '078-05-1120', 'patient_john.doe@example.com', '123456.789012'] },
    { name: 'patient 4711', versions: [], features: ['x'] },
  ] });
  const datum = (dims: Record<string, string>): PutMetricDataInput => ({ Namespace: 'Driftwatch', MetricData: [{ MetricName: 'FeaturePSI', Timestamp: new Date(0), Value: 0.1,
    Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })) }] });

  it('refuses a configured feature, model or site whose name is a value, naming which', () => {
    expect(edited.checkPutMetricData(datum({ Model: 'loans', Feature: 'x' }))).toBeUndefined();
    expect(edited.checkPutMetricData(datum({ Model: 'loans', Feature: '078-05-1120' }))).toMatch(/feature '078-05-1120' is not a safe name: it looks like a social security number/);
    expect(edited.checkPutMetricData(datum({ Model: 'loans', Feature: 'patient_john.doe@example.com' }))).toMatch(/is not a safe name: it looks like an e-mail address/);
    expect(edited.checkPutMetricData(datum({ Model: 'loans', Feature: '123456.789012' }))).toMatch(/is not a safe name: it looks like a number/);
    expect(edited.checkPutMetricData(datum({ Model: 'patient 4711', Feature: 'x' }))).toMatch(/model 'patient 4711' is not a safe name/);
    expect(edited.checkPutMetricData(datum({ Model: 'loans', Site: 'Jane Roe' }))).toMatch(/site 'Jane Roe' is not a safe name/);
  });

  it('refuses the same names as OTLP feature attributes', () => {
    const rm = windowToResourceMetrics(report, profile, layoutFingerprint(profile), { instanceId: 'pod-1', site: 'dc1', version: '0.1.0' });
    let renamed = 0;
    for (const point of rm.scopeMetrics.flatMap((s) => s.metrics.flatMap((m): { attributes: Record<string, unknown> }[] => m.dataPoints))) {
      if (point.attributes['ml.feature.name'] !== 'x') continue;
      point.attributes['ml.feature.name'] = '078-05-1120';
      renamed++;
    }
    const spec = new EgressAllowlist({ namespace: 'Driftwatch', site: 'dc1', instanceId: 'pod-1', models: [{ name: 'loans', versions: ['7'], features: ['078-05-1120', 'c'] }] });
    expect(renamed).toBeGreaterThan(0);
    expect(spec.checkOtlpWindow(rm)).toMatch(/feature '078-05-1120' is not a safe name/);
  });
});

describe('EgressAllowlist: fleet windows over OTLP', () => {
  const metrics = () => windowToResourceMetrics(report, profile, layoutFingerprint(profile), { instanceId: 'pod-1', site: 'dc1', version: '0.1.0' });

  it('lets a real window through, though a category in it was an SSN: it travels as an index', () => {
    expect(allow.checkOtlpWindow(metrics())).toBeUndefined();
    expect(JSON.stringify(metrics())).not.toContain('078-05-1120');
  });

  it('refuses a category string, a foreign attribute, another identity, a non-finite count', () => {
    const m1 = metrics();
    m1.scopeMetrics[0]!.metrics[0]!.dataPoints[0]!.attributes['ml.feature.category_index'] = 'SSN 078-05-1120';
    expect(allow.checkOtlpWindow(m1)).toMatch(/category index must be a non-negative integer/);
    const m2 = metrics();
    m2.scopeMetrics[0]!.metrics[0]!.dataPoints[0]!.attributes['event.id'] = 'evt-1';
    expect(allow.checkOtlpWindow(m2)).toMatch(/attribute 'event.id' is not allowed/);
    const m3 = windowToResourceMetrics(report, profile, layoutFingerprint(profile), { instanceId: 'someone-else', version: '0.1.0' });
    expect(allow.checkOtlpWindow(m3)).toMatch(/service\.instance\.id is not this agent's/);
    const m4 = metrics();
    (m4.scopeMetrics[0]!.metrics[0]!.dataPoints[0] as { value: number }).value = Number.NaN;
    expect(allow.checkOtlpWindow(m4)).toMatch(/not finite/);
  });
});

describe('EgressAllowlist.checkAlarm', () => {
  it('passes the alarms driftwatch builds and refuses any other name, namespace, metric or dimension value', async () => {
    const { ALARM_DEFAULTS, alarmSet } = await import('../../../../shared/pipeline/alarms/alarm-set.js');
    const alarms = alarmSet({ namespace: 'Driftwatch', site: 'dc1', windowSeconds: 300, models: ['loans'], ...ALARM_DEFAULTS });
    for (const a of alarms) expect(allow.checkAlarm(a)).toBeUndefined();
    const drift = alarms[0]!;
    expect(allow.checkAlarm({ ...drift, AlarmName: 'prod-pager' })).toMatch(/not a driftwatch alarm name/);
    expect(allow.checkAlarm({ ...drift, Namespace: 'Other' })).toMatch(/Namespace 'Other'/);
    expect(allow.checkAlarm({ ...drift, MetricName: 'CPUUtilization' })).toMatch(/not a driftwatch metric/);
    expect(allow.checkAlarm({ ...drift, Dimensions: [{ Name: 'Model', Value: 'someone-else' }] })).toMatch(/model 'someone-else' is not configured/);
    expect(allow.checkAlarm({ ...drift, Dimensions: [{ Name: 'Host', Value: 'gpu-7' }] })).toMatch(/'Host' is not an allowed dimension/);
  });
});
