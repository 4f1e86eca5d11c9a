import { describe, expect, it } from 'vitest';
import { withLogprobs } from '../../../../agent/sources/openai/logprobs-request.js';
import { promptText } from '../../../../agent/sources/openai/prompt-text.js';
import { embeddingOf } from '../../../../agent/sources/openai/prompt-embedder.js';

const body = (s: string): Buffer => Buffer.from(s);
const rewritten = (endpoint: 'chat' | 'completions' | 'embeddings', s: string, top = 5): string | undefined => withLogprobs(endpoint, body(s), top)?.toString('utf8');

describe('withLogprobs (sources.openai.requestLogprobs)', () => {
  it("adds the fields in front and keeps the client's bytes as they came (a 64-bit seed, spacing, key order)", () => {
    const chat = '  {"seed": 18446744073709551615, "messages": [{"role": "user", "content": "hi"}],\n "temperature": 1.0}';
    const out = rewritten('chat', chat)!;
    expect(out).toBe('  {"logprobs":true,"top_logprobs":5,"seed": 18446744073709551615, "messages": [{"role": "user", "content": "hi"}],\n "temperature": 1.0}');
    expect(JSON.parse(out)).toMatchObject({ logprobs: true, top_logprobs: 5, temperature: 1 });
    expect(rewritten('completions', '{"prompt":"x"}', 3)).toBe('{"logprobs":3,"prompt":"x"}');
    expect(rewritten('chat', '{}', 0)).toBe('{"logprobs":true}');
  });

  it('leaves alone a request that chose itself, an embeddings call, and anything that is not a JSON object', () => {
    expect(rewritten('chat', '{"logprobs":false,"messages":[]}')).toBeUndefined();
    expect(rewritten('completions', '{"logprobs":1,"prompt":"x"}')).toBeUndefined();
    expect(rewritten('chat', '{"logprobs":true,"messages":[]}')).toBeUndefined();
    expect(rewritten('embeddings', '{"input":"x"}')).toBeUndefined();
    expect(rewritten('chat', '[1,2]')).toBeUndefined();
    expect(rewritten('chat', '{"messages": [')).toBeUndefined();
    // A client's own top_logprobs stays; only logprobs is added.
    expect(JSON.parse(rewritten('chat', '{"top_logprobs":2,"messages":[]}')!)).toEqual({ logprobs: true, top_logprobs: 2, messages: [] });
  });
});

describe('promptText (sources.openai.promptEmbedding)', () => {
  it("joins a chat's message texts, string or text parts, and cuts to the limit", () => {
    const chat = { messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: [{ type: 'text', text: 'the loan' }, { type: 'image_url', image_url: { url: 'x' } }] }, { role: 'assistant', content: null }] };
    expect(promptText('chat', chat, 100)).toBe('be brief\nthe loan');
    expect(promptText('chat', chat, 5)).toBe('be br');
    expect(promptText('completions', { prompt: ['a', 'b'] }, 100)).toBe('a\nb');
  });

  it('has none for token ids, empty prompts, embeddings calls or a body that is not an object', () => {
    expect(promptText('completions', { prompt: [1, 2, 3] }, 100)).toBeUndefined();
    expect(promptText('chat', { messages: [{ role: 'user', content: '  ' }] }, 100)).toBeUndefined();
    expect(promptText('embeddings', { input: 'x' }, 100)).toBeUndefined();
    expect(promptText('chat', 'x', 100)).toBeUndefined();
  });
});

describe('embeddingOf', () => {
  it('takes data[0].embedding, and mean-pools one vector a token (llama-cpp-python serving a generative model)', () => {
    expect(embeddingOf({ data: [{ embedding: [0.5, -1, 2] }] })).toEqual([0.5, -1, 2]);
    expect(embeddingOf({ data: [{ embedding: [[1, 2], [3, 6]] }] })).toEqual([2, 4]);
  });

  it('says why an answer has no vector', () => {
    expect(embeddingOf({ data: [] })).toBe('the answer has no data[0].embedding list');
    expect(embeddingOf({ data: [{ embedding: 'AAAA' }] })).toBe('the answer has no data[0].embedding list');
    expect(embeddingOf({ data: [{ embedding: [1, 'x'] }] })).toBe('entry 1 is not a finite number');
    expect(embeddingOf({ data: [{ embedding: [[1, 2], [3]] }] })).toBe('the per-token vectors differ in length');
  });
});
