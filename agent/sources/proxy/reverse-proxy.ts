import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { BoundedCopy } from './bounded-copy.js';
import { RetryingUpstream, type ChunkSink } from './retrying-upstream.js';

/**
 * The reverse proxy every inference source that sits in the request path shares (the Open
 * Inference Protocol proxy, the OpenAI-compatible proxy): requests go to the upstream unchanged and
 * responses come back unchanged, both streamed with backpressure, while an observer sees each
 * chunk on its way. Fail open: an observer that throws is dropped for that exchange; nothing it does
 * can alter, hold back or fail the response.
 */

/** Headers that belong to one hop, not to the exchange (RFC 9110 §7.6.1): not forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate']);

/** What watches one exchange: every method is called on the way through, never awaited. */
export interface ExchangeObserver {
  /** A chunk of the request body, as it goes to the server. */
  request(chunk: Buffer): void;
  /** The response's status and headers, as they go to the client. */
  responseHead(status: number, headers: IncomingHttpHeaders): void;
  /** A chunk of the response body, as it goes to the client (at `atMs`, performance.now()). */
  response(chunk: Buffer, atMs: number): void;
  /** The response is complete; called after it went out, off its call stack. */
  end(atMs: number): void;
}

/**
 * An opt-in change to a request's body on its way to the server (the OpenAI proxy asking for
 * log-probabilities). The body is held until it is complete, then sent as `rewrite` returns it.
 * Fail open: a body over `limitBytes`, or one `rewrite` returns undefined for or throws on, goes
 * to the server as it came.
 */
export interface RequestRewrite {
  limitBytes: number;
  rewrite(body: Buffer): Buffer | undefined;
}

/** How the proxy forwards and what watches. */
export interface ReverseProxyOptions {
  /** The inference server, e.g. `http://127.0.0.1:8080`. */
  upstream: URL;
  /** The observer of a request, or undefined to forward it unwatched. */
  observe: (req: IncomingMessage) => ExchangeObserver | undefined;
  /** The change to a request's body, or undefined (the default) to stream it unchanged. */
  rewrite?: (req: IncomingMessage) => RequestRewrite | undefined;
  /** Told when the upstream cannot be reached (the client gets 502). */
  onUpstreamError: (err: Error) => void;
}

function forwardedHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (!HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

/** An observer whose every call is guarded: the first throw silences it for the rest of the exchange. */
function guarded(observer: ExchangeObserver | undefined): ExchangeObserver | undefined {
  if (observer === undefined) return undefined;
  let broken = false;
  const call = (f: () => void): void => {
    if (broken) return;
    try {
      f();
    } catch {
      broken = true;
    }
  };
  return {
    request: (chunk) => call(() => observer.request(chunk)),
    responseHead: (status, headers) => call(() => observer.responseHead(status, headers)),
    response: (chunk, atMs) => call(() => observer.response(chunk, atMs)),
    end: (atMs) => call(() => observer.end(atMs)),
  };
}

/**
 * Streams `from` into `to` with backpressure, showing each chunk to `see`; ends `to` at the end.
 * Fewer listeners a request than `pipe()`, which matters at tens of thousands of requests a second.
 */
function relay(from: Readable, to: ChunkSink, see: ((chunk: Buffer) => void) | undefined): void {
  from.on('data', (chunk: Buffer) => {
    see?.(chunk);
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
  from.on('end', () => to.end());
}

/** f's value, or undefined when it throws: what the proxy asks of a source cannot stop a request. */
function attempt<T>(f: () => T | undefined): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/**
 * Holds a request's body for `rw`, then sends it (rewritten or as it came) through `open`, which
 * starts the upstream request with the headers given. Past `rw.limitBytes` the held part and the
 * rest stream through unchanged.
 */
function holdAndRewrite(req: IncomingMessage, rw: RequestRewrite, headers: IncomingHttpHeaders, open: (headers: IncomingHttpHeaders) => RetryingUpstream,
  see: ((chunk: Buffer) => void) | undefined): void {
  const held: Buffer[] = [];
  let size = 0;
  let passing: RetryingUpstream | undefined;
  req.on('data', (chunk: Buffer) => {
    see?.(chunk);
    if (passing !== undefined) {
      if (!passing.write(chunk)) {
        req.pause();
        passing.once('drain', () => req.resume());
      }
      return;
    }
    held.push(chunk);
    size += chunk.length;
    if (size > rw.limitBytes) {
      passing = open(headers);
      for (const c of held.splice(0)) passing.write(c);
    }
  });
  req.on('end', () => {
    if (passing !== undefined) return void passing.end();
    const body = Buffer.concat(held);
    let changed: Buffer | undefined;
    try {
      changed = rw.rewrite(body);
    } catch {
      changed = undefined;
    }
    open(changed === undefined ? headers : { ...headers, 'content-length': String(changed.length) }).end(changed ?? body);
  });
}

/** The request handler of a reverse proxy to `options.upstream`. */
export function reverseProxyHandler(options: ReverseProxyOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { upstream } = options;
  const send = upstream.protocol === 'https:' ? httpsRequest : httpRequest;
  return (req, res) => {
    const path = req.url ?? '/';
    const observer = attempt(() => guarded(options.observe(req)));
    const rewrite = attempt(() => options.rewrite?.(req));
    const headers = forwardedHeaders(req.headers);
    headers.host = upstream.host;
    let out: RetryingUpstream | undefined;
    const answer = (up: IncomingMessage): void => {
      out!.answered();
      const responseHeaders = forwardedHeaders(up.headers);
      res.writeHead(up.statusCode ?? 502, up.statusMessage, responseHeaders);
      // A streamed answer (no length: server-sent events, chunked) gets its headers now, as it would
      // from the server; a sized one sends them with its first chunk, in one write.
      if (up.headers['content-length'] === undefined) res.flushHeaders();
      observer?.responseHead(up.statusCode ?? 0, up.headers);
      relay(up, res, observer === undefined ? undefined : (chunk) => observer.response(chunk, performance.now()));
      up.on('end', () => {
        if (observer === undefined) return;
        const at = performance.now();
        // After the response is on its way, off this call stack: an observer's error stays its own.
        setImmediate(() => observer.end(at));
      });
      up.on('error', () => res.destroy());
    };
    const failed = (err: Error): void => {
      options.onUpstreamError(err);
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('driftwatch proxy: the inference server is unreachable\n');
      } else {
        res.destroy();
      }
    };
    const open = (sent: IncomingHttpHeaders): RetryingUpstream => {
      out = new RetryingUpstream((fresh) => send({ protocol: upstream.protocol, hostname: upstream.hostname, port: upstream.port, method: req.method, path, headers: sent,
        ...(fresh ? { agent: false } : {}) }, answer), failed);
      return out;
    };
    const see = observer === undefined ? undefined : (chunk: Buffer): void => observer.request(chunk);
    if (rewrite === undefined) relay(req, open(headers), see);
    else holdAndRewrite(req, rewrite, headers, open, see);
    req.on('error', () => out?.destroy());
    res.on('close', () => {
      if (!res.writableFinished) out?.destroy();
    });
  };
}

/**
 * A request a proxy makes of its own upstream, the same loopback server: the OIP model metadata
 * check (GET) and the OpenAI proxy's sampled prompt embeddings (POST). The only other requests
 * this file sends. Resolves with the status and the body as text (undefined when it is over
 * `limitBytes`), or the connection's error.
 */
export function upstreamRequest(upstream: URL, call: { method: 'GET' | 'POST'; path: string; body?: string; timeoutMs: number; limitBytes: number }):
  Promise<{ status: number; text: string | undefined } | { error: string }> {
  const send = upstream.protocol === 'https:' ? httpsRequest : httpRequest;
  const headers = call.body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(call.body)) };
  return new Promise((resolve) => {
    let timedOut = false;
    const req = send({ protocol: upstream.protocol, hostname: upstream.hostname, port: upstream.port, method: call.method, path: call.path, headers, timeout: call.timeoutMs }, (res) => {
      const copy = new BoundedCopy(call.limitBytes);
      res.on('data', (chunk: Buffer) => copy.add(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: copy.result()?.toString('utf8') }));
      res.on('error', (err) => resolve({ error: err.message }));
    });
    req.on('timeout', () => {
      timedOut = true;
      req.destroy();
    });
    req.on('error', (err) => resolve({ error: timedOut ? `no answer in ${call.timeoutMs} ms` : err.message }));
    req.end(call.body);
  });
}
