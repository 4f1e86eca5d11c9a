import { windowsResponse } from '../../shared/pipeline/state/history-endpoint.js';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { ERROR_CODES, type ErrorCode } from '../../shared/platform/errors.js';
import { windowSummary } from '../../shared/core/drift/window-report.js';
import { discardBody, handleFlush, handleProbe, HttpError, readBodyBytes, overloadedError, refusalReason, requireMethod, send, sendError, sendPrometheus } from '../../shared/platform/http/http-helpers.js';
import { LoadShedder } from '../../shared/platform/http/load-shedder.js';
import { reloadOnRenewal } from '../../shared/platform/http/tls-files.js';
import { OTLP_ATTRIBUTES } from '../../shared/pipeline/egress/otlp-names.js';
import type { Collector } from '../collector.js';
import { checkInstances, identify } from './agent-identity.js';
import type { CollectorConfig } from '../config/collector-config.js';
import { decodeJson, decodeProtobuf, encodeResponse, encodeStatus, OtlpDecodeError } from './otlp-request.js';

type Kind = 'protobuf' | 'json';
const CONTENT_TYPE: Record<Kind, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };
/** gRPC status codes used in OTLP/HTTP error bodies. */
const GRPC = { INVALID_ARGUMENT: 3, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, UNAVAILABLE: 14, UNAUTHENTICATED: 16, INTERNAL: 13 } as const;
const GRPC_OF: Partial<Record<ErrorCode, number>> = {
  DW_ERR_API_UNAUTHORIZED: GRPC.UNAUTHENTICATED, DW_ERR_API_FORBIDDEN: GRPC.PERMISSION_DENIED, DW_ERR_API_BODY_TOO_LARGE: GRPC.RESOURCE_EXHAUSTED, DW_ERR_API_OVERLOADED: GRPC.UNAVAILABLE,
};

function kindOf(req: IncomingMessage): Kind {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  throw new HttpError('DW_ERR_API_CONTENT_TYPE', `content-type must be application/x-protobuf or application/json, not '${type || '(none)'}'`);
}

function reply(res: ServerResponse, status: number, kind: Kind, body: Uint8Array | string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': CONTENT_TYPE[kind], 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/**
 * The collector's OTLP/HTTP receiver (docs/collector.md): `POST /v1/metrics` in protobuf or JSON,
 * gzip accepted, answered as the OTLP specification says (200 with partial success when some
 * windows were refused, 400 with a Status for a body that is not OTLP, 401/403 for an agent that
 * is not allowed); `GET /healthz`, `GET /readyz`, `GET /v1/status`, `GET /v1/windows`, `POST /v1/flush` (loopback), `GET /metrics`.
 * With `tls`, it serves HTTPS; with `tls.clientCa`, an agent must present a certificate that CA
 * signed, or it gets 403.
 */
// eslint-disable-next-line max-lines-per-function -- the route table, with the OTLP error mapping beside the routes it answers for.
export function createReceiver(collector: Collector, options: CollectorConfig['receiver'], log: Logger): Server {
  // Bounds memory: at most maxConcurrentRequests uploads, holding at most maxBytesInFlight together.
  // The collector's event loop is not sampled: its uploads are bounded by bytes, not by latency.
  const load = new LoadShedder({ maxConcurrentRequests: options.maxConcurrentRequests, maxEventLoopDelayMs: Infinity, maxBytesInFlight: options.maxBytesInFlight });
  const overloaded = (message: string): HttpError => overloadedError(`${message}; nothing was taken, retry later`);
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]!;
    const method = req.method ?? 'GET';
    const only = (m: 'GET' | 'POST'): void => requireMethod(path, method, m);
    if (handleProbe(path, method, res, collector.ready)) return;
    if (options.tls?.clientCa !== undefined && !(req.socket as TLSSocket).authorized) {
      const why = (req.socket as TLSSocket).authorizationError;
      throw new HttpError('DW_ERR_API_FORBIDDEN', `a client certificate signed by the collector's client CA is required (${String(why ?? 'none presented')})`);
    }
    const identity = identify(req, options);
    switch (path) {
      case '/v1/metrics': {
        only('POST');
        const kind = kindOf(req);
        const declared = Number(req.headers['content-length'] ?? 0) || 0;
        const shed = load.shouldShed(declared);
        if (shed === 'concurrency') throw overloaded(`${options.maxConcurrentRequests} uploads are in progress (receiver.maxConcurrentRequests)`);
        if (shed !== undefined) throw overloaded(`the uploads in progress hold ${options.maxBytesInFlight} bytes (receiver.maxBytesInFlight)`);
        const admission = load.admit();
        let result;
        try {
          // A plain body with a length claims all of it now, so admitted uploads finish rather than
          // all stalling halfway at the budget; a gzip or chunked body claims its bytes as they decode.
          const upfront = (req.headers['content-encoding'] ?? 'identity') === 'identity' && declared > 0;
          if (upfront && !admission.take(declared)) throw overloaded(`the uploads in progress hold ${options.maxBytesInFlight} bytes (receiver.maxBytesInFlight)`);
          const body = await readBodyBytes(req, { limitBytes: options.bodyLimitBytes, idleTimeoutMs: options.bodyTimeoutSeconds * 1000,
            deadlineMs: options.bodyDeadlineSeconds * 1000, ...(upfront ? {} : { take: admission.take }) });
          let batches;
          try {
            batches = kind === 'protobuf' ? decodeProtobuf(body) : decodeJson(body.toString('utf8'));
          } catch (err) {
            if (!(err instanceof OtlpDecodeError)) throw err;
            collector.metrics.requestRefused('bad_body');
            return reply(res, 400, kind, encodeStatus(kind, GRPC.INVALID_ARGUMENT, err.message));
          }
          // Windows only under the identity the credential proves: one agent cannot send as, or pre-empt, another.
          checkInstances(identity, batches.map((b) => b.resource[OTLP_ATTRIBUTES.instance]));
          result = await collector.receive(batches);
        } finally {
          admission.release();
        }
        const rejected = result.refusals.reduce((n, r) => n + r.points, 0);
        const message = result.refusals.slice(0, 5).map((r) => `${r.reason}: ${r.message}`).join('; ');
        return reply(res, 200, kind, encodeResponse(kind, rejected, message));
      }
      case '/v1/status':
        only('GET');
        return send(res, 200, collector.status());
      case '/v1/windows':
        only('GET');
        return send(res, 200, windowsResponse(req.url, collector.modelNames, (q) => collector.windows(q), Date.now()));
      case '/v1/flush':
        only('POST');
        return handleFlush(req, res, async () => (await collector.flush()).map(windowSummary));
      case '/metrics':
        only('GET');
        return sendPrometheus(res, collector.prometheusText, 'collector');
      default:
        throw new HttpError('DW_ERR_API_NOT_FOUND', `no endpoint ${path}`);
    }
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((err: unknown) => {
      const kind: Kind = (req.headers['content-type'] ?? '').startsWith('application/x-protobuf') ? 'protobuf' : 'json';
      if (err instanceof HttpError) {
        collector.metrics.requestRefused(refusalReason(err));
        discardBody(req, { idleTimeoutMs: options.bodyTimeoutSeconds * 1000, deadlineMs: options.bodyDeadlineSeconds * 1000 });
        log.warn({ code: err.code, path: req.url, remote: req.socket.remoteAddress }, `Refused a request: ${err.message}`);
        const status = ERROR_CODES[err.code].status;
        if (req.url?.startsWith('/v1/metrics') === true) return reply(res, status, kind, encodeStatus(kind, GRPC_OF[err.code] ?? GRPC.INVALID_ARGUMENT, err.message), err.extra.headers);
        return sendError(res, err);
      }
      collector.failures.internal('receiver', err, 'Unexpected error while handling a request.', { path: req.url });
      if (!res.headersSent) reply(res, 500, kind, encodeStatus(kind, GRPC.INTERNAL, 'internal error; see the collector log'));
    });
  };

  if (options.tls === undefined) return createHttpServer(listener);
  const tls = options.tls;
  const secure = (): ServerOptions => ({
    cert: readFileSync(tls.cert),
    key: readFileSync(tls.key),
    ...(tls.clientCa === undefined ? {} : { ca: readFileSync(tls.clientCa), requestCert: true, rejectUnauthorized: false }),
  });
  const server = createHttpsServer(secure(), listener);
  // cert-manager renews the certificate in place: serve the new one without a restart.
  reloadOnRenewal(server, [tls.cert, tls.key, tls.clientCa], secure, (err) => collector.failures.internal('receiver', err, 'Could not load the renewed TLS certificate; serving the previous one.'));
  return server;
}

/** Starts listening; resolves to a printable base URL. */
export async function listenReceiver(server: Server, options: CollectorConfig['receiver']): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${options.tls === undefined ? 'http' : 'https'}://${host}:${address.port}`;
}
