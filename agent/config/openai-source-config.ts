import { z } from 'zod';
import { upstreamSchema } from './upstream-schema.js';

/**
 * The OpenAI-compatible reverse proxy (docs/sources.md): clients call an LLM server (vLLM, TGI,
 * the llama.cpp server) through the agent; each call becomes one event of derived signals, no text.
 */
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
     * Count the timing signals (latency_ms, ttft_ms, output_tokens_per_s) into windows. They drift
     * with the host's load as much as with the workload; off, the verdict is about the workload only
     * (build the baseline without them: --exclude latency_ms,ttft_ms,output_tokens_per_s).
     */
    timingSignals: z.boolean().default(true),
    /** Append each call's signals (no text; timing included) to this JSONL file: a reference period to build a baseline from. */
    record: z.string().min(1).optional(),
  })
  .strict();

export type OpenaiSourceConfig = z.infer<typeof openaiSourceConfigSchema>;
