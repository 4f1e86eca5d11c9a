import type { PutMetricAlarmInput } from '@aws-sdk/client-cloudwatch';
import type { AlarmAction } from '../../shared/pipeline/alarms/alarm-plan.js';
import { formatTable } from './table.js';

const show = (v: unknown): string => (v === undefined ? '(none)' : JSON.stringify(v));

/** What an offline plan cannot know: everything that lives in the account. */
export const NEEDS_THE_ACCOUNT = [
  'which of these alarms exist already: whether each is created or updated, and which fields change',
  'the actions existing alarms have: without --topic-arn, apply keeps them',
  'that the SNS topic of --topic-arn exists and lets CloudWatch publish to it',
  'the permissions cloudwatch:DescribeAlarms and cloudwatch:PutMetricAlarm on driftwatch-* (the template\'s AlarmManagerPolicy)',
  'that the agents or the collector have shipped the metrics yet (until they do, the alarms are INSUFFICIENT_DATA, or ALARM for the heartbeat)',
] as const;

/** One line per alarm: what happens to it and, for an update, the fields that change. */
export function renderPlan(plan: readonly AlarmAction[]): string {
  const rows = plan.map((a) => [a.action, a.name, a.changes.map((c) => `${c.field}: ${show(c.from)} → ${show(c.to)}`).join('; ')]);
  const count = (what: AlarmAction['action']): number => plan.filter((a) => a.action === what).length;
  return `${formatTable(['action', 'alarm', 'changes'], rows)}\n${count('create')} to create, ${count('update')} to update, ${count('unchanged')} unchanged.\n`;
}

/** The fields in the order a reader checks them: what is watched, then when it fires, then what it does. */
const FIELD_ORDER = ['AlarmDescription', 'Namespace', 'MetricName', 'Dimensions', 'Statistic', 'Period', 'ComparisonOperator', 'Threshold',
  'DatapointsToAlarm', 'EvaluationPeriods', 'TreatMissingData', 'AlarmActions', 'OKActions', 'InsufficientDataActions'];
const rank = (field: string): number => (FIELD_ORDER.includes(field) ? FIELD_ORDER.indexOf(field) : FIELD_ORDER.length);

/** The alarms as `apply` would send them, field by field, and what only the account can tell. */
export function renderOfflinePlan(desired: readonly PutMetricAlarmInput[], why: string): string {
  const blocks = desired.map((input) => {
    const rows = Object.entries(input).filter(([field]) => field !== 'AlarmName').sort(([a], [b]) => rank(a) - rank(b)).map(([field, value]) => [`  ${field}`, typeof value === 'string' ? value : JSON.stringify(value)]);
    return `${input.AlarmName!}\n${formatTable(['  field', 'value'], rows)}`;
  });
  return [
    `Offline plan (${why}): the ${desired.length} alarms apply would create or update, field by field.`,
    '',
    ...blocks.flatMap((b) => [b, '']),
    'Needs the account, so not checked here:',
    ...NEEDS_THE_ACCOUNT.map((line) => `  - ${line}`),
    '',
  ].join('\n');
}
