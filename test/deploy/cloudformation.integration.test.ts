import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { DIMENSION_NAMES, METRIC_NAMES } from '../../shared/pipeline/egress/cloudwatch-names.js';
import { ALARMS_TEMPLATE, readTemplate } from '../helpers/cloudformation-template.js';

/**
 * The CloudFormation template for the AWS side (deploy/cloudformation/): cfn-lint (pip-installed
 * by the test setup) passes it, and its resources are the ones on-call needs: an SNS topic with a
 * subscription from a parameter, per-model alarms on metrics the product really ships (M of N on
 * MaxFeaturePSI, RetrainingRecommended, missing EventCount as a heartbeat), one composite alarm per
 * model that pages, a dashboard, and a PutMetricData-only policy limited by cloudwatch:namespace.
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
    for (const alarm of perModel.filter((r) => r.Type === 'AWS::CloudWatch::Alarm')) {
      expect(METRIC_NAMES).toContain(alarm.Properties.MetricName);
      expect(alarm.Properties.Namespace).toEqual({ Ref: 'Namespace' });
      expect(alarm.Properties.Period).toEqual({ Ref: 'WindowSeconds' });
      const dims = JSON.stringify(alarm.Properties.Dimensions);
      for (const name of dims.match(/"Name":"(\w+)"/g)!.map((m) => m.slice(8, -1))) expect(DIMENSION_NAMES).toContain(name);
    }
  });

  it('alarms on drift in M of N windows, on a retraining recommendation, and on silence', () => {
    expect(alarmOn('MaxFeaturePSI')).toMatchObject({
      Statistic: 'Maximum', ComparisonOperator: 'GreaterThanThreshold', Threshold: { Ref: 'PsiThreshold' },
      DatapointsToAlarm: { Ref: 'PsiDatapointsToAlarm' }, EvaluationPeriods: { Ref: 'PsiEvaluationPeriods' }, TreatMissingData: 'notBreaching',
    });
    expect(alarmOn('MultivariatePSI')).toMatchObject({
      Statistic: 'Maximum', ComparisonOperator: 'GreaterThanThreshold', Threshold: { Ref: 'PsiThreshold' }, TreatMissingData: 'notBreaching',
    });
    expect(alarmOn('RetrainingRecommended')).toMatchObject({ ComparisonOperator: 'GreaterThanOrEqualToThreshold', Threshold: 1 });
    // Missing data is the signal: no windows arrive when the agent, the link or the traffic stops.
    expect(alarmOn('EventCount')).toMatchObject({ TreatMissingData: 'breaching', ComparisonOperator: 'LessThanThreshold' });
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
