import type { Server } from 'node:http';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { redactSecrets } from '../shared/platform/config/redact.js';
import { DwError } from '../shared/platform/errors.js';

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

/** Time kept back from the drain for closing the telemetry exporter and the state file. */
const CLOSE_MARGIN_MS = 3000;

/**
 * Graceful stop within `deadlineSeconds` (config `shutdown.deadlineSeconds`): stop accepting
 * connections, let requests in progress finish, then `shutdown(drainMs)` (checkpoint, final send,
 * close). If the deadline passes first, whatever is unsent stays in the outbox and the process
 * exits 0 anyway: Kubernetes would SIGKILL it a few seconds later.
 */
export async function stopWithin(deadlineSeconds: number, server: Server, shutdown: (drainMs: number) => Promise<void>, log: Logger): Promise<void> {
  const started = Date.now();
  const deadlineMs = deadlineSeconds * 1000;
  const closed = new Promise((resolve) => server.close(resolve));
  server.closeIdleConnections();
  const stopped = shutdown(Math.max(0, deadlineMs - CLOSE_MARGIN_MS));
  const work = Promise.all([stopped, (async () => {
    // Requests in progress get a moment to finish; then their connections go.
    await Promise.race([closed, new Promise((r) => setTimeout(r, Math.min(2000, deadlineMs / 4)).unref())]);
    server.closeAllConnections();
    await closed;
  })()]);
  let timer: NodeJS.Timeout | undefined;
  const inTime = await Promise.race([work.then(() => true), new Promise<boolean>((r) => { timer = setTimeout(() => r(false), deadlineMs); })]);
  clearTimeout(timer);
  if (!inTime) {
    log.warn({ deadlineSeconds, elapsedMs: Date.now() - started }, 'The shutdown deadline passed (shutdown.deadlineSeconds); open windows were checkpointed and what is unsent stays in the outbox for the next start.');
    log.flush();
    process.exit(0);
  }
  log.info({ elapsedMs: Date.now() - started }, 'Stopped.');
}
