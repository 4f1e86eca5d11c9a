import { z } from 'zod';
import { upstreamSchema } from './upstream-schema.js';

/**
 * The OpenAI-compatible reverse proxy (docs/sources.md): clients call an LLM server (vLLM, TGI,
 * the llama.cpp server) through the agent; each call becomes one event of derived signals, no text.
 */
/**
 * Prompt-embedding drift (off unless set): for a sampled share of chat and completions calls the
 * agent sends the prompt's text to the server's own `/v1/embeddings`, after the client has its
 * answer, and counts the vector as the feature `prompt_embedding` (build the baseline with
 * `--embedding prompt_embedding`). The text stays in memory for that call only.
 */
export const promptEmbeddingConfigSchema = z
  .object({
    /** The share of calls embedded, in (0, 1]. Keep it the same when recording and when judging: the unsampled share counts as missing. */
    sampleRate: z.number().gt(0).max(1),
    /** The embeddings server's base URL, when it is not the proxy's upstream (vLLM serves embeddings from a separate pooling model). */
    upstream: upstreamSchema('embeddings server').optional(),
    /** The `model` sent with the embeddings request (the server's name for its embedding model); omitted when unset. */
    model: z.string().min(1).max(200).optional(),
    /** The prompt's text is cut to this many characters before it is embedded. */
    maxInputChars: z.number().int().min(1).max(1_000_000).default(8_000),
    /** An embeddings call that takes longer is given up (the call counts without its vector). */
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    /** Embeddings calls at once; a sampled call beyond this counts without its vector (`embedding_busy`). */
    maxInFlight: z.number().int().min(1).max(64).default(2),
  })
  .strict();

export type PromptEmbeddingConfig = z.infer<typeof promptEmbeddingConfigSchema>;

export const openaiSourceConfigSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8083),
    /** The LLM server's base URL on this host, e.g. http://127.0.0.1:8000 (vLLM): loopback only. */
    upstream: upstreamSchema('LLM server'),
    /** The driftwatch model (one of `models[].name`) the calls count toward. */
    model: z.string().min(1),
    /**
     * Server model names that may appear as the `server_model` category (a category of the
     * baseline, never a dimension); any other is `other`.
     */
    serverModels: z.array(z.string().min(1).max(200)).default([]),
    /** Largest request body read (the prompt's JSON); a larger one is forwarded unread (`too_large`). */
    copyLimitBytes: z.number().int().min(1024).max(256 * 1024 * 1024).default(16 * 1024 * 1024),
    /** Largest single server-sent event read; a longer one is passed over. */
    maxEventBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
    /**
     * Keep the timing signals (latency_ms, ttft_ms, output_tokens_per_s), in the windows and in the
     * recording. They drift with the host's load as much as with the workload; off, the verdict is
     * about the workload only.
     */
    timingSignals: z.boolean().default(true),
    /**
     * Ask the server for token log-probabilities with this many top alternatives (0-20) on calls
     * that do not ask themselves: `logprobs: true, top_logprobs: N` (chat), `logprobs: N`
     * (completions). Off by default: it changes what the client receives (the answers carry a
     * `logprobs` object it did not ask for) and costs the server time and bytes
     * (docs/sources.md#log-probabilities).
     */
    requestLogprobs: z.number().int().min(0).max(20).optional(),
    promptEmbedding: promptEmbeddingConfigSchema.optional(),
    /** Append each call's signals (no text) to this JSONL file: a reference period to build a baseline from. */
    record: z.string().min(1).optional(),
  })
  .strict();

export type OpenaiSourceConfig = z.infer<typeof openaiSourceConfigSchema>;
