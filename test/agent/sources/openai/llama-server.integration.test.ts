import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startAgent, waitForDrain, type AgentProcess } from '../../../helpers/agent-process.js';
import { metricSeries } from '../../../helpers/cloudwatch-series.js';
import { flushWhenCounted } from '../../../helpers/counted-windows.js';
import { bootstrapBaseline, startLlamaServer } from '../../../helpers/llama-server.js';
import type { ServerProcess } from '../../../helpers/python-server.js';
import { runCli } from '../../../helpers/run-cli.js';

/**
 * The OpenAI-compatible proxy in front of a real llama.cpp server (issue 18, first slice): a
 * reference period of chat traffic is recorded as signals (no text), a baseline is built from the
 * recording, and a replay of the same workload is judged against it without drift while a changed
 * workload (longer prompts, another max_tokens) drifts. The sentinel text of the prompts is nowhere
 * in the recording, the state file or the logs.
 */
const dir = mkdtempSync(join(tmpdir(), 'dw-llm-'));
const SENTINEL = 'ZEBRA-7731-SECRET';
/** A model name no other test ships to moto under (moto matches GetMetricData dimensions across namespaces). */
const MODEL = 'llm-openai-proxy';
const moto = inject('motoEndpoint');
const namespace = `DwLlm${Date.now()}`;
const cw = new CloudWatchClient({ endpoint: moto, region: 'eu-west-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
let llama: ServerProcess;
let agent: AgentProcess | undefined;

const words = ['the', 'loan', 'is', 'and', 'model', 'drift', 'yes', 'no'];
/** A chat request: `n` words of prompt (with the sentinel), stream or not. */
function chat(i: number, n: number, maxTokens: number): Record<string, unknown> {
  const prompt = Array.from({ length: n }, (_, j) => words[(i * 7 + j) % words.length]).join(' ');
  return { messages: [{ role: 'system', content: `${SENTINEL} answer briefly` }, { role: 'user', content: prompt }], max_tokens: maxTokens,
    temperature: 0, stream: i % 2 === 0, ...(i % 2 === 0 ? { stream_options: { include_usage: true } } : {}) };
}

async function send(proxy: string, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${proxy}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  await res.text();
}

async function withAgent(baseline: string, record: string | undefined, timingSignals = true): Promise<{ agent: AgentProcess; proxy: string }> {
  // The judging agent ships to CloudWatch (moto); the recording one to a file.
  const sinks = record === undefined ? { cloudwatch: { namespace, endpoint: moto, region: 'eu-west-1' } } : { file: { path: join(dir, 'payloads.ndjson') } };
  const a = await startAgent({
    models: [{ name: MODEL, baseline }], api: { port: 0 }, windows: { seconds: 86_400 }, sinks,
    sources: { openai: { port: 0, upstream: llama.url, model: MODEL, timingSignals, ...(record === undefined ? {} : { record }) } },
  }, { dir: mkdtempSync(join(dir, 'agent-')), env: { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' } });
  return { agent: a, proxy: String(a.logs.find((l) => l.msg === 'OpenAI-compatible proxy listening.')!.address) };
}

beforeAll(async () => {
  llama = await startLlamaServer();
}, 900_000);

afterAll(async () => {
  await agent?.stop();
  await llama?.stop();
});

describe('the OpenAI-compatible proxy in front of the llama.cpp server', () => {
  it('records a reference period as signals only, builds a baseline from it, and flags a changed workload but not a replay', async () => {
    const bootstrap = bootstrapBaseline(dir);
    const record = join(dir, 'reference.jsonl');
    // Warm the server up first: its first calls are slower, and would make the reference's latencies unlike any later ones.
    for (let i = 0; i < 50; i++) await send(llama.url, chat(i, 6 + (i % 5), 8));
    const recording = await withAgent(bootstrap, record);
    agent = recording.agent;
    for (let i = 0; i < 300; i++) await send(recording.proxy, chat(i, 6 + (i % 5), 8));
    const deadline = Date.now() + 60_000;
    for (;;) {
      const openai = ((await agent.get('/v1/status')).body as { sources: { openai: { calls: number; recorded: number; unread: object } } }).sources.openai;
      if (openai.recorded === 300) break;
      if (Date.now() > deadline) throw new Error(JSON.stringify(openai));
      await new Promise((r) => setTimeout(r, 100));
    }
    await agent.stop();
    const lines = readFileSync(record, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(300);
    expect(lines[0]).toMatchObject({ endpoint: 'chat', server_model: 'other', messages: 2, max_tokens: 8, temperature: 0 });
    expect(lines.filter((l) => typeof l.ttft_ms === 'number')).toHaveLength(150);
    // llama-cpp-python sends no usage in a stream (include_usage is not honoured): prompt tokens then are unknown, completion tokens counted from the chunks.
    expect(lines.filter((l) => typeof l.prompt_tokens === 'number')).toHaveLength(150);
    expect(lines.every((l) => typeof l.completion_tokens === 'number' && l.finish_reason === 'length')).toBe(true);

    // A workload baseline: the timing signals, which move with this busy machine's load between two runs (PSI 0.2-0.3 seen),
    // are left out; streamed and whole calls carry different signals (time to first token only for streams), so no multivariate projection.
    const built = runCli(['baseline', 'build', '--input', record, '--out', join(dir, 'llm.json'), '--no-multivariate', '--exclude', 'latency_ms,ttft_ms,output_tokens_per_s']);
    expect(built.status, built.stderr).toBe(0);
    const judged = await withAgent(join(dir, 'llm.json'), undefined, false);
    agent = judged.agent;
    for (let i = 0; i < 300; i++) await send(judged.proxy, chat(i + 1000, 6 + (i % 5), 8));
    const replay = await flushWhenCounted(agent, [MODEL], 300);
    for (let i = 0; i < 300; i++) await send(judged.proxy, chat(i, 30 + (i % 20), 32));
    const changed = await flushWhenCounted(agent, [MODEL], 300);
    const flagged = (w: { features: unknown[] }): string[] => (w.features as { name: string; status: string }[]).filter((f) => f.status !== 'ok').map((f) => f.name);
    expect(flagged(replay[MODEL]!)).toEqual([]);
    expect(replay[MODEL]!.drift).toBe(false);
    expect(flagged(changed[MODEL]!)).toEqual(expect.arrayContaining(['prompt_tokens', 'max_tokens', 'completion_tokens']) as unknown);
    expect(changed[MODEL]!.drift).toBe(true);
    // Both windows reach CloudWatch. Two partial windows flushed within one minute share its one-minute
    // period there, so the series holds the larger count (the changed workload's); the replay's 0 is checked in /v1/status above.
    await waitForDrain(agent, 60_000, 2);
    const range = { from: Date.now() - 3_600_000, to: Date.now() + 600_000 };
    const drifted = [...(await metricSeries(cw, namespace, 'DriftedFeatureCount', [{ Name: 'Model', Value: MODEL }], range)).values()];
    expect(drifted.length).toBeGreaterThanOrEqual(1);
    expect(Math.max(...drifted)).toBeGreaterThanOrEqual(3);
    const promptPsi = [...(await metricSeries(cw, namespace, 'FeaturePSI', [{ Name: 'Model', Value: MODEL }, { Name: 'Feature', Value: 'prompt_tokens' }], range)).values()];
    expect(Math.max(...promptPsi)).toBeGreaterThan(1);
    await agent.stop();

    // No prompt text anywhere the agent wrote: the recording, the payloads, both state files (and their WAL), the logs.
    const written = [record, join(dir, 'payloads.ndjson'), ...[recording.agent.dir, judged.agent.dir].flatMap((d) => ['agent.db', 'agent.db-wal'].map((f) => join(d, '.driftwatch', f)))];
    expect(written.filter((f) => existsSync(f)).length).toBeGreaterThanOrEqual(3);
    for (const file of written) if (existsSync(file)) expect(readFileSync(file).includes(SENTINEL), file).toBe(false);
    // What went to CloudWatch is checked by the egress allowlist (names and numbers only) and, for every link, by the leak test.
    expect(JSON.stringify(recording.agent.logs) + JSON.stringify(judged.agent.logs)).not.toContain(SENTINEL);
  });
});
