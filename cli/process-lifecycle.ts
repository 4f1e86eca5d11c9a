import type { Logger } from 'pino';

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
