/**
 * The opt-in request change that asks an OpenAI-compatible server for token log-probabilities
 * (`sources.openai.requestLogprobs`). The fields go in front of the client's own, whose bytes are
 * kept as they came: parsing and writing the JSON again could change numbers (a 64-bit seed) or
 * key order. A request that sets `logprobs` itself (either way) is left alone. Pure.
 */
import type { LlmEndpoint } from './llm-signals.js';
import { isPlainObject } from '../json-value.js';

/** The body with the log-probability fields added, or undefined to send it as it came. */
export function withLogprobs(endpoint: LlmEndpoint, body: Buffer, top: number): Buffer | undefined {
  if (endpoint === 'embeddings') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isPlainObject(parsed) || (parsed.logprobs !== undefined && parsed.logprobs !== null)) return undefined;
  const fields = endpoint === 'chat'
    ? { logprobs: true, ...(top > 0 && parsed.top_logprobs === undefined ? { top_logprobs: top } : {}) }
    : { logprobs: top };
  const open = body.indexOf('{');
  const added = JSON.stringify(fields).slice(1, -1);
  const empty = Object.keys(parsed).length === 0;
  return Buffer.concat([body.subarray(0, open + 1), Buffer.from(empty ? added : `${added},`), body.subarray(open + 1)]);
}
