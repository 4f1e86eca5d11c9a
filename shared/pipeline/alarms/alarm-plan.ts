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
  'Threshold', 'ComparisonOperator', 'TreatMissingData', 'AlarmActions', 'OKActions', 'InsufficientDataActions', 'ActionsEnabled'] as const;

/**
 * The wanted alarm with the existing one's actions where it names none: PutMetricAlarm replaces
 * the whole alarm, so re-running without `--topic-arn` would otherwise remove the paging that
 * someone set up (with the template, by hand, or by an earlier `--topic-arn`). Actions on
 * INSUFFICIENT_DATA and a disabled state (maintenance) are kept the same way.
 */
function keepActions(input: PutMetricAlarmInput, current: MetricAlarm): PutMetricAlarmInput {
  const kept: Record<string, unknown> = { ...input };
  const fields = input.AlarmActions === undefined ? ['AlarmActions', 'OKActions', 'InsufficientDataActions', 'ActionsEnabled'] as const : ['InsufficientDataActions', 'ActionsEnabled'] as const;
  for (const field of fields) if (kept[field] === undefined && current[field] !== undefined) kept[field] = current[field];
  return kept as unknown as PutMetricAlarmInput;
}

/** Comparable form: dimension order, absent-versus-empty lists and PutMetricAlarm's ActionsEnabled default do not count as differences. */
function normalise(field: string, value: unknown): unknown {
  if (field === 'ActionsEnabled' && value === undefined) return true;
  if (field === 'Dimensions' && Array.isArray(value)) return [...(value as { Name: string }[])].sort((a, b) => a.Name.localeCompare(b.Name));
  if (Array.isArray(value) && value.length === 0) return undefined;
  return value;
}

/**
 * Compares the alarms driftwatch wants with those that exist (DescribeAlarms): each is to be
 * created, updated (with the fields that change) or left alone. A wanted alarm without actions
 * keeps the existing one's. Alarms that exist but are not
 * wanted are not touched: a model removed from the config keeps its alarms until deleted by hand.
 */
export function planAlarms(desired: readonly PutMetricAlarmInput[], existing: readonly MetricAlarm[]): AlarmAction[] {
  const found = new Map(existing.map((a) => [a.AlarmName!, a]));
  return desired.map((wantedInput) => {
    const alarm = found.get(wantedInput.AlarmName!);
    if (alarm === undefined) return { action: 'create', name: wantedInput.AlarmName!, input: wantedInput, changes: [] };
    const input = keepActions(wantedInput, alarm);
    const current = alarm as unknown as Record<string, unknown>;
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
