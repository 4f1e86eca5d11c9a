import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePythonVenv, type PythonVenv } from '../../scripts/lib/python-venv.js';
import { ROOT } from './run-cli.js';
import { freePort } from './free-port.js';
import { startServerProcess, type ServerProcess } from './python-server.js';

/** Seldon MLServer with its scikit-learn runtime, pinned: a real Open Inference Protocol v2 server for the proxy tests. */
const REQUIREMENTS = ['mlserver==1.7.1', 'mlserver-sklearn==1.7.1'];

/** The cached virtualenv with MLServer and scikit-learn (its datasets serve other tests too). */
export function mlserverVenv(): Promise<PythonVenv> {
  return ensurePythonVenv('mlserver', REQUIREMENTS, 'mlserver');
}

/** A running MLServer serving `loans-sklearn` (test/fixtures/mlserver/train.py). */
export type MlServer = ServerProcess;

/**
 * Installs MLServer into a cached virtualenv (first run on a machine only), trains the example
 * model, starts the server on free ports and waits until it reports ready. A failure throws:
 * nothing is skipped.
 */
export async function startMlserver(): Promise<MlServer> {
  const venv = await mlserverVenv();
  const dir = mkdtempSync(join(tmpdir(), 'dw-mlserver-'));
  const trained = spawnSync(venv.python, [join(ROOT, 'test', 'fixtures', 'mlserver', 'train.py'), '--data', join(ROOT, 'examples', 'loans-train.csv'),
    '--out', join(dir, 'loans-sklearn')], { encoding: 'utf8', timeout: 300_000 });
  if (trained.status !== 0) throw new Error(`training the MLServer test model failed: ${trained.stderr.slice(-2000)}`);
  const [http, grpc, metrics] = [await freePort(), await freePort(), await freePort()];
  writeFileSync(join(dir, 'settings.json'), JSON.stringify({ http_port: http, grpc_port: grpc, metrics_port: metrics, parallel_workers: 0, host: '127.0.0.1' }));
  return startServerProcess('mlserver', venv.bin('mlserver'), ['start', dir], `http://127.0.0.1:${http}`, '/v2/models/loans-sklearn/ready',
    { ...process.env, MLSERVER_METRICS_ENABLED: 'false' });
}
