import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** Headers that belong to one hop, not to the exchange (RFC 9110 §7.6.1): not forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate']);

/** `POST /v2/models/{model}[/versions/{version}]/infer`, the exchange the proxy reads. */
const INFER_PATH = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?\/infer$/;

/** What the proxy saw of one inference exchange, handed on after the response went out. */
export interface Exchange {
  model: string;
  version: string | undefined;
  /** The request and response bodies, or undefined where one was over the copy limit. */
  request: Buffer | undefined;
  response: Buffer | undefined;
  status: number;
  requestHeaders: IncomingHttpHeaders;
  responseHeaders: IncomingHttpHeaders;
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
    return this.over ? undefined : Buffer.concat(this.chunks);
  }
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
    const infer = req.method === 'POST' ? INFER_PATH.exec(path.split('?')[0]!) : null;
    const requestCopy = infer === null ? undefined : new BoundedCopy(options.copyLimitBytes);
    const headers = forwardedHeaders(req.headers);
    headers.host = upstream.host;
    const out = send({ protocol: upstream.protocol, hostname: upstream.hostname, port: upstream.port, method: req.method, path, headers }, (up) => {
      const responseCopy = infer === null ? undefined : new BoundedCopy(options.copyLimitBytes);
      res.writeHead(up.statusCode ?? 502, up.statusMessage, forwardedHeaders(up.headers));
      if (responseCopy !== undefined) up.on('data', (chunk: Buffer) => responseCopy.add(chunk));
      up.pipe(res);
      up.on('end', () => {
        if (infer === null || requestCopy === undefined || responseCopy === undefined) return;
        const exchange: Exchange = {
          model: decodeURIComponent(infer[1]!), version: infer[2] === undefined ? undefined : decodeURIComponent(infer[2]),
          request: requestCopy.result(), response: responseCopy.result(), status: up.statusCode ?? 0,
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
    if (requestCopy !== undefined) req.on('data', (chunk: Buffer) => requestCopy.add(chunk));
    req.pipe(out);
    req.on('error', () => out.destroy());
    res.on('close', () => {
      if (!res.writableFinished) out.destroy();
    });
  };
}
