/**
 * LLM proxy benchmark (issue 18; not part of `npm test`): what the agent's OpenAI-compatible
 * proxy (`sources.openai`) adds to time to first token and to the whole streamed answer, against
 * calling the llama.cpp server directly, in the same run and alternating call by call. The server
 * serves the tests' tiny random-weight model on CPU. Also shows that chunks are passed on as they
 * come, not buffered: the share of the answer's time that passes before the first chunk, and the
 * gaps between chunks, through both paths.
 *
 *   npm run bench:llm-proxy [-- --calls 400 --max-tokens 64]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBaseline } from '../shared/offline/baseline/build-baseline.js';
import { arrayRowSource } from '../shared/offline/input/row-source.js';
import { startLlamaServer } from '../test/helpers/llama-server.js';
import { startBenchAgent } from './lib/bench-agent.js';
import { quantile } from './lib/http-load.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const CALLS = arg('calls', 400);
const MAX_TOKENS = arg('max-tokens', 64);
const dir = mkdtempSync(join(tmpdir(), 'dw-bench-llm-'));

/** One streamed chat call: when the first chunk and each later one arrived, from the start (ms). */
function streamed(base: string, i: number): Promise<{ first: number; total: number; gaps: number[]; chunks: number }> {
  const body = JSON.stringify({ messages: [{ role: 'user', content: `question number ${i} about the loan` }], max_tokens: MAX_TOKENS, temperature: 0, stream: true });
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const arrivals: number[] = [];
    const req = request(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.on('data', () => arrivals.push(performance.now() - start));
      res.on('end', () => {
        if (res.statusCode !== 200 || arrivals.length === 0) return reject(new Error(`status ${res.statusCode}`));
        resolve({ first: arrivals[0]!, total: performance.now() - start, gaps: arrivals.slice(1).map((t, k) => t - arrivals[k]!), chunks: arrivals.length });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const llama = await startLlamaServer();
const { profile } = await buildBaseline(arrayRowSource(Array.from({ length: 200 }, (_, i) => ({ prompt_tokens: 10 + (i % 7), completion_tokens: MAX_TOKENS }))), {});
writeFileSync(join(dir, 'llm.json'), JSON.stringify(profile));
const agent = await startBenchAgent(dir, join(dir, 'llm.json'), 'llm', {
  models: [{ name: 'bench', baseline: join(dir, 'llm.json'), unknownFeatures: 'ignore' }],
  sources: { openai: { port: 0, upstream: llama.url, model: 'bench', timingSignals: false } },
});
const proxy = agent.logs.find((l) => l.msg === 'OpenAI-compatible proxy listening.')!.address!;

for (let i = 0; i < 20; i++) await Promise.all([streamed(llama.url, i), streamed(proxy, i)]); // warm-up
const runs: Record<'direct' | 'driftwatch', Awaited<ReturnType<typeof streamed>>[]> = { direct: [], driftwatch: [] };
for (let i = 0; i < CALLS; i++) {
  // Alternate the order, so neither path always goes first.
  if (i % 2 === 0) {
    runs.direct.push(await streamed(llama.url, i));
    runs.driftwatch.push(await streamed(proxy, i));
  } else {
    runs.driftwatch.push(await streamed(proxy, i));
    runs.direct.push(await streamed(llama.url, i));
  }
}
const counted = ((await (await fetch(`${agent.url}/v1/status`)).json()) as { sources: { openai: object } }).sources.openai;
agent.stop();
await llama.stop();

const row = (name: 'direct' | 'driftwatch'): string => {
  const r = runs[name];
  const first = r.map((x) => x.first);
  const total = r.map((x) => x.total);
  const gaps = r.flatMap((x) => x.gaps);
  const share = r.map((x) => x.first / x.total);
  return `| ${name} | ${quantile(first, 0.5).toFixed(3)} / ${quantile(first, 0.99).toFixed(3)} | ${quantile(total, 0.5).toFixed(3)} / ${quantile(total, 0.99).toFixed(3)} | ${quantile(r.map((x) => x.chunks), 0.5)} | ${quantile(gaps, 0.5).toFixed(3)} | ${quantile(share, 0.5).toFixed(2)} |`;
};
const added = (q: number): string => (quantile(runs.driftwatch.map((x) => x.first), q) - quantile(runs.direct.map((x) => x.first), q)).toFixed(3);
process.stdout.write([
  `llm proxy bench: ${CALLS} streamed chat calls a path, max_tokens ${MAX_TOKENS}, one at a time, alternating; llama.cpp server (llama-cpp-python 0.3.16), tiny model on CPU`,
  '',
  '| path | time to first chunk p50 / p99 (ms) | whole answer p50 / p99 (ms) | chunks (median) | gap between chunks, median (ms) | first chunk / whole answer (median) |',
  '|---|---:|---:|---:|---:|---:|',
  row('direct'), row('driftwatch'),
  '',
  `added to time to first chunk: p50 +${added(0.5)} ms, p99 +${added(0.99)} ms (target: p99 ≤ 1 ms)`,
  `driftwatch read: ${JSON.stringify(counted)}`,
  '',
].join('\n'));
process.exit(0);
