import { gunzipSync } from 'node:zlib';
import type { Logger } from 'pino';
import { profileColumns, type BaselineProfile } from '../../../shared/core/profile/baseline-profile.js';
import { DwError } from '../../../shared/platform/errors.js';
import type { BodyItem } from '../event-body.js';
import { exchangeEvents, type ExchangeProblem, type TensorMapping } from './oip-events.js';
import type { Exchange } from './oip-proxy.js';

/** Why an exchange was not counted (its events were not read): `/v1/status` `sources.oip.unread`. */
export type UnreadReason = ExchangeProblem['reason'] | 'unmapped_model' | 'server_error' | 'too_large' | 'encoding';

/** A model the proxy reads: the driftwatch model it counts toward and its tensor mapping. */
export interface ReadModel extends TensorMapping {
  name: string;
}

/**
 * Turns the exchanges the OIP proxy copied into events for the counting path. Every exchange that
 * cannot be read is counted by reason and logged once per reason (not per request); nothing here
 * can reach the response, which has already gone.
 */
export class OipReader {
  readonly totals = { exchanges: 0, events: 0, unread: {} as Partial<Record<UnreadReason, number>> };
  private readonly logged = new Set<UnreadReason>();

  constructor(private readonly models: ReadonlyMap<string, ReadModel>, private readonly copyLimitBytes: number,
    private readonly ingest: (items: readonly BodyItem[]) => void, private readonly log: Logger) {}

  read(exchange: Exchange): void {
    this.totals.exchanges++;
    const model = this.models.get(exchange.model);
    if (model === undefined) return this.unread('unmapped_model', `requests for server model '${exchange.model.slice(0, 100)}' are forwarded but not counted: sources.oip.models does not map it`);
    if (exchange.status >= 400) return this.unread('server_error', `the inference server answered ${exchange.status}; such exchanges are not counted`);
    const request = this.json(exchange.request, exchange.requestHeaders['content-encoding']);
    const response = this.json(exchange.response, exchange.responseHeaders['content-encoding']);
    const problem = 'problem' in request ? request.problem : 'problem' in response ? response.problem : undefined;
    if (problem !== undefined) {
      return this.unread(problem, 'an infer request or response is not JSON the proxy can read (or is over sources.oip.copyLimitBytes); it was forwarded unchanged and not counted');
    }
    const events = exchangeEvents(model.name, exchange.version, (request as { value: unknown }).value, (response as { value: unknown }).value, model);
    if (!Array.isArray(events)) return this.unread(events.reason, `an exchange of server model '${exchange.model.slice(0, 100)}' was not counted: ${events.message}`);
    this.totals.events += events.length;
    this.ingest(events.map((value, index) => ({ index, value })));
  }

  /** A body as JSON, or why not. */
  private json(body: Buffer | undefined, encoding: string | string[] | undefined): { value: unknown } | { problem: UnreadReason } {
    if (body === undefined) return { problem: 'too_large' };
    let text = body;
    if (encoding === 'gzip') {
      try {
        text = gunzipSync(body, { maxOutputLength: this.copyLimitBytes });
      } catch {
        return { problem: 'encoding' };
      }
    } else if (encoding !== undefined && encoding !== 'identity') {
      return { problem: 'encoding' };
    }
    try {
      return { value: JSON.parse(text.toString('utf8')) as unknown };
    } catch {
      return { problem: 'not_json' };
    }
  }

  private unread(reason: UnreadReason, message: string): void {
    this.totals.unread[reason] = (this.totals.unread[reason] ?? 0) + 1;
    if (this.logged.has(reason)) return;
    this.logged.add(reason);
    this.log.warn({ reason }, `${message} (logged once; /v1/status counts every one).`);
  }
}

/** Every feature a mapping names must be a column of the model's baseline: a typo fails at start, naming the tensor. */
export function checkMapping(model: { name: string; inputs: TensorMapping['inputs'] }, profile: BaselineProfile): void {
  const columns = profileColumns(profile);
  model.inputs.forEach((m, i) => {
    for (const feature of 'columns' in m ? m.columns : [m.feature]) {
      if (columns.has(feature)) continue;
      throw new DwError('DW_ERR_CONFIG', `model '${model.name}': tensor '${m.tensor}' maps to '${feature}', which its baseline does not have`,
        { field: `sources.oip.models.${model.name}.inputs.${i}` });
    }
  });
}
