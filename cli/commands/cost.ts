import type { Command } from 'commander';
import { loadAgentConfig } from '../../agent/config/agent-config.js';
import { loadModelBaseline } from '../../shared/core/profile/load-baseline.js';
import { CLOUDWATCH_PRICES, estimateCost } from '../../shared/pipeline/sinks/cloudwatch/cost-estimate.js';
import { formatTable } from '../format/table.js';
import { intOption } from '../options.js';

const usd = (x: number): string => `$${x.toFixed(2)}`;

/** `driftwatch cost --config FILE`. */
export function registerCost(program: Command): void {
  program
    .command('cost')
    .description('print the monthly CloudWatch cost of an agent configuration')
    .requiredOption('--config <file>', 'agent config (YAML)')
    .option('--versions <n>', 'model versions live at the same time', intOption('--versions'), 1)
    .option('--agents <n>', 'agents shipping directly (each sends its own requests)', intOption('--agents'), 1)
    .option('--json', 'print the estimate as JSON')
    .action((flags: { config: string; versions: number; agents: number; json?: boolean }) => {
      const config = loadAgentConfig(flags.config);
      const estimate = estimateCost({
        models: config.models.map((m) => ({ name: m.name, profile: loadModelBaseline(m) })),
        windowSeconds: config.windows.seconds,
        topFeatures: config.sinks.cloudwatch?.topFeatures ?? 0,
        versions: flags.versions,
        agents: flags.agents,
      });
      if (flags.json === true) {
        process.stdout.write(`${JSON.stringify(estimate)}\n`);
        return;
      }
      const lines = [
        `CloudWatch cost of ${flags.config}: ${config.windows.seconds} s windows, ${flags.versions} version(s), ${flags.agents} agent(s) shipping`,
        '',
        formatTable(['model', 'input features', 'custom metrics', 'datums / window', 'requests / month'], [
          ...estimate.models.map((m) => [m.name, String(m.inputFeatures), String(m.metrics), String(m.datumsPerWindow), String(Math.round(m.requestsPerMonth))]),
          ['(agent health)', '', String(estimate.healthMetrics), '', ''],
        ], [false, true, true, true, true]),
        '',
        `Custom metrics: ${estimate.totalMetrics} -> ${usd(estimate.metricsUsd)} / month (${usd(CLOUDWATCH_PRICES.metricTiers[0].usd)} each for the first 10 000)`,
        `PutMetricData:  ${Math.round(estimate.requestsPerMonth)} requests -> ${usd(estimate.requestsUsd)} / month (${usd(CLOUDWATCH_PRICES.putMetricDataPer1000)} per 1 000)`,
        `Total:          ${usd(estimate.totalUsd)} / month at US East list prices; alarms and dashboards are extra.`,
      ];
      if ((config.sinks.cloudwatch?.topFeatures ?? 0) > 0) {
        lines.push('Note: with topFeatures, each window ships fewer datums, but every feature that is ever in the top N is billed that month.');
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
