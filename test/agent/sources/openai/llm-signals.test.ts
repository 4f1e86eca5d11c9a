import { describe, expect, it } from 'vitest';
import { requestFacts, ResponseSignals, type RequestFacts } from '../../../../agent/sources/openai/llm-signals.js';

const chat = requestFacts('chat', { model: 'tiny', stream: true, max_tokens: 16, temperature: 0.7, messages: [{ role: 'system', content: 'secret' }, { role: 'user', content: 'hi' }],
  tools: [{ type: 'function', function: { name: 'f' } }] }) as RequestFacts;

describe('requestFacts', () => {
  it('keeps counts and settings, never text', () => {
    expect(chat).toEqual({ endpoint: 'chat', model: 'tiny', stream: true, messages: 2, toolsOffered: true, maxTokens: 16, temperature: 0.7, inputs: undefined });
    expect(JSON.stringify(chat)).not.toContain('secret');
    expect(requestFacts('embeddings', { input: ['a', 'b', 'c'] })).toMatchObject({ inputs: 3 });
    expect(requestFacts('chat', { prompt: 'x' })).toBe("a chat request has no 'messages' list");
    expect(requestFacts('completions', [])).toBe('the request body is not a JSON object');
  });
});

describe('ResponseSignals', () => {
  it('reads a chat stream chunk by chunk: time to first token, tokens from usage, finish reason, log-probabilities and top entropy', () => {
    const s = new ResponseSignals();
    const lp = (logprob: number, tops: number[]) => ({ token: 'SECRET', logprob, top_logprobs: tops.map((l) => ({ token: 'x', logprob: l })) });
    s.chunk({ choices: [{ index: 0, delta: { role: 'assistant' } }] }, 105);
    s.chunk({ choices: [{ index: 0, delta: { content: 'Hel' }, logprobs: { content: [lp(Math.log(0.5), [Math.log(0.5), Math.log(0.25), Math.log(0.25)])] } }] }, 120);
    s.chunk({ choices: [{ index: 0, delta: { content: 'lo' }, logprobs: { content: [lp(Math.log(0.25), [Math.log(0.5), Math.log(0.5)])] } }] }, 130);
    s.chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'length' }] }, 140);
    s.chunk({ choices: [], usage: { prompt_tokens: 11, completion_tokens: 2 } }, 141);
    const out = s.signals(chat, 100, 150);
    // Entropies by hand: (0.5, 0.25, 0.25) has 1.5 ln 2 nats; (0.5, 0.5) has ln 2.
    expect(out).toMatchObject({ latency_ms: 50, ttft_ms: 20, prompt_tokens: 11, completion_tokens: 2, messages: 2, max_tokens: 16, temperature: 0.7,
      finish_reason: 'length', tools_offered: 'yes', tool_called: 'no', output_tokens_per_s: 1 / 0.03 });
    expect(out.logprob_mean).toBeCloseTo((Math.log(0.5) + Math.log(0.25)) / 2, 12);
    expect(out.logprob_min).toBeCloseTo(Math.log(0.25), 12);
    expect(out.top_entropy_mean).toBeCloseTo((1.5 * Math.log(2) + Math.log(2)) / 2, 12);
    expect(JSON.stringify(out)).not.toContain('SECRET');
  });

  it('reads a whole response, a tool call, and legacy completions log-probabilities; counts tokens without usage', () => {
    const s = new ResponseSignals();
    s.response({ choices: [{ message: { content: null, tool_calls: [{ function: { name: 'f', arguments: '{"ssn":"078-05-1120"}' } }] }, finish_reason: 'tool_calls' }] });
    const out = s.signals({ ...chat, stream: false }, 0, 40);
    expect(out).toMatchObject({ finish_reason: 'tool_calls', tool_called: 'yes', latency_ms: 40 });
    expect(out.ttft_ms).toBeUndefined();
    const c = new ResponseSignals();
    c.response({ choices: [{ text: 'ab', finish_reason: 'stop', logprobs: { tokens: ['a', 'b'], token_logprobs: [-1, -3], top_logprobs: [{ a: -1 }, { b: -3, c: -3 }] } }] });
    const facts = requestFacts('completions', { prompt: 'x' }) as RequestFacts;
    expect(c.signals(facts, 0, 10)).toMatchObject({ completion_tokens: 2, logprob_mean: -2, logprob_min: -3, finish_reason: 'stop' });
    expect(c.signals(facts, 0, 10).top_entropy_mean).toBeCloseTo(Math.log(2) / 2, 12);
  });
});
