import type { Command } from 'commander';
import { Collector } from '../../collector/collector.js';
import { insecureSettings, loadCollectorConfig } from '../../collector/config/collector-config.js';
import { createReceiver, listenReceiver } from '../../collector/receiver/otlp-http.js';
import { DwError } from '../../shared/platform/errors.js';
import { createLogger } from '../../shared/platform/logger.js';
import { layoutFingerprint } from '../../shared/pipeline/windows/model-windows.js';
import { loadModelBaseline } from '../../shared/core/profile/load-baseline.js';
import { componentOptions, logWarnings, printConfig, requireConfig, stopSignal, stopWithin } from '../process-lifecycle.js';

/** `driftwatch collector --config FILE`. */
export function registerCollector(program: Command): void {
  componentOptions(program
    .command('collector')
    .description('run the fleet collector: OTLP receiver, merged windows, fleet drift, the one route to CloudWatch'), 'collector')
    .action(async (flags: { config?: string; check?: boolean; printConfig?: boolean }) => {
      const config = loadCollectorConfig(requireConfig(flags));
      if (flags.printConfig === true) return printConfig(config);
      if (flags.check === true) {
        for (const m of config.models) {
          const profile = loadModelBaseline(m);
          process.stdout.write(`model '${m.name}': ${profile.features.length} features, layout ${layoutFingerprint(profile)} from ${m.baseline}\n`);
        }
        const r = config.receiver;
        process.stdout.write(`config OK: ${config.models.length} model(s), OTLP receiver on ${r.tls === undefined ? 'http' : 'https'}://${r.host}:${r.port}, ${config.windows.seconds} s windows, state ${config.state.path}\n`);
        return;
      }
      const stopping = stopSignal();
      const log = createLogger(config.log, process.stdout, 'driftwatch-collector');
      logWarnings(log);
      for (const { field, message } of insecureSettings(config)) log.warn({ setting: field }, message);
      const collector = new Collector(config, log);
      const server = createReceiver(collector, config.receiver, log);
      await collector.metrics.startExport().catch(() => undefined);
      let address: string;
      try {
        address = await listenReceiver(server, config.receiver);
      } catch (err) {
        await collector.shutdown(0);
        throw new DwError('DW_ERR_CONFIG', `cannot listen on ${config.receiver.host}:${config.receiver.port} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { field: 'receiver' });
      }
      collector.start();
      log.info({ address, models: config.models.map((m) => m.name), sinks: collector.sinks.map((s) => s.name), state: config.state.path }, 'Collector listening.');
      const signal = await stopping;
      log.info({ signal }, 'Shutting down: merged open windows stay in the state file; sending what is pending.');
      await stopWithin(config.shutdown.deadlineSeconds, server, (drainMs) => collector.shutdown(drainMs), log);
    });
}
