import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { isLoopback } from '../config/config-file.js';
import { DwError, ERROR_CODES, type ErrorCode } from '../errors.js';

/** Request plumbing the agent's API and the collector's receiver share. */

/** An error answered with its code's HTTP status, and any headers it needs (`Retry-After`, `Allow`). */
export class HttpError extends DwError {
  override readonly name = 'HttpError';

  constructor(code: ErrorCode, message: string, readonly extra: { reason?: string; headers?: Record<string, string> } = {}) {
    super(code, message);
  }
}

/** Throws 405 with an `Allow` header unless the request's method is `allowed`. */
export function requireMethod(path: string, method: string, allowed: 'GET' | 'POST'): void {
  if (method !== allowed) throw new HttpError('DW_ERR_API_METHOD', `${path} takes ${allowed}, not ${method}`, { headers: { allow: allowed } });
}

const REFUSAL_REASONS: Partial<Record<ErrorCode, string>> = {
  DW_ERR_API_UNAUTHORIZED: 'unauthorized', DW_ERR_API_FORBIDDEN: 'forbidden', DW_ERR_API_BODY: 'bad_body', DW_ERR_API_BODY_TOO_LARGE: 'body_too_large',
  DW_ERR_API_BODY_TIMEOUT: 'body_timeout', DW_ERR_API_CONTENT_TYPE: 'content_type', DW_ERR_API_NOT_FOUND: 'not_found', DW_ERR_API_METHOD: 'method',
  DW_ERR_API_CLOUDEVENT: 'not_cloudevent',
};

/** The `reason` a refused request is counted under (`bad_body`, `overloaded`, ...). */
export function refusalReason(err: HttpError): string {
  return err.extra.reason ?? REFUSAL_REASONS[err.code] ?? err.code;
}

/** Sends a JSON body. */
export function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * `GET /metrics`: the Prometheus exposition `render` makes, or 404 saying how to turn it on when
 * `render` is undefined (`sinks.prometheus` is off, the default).
 */
export async function sendPrometheus(res: ServerResponse, render: (() => Promise<{ contentType: string; text: string }>) | undefined, component: string): Promise<void> {
  if (render === undefined) throw new HttpError('DW_ERR_API_NOT_FOUND', `GET /metrics is off: set sinks.prometheus: true in the ${component}'s config`);
  const { contentType, text } = await render();
  res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Sends `{error: {code, message}}` with the code's status and the error's headers. */
export function sendError(res: ServerResponse, err: HttpError): void {
  send(res, ERROR_CODES[err.code].status, { error: { code: err.code, message: err.message } }, err.extra.headers);
}

/** Limits on reading a request body. */
export interface BodyLimits {
  /** Largest body after gzip decoding, bytes. */
  limitBytes: number;
  /** A body that sends nothing for this long is abandoned and its connection closed (a stalled or slowloris client). */
  idleTimeoutMs: number;
  /** A body not complete this long after its request began is abandoned too: a byte every few seconds keeps the idle timer from firing. */
  deadlineMs: number;
  /**
   * Claims each decoded chunk from a byte budget shared by all requests (LoadShedder); when it
   * says no, the body is abandoned with a 503 and Retry-After. Unset: no budget.
   */
  take?: (bytes: number) => boolean;
}

/** Seconds a client is told to wait after a 503. */
export const RETRY_AFTER_SECONDS = 1;

/** A 503 `DW_ERR_API_OVERLOADED` with Retry-After, counted as `overloaded`. */
export function overloadedError(message: string): HttpError {
  return new HttpError('DW_ERR_API_OVERLOADED', message, { reason: 'overloaded', headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } });
}

/** Reads a UTF-8 body (gzip or identity) within `limits`. */
export async function readBody(req: IncomingMessage, limits: BodyLimits): Promise<string> {
  return (await readBodyBytes(req, limits)).toString('utf8');
}

/** Reads a body (gzip or identity) up to `limits.limitBytes` after decoding. */
export async function readBodyBytes(req: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  const limit = limits.limitBytes;
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') throw new HttpError('DW_ERR_API_CONTENT_TYPE', `content-encoding '${encoding}' is not supported (use gzip or none)`);
  const declared = Number(req.headers['content-length']);
  if (encoding === 'identity' && declared > limit) throw new HttpError('DW_ERR_API_BODY_TOO_LARGE', `body of ${declared} bytes exceeds the limit of ${limit}`);
  const stream: Readable = encoding === 'gzip' ? req.pipe(createGunzip()) : req;
  if (stream !== req) req.on('error', (err) => stream.destroy(err));
  let stalled: 'idle' | 'deadline' | undefined;
  const stalledError = (): HttpError => new HttpError('DW_ERR_API_BODY_TIMEOUT', stalled === 'idle'
    ? `the body sent nothing for ${limits.idleTimeoutMs} ms; the connection was closed`
    : `the body was not complete within ${limits.deadlineMs} ms; the connection was closed`);
  // The socket goes: a stalled client cannot hold an admission slot, and no reply could reach it.
  const abandon = (why: 'idle' | 'deadline') => (): void => {
    stalled = why;
    req.socket.destroy();
    stream.destroy();
  };
  const idle = setTimeout(abandon('idle'), limits.idleTimeoutMs);
  const deadline = setTimeout(abandon('deadline'), limits.deadlineMs);
  const chunks: Buffer[] = [];
  let size = 0;
  let overBudget = false;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      idle.refresh();
      size += chunk.length;
      // Over the byte budget: keep reading but hold nothing, so the client still gets its 503.
      if (overBudget || limits.take?.(chunk.length) === false) {
        overBudget = true;
        chunks.length = 0;
        continue;
      }
      if (size > limit) {
        stream.destroy();
        throw new HttpError('DW_ERR_API_BODY_TOO_LARGE', `body exceeds the limit of ${limit} bytes`);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof HttpError) throw err;
    if (stalled !== undefined) throw stalledError();
    throw new HttpError('DW_ERR_API_BODY', `cannot read the body: ${(err as Error).message}`);
  } finally {
    clearTimeout(idle);
    clearTimeout(deadline);
  }
  if (stalled !== undefined) throw stalledError();
  if (overBudget) {
    throw overloadedError('the request bodies in progress hold the whole byte budget; nothing was taken, retry later');
  }
  return Buffer.concat(chunks);
}

/**
 * Reads and discards the rest of a refused request's body, so the connection stays usable for the
 * client's next request; a body that stalls for `idleTimeoutMs`, or is not done by `deadlineMs`,
 * loses its connection instead.
 */
export function discardBody(req: IncomingMessage, limits: Pick<BodyLimits, 'idleTimeoutMs' | 'deadlineMs'>): void {
  if (req.complete || req.destroyed) return;
  const socket = req.socket;
  const idle = setTimeout(() => socket.destroy(), limits.idleTimeoutMs);
  const deadline = setTimeout(() => socket.destroy(), limits.deadlineMs);
  const done = (): void => {
    clearTimeout(idle);
    clearTimeout(deadline);
    socket.off('close', done);
  };
  req.on('data', () => idle.refresh());
  // Not the request's 'close': it comes when the response is done, body or no body. The socket's
  // listener goes once the body is read, or a keep-alive connection would collect one per refusal.
  req.once('end', done);
  socket.once('close', done);
  req.resume();
}

/** Whether the request carries the bearer token (always, when none is set). Constant-time. */
export function authorised(req: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true;
  const header = req.headers.authorization ?? '';
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}


/** `POST /v1/flush`: loopback (or a unix socket) only; closes the open windows and lists them (as `closed`). */
export async function handleFlush(req: IncomingMessage, res: ServerResponse, flush: () => Promise<readonly object[]>): Promise<void> {
  const remote = req.socket.remoteAddress;
  if (remote !== undefined && !isLoopback(remote)) throw new HttpError('DW_ERR_API_FORBIDDEN', 'flush is only allowed from loopback');
  send(res, 200, { closed: await flush() });
}

/**
 * Answers the Kubernetes probes, which need no credentials: `GET /healthz` (the process runs) and
 * `GET /readyz` (started, not stopping). Returns false for any other path.
 */
export function handleProbe(path: string, method: string, res: ServerResponse, ready: boolean): boolean {
  if (path !== '/healthz' && path !== '/readyz') return false;
  requireMethod(path, method, 'GET');
  if (path === '/healthz') send(res, 200, { status: 'ok' });
  else if (ready) send(res, 200, { status: 'ready' });
  else send(res, 503, { status: 'not ready' });
  return true;
}
