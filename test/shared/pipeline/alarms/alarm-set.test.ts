import { describe, expect, it } from 'vitest';
import { ALARM_DEFAULTS, alarmPeriod, alarmSet } from '../../../../shared/pipeline/alarms/alarm-set.js';
import { planAlarms } from '../../../../shared/pipeline/alarms/alarm-plan.js';
import { readTemplate, templateModelAlarms } from '../../../helpers/cloudformation-template.js';

/**
 * `driftwatch alarms` and the CloudFormation template create the same alarms: with the template's
 * parameter defaults and CloudFormation's intrinsics resolved for one model (the template is read,
 * not copied into the test), the alarm set with ALARM_DEFAULTS equals the template's.
 */
const template = readTemplate<{ Parameters: Record<string, { Default?: unknown }> }>();

describe('alarmSet', () => {
  it('matches the CloudFormation template alarm for alarm, with the template defaults', () => {
    const set = alarmSet({ namespace: 'Driftwatch', windowSeconds: 300, models: ['loans'], ...ALARM_DEFAULTS });
    expect(set).toEqual(templateModelAlarms({ Models: 'loans' }));
    const parameter = { rule: 'DriftRule', psiThreshold: 'PsiThreshold', driftDatapointsToAlarm: 'DriftDatapointsToAlarm', driftEvaluationPeriods: 'DriftEvaluationPeriods',
      heartbeatWindows: 'HeartbeatWindows', missingWindows: 'MissingWindows' } as const;
    for (const [k, v] of Object.entries(ALARM_DEFAULTS)) expect(template.Parameters[parameter[k as keyof typeof parameter]]!.Default, k).toBe(v);
  });

  it('adds the Site dimension when the shipping side sets one, and notifies the topic when given', () => {
    const set = alarmSet({ namespace: 'Dw', site: 'dc1', windowSeconds: 60, models: ['m', 'n'], onCallTopicArn: 'arn:aws:sns:eu-west-1:123456789012:oncall', ...ALARM_DEFAULTS });
    expect(set.map((a) => a.AlarmName)).toEqual(['driftwatch-m-drift', 'driftwatch-m-multivariate', 'driftwatch-m-accuracy', 'driftwatch-m-segment', 'driftwatch-m-retraining', 'driftwatch-m-heartbeat', 'driftwatch-m-missing',
      'driftwatch-n-drift', 'driftwatch-n-multivariate', 'driftwatch-n-accuracy', 'driftwatch-n-segment', 'driftwatch-n-retraining', 'driftwatch-n-heartbeat', 'driftwatch-n-missing']);
    for (const a of set) {
      expect(a.Dimensions).toEqual([{ Name: 'Model', Value: a.AlarmName!.split('-')[1] }, { Name: 'Site', Value: 'dc1' }]);
      expect(a.AlarmActions).toEqual(['arn:aws:sns:eu-west-1:123456789012:oncall']);
    }
  });

  it('takes the window as the period only where CloudWatch accepts it (10, 20, 30 s or whole minutes)', () => {
    for (const ok of [10, 20, 30, 60, 120, 300, 3600, 86_400]) expect(alarmPeriod(ok)).toBe(ok);
    for (const bad of [15, 45, 59, 90, 301]) expect(() => alarmPeriod(bad), String(bad)).toThrow(/windows\.seconds: \d+ s is not a period a CloudWatch alarm accepts/);
  });
});

describe('planAlarms', () => {
  const wanted = alarmSet({ namespace: 'Dw', windowSeconds: 60, models: ['m'], ...ALARM_DEFAULTS });
  const topic = 'arn:aws:sns:eu-west-1:123456789012:oncall';

  it('keeps the actions of an existing alarm when the wanted one names none', () => {
    const existing = wanted.map((a) => ({ ...a, AlarmActions: [topic], OKActions: [topic], ActionsEnabled: false }));
    const plan = planAlarms(wanted, existing);
    expect(plan.map((a) => a.action)).toEqual(Array(7).fill('unchanged'));
    for (const a of plan) expect(a.input).toMatchObject({ AlarmActions: [topic], OKActions: [topic], ActionsEnabled: false });
  });

  it('shows removing actions as a change when asked for explicitly', () => {
    const existing = wanted.map((a) => ({ ...a, AlarmActions: [topic] }));
    const plan = planAlarms(wanted.map((a) => ({ ...a, AlarmActions: [] })), existing);
    expect(plan[0]!.changes).toEqual([{ field: 'AlarmActions', from: [topic], to: undefined }]);
  });
});
