import type { RejectReason } from '../../shared/core/aggregation/reject-reasons.js';
import { DwError } from '../../shared/platform/errors.js';

/** One item of a request body: a parsed value, or why it could not be parsed. */
export type BodyItem =
  | { index: number; line?: number; value: unknown }
  | { index: number; line?: number; error: { reason: RejectReason; message: string } };

/** A body that cannot be read at all (answered with 400). */
export class BodyError extends DwError {
  override readonly name = 'BodyError';

  constructor(message: string) {
    super('DW_ERR_API_BODY', message);
  }
}

/** Deepest nesting an event may have: `{features: {x: [[...]]}}` needs 4; JSON.stringify and friends recurse. */
export const MAX_EVENT_DEPTH = 32;

/** Whether `value` nests deeper than `limit` (arrays and objects): a bounded recursion over containers only (per event, so kept cheap). */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (limit === 0) return true;
  if (Array.isArray(value)) {
    for (const child of value) if (typeof child === 'object' && child !== null && nestsDeeperThan(child, limit - 1)) return true;
    return false;
  }
  for (const key in value) {
    const child = (value as Record<string, unknown>)[key];
    if (typeof child === 'object' && child !== null && nestsDeeperThan(child, limit - 1)) return true;
  }
  return false;
}

/** The item, or a `too_deep` refusal in its place: nothing downstream may recurse into a hostile depth. */
function bounded(item: BodyItem): BodyItem {
  if (!('value' in item) || !nestsDeeperThan(item.value, MAX_EVENT_DEPTH)) return item;
  return { index: item.index, ...(item.line === undefined ? {} : { line: item.line }),
    error: { reason: 'too_deep', message: `the event nests deeper than ${MAX_EVENT_DEPTH} levels` } };
}

/**
 * Splits a request body into events. `json`: one JSON array of events (or a single event object);
 * a syntax error fails the whole body. `ndjson`: one event per line; a bad line fails that event
 * only, so the good lines around it still count.
 */
export function parseEventBody(body: string, kind: 'json' | 'ndjson', noun = 'event'): BodyItem[] {
  if (kind === 'json') {
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch (err) {
      throw new BodyError(`malformed JSON body: ${(err as Error).message}`);
    }
    if (Array.isArray(value)) return value.map((v, index) => bounded({ index, value: v as unknown }));
    if (value !== null && typeof value === 'object') return [bounded({ index: 0, value })];
    throw new BodyError(`the body must be a JSON array of ${noun}s or one ${noun} object`);
  }
  const items: BodyItem[] = [];
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!.trim();
    if (text === '') continue;
    const index = items.length;
    try {
      items.push(bounded({ index, line: i + 1, value: JSON.parse(text) as unknown }));
    } catch (err) {
      items.push({ index, line: i + 1, error: { reason: 'malformed_json', message: (err as Error).message } });
    }
  }
  return items;
}
