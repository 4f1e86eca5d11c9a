/**
 * The text of a request's prompt, for the sampled prompt embedding (`sources.openai.promptEmbedding`):
 * a chat's message contents (strings, and the text parts of a list), a completion's prompt (a
 * string or a list of them). Token-id prompts have no text. Held by the caller for one embeddings
 * call only. Pure.
 */
import type { LlmEndpoint } from './llm-signals.js';
import { isPlainObject } from '../json-value.js';

function contentText(content: unknown): string[] {
  if (typeof content === 'string') return [content];
  if (!Array.isArray(content)) return [];
  return (content as unknown[]).flatMap((part) => (isPlainObject(part) && part.type === 'text' && typeof part.text === 'string' ? [part.text] : []));
}

/** The prompt's text cut to `maxChars`, or undefined when it has none. */
export function promptText(endpoint: LlmEndpoint, body: unknown, maxChars: number): string | undefined {
  if (!isPlainObject(body)) return undefined;
  let parts: string[] = [];
  if (endpoint === 'chat' && Array.isArray(body.messages)) {
    parts = (body.messages as unknown[]).flatMap((m) => (isPlainObject(m) ? contentText(m.content) : []));
  } else if (endpoint === 'completions') {
    const prompt = body.prompt;
    parts = typeof prompt === 'string' ? [prompt] : Array.isArray(prompt) ? (prompt as unknown[]).filter((p): p is string => typeof p === 'string') : [];
  }
  const text = parts.join('\n');
  return text.trim() === '' ? undefined : text.slice(0, maxChars);
}
