import type { MetricAlarm } from '@aws-sdk/client-cloudwatch';

/** One evaluation of an alarm: the end of the period it judged and the state it reached. */
export interface AlarmEvaluation {
  atMs: number;
  state: 'OK' | 'ALARM';
  breaching: number;
}

function breaches(alarm: MetricAlarm, value: number): boolean {
  const t = alarm.Threshold!;
  switch (alarm.ComparisonOperator) {
    case 'GreaterThanThreshold': return value > t;
    case 'GreaterThanOrEqualToThreshold': return value >= t;
    case 'LessThanThreshold': return value < t;
    case 'LessThanOrEqualToThreshold': return value <= t;
    default: throw new Error(`comparison ${String(alarm.ComparisonOperator)} is not evaluated here`);
  }
}

/**
 * CloudWatch's rule for a metric alarm, written from its documentation ("Evaluating an alarm"),
 * not from driftwatch's code: at the end of each period, the last EvaluationPeriods periods form
 * the evaluation range; a period without a datapoint counts as TreatMissingData says (breaching,
 * notBreaching; ignore and missing leave it out); the alarm is in ALARM when at least
 * DatapointsToAlarm of the range breach. `series` maps each period's start (ms) to its statistic,
 * as GetMetricData returns them; the alarm is evaluated at every period from `fromMs` to `toMs`.
 */
export function evaluateAlarm(alarm: MetricAlarm, series: ReadonlyMap<number, number>, fromMs: number, toMs: number): AlarmEvaluation[] {
  const periodMs = alarm.Period! * 1000;
  const n = alarm.EvaluationPeriods!;
  const m = alarm.DatapointsToAlarm ?? n;
  const out: AlarmEvaluation[] = [];
  for (let start = Math.floor(fromMs / periodMs) * periodMs; start < toMs; start += periodMs) {
    let breaching = 0;
    for (let k = 0; k < n; k++) {
      const value = series.get(start - k * periodMs);
      if (value === undefined) breaching += alarm.TreatMissingData === 'breaching' ? 1 : 0;
      else breaching += breaches(alarm, value) ? 1 : 0;
    }
    out.push({ atMs: start + periodMs, state: breaching >= m ? 'ALARM' : 'OK', breaching });
  }
  return out;
}
