import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePythonVenv } from '../../scripts/lib/python-venv.js';
import { freePort } from './free-port.js';
import { startServerProcess, type ServerProcess } from './python-server.js';
import { ROOT, runCli } from './run-cli.js';

/** The llama.cpp server (llama-cpp-python, built from source on a machine's first run: about 3 minutes) and the gguf writer. */
const REQUIREMENTS = ['llama-cpp-python[server]==0.3.16', 'gguf==0.19.0', 'numpy'];

/**
 * An OpenAI-compatible server on CPU: the llama.cpp server serving a tiny random-weight model the
 * setup writes itself (test/fixtures/llm/make_tiny_model.py; no download). `embeddings` turns on
 * its /v1/embeddings.
 */
export async function startLlamaServer(options: { embeddings?: boolean } = {}): Promise<ServerProcess & { model: string }> {
  const venv = await ensurePythonVenv('llama-cpp', REQUIREMENTS);
  const dir = mkdtempSync(join(tmpdir(), 'dw-llama-'));
  const model = join(dir, 'tiny.gguf');
  const made = spawnSync(venv.python, [join(ROOT, 'test', 'fixtures', 'llm', 'make_tiny_model.py'), model], { encoding: 'utf8', timeout: 120_000 });
  if (made.status !== 0) throw new Error(`writing the tiny model failed: ${made.stderr.slice(-2000)}`);
  const port = await freePort();
  const server = await startServerProcess('llama.cpp server', venv.python, ['-m', 'llama_cpp.server', '--model', model, '--host', '127.0.0.1', '--port', String(port),
    '--n_ctx', '512', '--embedding', options.embeddings === true ? 'true' : 'false'], `http://127.0.0.1:${port}`, '/v1/models');
  return { ...server, model };
}

/**
 * A stand-in baseline for an LLM model, to run a recording agent with before there is a reference
 * period (its judgements are not used): written to `dir/bootstrap.json`, whose path is returned.
 */
export function bootstrapBaseline(dir: string): string {
  writeFileSync(join(dir, 'bootstrap.jsonl'), Array.from({ length: 50 }, (_, i) => JSON.stringify({ latency_ms: 10 + i, prompt_tokens: 20 + (i % 5) })).join('\n'));
  const built = runCli(['baseline', 'build', '--input', join(dir, 'bootstrap.jsonl'), '--out', join(dir, 'bootstrap.json')]);
  if (built.status !== 0) throw new Error(`the bootstrap baseline did not build: ${built.stderr}`);
  return join(dir, 'bootstrap.json');
}
