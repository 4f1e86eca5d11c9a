import type { IncomingHttpHeaders } from 'node:http';

/** One inference exchange a source saw (the proxy, the KServe logger), handed on after the response went out. */
export interface Exchange {
  /** `v2`: Open Inference Protocol tensors; `v1`: KServe's instances and predictions; `either`: told by the request body (the KServe logger does not send the path). */
  protocol: 'v1' | 'v2' | 'either';
  /** The exchange's id from the transport (KServe's `ce-id`); else the request body's OIP `id` is used. */
  id?: string;
  model: string;
  version: string | undefined;
  /** The request and response bodies, or undefined where one was over the copy limit. */
  request: Buffer | undefined;
  response: Buffer | undefined;
  status: number;
  requestHeaders: IncomingHttpHeaders;
  responseHeaders: IncomingHttpHeaders;
}
