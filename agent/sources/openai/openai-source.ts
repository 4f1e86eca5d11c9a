import { appendFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { OpenaiSourceConfig } from '../../config/openai-source-config.js';
import type { BodyItem } from '../event-body.js';
import type { ExchangeObserver, RequestRewrite } from '../proxy/reverse-proxy.js';
import { BatchedIngest, UnreadCounts } from '../source-counts.js';
import { withLogprobs } from './logprobs-request.js';
import { llmEndpoint, openaiObserver, type LlmCall, type LlmUnread } from './openai-observer.js';
import { PromptEmbedder, type EmbeddingMiss } from './prompt-embedder.js';

/** The signals that measure the server's speed rather than the workload (`timingSignals`). */
export const TIMING_SIGNALS = ['latency_ms', 'ttft_ms', 'output_tokens_per_s'] as const;

/** The feature the sampled prompt embedding is counted as (the baseline's `--embedding` column). */
export const PROMPT_EMBEDDING = 'prompt_embedding';

/**
 * The OpenAI-compatible source: each call through the proxy becomes one event of its signals for
 * `config.model` (those the model's baseline knows, counted in batches, once a turn), and, with
 * `record`, a line of the reference file a baseline is built from (every signal). A sampled share
 * may carry the prompt's embedding, asked of the server after the client has its answer. What
 * cannot be read is counted by reason and logged once a reason.
 */
export class OpenaiSource {
  private readonly unreadCounts = new UnreadCounts<LlmUnread | 'overloaded'>();
  private readonly missedCounts = new UnreadCounts<EmbeddingMiss>();
  /** `/v1/status` `sources.openai`: calls seen, counted, recorded; unread by reason; sampled prompt embeddings. */
  readonly totals = { calls: 0, events: 0, recorded: 0, unread: this.unreadCounts.counts, embeddings: { sampled: 0, embedded: 0, missed: this.missedCounts.counts } };
  private readonly serverModels: ReadonlySet<string>;
  private readonly batch: BatchedIngest;
  private readonly embedder: PromptEmbedder | undefined;

  /** `known`: the columns of the model's baseline; other signals are recorded, not counted. */
  constructor(private readonly config: OpenaiSourceConfig, private readonly known: ReadonlySet<string>, ingest: (items: readonly BodyItem[]) => void,
    private readonly busy: () => boolean, private readonly log: Logger) {
    this.serverModels = new Set(config.serverModels);
    this.batch = new BatchedIngest(ingest);
    if (config.promptEmbedding !== undefined) this.embedder = new PromptEmbedder(config.promptEmbedding, config.upstream);
  }

  /** The proxy's observer for a request (undefined: not an OpenAI call, forwarded unwatched). */
  observe(req: IncomingMessage): ExchangeObserver | undefined {
    return openaiObserver(req, { ...this.config, serverModels: this.serverModels }, (call) => this.done(call));
  }

  /** With `requestLogprobs`, the change that asks the server for log-probabilities; else undefined. */
  rewrite(req: IncomingMessage): RequestRewrite | undefined {
    const top = this.config.requestLogprobs;
    const endpoint = llmEndpoint(req);
    if (top === undefined || endpoint === undefined) return undefined;
    return { limitBytes: this.config.copyLimitBytes, rewrite: (body) => withLogprobs(endpoint, body, top) };
  }

  private done(call: LlmCall): void {
    this.totals.calls++;
    if ('unread' in call) return this.unread(call.unread, call.detail);
    if (this.busy()) return this.unread('overloaded', 'the agent is shedding load');
    const embedder = this.embedder;
    if (embedder === undefined || call.endpoint === 'embeddings' || !embedder.sampled()) return this.emit(call.signals);
    this.totals.embeddings.sampled++;
    if (!embedder.free()) return this.emit(call.signals, { miss: 'busy', detail: 'promptEmbedding.maxInFlight embeddings calls are under way' });
    const text = call.prompt(this.config.promptEmbedding!.maxInputChars);
    if (text === undefined) return this.emit(call.signals, { miss: 'no_text', detail: 'the prompt has no text (token ids, or empty)' });
    void embedder.embed(text).then((got) => {
      if (!Array.isArray(got)) return this.emit(call.signals, { miss: 'failed', detail: got.failed });
      this.totals.embeddings.embedded++;
      this.emit({ ...call.signals, [PROMPT_EMBEDDING]: got });
    });
  }

  /** Records and counts one call's signals; a sampled call that got no vector is counted with its reason. */
  private emit(all: Record<string, number | string | number[]>, missed?: { miss: EmbeddingMiss; detail: string }): void {
    const signals = { ...all };
    if (!this.config.timingSignals) for (const key of TIMING_SIGNALS) delete signals[key];
    if (missed !== undefined) {
      this.missedCounts.count(missed.miss, () => this.log.warn({ reason: missed.miss }, `A sampled OpenAI-compatible call was counted without its prompt embedding: ${missed.detail} (logged once; /v1/status counts every one).`));
    }
    if (this.config.record !== undefined) {
      try {
        appendFileSync(this.config.record, `${JSON.stringify(signals)}\n`, { mode: 0o600 });
        this.totals.recorded++;
      } catch (err) {
        this.unreadCounts.once('record', () => this.log.error({ file: this.config.record, err: (err as Error).message }, 'Cannot append to sources.openai.record; calls are counted but not recorded.'));
      }
    }
    this.totals.events++;
    const features: Record<string, number | string | number[]> = {};
    for (const [name, value] of Object.entries(signals)) if (this.known.has(name)) features[name] = value;
    this.batch.add([{ model: this.config.model, features }]);
  }

  private unread(reason: LlmUnread | 'overloaded', detail: string): void {
    this.unreadCounts.count(reason, () => this.log.warn({ reason }, `An OpenAI-compatible call was forwarded but not counted: ${detail} (logged once; /v1/status counts every one).`));
  }
}
