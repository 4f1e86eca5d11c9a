import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** A benchmarked agent process. */
export interface BenchAgent {
  url: string;
  pid: number;
  /** The log lines printed up to "Agent listening.", parsed. */
  logs: { msg?: string; address?: string }[];
  stop: () => void;
}

/**
 * Starts `driftwatch agent` (from dist/) for one model 'bench' with a file sink, in `dir`, and
 * resolves once it listens. `config` is merged over the defaults; `nodeFlags` go to node.
 */
export async function startBenchAgent(dir: string, baseline: string, tag: string, config: Record<string, unknown> = {}, nodeFlags: string[] = []): Promise<BenchAgent> {
  const file = join(dir, `${tag}.yaml`);
  writeFileSync(file, JSON.stringify({
    models: [{ name: 'bench', baseline }], api: { port: 0 }, log: { level: 'warn' },
    state: { path: join(dir, `${tag}.db`) }, sinks: { file: { path: join(dir, `${tag}.ndjson`) } }, ...config,
  }));
  const child = spawn(process.execPath, [...nodeFlags, CLI, 'agent', '--config', file], {
    stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, DRIFTWATCH_LOG__LEVEL: 'info' },
  });
  const logs: BenchAgent['logs'] = [];
  const url = await new Promise<string>((resolve) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      let entry: { msg?: string; address?: string };
      try {
        entry = JSON.parse(line) as { msg?: string; address?: string };
      } catch {
        entry = { msg: line }; // a V8 flag's output (--trace-gc), not a log line
        if (process.env.DW_BENCH_ECHO_AGENT === '1') process.stderr.write(`[agent] ${line}\n`);
      }
      logs.push(entry);
      if (entry.msg === 'Agent listening.') resolve(entry.address!);
    });
  });
  return { url, pid: child.pid!, logs, stop: () => child.kill('SIGTERM') };
}
