import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePythonVenv } from '../../scripts/lib/python-venv.js';
import { freePort } from './free-port.js';
import { startServerProcess, type ServerProcess } from './python-server.js';
import { ROOT } from './run-cli.js';

/** KServe's Python model server, pinned, with what the example model needs: the v1 protocol's real server. */
const REQUIREMENTS = ['kserve==0.21.0', 'scikit-learn==1.9.1', 'pandas==2.3.3', 'joblib'];

/**
 * The KServe model server serving `loans-kserve` (test/fixtures/kserve/serve.py) on the v1
 * protocol: installed into a cached virtualenv on a machine's first run, the example model trained,
 * started on a free port and waited for. The virtualenv also holds the CloudEvents SDK (a kserve
 * dependency), which the logger tests send with.
 */
export async function startKserveServer(): Promise<ServerProcess & { python: string }> {
  const venv = await ensurePythonVenv('kserve', REQUIREMENTS);
  const dir = mkdtempSync(join(tmpdir(), 'dw-kserve-'));
  const trained = spawnSync(venv.python, [join(ROOT, 'test', 'fixtures', 'mlserver', 'train.py'), '--data', join(ROOT, 'examples', 'loans-train.csv'),
    '--out', dir, '--name', 'loans-kserve'], { encoding: 'utf8', timeout: 300_000 });
  if (trained.status !== 0) throw new Error(`training the KServe test model failed: ${trained.stderr.slice(-2000)}`);
  const port = await freePort();
  const server = await startServerProcess('kserve', venv.python, [join(ROOT, 'test', 'fixtures', 'kserve', 'serve.py'), '--model_path', join(dir, 'model.joblib'),
    '--http_port', String(port), '--enable_grpc', 'false', '--workers', '1'], `http://127.0.0.1:${port}`, '/v1/models/loans-kserve');
  return { ...server, python: venv.python };
}
