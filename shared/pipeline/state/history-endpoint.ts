import type { HistoryQuery, HistoryWindow } from './window-history-store.js';
import { windowSummary } from '../../core/drift/window-report.js';
import { parseTimeSpec } from '../../platform/time-spec.js';
import { HttpError } from '../../platform/http/http-helpers.js';

/** Windows a `GET /v1/windows` answers with when it names no `limit`, and the most it may ask for. */
export const WINDOWS_LIMIT = { default: 100, max: 1000 };

/**
 * The query of `GET /v1/windows?model=&since=&until=&limit=`, or the parameter that is wrong and
 * why: `model` one of the configured models, `since` / `until` an ISO time or a duration back from
 * now (`6h`), `limit` 1-1000. Pure.
 */
export function parseWindowsQuery(params: URLSearchParams, models: ReadonlySet<string>, nowMs: number): HistoryQuery | { field: string; message: string } {
  for (const key of params.keys()) {
    if (!['model', 'since', 'until', 'limit'].includes(key)) return { field: key.slice(0, 40), message: 'is not a parameter of /v1/windows (model, since, until, limit)' };
  }
  const query: HistoryQuery = { limit: WINDOWS_LIMIT.default };
  const model = params.get('model');
  if (model !== null) {
    if (!models.has(model)) return { field: 'model', message: `'${model.slice(0, 100)}' is not a configured model` };
    query.model = model;
  }
  for (const key of ['since', 'until'] as const) {
    const text = params.get(key);
    if (text === null) continue;
    const ms = parseTimeSpec(text, nowMs);
    if (typeof ms === 'string') return { field: key, message: ms };
    query[key === 'since' ? 'sinceMs' : 'untilMs'] = ms;
  }
  const limit = params.get('limit');
  if (limit !== null) {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > WINDOWS_LIMIT.max) return { field: 'limit', message: `'${limit.slice(0, 20)}' is not a whole number from 1 to ${WINDOWS_LIMIT.max}` };
    query.limit = n;
  }
  return query;
}

/** A kept window as `GET /v1/windows` lists it: the line `POST /v1/flush` gives a window, then when it closed, its baseline and the whole report. */
function historyEntry(w: HistoryWindow): object {
  return { ...windowSummary(w.report), closedAt: new Date(w.closedAtMs).toISOString(), baseline: w.baseline, report: w.report };
}

/**
 * The body of `GET /v1/windows` on the agent's API and the collector's receiver, from the request
 * URL; a query that cannot be read is an HttpError `DW_ERR_API_QUERY` naming the parameter.
 */
export function windowsResponse(url: string | undefined, models: ReadonlySet<string>, read: (query: HistoryQuery) => HistoryWindow[], nowMs: number): object {
  const query = parseWindowsQuery(new URL(url ?? '/', 'http://local').searchParams, models, nowMs);
  if ('field' in query) throw new HttpError('DW_ERR_API_QUERY', `${query.field}: ${query.message}`);
  return { windows: read(query).map(historyEntry) };
}
