import type { Dimension, PutMetricAlarmInput } from '@aws-sdk/client-cloudwatch';

/** What the alarms are built from: the shipping side's config and the on-call settings. */
export interface AlarmSettings {
  namespace: string;
  /** The Site dimension, when the agents or collector set `site`. */
  site?: string;
  /** windows.seconds: each alarm period is one window. */
  windowSeconds: number;
  models: readonly string[];
  /**
   * The SNS topic each alarm notifies (none: the alarms have no actions, as under the template's
   * composite alarm, which does the paging there).
   */
  onCallTopicArn?: string;
  psiThreshold: number;
  /** Drifted windows (M) out of the last N before the drift alarm fires. */
  psiDatapointsToAlarm: number;
  psiEvaluationPeriods: number;
  /** Windows without EventCount before the heartbeat alarm fires. */
  heartbeatWindows: number;
  /** Windows in a row with an input feature entirely missing before the missing-feature alarm fires. */
  missingWindows: number;
}

/** The defaults of deploy/cloudformation/driftwatch-alarms.yaml. */
export const ALARM_DEFAULTS = { psiThreshold: 0.25, psiDatapointsToAlarm: 3, psiEvaluationPeriods: 5, heartbeatWindows: 3, missingWindows: 2 } as const;

/** Every alarm driftwatch manages is named `driftwatch-…`. */
export const ALARM_PREFIX = 'driftwatch-';

/**
 * The alarms of each model, the same as the CloudFormation template's: drift (MaxFeaturePSI over
 * the threshold in M of N windows), multivariate drift (MultivariatePSI, the same rule; quiet for
 * a model whose baseline has no PCA check), retraining (RetrainingRecommended), heartbeat (no
 * EventCount) and missing (an input feature entirely missing, MissingFeatureCount, in a few windows in a row). The template adds a composite alarm that pages once; PutMetricAlarm cannot create
 * one, so here each alarm notifies the topic itself when one is given. Pure: no AWS call.
 */
export function alarmSet(s: AlarmSettings): PutMetricAlarmInput[] {
  const actions = s.onCallTopicArn === undefined ? {} : { AlarmActions: [s.onCallTopicArn], OKActions: [s.onCallTopicArn] };
  return s.models.flatMap((model): PutMetricAlarmInput[] => {
    const dims: Dimension[] = [{ Name: 'Model', Value: model }, ...(s.site === undefined ? [] : [{ Name: 'Site', Value: s.site }])];
    const base = { Namespace: s.namespace, Dimensions: dims, Period: s.windowSeconds, ...actions };
    const name = (suffix: string): string => `${ALARM_PREFIX}${model}-${suffix}`;
    return [
      {
        ...base, AlarmName: name('drift'), MetricName: 'MaxFeaturePSI', Statistic: 'Maximum',
        AlarmDescription: `Model ${model}: MaxFeaturePSI above ${s.psiThreshold} in ${s.psiDatapointsToAlarm} of the last ${s.psiEvaluationPeriods} windows.`,
        EvaluationPeriods: s.psiEvaluationPeriods, DatapointsToAlarm: s.psiDatapointsToAlarm, Threshold: s.psiThreshold,
        ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching',
      },
      {
        ...base, AlarmName: name('multivariate'), MetricName: 'MultivariatePSI', Statistic: 'Maximum',
        AlarmDescription: `Model ${model}: MultivariatePSI (PCA reconstruction error) above ${s.psiThreshold} in ${s.psiDatapointsToAlarm} of the last ${s.psiEvaluationPeriods} windows.`,
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
      {
        ...base, AlarmName: name('missing'), MetricName: 'MissingFeatureCount', Statistic: 'Maximum',
        AlarmDescription: `Model ${model}: an input feature had every value missing in ${s.missingWindows} windows in a row: a broken feed upstream of the model.`,
        EvaluationPeriods: s.missingWindows, DatapointsToAlarm: s.missingWindows, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching',
      },
    ];
  });
}
