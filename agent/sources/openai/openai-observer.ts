import type { IncomingMessage } from 'node:http';
import type { ExchangeObserver } from '../proxy/reverse-proxy.js';
import { BoundedCopy } from '../proxy/bounded-copy.js';
import { requestFacts, ResponseSignals, type LlmEndpoint } from './llm-signals.js';
import { SseParser } from './sse-parser.js';
import { promptText } from './prompt-text.js';

/** The OpenAI-compatible calls read, by path. */
const ENDPOINTS: Readonly<Record<string, LlmEndpoint>> = {
  '/v1/chat/completions': 'chat',
  '/v1/completions': 'completions',
  '/v1/embeddings': 'embeddings',
};

/** Why a call gave no signals: `/v1/status` `sources.openai.unread`. */
export type LlmUnread = 'server_error' | 'not_json' | 'too_large' | 'not_a_request' | 'cut_stream' | 'bad_chunk';

/**
 * A call read: its signals (and, for the sampled prompt embedding, a way to its prompt's text,
 * cut to a length), or why there are none.
 */
export type LlmCall = { signals: Record<string, number | string>; endpoint: LlmEndpoint; prompt: (maxChars: number) => string | undefined } | { unread: LlmUnread; detail: string };

/** The endpoint of an OpenAI-compatible call, or undefined for any other request. */
export function llmEndpoint(req: IncomingMessage): LlmEndpoint | undefined {
  return req.method === 'POST' ? ENDPOINTS[(req.url ?? '').split('?')[0]!] : undefined;
}

/**
 * The observer of one OpenAI-compatible call, for the reverse proxy: keeps a bounded copy of the
 * request (its JSON, for counts and settings), and reads the response as it streams: server-sent
 * events one at a time through running sums, or a bounded copy of a JSON answer. Neither the
 * prompt nor the completion is kept past the call; `done` gets the signals only.
 */
export function openaiObserver(req: IncomingMessage, options: { copyLimitBytes: number; maxEventBytes: number; serverModels: ReadonlySet<string> }, done: (call: LlmCall) => void): ExchangeObserver | undefined {
  const endpoint = llmEndpoint(req);
  if (endpoint === undefined) return undefined;
  const startMs = performance.now();
  const request = new BoundedCopy(options.copyLimitBytes);
  const signals = new ResponseSignals();
  let status = 0;
  let stream: SseParser | undefined;
  let badChunks = 0;
  let response: BoundedCopy | undefined;
  let now = startMs;
  return {
    request: (chunk) => request.add(chunk),
    responseHead: (s, headers) => {
      status = s;
      if (String(headers['content-type'] ?? '').startsWith('text/event-stream')) {
        stream = new SseParser((data) => {
          if (data === '[DONE]') return;
          try {
            signals.chunk(JSON.parse(data), now);
          } catch {
            badChunks++;
          }
        }, options.maxEventBytes);
      } else {
        response = new BoundedCopy(options.copyLimitBytes);
      }
    },
    response: (chunk, atMs) => {
      now = atMs;
      if (stream !== undefined) stream.push(chunk);
      else response?.add(chunk);
    },
    end: (atMs) => done(readCall(endpoint, options.serverModels, { status, request: request.result(), response: response?.result(), stream, badChunks, signals, startMs, endMs: atMs })),
  };
}

/** The signals of a finished call, or why it gave none. */
function readCall(endpoint: LlmEndpoint, serverModels: ReadonlySet<string>, c: { status: number; request: Buffer | undefined; response: Buffer | undefined; stream: SseParser | undefined;
  badChunks: number; signals: ResponseSignals; startMs: number; endMs: number }): LlmCall {
  if (c.status >= 400) return { unread: 'server_error', detail: `the server answered ${c.status}` };
  if (c.request === undefined) return { unread: 'too_large', detail: 'the request is over copyLimitBytes' };
  let body: unknown;
  try {
    body = JSON.parse(c.request.toString('utf8'));
  } catch {
    return { unread: 'not_json', detail: 'the request is not JSON' };
  }
  const facts = requestFacts(endpoint, body);
  if (typeof facts === 'string') return { unread: 'not_a_request', detail: facts };
  if (c.stream !== undefined) {
    if (c.stream.end()) return { unread: 'cut_stream', detail: 'the event stream ended in the middle of an event' };
    if (c.badChunks > 0) return { unread: 'bad_chunk', detail: `${c.badChunks} stream event(s) were not JSON` };
    if (c.stream.oversized > 0) return { unread: 'too_large', detail: `${c.stream.oversized} stream event(s) were over maxEventBytes` };
  } else {
    if (c.response === undefined) return { unread: 'too_large', detail: 'the response is over copyLimitBytes' };
    try {
      c.signals.response(JSON.parse(c.response.toString('utf8')));
    } catch {
      return { unread: 'not_json', detail: 'the response is not JSON' };
    }
  }
  // The server's model name is a category only when allowlisted: names are data.
  const serverModel = facts.model !== undefined && serverModels.has(facts.model) ? facts.model : 'other';
  return { signals: { endpoint, server_model: serverModel, ...c.signals.signals(facts, c.startMs, c.endMs) }, endpoint, prompt: (maxChars) => promptText(endpoint, body, maxChars) };
}
