import type { Command } from 'commander';
import { apiConfigSchema } from '../../agent/config/agent-config.js';
import { DwError } from '../../shared/platform/errors.js';
import { statusView, type RecentWindow } from '../format/status-view.js';
import { localApi, localGet, type LocalApi } from '../local-api.js';
import { intOption } from '../options.js';

interface StatusFlags {
  url: string;
  tokenFile?: string;
  json?: boolean;
  watch?: number | true;
  windows: number;
  timeoutMs: number;
}

/** The status and, where the process keeps a history (`/v1/windows`), each model's recent windows. */
async function read(api: LocalApi, windows: number, timeoutMs: number): Promise<{ status: unknown; recent: Map<string, RecentWindow[]> | undefined }> {
  const got = await localGet(api, '/v1/status', timeoutMs);
  if ('error' in got) throw new DwError('DW_ERR_USAGE', `cannot reach the agent or collector: ${got.error}`);
  if (got.status !== 200) throw new DwError('DW_ERR_USAGE', `${new URL('/v1/status', api.base).href} answered ${got.status}: ${JSON.stringify(got.body).slice(0, 300)}`);
  const models = ((got.body as { models?: { name: string }[] }).models ?? []).map((m) => m.name);
  const recent = new Map<string, RecentWindow[]>();
  for (const model of models) {
    const w = await localGet(api, `/v1/windows?model=${encodeURIComponent(model)}&limit=${windows}`, timeoutMs);
    if (!('status' in w) || w.status !== 200) return { status: got.body, recent: undefined };
    recent.set(model, (w.body as { windows: RecentWindow[] }).windows);
  }
  return { status: got.body, recent };
}

/**
 * `driftwatch status [--url URL] [--json] [--watch [s]]`: what a running agent or collector is
 * doing, for a person at a terminal (or a script, with --json): its models' open windows, last and
 * recent verdicts, retraining state, outbox per sink, state file and sources.
 */
export function registerStatus(program: Command): void {
  const api = apiConfigSchema.parse({});
  program
    .command('status')
    .description('show a running agent or collector: models, open window, recent verdicts, outbox, sinks')
    .option('--url <url>', 'base URL of the agent or collector on this host (loopback)', `http://${api.host}:${api.port}`)
    .option('--token-file <file>', 'a file holding the bearer token (api.token)')
    .option('--json', 'print the status and recent windows as JSON')
    .option('--watch [seconds]', 'refresh every few seconds (default 5) until interrupted', intOption('--watch'))
    .option('--windows <n>', 'recent windows shown per model', intOption('--windows'), 12)
    .option('--timeout-ms <ms>', 'how long to wait for each answer', intOption('--timeout-ms'), 5000)
    .action(async (flags: StatusFlags) => {
      const target = localApi(flags.url, flags.tokenFile);
      const once = async (): Promise<string> => {
        const { status, recent } = await read(target, Math.max(1, Math.min(1000, flags.windows)), flags.timeoutMs);
        if (flags.json === true) return `${JSON.stringify({ status, recent: recent === undefined ? null : Object.fromEntries(recent) }, null, 2)}\n`;
        return statusView(target.base.href, status, recent);
      };
      if (flags.watch === undefined) return void process.stdout.write(await once());
      const seconds = flags.watch === true ? 5 : Math.max(1, flags.watch);
      for (;;) {
        const text = await once().catch((err: Error) => `${err.message}\n`);
        process.stdout.write(`${process.stdout.isTTY ? '\x1b[2J\x1b[H' : ''}${new Date().toISOString()}\n${text}`);
        await new Promise((r) => setTimeout(r, seconds * 1000));
      }
    });
}
