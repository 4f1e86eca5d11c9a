import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { DIMENSION_NAMES, METRIC_NAMES } from '../../shared/pipeline/egress/cloudwatch-names.js';
import { alarmSet, ALARM_DEFAULTS, type DriftRule } from '../../shared/pipeline/alarms/alarm-set.js';
import { ALARMS_TEMPLATE, readTemplate, templateModelAlarms } from '../helpers/cloudformation-template.js';

/**
 * The CloudFormation template for the AWS side (deploy/cloudformation/): cfn-lint (pip-installed
 * by the test setup) passes it, and its resources are the ones on-call needs: an SNS topic with a
 * subscription from a parameter, per-model alarms on metrics the product really ships (M of N on
 * the calibrated verdict DriftedFeatureCount, RetrainingRecommended, missing EventCount as a
 * heartbeat), one composite alarm per model that pages, a dashboard, and a PutMetricData-only
 * policy limited by cloudwatch:namespace. Resolved for a set of parameters, it creates the same
 * alarms, field by field, as `driftwatch alarms` (alarmSet).
 */
type Obj = Record<string, unknown>;

const template = readTemplate<{ Transform: string; Parameters: Obj; Resources: Obj }>();
const resources = template.Resources as Record<string, { Type: string; Properties: Obj }>;
const loop = resources['Fn::ForEach::ModelAlarms'] as unknown as [string, unknown, Record<string, { Type: string; Properties: Obj }>];
const perModel = Object.values(loop[2]);
const alarmOn = (metric: string): Obj => perModel.find((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.MetricName === metric)!.Properties;

describe('CloudFormation template', () => {
  it('passes cfn-lint', () => {
    const cfnLint = join(dirname(inject('peerPython')), 'cfn-lint');
    const result = spawnSync(cfnLint, [ALARMS_TEMPLATE], { encoding: 'utf8' });
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });

  it('repeats the alarms for every model of a parameter, on metrics the product ships with its dimensions', () => {
    expect(template.Transform).toBe('AWS::LanguageExtensions');
    expect(loop[0]).toBe('Model');
    expect(loop[1]).toEqual({ Ref: 'Models' });
    for (const rule of ['calibrated', 'psi']) {
      for (const alarm of templateModelAlarms({ Models: 'loans', DriftRule: rule })) expect(METRIC_NAMES).toContain(alarm.MetricName);
    }
    for (const alarm of perModel.filter((r) => r.Type === 'AWS::CloudWatch::Alarm')) {
      expect(alarm.Properties.Namespace).toEqual({ Ref: 'Namespace' });
      expect(alarm.Properties.Period).toEqual({ Ref: 'WindowSeconds' });
      const dims = JSON.stringify(alarm.Properties.Dimensions);
      for (const name of dims.match(/"Name":"(\w+)"/g)!.map((m) => m.slice(8, -1))) expect(DIMENSION_NAMES).toContain(name);
    }
  });

  it('alarms on the calibrated verdict in M of N windows by default, on a retraining recommendation, and on silence', () => {
    const drift = templateModelAlarms({ Models: 'loans' }).find((a) => a.AlarmName === 'driftwatch-loans-drift')!;
    expect(drift).toMatchObject({ MetricName: 'DriftedFeatureCount', Statistic: 'Maximum', ComparisonOperator: 'GreaterThanOrEqualToThreshold', Threshold: 1,
      DatapointsToAlarm: 3, EvaluationPeriods: 5, TreatMissingData: 'notBreaching' });
    const multivariate = templateModelAlarms({ Models: 'loans' }).find((a) => a.AlarmName === 'driftwatch-loans-multivariate')!;
    expect(multivariate).toMatchObject({ MetricName: 'MultivariateDrift', ComparisonOperator: 'GreaterThanOrEqualToThreshold', Threshold: 1 });
    // Raw PSI only when asked for.
    const raw = templateModelAlarms({ Models: 'loans', DriftRule: 'psi', PsiThreshold: '0.3' }).find((a) => a.AlarmName === 'driftwatch-loans-drift')!;
    expect(raw).toMatchObject({ MetricName: 'MaxFeaturePSI', ComparisonOperator: 'GreaterThanThreshold', Threshold: 0.3 });
    expect(alarmOn('RetrainingRecommended')).toMatchObject({ ComparisonOperator: 'GreaterThanOrEqualToThreshold', Threshold: 1 });
    // Missing data is the signal: no windows arrive when the agent, the link or the traffic stops.
    expect(alarmOn('EventCount')).toMatchObject({ TreatMissingData: 'breaching', ComparisonOperator: 'LessThanThreshold' });
  });

  it('creates the same alarms, field by field, as driftwatch alarms for the same settings', () => {
    const cases: { rule: DriftRule; windowSeconds: number; site?: string }[] = [
      { rule: 'calibrated', windowSeconds: 300 }, { rule: 'calibrated', windowSeconds: 10, site: 'dc1' }, { rule: 'psi', windowSeconds: 3600, site: 'dc1' },
    ];
    for (const c of cases) {
      const fromTemplate = templateModelAlarms({
        Models: 'loans,churn', Namespace: 'Dw', Site: c.site ?? '', WindowSeconds: String(c.windowSeconds), DriftRule: c.rule,
        PsiThreshold: '0.2', DriftDatapointsToAlarm: '2', DriftEvaluationPeriods: '4', HeartbeatWindows: '6', MissingWindows: '3',
      });
      const fromCli = alarmSet({
        ...ALARM_DEFAULTS, namespace: 'Dw', site: c.site, windowSeconds: c.windowSeconds, models: ['loans', 'churn'], rule: c.rule,
        psiThreshold: 0.2, driftDatapointsToAlarm: 2, driftEvaluationPeriods: 4, heartbeatWindows: 6, missingWindows: 3,
      });
      expect(fromTemplate, JSON.stringify(c)).toEqual(fromCli);
    }
  });

  it('pages on-call once per model through a composite alarm and an SNS subscription from parameters', () => {
    const composite = perModel.find((r) => r.Type === 'AWS::CloudWatch::CompositeAlarm')!.Properties;
    expect(composite.AlarmActions).toEqual([{ Ref: 'OnCallTopic' }]);
    const rule = JSON.stringify(composite.AlarmRule);
    for (const child of Object.keys(loop[2]).filter((k) => loop[2][k]!.Type === 'AWS::CloudWatch::Alarm')) expect(rule).toContain(child);
    // The child alarms do not page on their own.
    for (const alarm of perModel.filter((r) => r.Type === 'AWS::CloudWatch::Alarm')) expect(alarm.Properties.AlarmActions).toBeUndefined();
    expect(resources.OnCallTopic!.Type).toBe('AWS::SNS::Topic');
    expect(resources.OnCallSubscription!.Properties).toMatchObject({ TopicArn: { Ref: 'OnCallTopic' }, Endpoint: { Ref: 'OnCallEndpoint' }, Protocol: { Ref: 'OnCallProtocol' } });
    expect(Object.values(resources).some((r) => r.Type === 'AWS::CloudWatch::Dashboard')).toBe(true);
  });

  it('lets agents or the collector put metric data into the driftwatch namespace and nothing else', () => {
    const policy = resources.MetricsWriterPolicy!.Properties.PolicyDocument as { Statement: { Effect: string; Action: string | string[]; Condition?: Obj }[] };
    expect(policy.Statement).toHaveLength(1);
    expect(policy.Statement[0]).toMatchObject({ Effect: 'Allow', Action: 'cloudwatch:PutMetricData', Condition: { StringEquals: { 'cloudwatch:namespace': { Ref: 'Namespace' } } } });
    // Alarm management is a separate policy, for a separate role.
    const manager = JSON.stringify(resources.AlarmManagerPolicy!.Properties.PolicyDocument);
    expect(manager).toContain('cloudwatch:PutMetricAlarm');
    expect(manager).not.toContain('PutMetricData');
  });
});
