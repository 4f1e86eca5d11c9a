import type { PromptEmbeddingConfig } from '../../config/openai-source-config.js';
import { isPlainObject } from '../json-value.js';
import { upstreamRequest } from '../proxy/reverse-proxy.js';

/** The largest embeddings answer read (a server that pools nothing answers a vector a token). */
const EMBEDDING_RESPONSE_LIMIT = 32 * 1024 * 1024;

/**
 * The vector of an OpenAI-compatible embeddings answer (`data[0].embedding`), or why there is none.
 * A list of vectors, one a token (llama-cpp-python serving a generative model, which pools
 * nothing), is mean-pooled into one.
 */
export function embeddingOf(answer: unknown): number[] | string {
  const first = isPlainObject(answer) && Array.isArray(answer.data) ? (answer.data as unknown[])[0] : undefined;
  const raw = isPlainObject(first) ? first.embedding : undefined;
  if (!Array.isArray(raw) || raw.length === 0) return 'the answer has no data[0].embedding list';
  const rows: unknown[][] = raw.every((r) => Array.isArray(r)) ? (raw as unknown[][]) : [raw as unknown[]];
  const d = rows[0]!.length;
  const mean = new Array<number>(d).fill(0);
  for (const row of rows) {
    if (row.length !== d) return 'the per-token vectors differ in length';
    for (let j = 0; j < d; j++) {
      const v = row[j];
      if (typeof v !== 'number' || !Number.isFinite(v)) return `entry ${j} is not a finite number`;
      mean[j]! += v / rows.length;
    }
  }
  return mean;
}

/** Why a sampled call counts without its vector: `/v1/status` `sources.openai.embeddings`. */
export type EmbeddingMiss = 'busy' | 'no_text' | 'failed';

/**
 * Asks the embeddings server for a prompt's vector, for a sampled share of calls, at most
 * `maxInFlight` at once. The text is passed in and dropped when the call returns.
 */
export class PromptEmbedder {
  private inFlight = 0;
  private readonly upstream: URL;

  constructor(private readonly config: PromptEmbeddingConfig, proxyUpstream: string, private readonly random: () => number = Math.random) {
    this.upstream = new URL(config.upstream ?? proxyUpstream);
  }

  /** Whether this call is in the sample. */
  sampled(): boolean {
    return this.random() < this.config.sampleRate;
  }

  /** Whether another call may start now. */
  free(): boolean {
    return this.inFlight < this.config.maxInFlight;
  }

  /** The text's vector, or why there is none. */
  async embed(text: string): Promise<number[] | { failed: string }> {
    this.inFlight++;
    try {
      const body = JSON.stringify({ input: text.slice(0, this.config.maxInputChars), encoding_format: 'float', ...(this.config.model === undefined ? {} : { model: this.config.model }) });
      const got = await upstreamRequest(this.upstream, { method: 'POST', path: '/v1/embeddings', body, timeoutMs: this.config.timeoutMs, limitBytes: EMBEDDING_RESPONSE_LIMIT });
      if ('error' in got) return { failed: `the embeddings server did not answer: ${got.error}` };
      if (got.status !== 200) return { failed: `the embeddings server answered ${got.status}` };
      if (got.text === undefined) return { failed: `the embeddings answer is over ${EMBEDDING_RESPONSE_LIMIT} bytes` };
      let answer: unknown;
      try {
        answer = JSON.parse(got.text);
      } catch {
        return { failed: 'the embeddings answer is not JSON' };
      }
      const vector = embeddingOf(answer);
      return typeof vector === 'string' ? { failed: vector } : vector;
    } finally {
      this.inFlight--;
    }
  }
}
