import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type AgentProcess } from '../../../helpers/agent-process.js';
import { flushWhenCounted } from '../../../helpers/counted-windows.js';
import { bootstrapBaseline, startLlamaServer } from '../../../helpers/llama-server.js';
import type { ServerProcess } from '../../../helpers/python-server.js';
import { runCli } from '../../../helpers/run-cli.js';

/**
 * The OpenAI-compatible proxy's opt-in settings against a real llama.cpp server (issue 18):
 * `requestLogprobs` asks the server for log-probabilities the client did not ask for, and the
 * signals are those of the answer the client got; `promptEmbedding` embeds a sampled share of
 * prompts with the server's own /v1/embeddings, and a baseline built with that embedding flags
 * prompts of other words at the same length, which no count can see.
 */
const dir = mkdtempSync(join(tmpdir(), 'dw-llm-options-'));
const MODEL = 'llm-options';
let llama: ServerProcess;
const agents: AgentProcess[] = [];

async function withAgent(baseline: string, openai: Record<string, unknown>): Promise<{ agent: AgentProcess; proxy: string }> {
  const agent = await startAgent({
    models: [{ name: MODEL, baseline }], api: { port: 0 }, windows: { seconds: 86_400 }, sinks: { file: { path: join(dir, `payloads-${agents.length}.ndjson`) } },
    sources: { openai: { port: 0, upstream: llama.url, model: MODEL, ...openai } },
  }, { dir: mkdtempSync(join(dir, 'agent-')) });
  agents.push(agent);
  return { agent, proxy: String(agent.logs.find((l) => l.msg === 'OpenAI-compatible proxy listening.')!.address) };
}

async function call(base: string, path: string, body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return res.text();
}

async function recorded(agent: AgentProcess, file: string, n: number): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const openai = ((await agent.get('/v1/status')).body as { sources: { openai: { recorded: number } } }).sources.openai;
    if (openai.recorded === n) break;
    if (Date.now() > deadline) throw new Error(JSON.stringify(openai));
    await new Promise((r) => setTimeout(r, 100));
  }
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The data lines of a server-sent event stream, parsed (the stream's [DONE] left out). */
const events = (text: string): Record<string, unknown>[] => text.split('\n').filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]').map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>);
type Choice = { logprobs: { content?: { logprob: number }[]; token_logprobs?: number[] } | null };

beforeAll(async () => {
  llama = await startLlamaServer({ embeddings: true });
}, 900_000);

afterAll(async () => {
  for (const a of agents) await a.stop();
  await llama?.stop();
});

describe('requestLogprobs', () => {
  it('asks for log-probabilities the client did not ask for; the signals are the mean and minimum of those the client got', async () => {
    const record = join(dir, 'logprobs.jsonl');
    const { agent, proxy } = await withAgent(bootstrapBaseline(dir), { requestLogprobs: 3, record });
    const messages = [{ role: 'user', content: 'the loan is' }];
    const whole = JSON.parse(await call(proxy, '/v1/chat/completions', { messages, max_tokens: 6 })) as { choices: Choice[] };
    const streamed = events(await call(proxy, '/v1/chat/completions', { messages, max_tokens: 6, stream: true })) as { choices: Choice[] }[];
    const completion = JSON.parse(await call(proxy, '/v1/completions', { prompt: 'the loan is', max_tokens: 6 })) as { choices: Choice[] };
    const declined = JSON.parse(await call(proxy, '/v1/chat/completions', { messages, max_tokens: 6, logprobs: false })) as { choices: Choice[] };
    // Without the setting the server sends none: the log-probabilities came from the setting.
    const direct = JSON.parse(await call(llama.url, '/v1/chat/completions', { messages, max_tokens: 6 })) as { choices: Choice[] };
    expect(direct.choices[0]!.logprobs).toBeNull();
    expect(declined.choices[0]!.logprobs).toBeNull();

    // Independent of the agent's reading: the client's own view of each answer's log-probabilities.
    const seen = [
      whole.choices[0]!.logprobs!.content!.map((t) => t.logprob),
      streamed.flatMap((e) => e.choices.flatMap((c) => c.logprobs?.content?.map((t) => t.logprob) ?? [])),
      completion.choices[0]!.logprobs!.token_logprobs!,
    ];
    const lines = await recorded(agent, record, 4);
    seen.forEach((lps, i) => {
      expect(lps.length, `call ${i}`).toBeGreaterThanOrEqual(1);
      expect(lines[i]!.logprob_mean as number).toBeCloseTo(lps.reduce((a, b) => a + b, 0) / lps.length, 9);
      expect(lines[i]!.logprob_min).toBe(Math.min(...lps));
      // Top-3 alternatives renormalised: entropy between 0 and ln 4 (the chosen token may be a fourth).
      expect(lines[i]!.top_entropy_mean as number).toBeGreaterThan(0);
      expect(lines[i]!.top_entropy_mean as number).toBeLessThanOrEqual(Math.log(4) + 1e-9);
    });
    expect(lines[3]).not.toHaveProperty('logprob_mean');
  });
});

describe('promptEmbedding', () => {
  // Two-letter words, two tokens each for the tiny model's tokenizer: the prompts' token counts do not tell the vocabularies apart.
  const vocabularies = { reference: ['is', 'to', 'of', 'in'], other: ['we', 'up', 'so', 'go'] };
  /** A prompt of 6 to 10 words drawn from `words` by a seeded generator: many distinct prompts, each call's its own. */
  const chat = (i: number, words: readonly string[]): Record<string, unknown> => {
    let state = (i * 2654435761) >>> 0;
    const next = (): number => {
      state = (state * 1664525 + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
    const content = Array.from({ length: 6 + (i % 5) }, () => words[Math.floor(next() * words.length)]).join(' ');
    return { messages: [{ role: 'user', content }], max_tokens: 4, temperature: 0 };
  };
  const sampled = { sampleRate: 0.5 };
  /**
   * Reference calls (about 800 embedded, 400 of them held out for the components' bins), and calls
   * a judged window. The calibrated thresholds take the baseline's proportions as exact; from a
   * small reference they are not, and a replay drifts by chance: 400 embedded (200 held out) let a
   * replay's pc1 reach PSI 0.17 against a threshold of 0.15 in CI.
   */
  const REFERENCE = 1600;
  const N = 400;

  it("embeds a sampled share with the server's /v1/embeddings and flags prompts of other words at the same length", async () => {
    const record = join(dir, 'embedded.jsonl');
    const recording = await withAgent(bootstrapBaseline(dir), { promptEmbedding: sampled, timingSignals: false, record });
    for (let i = 0; i < REFERENCE; i++) await call(recording.proxy, '/v1/chat/completions', chat(i, vocabularies.reference));
    const lines = await recorded(recording.agent, record, REFERENCE);
    const vectors = lines.filter((l) => Array.isArray(l.prompt_embedding)).map((l) => l.prompt_embedding as number[]);
    const status = ((await recording.agent.get('/v1/status')).body as { sources: { openai: { embeddings: { sampled: number; embedded: number; missed: object } } } }).sources.openai.embeddings;
    expect(status).toEqual({ sampled: vectors.length, embedded: vectors.length, missed: {} });
    // About half (binomial(1600, 0.5): 99.99 % of draws fall in 722..878); the projection fits half of them, more than their 64 dimensions.
    expect(vectors.length).toBeGreaterThan(722);
    expect(vectors.length).toBeLessThan(878);
    expect(vectors.every((v) => v.length === 64 && v.every(Number.isFinite))).toBe(true);

    const built = runCli(['baseline', 'build', '--input', record, '--out', join(dir, 'embedded.json'), '--no-multivariate', '--embedding', 'prompt_embedding']);
    expect(built.status, built.stderr).toBe(0);
    const judged = await withAgent(join(dir, 'embedded.json'), { promptEmbedding: sampled, timingSignals: false });
    for (let i = 0; i < N; i++) await call(judged.proxy, '/v1/chat/completions', chat(i + 10_000, vocabularies.reference));
    const replay = await flushWhenCounted(judged.agent, [MODEL], N);
    for (let i = 0; i < N; i++) await call(judged.proxy, '/v1/chat/completions', chat(i, vocabularies.other));
    const changed = await flushWhenCounted(judged.agent, [MODEL], N);
    const flagged = (w: { features: unknown[] }): string[] => (w.features as { name: string; status: string }[]).filter((f) => f.status !== 'ok').map((f) => f.name);
    expect(flagged(replay[MODEL]!), JSON.stringify(replay[MODEL]!.features)).toEqual([]);
    const moved = flagged(changed[MODEL]!);
    expect(moved.some((name) => name.startsWith('prompt_embedding.')), moved.join(', ')).toBe(true);
    // Same lengths, same settings: the counts do not see it.
    expect(moved).not.toContain('prompt_tokens');
    expect(moved).not.toContain('max_tokens');
  });
});
