import type { ClientRequest } from 'node:http';
import { BoundedCopy } from './bounded-copy.js';

/** Request bytes kept for the one retry; a longer body is not retried. */
const RETRY_COPY_BYTES = 1024 * 1024;

/** Where a relay writes: a response, or the request to the upstream. */
export interface ChunkSink {
  write(chunk: Buffer): boolean;
  end(): void;
  once(event: 'drain', listener: () => void): unknown;
}

/**
 * The proxy's request to its upstream, sent again once on a fresh connection when the kept-alive
 * connection it went out on turns out to have been closed by the server before any answer came
 * (`reusedSocket` and a reset: the race every HTTP/1.1 keep-alive client has, which uvicorn, under
 * vLLM and llama-cpp-python, makes certain by closing the connection after a 500 without saying
 * so). The server never read such a request, so sending it again applies it once. Any other
 * error, or one after the answer began, goes to `failed`.
 */
export class RetryingUpstream implements ChunkSink {
  private current: ClientRequest;
  /** What was written, for the retry; dropped once the answer begins. */
  private sent: BoundedCopy | undefined = new BoundedCopy(RETRY_COPY_BYTES);
  private ended = false;
  private retried = false;
  private waiting: (() => void) | undefined;

  /** `start(fresh)` sends the request (on a new connection when `fresh`). */
  constructor(private readonly start: (fresh: boolean) => ClientRequest, private readonly failed: (err: Error) => void) {
    this.current = this.begin(false);
  }

  /** The upstream's answer began: no retry after this. */
  answered(): void {
    this.sent = undefined;
  }

  write(chunk: Buffer): boolean {
    this.sent?.add(chunk);
    return this.current.write(chunk);
  }

  end(chunk?: Buffer): void {
    if (chunk !== undefined) this.sent?.add(chunk);
    this.ended = true;
    this.current.end(chunk);
  }

  once(_event: 'drain', listener: () => void): this {
    this.waiting = listener;
    this.current.once('drain', () => {
      this.waiting = undefined;
      listener();
    });
    return this;
  }

  destroy(): void {
    this.current.destroy();
  }

  private begin(fresh: boolean): ClientRequest {
    const req = this.start(fresh);
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (req === this.current && this.retry(req, err)) return;
      this.failed(err);
    });
    return req;
  }

  private retry(req: ClientRequest, err: NodeJS.ErrnoException): boolean {
    if (this.retried || !req.reusedSocket || (err.code !== 'ECONNRESET' && err.code !== 'EPIPE')) return false;
    const body = this.sent?.result();
    if (body === undefined) return false;
    this.retried = true;
    this.current = this.begin(true);
    if (body.length > 0) this.current.write(body);
    if (this.ended) this.current.end();
    // A relay waiting for the old request to drain waits no more: the new one buffers what comes.
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
    return true;
  }
}
