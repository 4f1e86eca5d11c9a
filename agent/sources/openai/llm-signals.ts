/**
 * The signals that describe one call to an OpenAI-compatible server, without its text: counts,
 * finish reason, token log-probabilities, timing. Read from the request and from the response,
 * whole or as stream chunks; no prompt, completion, token string or tool argument is kept. Pure.
 */
import { isPlainObject } from '../json-value.js';

/** The OpenAI-compatible endpoints read. */
export type LlmEndpoint = 'chat' | 'completions' | 'embeddings';

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** What the request says, text left out. */
export interface RequestFacts {
  endpoint: LlmEndpoint;
  model: string | undefined;
  stream: boolean;
  messages: number | undefined;
  toolsOffered: boolean;
  maxTokens: number | undefined;
  temperature: number | undefined;
  /** Embeddings: how many inputs. */
  inputs: number | undefined;
}

/** The request's facts, or why the body is not a request of this endpoint. */
export function requestFacts(endpoint: LlmEndpoint, body: unknown): RequestFacts | string {
  if (!isPlainObject(body)) return 'the request body is not a JSON object';
  if (endpoint === 'chat' && !Array.isArray(body.messages)) return "a chat request has no 'messages' list";
  if (endpoint === 'completions' && body.prompt === undefined) return "a completions request has no 'prompt'";
  if (endpoint === 'embeddings' && body.input === undefined) return "an embeddings request has no 'input'";
  return {
    endpoint,
    model: typeof body.model === 'string' ? body.model : undefined,
    stream: body.stream === true,
    messages: Array.isArray(body.messages) ? body.messages.length : undefined,
    toolsOffered: Array.isArray(body.tools) && body.tools.length > 0,
    maxTokens: num(body.max_tokens) ?? num(body.max_completion_tokens),
    temperature: num(body.temperature),
    inputs: endpoint === 'embeddings' ? (Array.isArray(body.input) ? body.input.length : 1) : undefined,
  };
}

/** Entropy (nats) of a token's top alternatives, renormalised over the ones given. */
function topEntropy(logprobs: readonly number[]): number | undefined {
  if (logprobs.length === 0) return undefined;
  const max = Math.max(...logprobs);
  const weights = logprobs.map((l) => Math.exp(l - max));
  const total = weights.reduce((a, b) => a + b, 0);
  return -weights.reduce((h, w) => (w > 0 ? h + (w / total) * Math.log(w / total) : h), 0);
}

/**
 * Accumulates what a response says, chunk by chunk or whole, keeping running sums only: the
 * memory a stream takes does not grow with its length.
 */
export class ResponseSignals {
  private logprobSum = 0;
  private logprobMin = Infinity;
  private logprobCount = 0;
  private entropySum = 0;
  private entropyCount = 0;
  private contentChunks = 0;
  private finishReason: string | undefined;
  private toolCalled = false;
  private usage: { prompt?: number; completion?: number } = {};
  private firstTokenMs: number | undefined;

  /** A streamed chunk (`chat.completion.chunk` or a completions chunk) that arrived at `atMs`. */
  chunk(value: unknown, atMs: number): void {
    if (!isPlainObject(value)) return;
    this.readUsage(value.usage);
    for (const choice of Array.isArray(value.choices) ? (value.choices as unknown[]) : []) {
      if (!isPlainObject(choice)) continue;
      const delta = isPlainObject(choice.delta) ? choice.delta : undefined;
      const text = delta !== undefined ? delta.content : choice.text;
      // A chunk a token: servers send one for each (an empty string while a character's bytes are incomplete).
      if (typeof text === 'string' || (delta !== undefined && Array.isArray(delta.tool_calls))) {
        this.contentChunks++;
        this.firstTokenMs ??= atMs;
      }
      if (delta !== undefined && Array.isArray(delta.tool_calls)) this.toolCalled = true;
      this.readChoice(choice);
    }
  }

  /** A whole (non-streamed) response. */
  response(value: unknown): void {
    if (!isPlainObject(value)) return;
    this.readUsage(value.usage);
    for (const choice of Array.isArray(value.choices) ? (value.choices as unknown[]) : []) {
      if (!isPlainObject(choice)) continue;
      if (isPlainObject(choice.message) && Array.isArray(choice.message.tool_calls) && choice.message.tool_calls.length > 0) this.toolCalled = true;
      this.readChoice(choice);
    }
  }

  /**
   * The signals, given the request's facts and the timing: `startMs` when the request came,
   * `endMs` when the response ended. Tokens come from `usage` when the server sent it, otherwise
   * from the log-probabilities or the content chunks counted.
   */
  signals(request: RequestFacts, startMs: number, endMs: number): Record<string, number | string> {
    const completion = this.usage.completion ?? (this.logprobCount > 0 ? this.logprobCount : this.contentChunks > 0 ? this.contentChunks : undefined);
    const out: Record<string, number | string> = {
      latency_ms: endMs - startMs,
      tools_offered: request.toolsOffered ? 'yes' : 'no',
      tool_called: this.toolCalled ? 'yes' : 'no',
    };
    if (this.usage.prompt !== undefined) out.prompt_tokens = this.usage.prompt;
    if (completion !== undefined) out.completion_tokens = completion;
    if (request.messages !== undefined) out.messages = request.messages;
    if (request.maxTokens !== undefined) out.max_tokens = request.maxTokens;
    if (request.temperature !== undefined) out.temperature = request.temperature;
    if (request.inputs !== undefined) out.inputs = request.inputs;
    if (this.finishReason !== undefined) out.finish_reason = this.finishReason;
    if (this.logprobCount > 0) {
      out.logprob_mean = this.logprobSum / this.logprobCount;
      out.logprob_min = this.logprobMin;
    }
    if (this.entropyCount > 0) out.top_entropy_mean = this.entropySum / this.entropyCount;
    if (request.stream && this.firstTokenMs !== undefined) {
      out.ttft_ms = this.firstTokenMs - startMs;
      const generating = (endMs - this.firstTokenMs) / 1000;
      if (completion !== undefined && completion > 1 && generating > 0) out.output_tokens_per_s = (completion - 1) / generating;
    }
    return out;
  }

  private readUsage(usage: unknown): void {
    if (!isPlainObject(usage)) return;
    this.usage.prompt = num(usage.prompt_tokens) ?? this.usage.prompt;
    this.usage.completion = num(usage.completion_tokens) ?? this.usage.completion;
  }

  private readChoice(choice: Record<string, unknown>): void {
    if (typeof choice.finish_reason === 'string') this.finishReason = choice.finish_reason.slice(0, 40);
    const logprobs = choice.logprobs;
    if (!isPlainObject(logprobs)) return;
    // Chat: logprobs.content[] of {logprob, top_logprobs: [{logprob}]}.
    if (Array.isArray(logprobs.content)) {
      for (const t of logprobs.content as unknown[]) {
        if (!isPlainObject(t)) continue;
        this.token(num(t.logprob), Array.isArray(t.top_logprobs) ? (t.top_logprobs as unknown[]).map((x) => (isPlainObject(x) ? num(x.logprob) : undefined)) : []);
      }
    }
    // Completions: logprobs.token_logprobs[] and top_logprobs[] of {token: logprob}.
    if (Array.isArray(logprobs.token_logprobs)) {
      const tops = Array.isArray(logprobs.top_logprobs) ? (logprobs.top_logprobs as unknown[]) : [];
      (logprobs.token_logprobs as unknown[]).forEach((l, i) => this.token(num(l), isPlainObject(tops[i]) ? Object.values(tops[i]).map(num) : []));
    }
  }

  private token(logprob: number | undefined, top: readonly (number | undefined)[]): void {
    if (logprob === undefined) return;
    this.logprobSum += logprob;
    this.logprobMin = Math.min(this.logprobMin, logprob);
    this.logprobCount++;
    const h = topEntropy(top.filter((x): x is number => x !== undefined));
    if (h !== undefined) {
      this.entropySum += h;
      this.entropyCount++;
    }
  }
}
