/**
 * LLM proxy benchmark (issue 18; not part of `npm test`): what the agent's OpenAI-compatible
 * proxy (`sources.openai`) adds to time to first token and to the whole streamed answer, against
 * calling the llama.cpp server directly, in the same run and alternating call by call. The server
 * serves the tests' tiny random-weight model on CPU. Also shows that chunks are passed on as they
 * come, not buffered: the share of the answer's time that passes before the first chunk, and the
 * gaps between chunks, through both paths.
 *
 * Then the cost of the two opt-in settings, each against its peer in the same run:
 * `requestLogprobs` (the same calls asking for 5 top log-probabilities or not, direct: the server's
 * time and the answer's bytes) and `promptEmbedding` (every prompt embedded, sampleRate 1, against
 * an agent that embeds none: what the clients see, and what one embeddings call takes).
 *
 *   npm run bench:llm-proxy [-- --calls 400 --max-tokens 64 --only ttft|logprobs|embedding]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBaseline } from '../shared/offline/baseline/build-baseline.js';
import { arrayRowSource } from '../shared/offline/input/row-source.js';
import { startLlamaServer } from '../test/helpers/llama-server.js';
import { startBenchAgent, type BenchAgent } from './lib/bench-agent.js';
import { quantile } from './lib/http-load.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const CALLS = arg('calls', 400);
const onlyAt = process.argv.indexOf('--only');
const runs = (section: string): boolean => onlyAt < 0 || process.argv[onlyAt + 1] === section;
const MAX_TOKENS = arg('max-tokens', 64);
const dir = mkdtempSync(join(tmpdir(), 'dw-bench-llm-'));

/** One streamed chat call: when the first chunk and each later one arrived, from the start (ms), and the answer's bytes. */
function streamed(base: string, i: number, extra: Record<string, unknown> = {}): Promise<{ first: number; total: number; gaps: number[]; chunks: number; bytes: number }> {
  const body = JSON.stringify({ messages: [{ role: 'user', content: `question number ${i} about the loan` }], max_tokens: MAX_TOKENS, temperature: 0, stream: true, ...extra });
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const arrivals: number[] = [];
    let bytes = 0;
    const req = request(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.on('data', (chunk: Buffer) => {
        arrivals.push(performance.now() - start);
        bytes += chunk.length;
      });
      res.on('end', () => {
        if (res.statusCode !== 200 || arrivals.length === 0) return reject(new Error(`status ${res.statusCode}`));
        resolve({ first: arrivals[0]!, total: performance.now() - start, gaps: arrivals.slice(1).map((t, k) => t - arrivals[k]!), chunks: arrivals.length, bytes });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

type Call = Awaited<ReturnType<typeof streamed>>;
type Path = (i: number) => Promise<Call>;

/**
 * `calls` calls down each of two paths, one at a time, after 20 warm-up calls each: alternating
 * which goes first, call by call, or (`block`) in turns of `block` calls, so that what one path
 * leaves the server doing after an answer (an embeddings call) delays that path's next call, not
 * the other's.
 */
async function alternate(a: Path, b: Path, calls: number, block = 1): Promise<[Call[], Call[]]> {
  for (let i = 0; i < 20; i++) await Promise.all([a(i), b(i)]);
  const out: [Call[], Call[]] = [[], []];
  for (let i = 0; i < calls; i += block) {
    const [first, second] = (i / block) % 2 === 0 ? [0, 1] as const : [1, 0] as const;
    for (const which of [first, second]) for (let k = i; k < Math.min(i + block, calls); k++) out[which].push(await [a, b][which]!(k));
  }
  return out;
}

const ms = (values: number[], q: number): string => quantile(values, q).toFixed(3);
const row = (name: string, r: Call[]): string => `| ${name} | ${ms(r.map((x) => x.first), 0.5)} / ${ms(r.map((x) => x.first), 0.99)} | ${ms(r.map((x) => x.total), 0.5)} / ${ms(r.map((x) => x.total), 0.99)} | ${quantile(r.map((x) => x.chunks), 0.5)} | ${ms(r.flatMap((x) => x.gaps), 0.5)} | ${quantile(r.map((x) => x.first / x.total), 0.5).toFixed(2)} | ${Math.round(quantile(r.map((x) => x.bytes), 0.5))} |`;
const HEADER = ['| path | time to first chunk p50 / p99 (ms) | whole answer p50 / p99 (ms) | chunks (median) | gap between chunks, median (ms) | first chunk / whole answer (median) | answer bytes (median) |', '|---|---:|---:|---:|---:|---:|---:|'];
const added = (a: Call[], b: Call[], q: number): string => (quantile(b.map((x) => x.first), q) - quantile(a.map((x) => x.first), q)).toFixed(3);
const status = async (agent: BenchAgent): Promise<unknown> => ((await (await fetch(`${agent.url}/v1/status`)).json()) as { sources: { openai: unknown } }).sources.openai;

async function agentFor(llama: { url: string }, tag: string, openai: Record<string, unknown> = {}): Promise<{ agent: BenchAgent; proxy: string }> {
  const agent = await startBenchAgent(dir, join(dir, 'llm.json'), tag, {
    models: [{ name: 'bench', baseline: join(dir, 'llm.json'), unknownFeatures: 'ignore' }],
    sources: { openai: { port: 0, upstream: llama.url, model: 'bench', timingSignals: false, ...openai } },
  });
  return { agent, proxy: agent.logs.find((l) => l.msg === 'OpenAI-compatible proxy listening.')!.address! };
}

const SERVER = 'llama.cpp server (llama-cpp-python 0.3.16), tiny model on CPU';
const { profile } = await buildBaseline(arrayRowSource(Array.from({ length: 200 }, (_, i) => ({ prompt_tokens: 10 + (i % 7), completion_tokens: MAX_TOKENS }))), {});
writeFileSync(join(dir, 'llm.json'), JSON.stringify(profile));
const out: string[] = [];

if (runs('ttft') || runs('logprobs')) {
  const llama = await startLlamaServer();
  if (runs('ttft')) {
    const { agent, proxy } = await agentFor(llama, 'llm');
    const [direct, through] = await alternate((i) => streamed(llama.url, i), (i) => streamed(proxy, i), CALLS);
    out.push(`time to first token: ${CALLS} streamed chat calls a path, max_tokens ${MAX_TOKENS}, one at a time, alternating; ${SERVER}`, '', ...HEADER,
      row('direct', direct), row('driftwatch', through), '',
      `added to time to first chunk: p50 +${added(direct, through, 0.5)} ms, p99 +${added(direct, through, 0.99)} ms (target: p99 ≤ 1 ms)`,
      `driftwatch read: ${JSON.stringify(await status(agent))}`, '');
    agent.stop();
  }
  if (runs('logprobs')) {
    // What requestLogprobs costs: the same calls with and without 5 top log-probabilities, direct (the proxy adds the same either way).
    const [plain, asked] = await alternate((i) => streamed(llama.url, i), (i) => streamed(llama.url, i, { logprobs: true, top_logprobs: 5 }), CALLS);
    out.push(`requestLogprobs cost: ${CALLS} streamed chat calls each way, direct; ${SERVER}`, '', ...HEADER, row('without logprobs', plain), row('logprobs, top 5', asked), '',
      `whole answer: p50 ×${(quantile(asked.map((x) => x.total), 0.5) / quantile(plain.map((x) => x.total), 0.5)).toFixed(2)}; bytes ×${(quantile(asked.map((x) => x.bytes), 0.5) / quantile(plain.map((x) => x.bytes), 0.5)).toFixed(2)}`, '');
  }
  await llama.stop();
}

if (runs('embedding')) {
  // What promptEmbedding costs at sampleRate 1 (every call embedded) against an agent that embeds none, on one server with embeddings on.
  const llama = await startLlamaServer({ embeddings: true });
  const off = await agentFor(llama, 'llm-plain');
  const on = await agentFor(llama, 'llm-embed', { promptEmbedding: { sampleRate: 1 } });
  const [plain, embedded] = await alternate((i) => streamed(off.proxy, i), (i) => streamed(on.proxy, i), CALLS, 50);
  const embedTimes: number[] = [];
  for (let i = 0; i < 200; i++) {
    const start = performance.now();
    const res = await fetch(`${llama.url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: `question number ${i} about the loan`, encoding_format: 'float' }) });
    await res.arrayBuffer();
    embedTimes.push(performance.now() - start);
  }
  out.push(`promptEmbedding cost: ${CALLS} streamed chat calls a path, max_tokens ${MAX_TOKENS}, one at a time, in turns of 50; both through an agent, one embedding every prompt (sampleRate 1); ${SERVER}, embeddings on`, '', ...HEADER,
    row('agent, no embedding', plain), row('agent, sampleRate 1', embedded), '',
    `one /v1/embeddings call of such a prompt, direct: p50 ${ms(embedTimes, 0.5)} ms, p99 ${ms(embedTimes, 0.99)} ms (200 calls)`,
    `embedding agent read: ${JSON.stringify(await status(on.agent))}`, '');
  off.agent.stop();
  on.agent.stop();
  await llama.stop();
}

process.stdout.write(`${out.join('\n')}\n`);
process.exit(0);
