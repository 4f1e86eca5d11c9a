import type { Command } from 'commander';
import { apiConfigSchema } from '../../agent/config/agent-config.js';
import { localApi, localGet } from '../local-api.js';
import { intOption } from '../options.js';

/**
 * `driftwatch health [--url URL]`: exit 0 if the agent or collector at URL answers `GET /healthz`
 * with 200 within the timeout, 1 otherwise. For container HEALTHCHECKs and exec probes, where no
 * curl is installed. Loopback only.
 */
export function registerHealth(program: Command): void {
  const api = apiConfigSchema.parse({});
  program
    .command('health')
    .description('exit 0 if a running agent or collector answers /healthz (for container health checks)')
    .option('--url <url>', 'base URL of the agent or collector on this host (loopback)', `http://${api.host}:${api.port}`)
    .option('--timeout-ms <ms>', 'how long to wait for the answer', intOption('--timeout-ms'), 2000)
    .action(async (flags: { url: string; timeoutMs: number }) => {
      const target = localApi(flags.url);
      const got = await localGet(target, '/healthz', flags.timeoutMs);
      if ('status' in got && got.status === 200) return;
      process.stderr.write(`driftwatch health: ${'error' in got ? got.error : `${new URL('/healthz', target.base).href} answered ${got.status}`}\n`);
      process.exitCode = 1;
    });
}
