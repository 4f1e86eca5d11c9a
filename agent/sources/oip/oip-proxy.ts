import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable, Writable } from 'node:stream';
import type { Exchange } from '../inference/exchange.js';

/** Headers that belong to one hop, not to the exchange (RFC 9110 §7.6.1): not forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate']);

/** `POST /v2/models/{model}[/versions/{version}]/infer`, the Open Inference Protocol's exchange the proxy reads. */
const INFER_PATH = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?\/infer$/;
/** `POST /v1/models/{model}:predict`, KServe's v1 protocol. */
const PREDICT_PATH = /^\/v1\/models\/([^/:]+):predict$/;

/** The exchange a request path names: protocol, model and version; null for anything else (forwarded, not read). */
function inferencePath(method: string | undefined, url: string): { protocol: 'v1' | 'v2'; model: string; version: string | undefined } | null {
  if (method !== 'POST') return null;
  const path = url.split('?')[0]!;
  const v2 = INFER_PATH.exec(path);
  const v1 = v2 === null ? PREDICT_PATH.exec(path) : null;
  const match = v2 ?? v1;
  if (match === null) return null;
  try {
    return { protocol: v2 === null ? 'v1' : 'v2', model: decodeURIComponent(match[1]!), version: match[2] === undefined ? undefined : decodeURIComponent(match[2]) };
  } catch {
    return { protocol: v2 === null ? 'v1' : 'v2', model: match[1]!, version: match[2] };
  }
}


/** How the proxy forwards and what it copies. */
export interface ProxyOptions {
  /** The inference server, e.g. `http://127.0.0.1:8080`. */
  upstream: URL;
  /** Largest body copied for reading (each way); a larger one is forwarded all the same, unread. */
  copyLimitBytes: number;
  /** Told of every infer exchange once its response is complete; never awaited, never able to change the response. */
  onExchange: (exchange: Exchange) => void;
  /** Told when the upstream cannot be reached (the client gets 502). */
  onUpstreamError: (err: Error) => void;
}

/** Copies chunks up to a limit; past it, stops copying (and says so). */
class BoundedCopy {
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

/**
 * Streams `from` into `to` with backpressure, copying each chunk on the way; ends `to` at the end.
 * Fewer listeners a request than `pipe()`, which matters at tens of thousands of requests a second.
 */
function relay(from: Readable, to: Writable, copy: BoundedCopy | undefined): void {
  from.on('data', (chunk: Buffer) => {
    copy?.add(chunk);
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
  from.on('end', () => to.end());
}

function forwardedHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (!HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

/**
 * A reverse proxy for the Open Inference Protocol: every request goes to the upstream unchanged
 * and its response comes back unchanged, both streamed; for infer requests a bounded copy of each
 * body is taken on the way through and handed to `onExchange` after the client has the response.
 * Fail open: nothing the copy or its reader does can alter, hold back or fail the response.
 */
export function oipProxyHandler(options: ProxyOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { upstream } = options;
  const send = upstream.protocol === 'https:' ? httpsRequest : httpRequest;
  return (req, res) => {
    const path = req.url ?? '/';
    const infer = inferencePath(req.method, path);
    const requestCopy = infer === null ? undefined : new BoundedCopy(options.copyLimitBytes);
    const headers = forwardedHeaders(req.headers);
    headers.host = upstream.host;
    const out = send({ protocol: upstream.protocol, hostname: upstream.hostname, port: upstream.port, method: req.method, path, headers }, (up) => {
      const responseCopy = infer === null ? undefined : new BoundedCopy(options.copyLimitBytes);
      res.writeHead(up.statusCode ?? 502, up.statusMessage, forwardedHeaders(up.headers));
      relay(up, res, responseCopy);
      up.on('end', () => {
        if (infer === null || requestCopy === undefined || responseCopy === undefined) return;
        const exchange: Exchange = {
          ...infer, request: requestCopy.result(), response: responseCopy.result(), status: up.statusCode ?? 0,
          requestHeaders: req.headers, responseHeaders: up.headers,
        };
        // After the response is on its way, off this call stack: a reader's error stays its own.
        setImmediate(() => {
          try {
            options.onExchange(exchange);
          } catch {
            // onExchange counts its own failures; the response is already out
          }
        });
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
    relay(req, out, requestCopy);
    req.on('error', () => out.destroy());
    res.on('close', () => {
      if (!res.writableFinished) out.destroy();
    });
  };
}

/**
 * A GET the proxy makes of its own upstream (the model metadata check): the one other request
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
