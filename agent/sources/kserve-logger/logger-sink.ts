import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { HttpError, readBodyBytes, refusalReason, send, sendError } from '../../../shared/platform/http/http-helpers.js';
import type { Exchange } from '../inference/exchange.js';
import { EventJoin, type JoinLimits, type LoggedHalf } from './event-join.js';

/** The CloudEvent types KServe's logger sends (pkg/logger/worker.go). */
const TYPES: Readonly<Record<string, LoggedHalf['kind']>> = {
  'org.kubeflow.serving.inference.request': 'request',
  'org.kubeflow.serving.inference.response': 'response',
};

/** The sink's limits (config `sources.kserveLogger`). */
export interface LoggerSinkOptions extends JoinLimits {
  maxBodyBytes: number;
  /** Told of every joined exchange; never awaited. */
  onExchange: (exchange: Exchange) => void;
}

/** What the sink received: `/v1/status` `sources.kserveLogger` (beside the reader's counts). */
export interface LoggerSinkTotals {
  received: number;
  /** Requests refused (4xx), by reason. */
  refused: Record<string, number>;
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
};

/** The half a binary-mode CloudEvent carries, or an error naming the header at fault. */
function loggedHalf(req: IncomingMessage, body: Buffer, at: number): LoggedHalf {
  const contentType = header(req, 'content-type');
  if (contentType?.startsWith('application/cloudevents') === true) {
    throw new HttpError('DW_ERR_API_CLOUDEVENT', 'structured-mode CloudEvents are not read: KServe\'s logger sends binary mode (ce-* headers, the payload as the body)');
  }
  if (header(req, 'ce-specversion') !== '1.0') throw new HttpError('DW_ERR_API_CLOUDEVENT', "header 'ce-specversion' must be 1.0");
  const id = header(req, 'ce-id');
  if (id === undefined || id.length > 256) throw new HttpError('DW_ERR_API_CLOUDEVENT', "header 'ce-id' is missing or longer than 256 characters");
  const kind = TYPES[header(req, 'ce-type') ?? ''];
  if (kind === undefined) throw new HttpError('DW_ERR_API_CLOUDEVENT', `header 'ce-type' must be one of ${Object.keys(TYPES).join(', ')}`);
  const inferenceService = header(req, 'ce-inferenceservicename');
  if (inferenceService === undefined) throw new HttpError('DW_ERR_API_CLOUDEVENT', "header 'ce-inferenceservicename' is missing");
  return { id, kind, inferenceService, body, contentType, at };
}

/**
 * The receiver of KServe's InferenceService logger: each request and response arrives as a
 * binary-mode CloudEvent (pkg/logger); halves are joined on `ce-id` and each pair handed on as an
 * exchange of the InferenceService's model. KServe sends a response only for a 200, so every pair
 * is a served inference. Answers 200 to every event it takes (the logger does not retry), and a
 * 4xx naming the header or limit to anything else; it never throws.
 */
export function loggerSinkHandler(options: LoggerSinkOptions): { handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>; join: EventJoin; totals: LoggerSinkTotals } {
  const join = new EventJoin(options);
  const totals: LoggerSinkTotals = { received: 0, refused: {} };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      if (req.method !== 'POST') throw new HttpError('DW_ERR_API_METHOD', `the KServe logger sink takes POST, not ${req.method ?? ''}`, { headers: { allow: 'POST' } });
      const body = await readBodyBytes(req, { limitBytes: options.maxBodyBytes, idleTimeoutMs: 10_000, deadlineMs: 60_000 });
      const half = loggedHalf(req, body, performance.now());
      totals.received++;
      const pair = join.add(half);
      send(res, 200, { accepted: 1 });
      if (pair === undefined) return;
      const json = { 'content-type': pair.request.contentType };
      const exchange: Exchange = {
        protocol: 'either', id: pair.request.id, model: pair.request.inferenceService, version: undefined, status: 200,
        request: pair.request.body, response: pair.response.body, requestHeaders: json, responseHeaders: json,
      };
      setImmediate(() => {
        try {
          options.onExchange(exchange);
        } catch {
          // the reader counts its own failures
        }
      });
    } catch (err) {
      const error = err instanceof HttpError ? err : new HttpError('DW_ERR_API_BODY', `cannot read the event: ${(err as Error).message}`);
      const reason = refusalReason(error);
      totals.refused[reason] = (totals.refused[reason] ?? 0) + 1;
      if (!res.headersSent && !res.destroyed) sendError(res, error);
    }
  };
  return { handle, join, totals };
}
