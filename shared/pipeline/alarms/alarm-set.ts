import type { Dimension, PutMetricAlarmInput } from '@aws-sdk/client-cloudwatch';
import { DwError } from '../../platform/errors.js';

/**
 * What the drift and multivariate alarms follow. `calibrated` (the default): the agents' own
 * verdict per window (DriftedFeatureCount ≥ 1, MultivariateDrift = 1), whose threshold depends on
 * the window's size. `psi`: the raw MaxFeaturePSI and MultivariatePSI against one fixed threshold,
 * which fires on noise in small windows (docs/alarms.md).
 */
export type DriftRule = 'calibrated' | 'psi';

/** What the alarms are built from: the shipping side's config and the on-call settings. */
export interface AlarmSettings {
  namespace: string;
  /** The Site dimension, when the agents or collector set `site`. */
  site?: string;
  /** windows.seconds: each alarm period is one window. */
  windowSeconds: number;
  models: readonly string[];
  /**
   * The SNS topic each alarm notifies (none: the alarms have no actions of their own, as under the
   * template's composite alarm; `alarms apply` then keeps the actions an existing alarm has).
   */
  onCallTopicArn?: string;
  rule: DriftRule;
  /** Rule `psi` only: MaxFeaturePSI or MultivariatePSI above this is a drifted window. */
  psiThreshold: number;
  /** Drifted windows (M) out of the last N before the drift alarm fires. */
  driftDatapointsToAlarm: number;
  driftEvaluationPeriods: number;
  /** Windows without EventCount before the heartbeat alarm fires. */
  heartbeatWindows: number;
  /** Windows in a row with an input feature entirely missing before the missing-feature alarm fires. */
  missingWindows: number;
}

/** The defaults of deploy/cloudformation/driftwatch-alarms.yaml. */
export const ALARM_DEFAULTS = {
  rule: 'calibrated', psiThreshold: 0.25, driftDatapointsToAlarm: 3, driftEvaluationPeriods: 5, heartbeatWindows: 3, missingWindows: 2,
} as const satisfies Omit<AlarmSettings, 'namespace' | 'site' | 'windowSeconds' | 'models' | 'onCallTopicArn'>;

/** Every alarm driftwatch manages is named `driftwatch-…`. */
export const ALARM_PREFIX = 'driftwatch-';

/** Alarm periods CloudWatch accepts below a minute (high-resolution alarms, on StorageResolution 1 metrics). */
const HIGH_RESOLUTION_PERIODS = [10, 20, 30];

/**
 * The alarm period of a window length: the window itself, when CloudWatch accepts it as a period
 * (10, 20, 30 or a multiple of 60 seconds). Any other window length has no alarm that sees one
 * datapoint per window, so it is refused, naming the setting.
 */
export function alarmPeriod(windowSeconds: number): number {
  if (HIGH_RESOLUTION_PERIODS.includes(windowSeconds) || (windowSeconds >= 60 && windowSeconds % 60 === 0)) return windowSeconds;
  throw new DwError('DW_ERR_CONFIG', `windows.seconds: ${windowSeconds} s is not a period a CloudWatch alarm accepts (10, 20, 30 or a multiple of 60), so no alarm can judge one window per period`);
}

/** The warning `alarms` prints for rule `psi`. */
export const PSI_RULE_WARNING = 'rule psi alarms on raw PSI against one fixed threshold, whatever the window size: '
  + 'in windows of a few hundred events or fewer, PSI above 0.25 is common on data that has not drifted at all, so this alarm pages on noise. '
  + 'The default rule (calibrated) alarms on the agents\' own verdict, whose threshold is calibrated for each window\'s size.';

interface DriftMetric {
  metric: string;
  threshold: number;
  comparison: PutMetricAlarmInput['ComparisonOperator'];
  what: string;
}

/** The metric, threshold and words of the drift and multivariate alarms under a rule. */
function driftMetrics(s: AlarmSettings): { drift: DriftMetric; multivariate: DriftMetric } {
  if (s.rule === 'psi') {
    return {
      drift: { metric: 'MaxFeaturePSI', threshold: s.psiThreshold, comparison: 'GreaterThanThreshold', what: `MaxFeaturePSI above ${s.psiThreshold}` },
      multivariate: { metric: 'MultivariatePSI', threshold: s.psiThreshold, comparison: 'GreaterThanThreshold', what: `MultivariatePSI (PCA reconstruction error) above ${s.psiThreshold}` },
    };
  }
  return {
    drift: { metric: 'DriftedFeatureCount', threshold: 1, comparison: 'GreaterThanOrEqualToThreshold', what: 'an input feature drifted (the calibrated rule)' },
    multivariate: { metric: 'MultivariateDrift', threshold: 1, comparison: 'GreaterThanOrEqualToThreshold', what: 'the multivariate check (PCA reconstruction error) drifted (the calibrated rule)' },
  };
}

/**
 * The alarms of each model, the same as the CloudFormation template's: drift (an input feature
 * drifted, by the rule, in M of N windows), multivariate drift (the same rule; quiet for a model
 * whose baseline has no PCA check), accuracy (AccuracyDrop in M of N windows; quiet for a model
 * whose baseline has no labels), segment (SegmentDrift in M of N windows; quiet without
 * `models[].segments`), retraining (RetrainingRecommended), heartbeat (no EventCount)
 * and missing (an input feature entirely missing, MissingFeatureCount, in a few windows in a row).
 * The template adds a composite alarm that pages once; here each alarm notifies the topic itself
 * when one is given. Pure: no AWS call.
 */
export function alarmSet(s: AlarmSettings): PutMetricAlarmInput[] {
  const actions = s.onCallTopicArn === undefined ? {} : { AlarmActions: [s.onCallTopicArn], OKActions: [s.onCallTopicArn] };
  const period = alarmPeriod(s.windowSeconds);
  const { drift, multivariate } = driftMetrics(s);
  return s.models.flatMap((model): PutMetricAlarmInput[] => {
    const dims: Dimension[] = [{ Name: 'Model', Value: model }, ...(s.site === undefined ? [] : [{ Name: 'Site', Value: s.site }])];
    const base = { Namespace: s.namespace, Dimensions: dims, Period: period, ...actions };
    const name = (suffix: string): string => `${ALARM_PREFIX}${model}-${suffix}`;
    const mOfN = { EvaluationPeriods: s.driftEvaluationPeriods, DatapointsToAlarm: s.driftDatapointsToAlarm, TreatMissingData: 'notBreaching' };
    const inWindows = `in ${s.driftDatapointsToAlarm} of the last ${s.driftEvaluationPeriods} windows`;
    return [
      {
        ...base, ...mOfN, AlarmName: name('drift'), MetricName: drift.metric, Statistic: 'Maximum', Threshold: drift.threshold, ComparisonOperator: drift.comparison,
        AlarmDescription: `Model ${model}: ${drift.what} ${inWindows}.`,
      },
      {
        ...base, ...mOfN, AlarmName: name('multivariate'), MetricName: multivariate.metric, Statistic: 'Maximum', Threshold: multivariate.threshold,
        ComparisonOperator: multivariate.comparison, AlarmDescription: `Model ${model}: ${multivariate.what} ${inWindows}.`,
      },
      {
        ...base, ...mOfN, AlarmName: name('accuracy'), MetricName: 'AccuracyDrop', Statistic: 'Maximum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmDescription: `Model ${model}: the accuracy estimated without labels dropped below the baseline's (AccuracyDrop) ${inWindows}.`,
      },
      {
        ...base, ...mOfN, AlarmName: name('segment'), MetricName: 'SegmentDrift', Statistic: 'Maximum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmDescription: `Model ${model}: a segment's inputs drifted (SegmentDrift, the calibrated rule at the segment's size) ${inWindows}.`,
      },
      {
        ...base, AlarmName: name('retraining'), MetricName: 'RetrainingRecommended', Statistic: 'Maximum',
        AlarmDescription: `Model ${model}: the agents recommend retraining (m of the last n windows drifted or dropped in estimated accuracy).`,
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
