import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { DwError, ERROR_CODES, hasCode, type ErrorCode } from '../../shared/platform/errors.js';
import { windowSummary } from '../../shared/core/drift/window-report.js';
import { authorised, discardBody, handleFlush, handleProbe, HttpError, readBody, RETRY_AFTER_SECONDS, refusalReason, requireMethod, send, sendError, sendPrometheus } from '../../shared/platform/http/http-helpers.js';
import type { HistoryQuery, HistoryWindow } from '../../shared/pipeline/state/window-history-store.js';
import { windowsResponse } from '../../shared/pipeline/state/history-endpoint.js';
import type { WindowReport } from '../../shared/core/drift/window-report.js';
import type { LoadShedder } from '../../shared/platform/http/load-shedder.js';
import type { FailureEvents } from '../../shared/platform/failure-events.js';
import { reloadOnRenewal } from '../../shared/platform/http/tls-files.js';
import { BodyError, parseEventBody, type BodyItem } from './event-body.js';
import type { IngestResult } from './event-ingestor.js';

/** How the API listens and what it accepts. */
export interface ApiOptions {
  host: string;
  port: number;
  socket?: string;
  token?: string;
  /** Serve HTTPS from these PEM files. */
  tls?: { cert: string; key: string } | undefined;
  bodyLimitBytes: number;
  bodyTimeoutSeconds: number;
  bodyDeadlineSeconds: number;
  maxConcurrentRequests: number;
  maxEventLoopDelayMs: number;
}


/** At most this many per-event errors are listed in a response (the counts are always exact). */
const MAX_LISTED_ERRORS = 1000;

function bodyKind(req: IncomingMessage): 'json' | 'ndjson' {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') return 'json';
  if (type === 'application/x-ndjson' || type === 'application/ndjson' || type === 'application/jsonl') return 'ndjson';
  throw new HttpError('DW_ERR_API_CONTENT_TYPE', `content-type must be application/json or application/x-ndjson, not '${type || '(none)'}'`);
}

/** What the event API needs of the agent behind it. */
export interface EventApiHost {
  /** Started and not stopping. */
  readonly ready: boolean;
  /** Admission control (refuse before reading a body). */
  readonly load: LoadShedder;
  /** Strict durability: a request is answered only after its counts are committed. */
  readonly strict: boolean;
  readonly stateWritable: boolean;
  readonly metrics: { apiRefused(reason: string): void };
  readonly failures: FailureEvents;
  ingest(items: readonly BodyItem[]): IngestResult;
  /** Joins delayed labels; undefined when the config has no `labels` section. */
  applyLabels(items: readonly BodyItem[]): { accepted: number; tooLate: number; rejections: readonly object[] } | undefined;
  /** Whether `labels` is configured. */
  readonly labelsOn: boolean;
  committed(): Promise<void>;
  status(): object;
  flush(): Promise<WindowReport[]>;
  /** The configured models' names (`GET /v1/windows?model=` must name one). */
  readonly modelNames: ReadonlySet<string>;
  /** Closed windows kept on the host (`state.history`). */
  windows(query: HistoryQuery): HistoryWindow[];
  /** `GET /metrics` (sinks.prometheus), else undefined. */
  readonly prometheusText: (() => Promise<{ contentType: string; text: string }>) | undefined;
}

/**
 * The agent's local HTTP API (docs/agent-api.md, docs/agent-api.openapi.yaml): `POST /v1/events`,
 * `POST /v1/labels`, `GET /healthz`, `GET /readyz`, `GET /v1/status`, `GET /v1/windows`, `POST /v1/flush`, `GET /metrics`.
 */
// eslint-disable-next-line max-lines-per-function -- the route table: each endpoint's checks read in the order a request meets them, as agent-api.md lists them.
export function createApiServer(agent: EventApiHost, options: ApiOptions): Server {
  const refuse = (code: ErrorCode, reason: string, message: string): never => {
    throw new HttpError(code, message, { reason, headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } });
  };
  /** Refuses an event request before its body is read: stopping, overloaded, or (strict) no durable state. */
  const refuseIfUnable = (): void => {
    if (!agent.ready) refuse('DW_ERR_API_STOPPING', 'shutting_down', 'the agent is shutting down; nothing was counted');
    const shed = agent.load.shouldShed();
    if (shed === 'concurrency') refuse('DW_ERR_API_OVERLOADED', 'overloaded', `${options.maxConcurrentRequests} event requests are in progress (api.maxConcurrentRequests); nothing was counted, retry later`);
    if (shed === 'event_loop_delay') refuse('DW_ERR_API_OVERLOADED', 'event_loop_delay', `the agent is saturated (event loop delay over api.maxEventLoopDelayMs = ${options.maxEventLoopDelayMs} ms); nothing was counted, retry later`);
    if (agent.strict && !agent.stateWritable) refuse('DW_ERR_STATE_UNAVAILABLE', 'state_unavailable', 'the state file cannot be written (windows.durability: strict); nothing was counted, retry later');
  };
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://agent').pathname;
    const method = req.method ?? 'GET';
    const only = (m: 'GET' | 'POST'): void => requireMethod(path, method, m);
    if (handleProbe(path, method, res, agent.ready)) return;
    if (!authorised(req, options.token)) throw new HttpError('DW_ERR_API_UNAUTHORIZED', 'a valid "Authorization: Bearer <token>" header is required');
    switch (path) {
      case '/v1/events': {
        only('POST');
        const kind = bodyKind(req);
        refuseIfUnable();
        const admission = agent.load.admit();
        let result, items;
        try {
          items = await readItems(req, kind, options, 'event');
          if (!agent.ready) refuse('DW_ERR_API_STOPPING', 'shutting_down', 'the agent is shutting down; nothing was counted');
          result = agent.ingest(items);
        } finally {
          admission.release();
        }
        if (agent.strict) {
          try {
            await agent.committed();
          } catch (err) {
            if (!hasCode(err, 'DW_ERR_STATE_UNAVAILABLE')) throw err;
            refuse('DW_ERR_STATE_UNAVAILABLE', 'state_unavailable', `${err.message}; the events were not counted (windows.durability: strict)`);
          }
        }
        const rejected = result.rejections.length;
        const payload = { accepted: result.accepted, rejected, errors: result.rejections.slice(0, MAX_LISTED_ERRORS) };
        if (rejected === 0) return send(res, 200, payload);
        return send(res, ERROR_CODES.DW_ERR_API_EVENTS.status, { ...payload, error: { code: 'DW_ERR_API_EVENTS', message: `${rejected} of ${items.length} events were refused; the others were counted` } });
      }
      case '/v1/labels':
        only('POST');
        return labelsRoute(req, res, agent, options, refuseIfUnable);
      case '/v1/status':
        only('GET');
        return send(res, 200, agent.status());
      case '/v1/windows': {
        only('GET');
        return send(res, 200, windowsResponse(req.url, agent.modelNames, (q) => agent.windows(q), Date.now()));
      }
      case '/v1/flush':
        only('POST');
        return handleFlush(req, res, async () => (await agent.flush()).map(windowSummary));
      case '/metrics':
        only('GET');
        return sendPrometheus(res, agent.prometheusText, 'agent');
      default:
        throw new HttpError('DW_ERR_API_NOT_FOUND', `no endpoint ${path}`);
    }
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    route(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) {
        agent.metrics.apiRefused(refusalReason(err));
        discardBody(req, { idleTimeoutMs: options.bodyTimeoutSeconds * 1000, deadlineMs: options.bodyDeadlineSeconds * 1000 });
        sendError(res, err);
        return;
      }
      agent.failures.internal('api', err, 'Unexpected error while handling a request.', { path: req.url });
      if (!res.headersSent) send(res, 500, { error: { code: 'DW_ERR_INTERNAL', message: 'internal error; see the agent log' } });
    });
  };
  if (options.tls === undefined) return createServer(listener);
  const pem = (file: string, field: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new DwError('DW_ERR_CONFIG', `cannot read ${field} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { file, field });
    }
  };
  const tls = options.tls;
  const secure = (): { cert: Buffer; key: Buffer } => ({ cert: pem(tls.cert, 'api.tls.cert'), key: pem(tls.key, 'api.tls.key') });
  const server = createHttpsServer(secure(), listener);
  reloadOnRenewal(server, [tls.cert, tls.key], secure, (err) => agent.failures.internal('api', err, 'Could not load the renewed TLS certificate; serving the previous one.'));
  return server;
}

/** A request body read within the API's limits and split into items; an unreadable one is a 400. */
async function readItems(req: IncomingMessage, kind: 'json' | 'ndjson', options: ApiOptions, noun: string): Promise<BodyItem[]> {
  const body = await readBody(req, { limitBytes: options.bodyLimitBytes, idleTimeoutMs: options.bodyTimeoutSeconds * 1000, deadlineMs: options.bodyDeadlineSeconds * 1000 });
  try {
    return parseEventBody(body, kind, noun);
  } catch (err) {
    if (err instanceof BodyError) throw new HttpError('DW_ERR_API_BODY', err.message);
    throw err;
  }
}

/** `POST /v1/labels`: joins a batch of delayed labels (docs/agent-api.md#post-v1labels). */
async function labelsRoute(req: IncomingMessage, res: ServerResponse, agent: EventApiHost, options: ApiOptions, refuseIfUnable: () => void): Promise<void> {
  const kind = bodyKind(req);
  if (!agent.labelsOn) throw new HttpError('DW_ERR_LABELS_OFF', 'delayed labels are not turned on: add a labels section to the agent config (docs/agent.md#delayed-labels)');
  refuseIfUnable();
  const admission = agent.load.admit();
  let result, items;
  try {
    items = await readItems(req, kind, options, 'label');
    try {
      result = agent.applyLabels(items)!;
    } catch (err) {
      // The join commits per request: a state file that takes no writes joins nothing.
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && code.startsWith('SQLITE')) {
        throw new HttpError('DW_ERR_STATE_UNAVAILABLE', `the state file cannot be written (${code}); no label was joined, retry later`,
          { reason: 'state_unavailable', headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } });
      }
      throw err;
    }
  } finally {
    admission.release();
  }
  const refused = result.rejections.length;
  const payload = { accepted: result.accepted, tooLate: result.tooLate, refused, errors: result.rejections.slice(0, MAX_LISTED_ERRORS) };
  if (refused === 0) return send(res, 200, payload);
  return send(res, ERROR_CODES.DW_ERR_API_LABELS.status, { ...payload, error: { code: 'DW_ERR_API_LABELS', message: `${refused} of ${items.length} labels were refused; the others were joined` } });
}

/** Starts listening; resolves to a printable address (`http://127.0.0.1:4390` or `unix:/path`). */
export async function listen(server: Server, options: ApiOptions): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (options.socket !== undefined) {
      if (existsSync(options.socket)) unlinkSync(options.socket);
      server.listen(options.socket, resolve);
    } else {
      server.listen(options.port, options.host, resolve);
    }
  });
  if (options.socket !== undefined) return `unix:${options.socket}`;
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${options.tls === undefined ? 'http' : 'https'}://${host}:${address.port}`;
}
