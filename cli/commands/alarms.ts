import type { Command } from 'commander';
import { ALARM_DEFAULTS, ALARM_PREFIX, alarmSet } from '../../shared/pipeline/alarms/alarm-set.js';
import { planAlarms, type AlarmAction } from '../../shared/pipeline/alarms/alarm-plan.js';
import { namespaceOf } from '../../shared/pipeline/sinks/create-sinks.js';
import { formatTable } from '../format/table.js';
import { intOption, numberOption } from '../options.js';
import { operatorEgress } from '../operator-egress.js';

interface AlarmFlags {
  config: string;
  topicArn?: string;
  psiThreshold: number;
  psiDatapoints: number;
  psiWindows: number;
  heartbeatWindows: number;
  missingWindows: number;
  json?: boolean;
}

const show = (v: unknown): string => (v === undefined ? '(none)' : JSON.stringify(v));

/** One line per alarm: what happens to it and, for an update, the fields that change. */
function printPlan(plan: readonly AlarmAction[]): void {
  const rows = plan.map((a) => [a.action, a.name, a.changes.map((c) => `${c.field}: ${show(c.from)} → ${show(c.to)}`).join('; ')]);
  process.stdout.write(`${formatTable(['action', 'alarm', 'changes'], rows)}\n`);
  const count = (what: AlarmAction['action']): number => plan.filter((a) => a.action === what).length;
  process.stdout.write(`${count('create')} to create, ${count('update')} to update, ${count('unchanged')} unchanged.\n`);
}

/**
 * `driftwatch alarms plan|apply --config FILE`: the per-model CloudWatch alarms of
 * deploy/cloudformation, created or updated with PutMetricAlarm for users without CloudFormation.
 * The config is the one that ships to CloudWatch (an agent in direct mode, or the collector); its
 * namespace, site, window length, models and CloudWatch region or endpoint are used. Idempotent.
 */
export function registerAlarms(program: Command): void {
  const alarms = program.command('alarms').description('create or update the CloudWatch alarms for the models of a config');
  for (const [name, apply] of [['plan', false], ['apply', true]] as const) {
    alarms
      .command(name)
      .description(apply ? 'create or update the alarms (PutMetricAlarm); idempotent' : 'show what apply would create or change, and change nothing')
      .requiredOption('--config <file>', 'the agent or collector config that ships to CloudWatch')
      .option('--topic-arn <arn>', 'SNS topic each alarm notifies (on-call)')
      .option('--psi-threshold <x>', 'MaxFeaturePSI above this is a drifted window', numberOption('--psi-threshold'), ALARM_DEFAULTS.psiThreshold)
      .option('--psi-datapoints <m>', 'drifted windows (M) ...', intOption('--psi-datapoints'), ALARM_DEFAULTS.psiDatapointsToAlarm)
      .option('--psi-windows <n>', '... out of the last N windows', intOption('--psi-windows'), ALARM_DEFAULTS.psiEvaluationPeriods)
      .option('--heartbeat-windows <n>', 'windows without EventCount before the heartbeat alarm fires', intOption('--heartbeat-windows'), ALARM_DEFAULTS.heartbeatWindows)
      .option('--missing-windows <n>', 'windows in a row with an input feature entirely missing before the missing alarm fires', intOption('--missing-windows'), ALARM_DEFAULTS.missingWindows)
      .option('--json', 'print the plan as JSON')
      .action(async (flags: AlarmFlags) => {
        const { config, egress } = operatorEgress(flags.config, 'driftwatch-alarms');
        const door = egress.cloudWatchAlarms({ region: config.sinks.cloudwatch?.region, endpoint: config.sinks.cloudwatch?.endpoint });
        try {
          const desired = alarmSet({
            namespace: namespaceOf(config), site: config.site, windowSeconds: config.windows.seconds, models: config.models.map((m) => m.name),
            onCallTopicArn: flags.topicArn, psiThreshold: flags.psiThreshold, psiDatapointsToAlarm: flags.psiDatapoints,
            psiEvaluationPeriods: flags.psiWindows, heartbeatWindows: flags.heartbeatWindows, missingWindows: flags.missingWindows,
          });
          const plan = planAlarms(desired, await door.describe(ALARM_PREFIX));
          if (flags.json === true) process.stdout.write(`${JSON.stringify(plan.map(({ action, name: alarm, changes }) => ({ action, alarm, changes })))}\n`);
          else printPlan(plan);
          if (!apply) return;
          for (const a of plan) if (a.action !== 'unchanged') await door.putMetricAlarm(a.input);
          if (flags.json !== true) process.stdout.write('Applied.\n');
        } finally {
          await door.close();
        }
      });
  }
}
