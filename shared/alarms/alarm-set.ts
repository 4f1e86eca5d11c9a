import type { Dimension, PutCompositeAlarmInput, PutMetricAlarmInput } from '@aws-sdk/client-cloudwatch';

/** What the alarms are built from: the shipping side's config and the on-call settings. */
export interface AlarmSettings {
  namespace: string;
  /** The Site dimension, when the agents or collector set `site`. */
  site?: string;
  /** windows.seconds: each alarm period is one window. */
  windowSeconds: number;
  models: readonly string[];
  /** The SNS topic the composite alarm notifies (none: the alarms are created without actions). */
  onCallTopicArn?: string;
  psiThreshold: number;
  /** Drifted windows (M) out of the last N before the drift alarm fires. */
  psiDatapointsToAlarm: number;
  psiEvaluationPeriods: number;
  /** Windows without EventCount before the heartbeat alarm fires. */
  heartbeatWindows: number;
}

/** The defaults of deploy/cloudformation/driftwatch-alarms.yaml. */
export const ALARM_DEFAULTS = { psiThreshold: 0.25, psiDatapointsToAlarm: 3, psiEvaluationPeriods: 5, heartbeatWindows: 3 } as const;

/** Every alarm driftwatch manages is named `driftwatch-…`. */
export const ALARM_PREFIX = 'driftwatch-';

/** The alarms of one model and the composite alarm that pages for them. */
export interface ModelAlarms {
  metric: PutMetricAlarmInput[];
  composite: PutCompositeAlarmInput;
}

/**
 * The alarms for each model, the same as the CloudFormation template creates: drift (MaxFeaturePSI
 * over the threshold in M of N windows), retraining (RetrainingRecommended), heartbeat (no
 * EventCount), and one composite alarm that notifies on-call. Pure: no AWS call.
 */
export function alarmSet(s: AlarmSettings): ModelAlarms[] {
  return s.models.map((model) => {
    const dims: Dimension[] = [{ Name: 'Model', Value: model }, ...(s.site === undefined ? [] : [{ Name: 'Site', Value: s.site }])];
    const base = { Namespace: s.namespace, Dimensions: dims, Period: s.windowSeconds };
    const name = (suffix: string): string => `${ALARM_PREFIX}${model}-${suffix}`;
    const metric: PutMetricAlarmInput[] = [
      {
        ...base, AlarmName: name('drift'), MetricName: 'MaxFeaturePSI', Statistic: 'Maximum',
        AlarmDescription: `Model ${model}: MaxFeaturePSI above ${s.psiThreshold} in ${s.psiDatapointsToAlarm} of the last ${s.psiEvaluationPeriods} windows.`,
        EvaluationPeriods: s.psiEvaluationPeriods, DatapointsToAlarm: s.psiDatapointsToAlarm, Threshold: s.psiThreshold,
        ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching',
      },
      {
        ...base, AlarmName: name('retraining'), MetricName: 'RetrainingRecommended', Statistic: 'Maximum',
        AlarmDescription: `Model ${model}: the agents recommend retraining (m of the last n windows drifted).`,
        EvaluationPeriods: 1, DatapointsToAlarm: 1, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching',
      },
      {
        ...base, AlarmName: name('heartbeat'), MetricName: 'EventCount', Statistic: 'SampleCount',
        AlarmDescription: `Model ${model}: no EventCount for ${s.heartbeatWindows} windows: the agent, its link to AWS, or the traffic stopped.`,
        EvaluationPeriods: s.heartbeatWindows, DatapointsToAlarm: s.heartbeatWindows, Threshold: 1, ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching',
      },
    ];
    const actions = s.onCallTopicArn === undefined ? [] : [s.onCallTopicArn];
    const composite: PutCompositeAlarmInput = {
      AlarmName: `${ALARM_PREFIX}${model}`,
      AlarmDescription: `Model ${model}: drift, a retraining recommendation, or silence. Pages on-call once.`,
      AlarmRule: metric.map((a) => `ALARM("${a.AlarmName!}")`).join(' OR '),
      ActionsEnabled: actions.length > 0, AlarmActions: actions, OKActions: actions,
    };
    return { metric, composite };
  });
}
