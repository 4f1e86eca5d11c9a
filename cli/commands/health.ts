import type { Command } from 'commander';
import { apiConfigSchema } from '../../agent/config/agent-config.js';
import { isLoopback } from '../../shared/platform/config/config-file.js';
import { DwError } from '../../shared/platform/errors.js';
import { intOption } from '../options.js';

/**
 * `driftwatch health [--url URL]`: exit 0 if the agent or collector at URL answers `GET /healthz`
 * with 200 within the timeout, 1 otherwise. For container HEALTHCHECKs and exec probes, where no
 * curl is installed. Loopback only: nothing but shared/pipeline/egress/ talks to other hosts.
 */
export function registerHealth(program: Command): void {
  const api = apiConfigSchema.parse({});
  program
    .command('health')
    .description('exit 0 if a running agent or collector answers /healthz (for container health checks)')
    .option('--url <url>', 'base URL of the agent or collector on this host (loopback)', `http://${api.host}:${api.port}`)
    .option('--timeout-ms <ms>', 'how long to wait for the answer', intOption('--timeout-ms'), 2000)
    .action(async (flags: { url: string; timeoutMs: number }) => {
      const url = new URL('/healthz', flags.url);
      if (!isLoopback(url.hostname.replace(/^\[|\]$/g, ''))) {
        throw new DwError('DW_ERR_USAGE', `--url must be a loopback address (127.0.0.1, ::1, localhost), not '${url.hostname}'`);
      }
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(flags.timeoutMs) });
        await res.arrayBuffer();
        if (res.status === 200) return;
        process.stderr.write(`driftwatch health: ${url.href} answered ${res.status}\n`);
      } catch (err) {
        process.stderr.write(`driftwatch health: ${url.href}: ${(err as Error).message}\n`);
      }
      process.exitCode = 1;
    });
}
