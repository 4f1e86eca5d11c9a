import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_DIR, withInstallLock } from '../../scripts/lib/user-cache.js';
import { freePort } from './free-port.js';
import { startServerProcess, type ServerProcess } from './python-server.js';

/** KServe's release whose agent (the sidecar that runs the InferenceService logger) the tests build. */
const VERSION = 'v0.20.0';

function go(args: string[], cwd?: string): string {
  const result = spawnSync('go', args, { cwd, encoding: 'utf8', timeout: 1_800_000, maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`building KServe's agent: go ${args.join(' ')} exited ${result.status}\n${result.stderr.slice(-3000)}`);
  return result.stdout;
}

/**
 * KServe's own agent binary (`cmd/agent`, whose pkg/logger sends the InferenceService logger's
 * CloudEvents), built with the machine's Go from the module proxy's copy of the release: on a
 * machine's first run only (a few minutes), then reused from the user cache.
 */
export async function ensureKserveAgent(): Promise<string> {
  const dir = join(CACHE_DIR, `kserve-agent-${VERSION}`);
  const bin = join(dir, 'agent');
  if (existsSync(bin)) return bin;
  return withInstallLock(`${dir}.lock`, "building KServe's agent", () => {
    if (existsSync(bin)) return bin;
    process.stderr.write(`[kserve-agent] building KServe ${VERSION}'s agent into ${dir} (first run on this machine only, a few minutes)\n`);
    const source = (JSON.parse(go(['mod', 'download', '-json', `github.com/kserve/kserve@${VERSION}`])) as { Dir: string }).Dir;
    mkdirSync(dir, { recursive: true });
    go(['build', '-o', `${bin}.partial`, './cmd/agent'], source);
    renameSync(`${bin}.partial`, bin);
    return bin;
  });
}

/**
 * KServe's agent in front of a model server, logging every request and response to `logUrl` as
 * the InferenceService `inferenceService` would (`spec.predictor.logger`, mode all). Ready once a
 * call through it reaches the model server.
 */
export async function startKserveAgent(options: { componentPort: number; logUrl: string; inferenceService: string; readyPath: string }): Promise<ServerProcess> {
  const bin = await ensureKserveAgent();
  const port = await freePort();
  return startServerProcess('kserve agent', bin, ['--port', String(port), '--component-port', String(options.componentPort), '--log-url', options.logUrl,
    '--log-mode', 'all', '--inference-service', options.inferenceService, '--namespace', 'driftwatch-tests', '--component', 'predictor', '--endpoint', 'default'],
  `http://127.0.0.1:${port}`, options.readyPath, { ...process.env, SERVING_READINESS_PROBE: '' });
}
