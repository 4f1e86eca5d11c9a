import type { PutMetricAlarmInput } from '@aws-sdk/client-cloudwatch';
import { InvalidArgumentError, type Command } from 'commander';
import { ALARM_DEFAULTS, ALARM_PREFIX, alarmSet, PSI_RULE_WARNING, type DriftRule } from '../../shared/pipeline/alarms/alarm-set.js';
import { planAlarms } from '../../shared/pipeline/alarms/alarm-plan.js';
import { namespaceOf } from '../../shared/pipeline/sinks/create-sinks.js';
import { NEEDS_THE_ACCOUNT, renderOfflinePlan, renderPlan } from '../format/alarm-plan-view.js';
import { intOption, numberOption } from '../options.js';
import { operatorEgress } from '../operator-egress.js';
import { DwError } from '../../shared/platform/errors.js';

interface AlarmFlags {
  config: string;
  topicArn?: string;
  removeActions?: boolean;
  rule: DriftRule;
  psiThreshold: number;
  driftDatapoints: number;
  driftWindows: number;
  heartbeatWindows: number;
  missingWindows: number;
  offline?: boolean;
  json?: boolean;
}

function ruleOption(value: string): DriftRule {
  if (value !== 'calibrated' && value !== 'psi') throw new InvalidArgumentError(`--rule takes calibrated or psi, not '${value}'.`);
  return value;
}

/** The alarms the flags and config ask for; `--remove-actions` asks for alarms without actions, where none given keeps the existing ones. */
function desiredAlarms(config: ReturnType<typeof operatorEgress>['config'], flags: AlarmFlags): PutMetricAlarmInput[] {
  const alarms = alarmSet({
    namespace: namespaceOf(config), site: config.site, windowSeconds: config.windows.seconds, models: config.models.map((m) => m.name),
    onCallTopicArn: flags.topicArn, rule: flags.rule, psiThreshold: flags.psiThreshold, driftDatapointsToAlarm: flags.driftDatapoints,
    driftEvaluationPeriods: flags.driftWindows, heartbeatWindows: flags.heartbeatWindows, missingWindows: flags.missingWindows,
  });
  return flags.removeActions === true ? alarms.map((a) => ({ ...a, AlarmActions: [], OKActions: [], InsufficientDataActions: [] })) : alarms;
}

function printOffline(desired: PutMetricAlarmInput[], why: string, json: boolean): void {
  if (json) process.stdout.write(`${JSON.stringify({ offline: why, alarms: desired, needsTheAccount: NEEDS_THE_ACCOUNT })}\n`);
  else process.stdout.write(renderOfflinePlan(desired, why));
}

async function run(flags: AlarmFlags, apply: boolean): Promise<void> {
  if (flags.topicArn !== undefined && flags.removeActions === true) throw new DwError('DW_ERR_USAGE', '--topic-arn and --remove-actions cannot go together.');
  if (flags.rule === 'psi') process.stderr.write(`warning: ${PSI_RULE_WARNING}\n`);
  const { config, egress } = operatorEgress(flags.config, 'driftwatch-alarms');
  const desired = desiredAlarms(config, flags);
  if (!apply && flags.offline === true) return printOffline(desired, 'no AWS call, as asked by --offline', flags.json === true);
  const door = egress.cloudWatchAlarms({ region: config.sinks.cloudwatch?.region, endpoint: config.sinks.cloudwatch?.endpoint });
  try {
    let existing;
    try {
      existing = await door.describe(ALARM_PREFIX);
    } catch (err) {
      if (apply) throw err;
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(`warning: the account's alarms cannot be read (${message.split('\n')[0]!}); showing the offline plan.\n`);
      return printOffline(desired, 'the account could not be read', flags.json === true);
    }
    const plan = planAlarms(desired, existing);
    if (flags.json === true) process.stdout.write(`${JSON.stringify(plan.map(({ action, name: alarm, changes }) => ({ action, alarm, changes })))}\n`);
    else process.stdout.write(renderPlan(plan));
    if (!apply) return;
    for (const a of plan) if (a.action !== 'unchanged') await door.putMetricAlarm(a.input);
    if (flags.json !== true) process.stdout.write('Applied.\n');
  } finally {
    await door.close();
  }
}

/**
 * `driftwatch alarms plan|apply --config FILE`: the per-model CloudWatch alarms of
 * deploy/cloudformation, created or updated with PutMetricAlarm for users without CloudFormation.
 * The config is the one that ships to CloudWatch (an agent in direct mode, or the collector); its
 * namespace, site, window length, models and CloudWatch region or endpoint are used. Idempotent;
 * without --topic-arn the actions of existing alarms are kept. `plan` works without AWS.
 */
export function registerAlarms(program: Command): void {
  const alarms = program.command('alarms').description('create or update the CloudWatch alarms for the models of a config');
  for (const [name, apply] of [['plan', false], ['apply', true]] as const) {
    const command = alarms
      .command(name)
      .description(apply ? 'create or update the alarms (PutMetricAlarm); idempotent' : 'show what apply would create or change, and change nothing')
      .requiredOption('--config <file>', 'the agent or collector config that ships to CloudWatch')
      .option('--topic-arn <arn>', 'SNS topic each alarm notifies (on-call); without it, existing alarms keep their actions')
      .option('--remove-actions', 'remove the actions of existing alarms (they stop paging)')
      .option('--rule <rule>', 'what the drift and multivariate alarms follow: calibrated (the agents\' verdict) or psi (raw PSI, pages on noise in small windows)', ruleOption, ALARM_DEFAULTS.rule)
      .option('--psi-threshold <x>', 'rule psi: PSI above this is a drifted window', numberOption('--psi-threshold'), ALARM_DEFAULTS.psiThreshold)
      .option('--drift-datapoints <m>', 'drifted windows (M) ...', intOption('--drift-datapoints'), ALARM_DEFAULTS.driftDatapointsToAlarm)
      .option('--drift-windows <n>', '... out of the last N windows', intOption('--drift-windows'), ALARM_DEFAULTS.driftEvaluationPeriods)
      .option('--heartbeat-windows <n>', 'windows without EventCount before the heartbeat alarm fires', intOption('--heartbeat-windows'), ALARM_DEFAULTS.heartbeatWindows)
      .option('--missing-windows <n>', 'windows in a row with an input feature entirely missing before the missing alarm fires', intOption('--missing-windows'), ALARM_DEFAULTS.missingWindows)
      .option('--json', 'print the plan as JSON');
    if (!apply) command.option('--offline', 'make no AWS call: show the alarms field by field, and what only the account can tell');
    command.action((flags: AlarmFlags) => run(flags, apply));
  }
}
