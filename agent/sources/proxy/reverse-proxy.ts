import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable, Writable } from 'node:stream';

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

/** How the proxy forwards and what watches. */
export interface ReverseProxyOptions {
  /** The inference server, e.g. `http://127.0.0.1:8080`. */
  upstream: URL;
  /** The observer of a request, or undefined to forward it unwatched. */
  observe: (req: IncomingMessage) => ExchangeObserver | undefined;
  /** Told when the upstream cannot be reached (the client gets 502). */
  onUpstreamError: (err: Error) => void;
}

/** Copies chunks up to a limit; past it, stops copying (and says so). */
export class BoundedCopy {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private over = false;

  constructor(private readonly limit: number) {}

  add(chunk: Buffer): void {
    if (this.over) return;
    this.size += chunk.length;
    if (this.size > this.limit) {
      this.over = true;
      this.chunks.length = 0;
      return;
    }
    this.chunks.push(chunk);
  }

  result(): Buffer | undefined {
    if (this.over) return undefined;
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
  }
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
function relay(from: Readable, to: Writable, see: ((chunk: Buffer) => void) | undefined): void {
  from.on('data', (chunk: Buffer) => {
    see?.(chunk);
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
  from.on('end', () => to.end());
}

/** The request handler of a reverse proxy to `options.upstream`. */
export function reverseProxyHandler(options: ReverseProxyOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { upstream } = options;
  const send = upstream.protocol === 'https:' ? httpsRequest : httpRequest;
  return (req, res) => {
    const path = req.url ?? '/';
    let observer: ExchangeObserver | undefined;
    try {
      observer = guarded(options.observe(req));
    } catch {
      observer = undefined;
    }
    const headers = forwardedHeaders(req.headers);
    headers.host = upstream.host;
    const out = send({ protocol: upstream.protocol, hostname: upstream.hostname, port: upstream.port, method: req.method, path, headers }, (up) => {
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
    });
    out.on('error', (err) => {
      options.onUpstreamError(err);
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('driftwatch proxy: the inference server is unreachable\n');
      } else {
        res.destroy();
      }
    });
    relay(req, out, observer === undefined ? undefined : (chunk) => observer.request(chunk));
    req.on('error', () => out.destroy());
    res.on('close', () => {
      if (!res.writableFinished) out.destroy();
    });
  };
}

/**
 * A GET a proxy makes of its own upstream (the OIP model metadata check): the one other request
 * this file sends, to the same loopback server. Resolves with the status and body (at most 1 MiB),
 * or the connection's error.
 */
export function upstreamGet(upstream: URL, path: string, timeoutMs: number): Promise<{ status: number; text: string } | { error: string }> {
  const send = upstream.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let timedOut = false;
    const req = send({ protocol: upstream.protocol, hostname: upstream.hostname, port: upstream.port, method: 'GET', path, timeout: timeoutMs }, (res) => {
      const copy = new BoundedCopy(1024 * 1024);
      res.on('data', (chunk: Buffer) => copy.add(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: copy.result()?.toString('utf8') ?? '' }));
      res.on('error', (err) => resolve({ error: err.message }));
    });
    req.on('timeout', () => {
      timedOut = true;
      req.destroy();
    });
    req.on('error', (err) => resolve({ error: timedOut ? `no answer in ${timeoutMs} ms` : err.message }));
    req.end();
  });
}
