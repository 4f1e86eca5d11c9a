import { existsSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { ERROR_CODES } from '../../shared/errors.js';
import { authorised, handleFlush, handleProbe, HttpError, readBody, send, sendError } from '../../shared/http/http-helpers.js';
import type { Agent } from '../agent.js';
import { BodyError, parseEventBody } from './event-body.js';

/** How the API listens and what it accepts. */
export interface ApiOptions {
  host: string;
  port: number;
  socket?: string;
  token?: string;
  bodyLimitBytes: number;
}

/** At most this many per-event errors are listed in a response (the counts are always exact). */
const MAX_LISTED_ERRORS = 1000;

function bodyKind(req: IncomingMessage): 'json' | 'ndjson' {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') return 'json';
  if (type === 'application/x-ndjson' || type === 'application/ndjson' || type === 'application/jsonl') return 'ndjson';
  throw new HttpError('DW_ERR_API_CONTENT_TYPE', `content-type must be application/json or application/x-ndjson, not '${type || '(none)'}'`);
}

/**
 * The agent's local HTTP API (docs/agent-api.md, docs/agent-api.openapi.yaml): `POST /v1/events`,
 * `GET /healthz`, `GET /readyz`, `GET /v1/status`, `POST /v1/flush`.
 */
export function createApiServer(agent: Agent, options: ApiOptions, log: Logger): Server {
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://agent').pathname;
    const method = req.method ?? 'GET';
    const only = (m: string): void => {
      if (method !== m) throw new HttpError('DW_ERR_API_METHOD', `${path} takes ${m}, not ${method}`);
    };
    if (handleProbe(path, method, res, agent.ready)) return;
    if (!authorised(req, options.token)) throw new HttpError('DW_ERR_API_UNAUTHORIZED', 'a valid "Authorization: Bearer <token>" header is required');
    switch (path) {
      case '/v1/events': {
        only('POST');
        const kind = bodyKind(req);
        const body = await readBody(req, options.bodyLimitBytes);
        let items;
        try {
          items = parseEventBody(body, kind);
        } catch (err) {
          if (err instanceof BodyError) throw new HttpError('DW_ERR_API_BODY', err.message);
          throw err;
        }
        const result = agent.ingest(items);
        const rejected = result.rejections.length;
        const payload = { accepted: result.accepted, rejected, errors: result.rejections.slice(0, MAX_LISTED_ERRORS) };
        if (rejected === 0) return send(res, 200, payload);
        return send(res, ERROR_CODES.DW_ERR_API_EVENTS.status, { ...payload, error: { code: 'DW_ERR_API_EVENTS', message: `${rejected} of ${items.length} events were refused; the others were counted` } });
      }
      case '/v1/status':
        only('GET');
        return send(res, 200, agent.status());
      case '/v1/flush':
        only('POST');
        return handleFlush(req, res, () => agent.flush());
      default:
        throw new HttpError('DW_ERR_API_NOT_FOUND', `no endpoint ${path}`);
    }
  };

  return createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) {
        sendError(res, err.code, err.message);
        return;
      }
      log.error({ err, path: req.url }, 'Unexpected error while handling a request.');
      agent.metrics.error('internal', 'api');
      if (!res.headersSent) send(res, 500, { error: { code: 'DW_ERR_INTERNAL', message: 'internal error; see the agent log' } });
    });
  });
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
  return `http://${host}:${address.port}`;
}
