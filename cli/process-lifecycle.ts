import type { Command } from 'commander';
import type { Logger } from 'pino';
import { redactSecrets } from '../shared/config/redact.js';
import { DwError } from '../shared/errors.js';

/**
 * Resolves on the first SIGTERM or SIGINT. Call it first thing: a signal during start-up
 * (Kubernetes sends one whenever it likes) must lead to a clean stop, not to the default action of
 * dying mid-write.
 */
export function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
}

/** Node and SDK warnings become log lines instead of stray stderr text. */
export function logWarnings(log: Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (w) => log.warn({ warning: w.name }, w.message));
}

/** The options a long-running component command takes: its config, a dry check, a config dump. */
export function componentOptions(command: Command, what: string): Command {
  return command
    .option('--config <file>', `${what} config (YAML); also DRIFTWATCH_CONFIG`, process.env.DRIFTWATCH_CONFIG)
    .option('--check', 'validate the config and the baselines, print a summary and exit')
    .option('--print-config', 'print the effective config (defaults and environment overrides applied, secrets redacted) as JSON and exit');
}

/** The config file flag, required. */
export function requireConfig(flags: { config?: string }): string {
  if (flags.config === undefined) throw new DwError('DW_ERR_USAGE', '--config is required (or set DRIFTWATCH_CONFIG)');
  return flags.config;
}

/** Prints the effective config with secrets redacted. */
export function printConfig(config: unknown): void {
  process.stdout.write(`${JSON.stringify(redactSecrets(config), null, 2)}\n`);
}
