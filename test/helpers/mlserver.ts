import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePythonVenv } from '../../scripts/lib/python-venv.js';
import { ROOT } from './run-cli.js';
import { freePort } from './free-port.js';

/** Seldon MLServer with its scikit-learn runtime, pinned: a real Open Inference Protocol v2 server for the proxy tests. */
const REQUIREMENTS = ['mlserver==1.7.1', 'mlserver-sklearn==1.7.1'];

/** A running MLServer serving `loans-sklearn` (test/fixtures/mlserver/train.py). */
export interface MlServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * Installs MLServer into a cached virtualenv (first run on a machine only), trains the example
 * model, starts the server on free ports and waits until it reports ready (a generous limit: a
 * busy machine loads Python slowly). A failure throws: nothing is skipped.
 */
export async function startMlserver(): Promise<MlServer> {
  const venv = await ensurePythonVenv('mlserver', REQUIREMENTS, 'mlserver');
  const dir = mkdtempSync(join(tmpdir(), 'dw-mlserver-'));
  const trained = spawnSync(venv.python, [join(ROOT, 'test', 'fixtures', 'mlserver', 'train.py'), '--data', join(ROOT, 'examples', 'loans-train.csv'),
    '--out', join(dir, 'loans-sklearn')], { encoding: 'utf8', timeout: 300_000 });
  if (trained.status !== 0) throw new Error(`training the MLServer test model failed: ${trained.stderr.slice(-2000)}`);
  const [http, grpc, metrics] = [await freePort(), await freePort(), await freePort()];
  writeFileSync(join(dir, 'settings.json'), JSON.stringify({ http_port: http, grpc_port: grpc, metrics_port: metrics, parallel_workers: 0, host: '127.0.0.1' }));
  const child = spawn(venv.bin('mlserver'), ['start', dir], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, MLSERVER_METRICS_ENABLED: 'false' } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  const url = `http://127.0.0.1:${http}`;
  const deadline = Date.now() + 240_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mlserver exited ${child.exitCode} before it was ready: ${stderr}`);
    try {
      const res = await fetch(`${url}/v2/models/loans-sklearn/ready`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`mlserver was not ready in 240 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }),
  };
}
