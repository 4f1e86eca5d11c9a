import { describe, expect, it } from 'vitest';
import { ALARM_DEFAULTS, alarmSet } from '../../../../shared/pipeline/alarms/alarm-set.js';
import { readTemplate } from '../../../helpers/cloudformation-template.js';

/**
 * `driftwatch alarms` and the CloudFormation template create the same alarms: the template's
 * per-model alarms, with its parameter defaults and CloudFormation's intrinsics resolved for one
 * model, equal the alarm set's (the template is read, not copied into the test).
 */
type Obj = Record<string, unknown>;
const template = readTemplate<{ Parameters: Record<string, { Default?: unknown }>; Resources: Obj }>();
const [, , fragment] = template.Resources['Fn::ForEach::ModelAlarms'] as [string, unknown, Record<string, { Type: string; Properties: Obj }>];

/** Resolves Ref, Sub, If (with Site empty) for one model, with the template's defaults. */
function resolve(value: unknown, model: string): unknown {
  const params: Record<string, unknown> = { ...Object.fromEntries(Object.entries(template.Parameters).map(([k, p]) => [k, p.Default])), Model: model };
  if (Array.isArray(value)) return value.map((v) => resolve(v, model));
  if (value === null || typeof value !== 'object') return value;
  const o = value as Obj;
  if ('Ref' in o) return params[o.Ref as string];
  if ('Fn::Sub' in o && typeof o['Fn::Sub'] === 'string') return (o['Fn::Sub']).replace(/\$\{(\w+)\}/g, (_, k: string) => String(params[k]));
  if ('Fn::If' in o) return resolve((o['Fn::If'] as unknown[])[2], model); // HasSite is false with the default Site ''
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolve(v, model)]));
}

describe('alarmSet', () => {
  it('matches the CloudFormation template alarm for alarm, with the template defaults', () => {
    const set = alarmSet({ namespace: 'Driftwatch', windowSeconds: 300, models: ['loans'], ...ALARM_DEFAULTS });
    const fromTemplate = Object.values(fragment).filter((r) => r.Type === 'AWS::CloudWatch::Alarm').map((r) => resolve(r.Properties, 'loans') as Obj);
    expect(set.map((a) => ({ ...a }))).toEqual(fromTemplate);
    for (const [k, v] of Object.entries(ALARM_DEFAULTS)) expect(template.Parameters[k[0]!.toUpperCase() + k.slice(1)]!.Default).toBe(v);
  });

  it('adds the Site dimension when the shipping side sets one, and notifies the topic when given', () => {
    const set = alarmSet({ namespace: 'Dw', site: 'dc1', windowSeconds: 60, models: ['m', 'n'], onCallTopicArn: 'arn:aws:sns:eu-west-1:123456789012:oncall', ...ALARM_DEFAULTS });
    expect(set.map((a) => a.AlarmName)).toEqual(['driftwatch-m-drift', 'driftwatch-m-multivariate', 'driftwatch-m-retraining', 'driftwatch-m-heartbeat', 'driftwatch-m-missing',
      'driftwatch-n-drift', 'driftwatch-n-multivariate', 'driftwatch-n-retraining', 'driftwatch-n-heartbeat', 'driftwatch-n-missing']);
    for (const a of set) {
      expect(a.Dimensions).toEqual([{ Name: 'Model', Value: a.AlarmName!.split('-')[1] }, { Name: 'Site', Value: 'dc1' }]);
      expect(a.AlarmActions).toEqual(['arn:aws:sns:eu-west-1:123456789012:oncall']);
    }
  });
});
