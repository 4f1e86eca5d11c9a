import type { MetricAlarm, PutMetricAlarmInput } from '@aws-sdk/client-cloudwatch';

/** One field an update changes. */
export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

/** What `driftwatch alarms apply` would do to one alarm. */
export interface AlarmAction {
  action: 'create' | 'update' | 'unchanged';
  name: string;
  input: PutMetricAlarmInput;
  changes: FieldChange[];
}

const FIELDS = ['AlarmDescription', 'Namespace', 'MetricName', 'Dimensions', 'Statistic', 'Period', 'EvaluationPeriods', 'DatapointsToAlarm',
  'Threshold', 'ComparisonOperator', 'TreatMissingData', 'AlarmActions', 'OKActions'] as const;

/** Comparable form: dimension order and absent-versus-empty lists do not count as differences. */
function normalise(field: string, value: unknown): unknown {
  if (field === 'Dimensions' && Array.isArray(value)) return [...(value as { Name: string }[])].sort((a, b) => a.Name.localeCompare(b.Name));
  if (Array.isArray(value) && value.length === 0) return undefined;
  return value;
}

/**
 * Compares the alarms driftwatch wants with those that exist (DescribeAlarms): each is to be
 * created, updated (with the fields that change) or left alone. Alarms that exist but are not
 * wanted are not touched: a model removed from the config keeps its alarms until deleted by hand.
 */
export function planAlarms(desired: readonly PutMetricAlarmInput[], existing: readonly MetricAlarm[]): AlarmAction[] {
  const found = new Map(existing.map((a) => [a.AlarmName!, a as unknown as Record<string, unknown>]));
  return desired.map((input) => {
    const current = found.get(input.AlarmName!);
    if (current === undefined) return { action: 'create', name: input.AlarmName!, input, changes: [] };
    const wanted = input as unknown as Record<string, unknown>;
    const changes: FieldChange[] = [];
    for (const field of FIELDS) {
      const from = normalise(field, current[field]);
      const to = normalise(field, wanted[field]);
      if (JSON.stringify(from) !== JSON.stringify(to)) changes.push({ field, from, to });
    }
    return { action: changes.length > 0 ? 'update' : 'unchanged', name: input.AlarmName!, input, changes };
  });
}
