import type { Command } from 'commander';
import { parseAgentConfig } from '../../agent/config/agent-config.js';
import { parseCollectorConfig } from '../../collector/config/collector-config.js';
import { loadModelBaseline } from '../../shared/core/profile/load-baseline.js';
import { ALARMS_PER_MODEL, CLOUDWATCH_PRICES, estimateCost, type CostEstimate } from '../../shared/pipeline/sinks/cloudwatch/cost-estimate.js';
import { readConfigFile } from '../../shared/platform/config/config-file.js';
import { DwError } from '../../shared/platform/errors.js';
import { formatTable } from '../format/table.js';
import { intOption } from '../options.js';

const usd = (x: number): string => `$${x.toFixed(2)}`;

interface CostFlags {
  config: string;
  versions: number;
  agents: number;
  json?: boolean;
}

function printEstimate(estimate: CostEstimate, heading: string, topFeatures: number): void {
  const alarmPrice = estimate.alarms.highResolution ? CLOUDWATCH_PRICES.alarm.highResolution : CLOUDWATCH_PRICES.alarm.standard;
  const lines = [
    heading,
    '',
    formatTable(['model', 'input features', 'custom metrics', 'datums / window', 'requests / month'], [
      ...estimate.models.map((m) => [m.name, String(m.inputFeatures), String(m.metrics), String(m.datumsPerWindow), String(Math.round(m.requestsPerMonth))]),
      ['(health)', '', String(estimate.healthMetrics), '', ''],
    ], [false, true, true, true, true]),
    '',
    `Custom metrics: ${estimate.totalMetrics} -> ${usd(estimate.metricsUsd)} / month (${usd(CLOUDWATCH_PRICES.metricTiers[0].usd)} each for the first 10 000)`,
    `PutMetricData:  ${Math.round(estimate.requestsPerMonth)} requests -> ${usd(estimate.requestsUsd)} / month (${usd(CLOUDWATCH_PRICES.putMetricDataPer1000)} per 1 000)`,
    `Alarms:         ${estimate.alarms.metric} ${estimate.alarms.highResolution ? 'high-resolution ' : ''}metric alarms at ${usd(alarmPrice)} and ${estimate.alarms.composite} composite at ${usd(CLOUDWATCH_PRICES.alarm.composite)} -> ${usd(estimate.alarmsUsd)} / month`
      + ` (the template's ${ALARMS_PER_MODEL.metric} + ${ALARMS_PER_MODEL.composite} per model)`,
    `Total:          ${usd(estimate.totalUsd)} / month at US East list prices; dashboards are extra.`,
  ];
  for (const m of estimate.models) {
    if (m.segments === undefined) continue;
    lines.push(`Segments:       ${m.name} by '${m.segments.feature}' (${m.segments.count - 1} + other): +${m.segments.metrics} metrics -> +${usd(m.segments.usd)} / month (in the totals above)`);
  }
  if (topFeatures > 0) lines.push('Note: with topFeatures, each window ships fewer datums, but every feature that is ever in the top N is billed that month.');
  if (estimate.alarms.highResolution) lines.push('Note: windows shorter than a minute ship high-resolution datums; CloudWatch keeps them at that resolution for 3 hours.');
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * `driftwatch cost --config FILE`: the monthly CloudWatch cost of the process that ships, an agent
 * in direct mode or a collector (a config with a `receiver`). An agent that ships only over OTLP
 * costs nothing in CloudWatch: its fleet's cost is its collector's.
 */
export function registerCost(program: Command): void {
  program
    .command('cost')
    .description('print the monthly CloudWatch cost of an agent or collector configuration')
    .requiredOption('--config <file>', 'agent or collector config (YAML)')
    .option('--versions <n>', 'model versions live at the same time', intOption('--versions'), 1)
    .option('--agents <n>', 'processes shipping to CloudWatch with this config (agents in direct mode, or collector shards)', intOption('--agents'), 1)
    .option('--json', 'print the estimate as JSON')
    .action((flags: CostFlags) => {
      const { document, baseDir } = readConfigFile(flags.config);
      const collector = 'receiver' in document;
      const config = collector ? parseCollectorConfig(document, baseDir, flags.config) : parseAgentConfig(document, baseDir, flags.config);
      const otlp = 'otlp' in config.sinks ? config.sinks.otlp : undefined;
      if (config.sinks.cloudwatch === undefined && otlp !== undefined) {
        const why = `this agent ships its windows over OTLP to ${otlp.endpoint}, not to CloudWatch: it adds nothing to the CloudWatch bill. `
          + 'The fleet\'s CloudWatch cost is its collector\'s: run driftwatch cost --config <the collector\'s config>.';
        if (flags.json === true) process.stdout.write(`${JSON.stringify({ shipsTo: 'otlp', totalUsd: 0, note: why })}\n`);
        else process.stdout.write(`CloudWatch cost of ${flags.config}: $0.00 / month: ${why}\n`);
        return;
      }
      const topFeatures = config.sinks.cloudwatch?.topFeatures ?? 0;
      const estimate = estimateCost({
        models: config.models.map((m) => {
          const profile = loadModelBaseline(m);
          const settings = 'segments' in m ? m.segments : undefined;
          const feature = settings === undefined ? undefined : profile.features.find((f) => f.name === settings.feature);
          if (settings !== undefined && (feature?.type !== 'categorical' || feature.role !== 'input')) {
            throw new DwError('DW_ERR_CONFIG', `models[${m.name}].segments.feature: '${settings.feature.slice(0, 100)}' is not a categorical input feature of the baseline`, { file: flags.config, field: 'segments.feature' });
          }
          const segments = settings === undefined || feature?.type !== 'categorical' ? undefined : { feature: settings.feature, count: Math.min(settings.topK, feature.categories.length) + 1 };
          return { name: m.name, profile, ...(segments === undefined ? {} : { segments }), labels: 'labels' in config && config.labels !== undefined };
        }),
        windowSeconds: config.windows.seconds, topFeatures, versions: flags.versions, agents: flags.agents,
      });
      if (flags.json === true) {
        process.stdout.write(`${JSON.stringify({ shipsTo: 'cloudwatch', component: collector ? 'collector' : 'agent', ...estimate })}\n`);
        return;
      }
      const who = collector ? `collector(s) shipping for the fleet behind ${flags.agents === 1 ? 'it' : 'them'}` : 'agent(s) shipping directly';
      printEstimate(estimate, `CloudWatch cost of ${flags.config}: ${config.windows.seconds} s windows, ${flags.versions} version(s), ${flags.agents} ${who}`
        + (config.sinks.cloudwatch === undefined ? '\n(the config has no CloudWatch sink: these are the figures with one)' : ''), topFeatures);
    });
}
