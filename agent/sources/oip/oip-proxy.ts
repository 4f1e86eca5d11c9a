import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Exchange } from '../inference/exchange.js';
import { BoundedCopy } from '../proxy/bounded-copy.js';
import { reverseProxyHandler } from '../proxy/reverse-proxy.js';

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

/**
 * The Open Inference Protocol and KServe v1 proxy: every request goes to the upstream unchanged
 * (reverse-proxy.ts); for infer requests a bounded copy of each body is taken on the way through
 * and handed to `onExchange` after the client has the response.
 */
export function oipProxyHandler(options: ProxyOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return reverseProxyHandler({
    upstream: options.upstream,
    onUpstreamError: options.onUpstreamError,
    observe: (req) => {
      const infer = inferencePath(req.method, req.url ?? '/');
      if (infer === null) return undefined;
      const request = new BoundedCopy(options.copyLimitBytes);
      const response = new BoundedCopy(options.copyLimitBytes);
      let status = 0;
      let responseHeaders: Exchange['responseHeaders'] = {};
      return {
        request: (chunk) => request.add(chunk),
        responseHead: (s, headers) => {
          status = s;
          responseHeaders = headers;
        },
        response: (chunk) => response.add(chunk),
        end: () => options.onExchange({ ...infer, request: request.result(), response: response.result(), status, requestHeaders: req.headers, responseHeaders }),
      };
    },
  });
}
