import { gunzipSync } from 'node:zlib';
import type { Logger } from 'pino';
import { profileColumns, type BaselineProfile } from '../../../shared/core/profile/baseline-profile.js';
import { DwError } from '../../../shared/platform/errors.js';
import type { BodyItem } from '../event-body.js';
import { BatchedIngest, UnreadCounts } from '../source-counts.js';
import { readBinaryBody } from './oip-binary.js';
import { exchangeEvents, type ExchangeProblem, type InferenceEvent, type TensorMapping } from './oip-events.js';
import type { Exchange } from './exchange.js';
import { v1Events, type V1Mapping } from './v1-events.js';
import { isPlainObject } from '../json-value.js';
import { MAX_ID_LENGTH } from '../event-fields.js';

/** Why an exchange was not counted (its events were not read): `/v1/status` `sources.oip.unread`. */
export type UnreadReason = ExchangeProblem['reason'] | 'unmapped_model' | 'server_error' | 'too_large' | 'encoding' | 'binary' | 'overloaded' | 'no_body';

/** A model a source reads: the driftwatch model it counts toward, its tensor mapping (v2) and its v1 mapping. */
export interface ReadModel extends TensorMapping {
  name: string;
  v1?: V1Mapping;
}

/** The JSON of a body, or why it cannot be read. */
type Parsed = { value: unknown } | { problem: UnreadReason; detail?: string };


/**
 * Turns the exchanges a source saw (the proxy's copies, the KServe logger's joined halves) into
 * events for the counting path. Every exchange that cannot be read is counted by reason and logged
 * once per reason (not per request); nothing here can reach the response, which has already gone.
 */
export class ExchangeReader {
  private readonly unreadCounts = new UnreadCounts<UnreadReason>();
  readonly totals = { exchanges: 0, events: 0, unread: this.unreadCounts.counts };
  private readonly batch: BatchedIngest;

  /**
   * @param source the config section, for messages (`sources.oip`, `sources.kserveLogger`)
   * @param busy true while the agent sheds load: an exchange then is counted as `overloaded`, not read
   */
  constructor(private readonly source: string, private readonly models: ReadonlyMap<string, ReadModel>, private readonly copyLimitBytes: number,
    ingest: (items: readonly BodyItem[]) => void, private readonly log: Logger, private readonly busy: () => boolean = () => false) {
    this.batch = new BatchedIngest(ingest);
  }

  read(exchange: Exchange): void {
    this.totals.exchanges++;
    const model = this.models.get(exchange.model);
    if (model === undefined) return this.unread('unmapped_model', `exchanges of server model '${exchange.model.slice(0, 100)}' are not counted: ${this.source}.models does not map it`);
    if (exchange.status >= 400) return this.unread('server_error', `the inference server answered ${exchange.status}; such exchanges are not counted`);
    if (exchange.request?.length === 0) return this.unread('no_body', 'an exchange with an empty request body (a health or metadata call, which KServe\'s logger sends too) is not an inference; not counted');
    if (this.busy()) return this.unread('overloaded', 'the agent is shedding load; exchanges are not counted until it recovers');
    const request = this.parse(exchange.request, exchange.requestHeaders, 'inputs');
    // The response is read only when the mapping takes something from it (v2 outputs; v1 predictions, always mapped).
    const needed = exchange.protocol !== 'v2' || model.outputs.length > 0;
    const response = needed ? this.parse(exchange.response, exchange.responseHeaders, 'outputs') : { value: undefined };
    const failed = 'problem' in request ? request : 'problem' in response ? response : undefined;
    if (failed !== undefined) {
      return this.unread(failed.problem, `an inference body was not counted: ${failed.detail ?? `it is not JSON the agent can read (or is over ${this.source}.copyLimitBytes)`}`);
    }
    const events = this.events(exchange, model, (request as { value: unknown }).value, (response as { value: unknown }).value);
    if (!Array.isArray(events)) return this.unread(events.reason, `an exchange of server model '${exchange.model.slice(0, 100)}' was not counted: ${events.message}`);
    const body = (request as { value: unknown }).value;
    const id = exchange.id ?? (isPlainObject(body) && typeof body.id === 'string' ? body.id : undefined);
    // One id per inference: row i of a batched request is '<id>#<i>'. An id too long to take is left
    // out (the rows still count; they just cannot take a label).
    if (id !== undefined && id !== '' && id.length + 1 + String(events.length).length <= MAX_ID_LENGTH) events.forEach((e, i) => (e.id = events.length === 1 ? id : `${id}#${i}`));
    this.totals.events += events.length;
    this.batch.add(events);
  }

  private events(exchange: Exchange, model: ReadModel, request: unknown, response: unknown): InferenceEvent[] | ExchangeProblem {
    const v1 = exchange.protocol === 'v1' || (exchange.protocol === 'either' && isPlainObject(request) && 'instances' in request);
    if (v1) return v1Events(model.name, exchange.version, request, response, model.v1 ?? {});
    if (model.inputs.length === 0) return { reason: 'no_tensors', message: `${this.source}.models maps no v2 inputs for model '${model.name}'` };
    return exchangeEvents(model.name, exchange.version, request, response, model);
  }

  /** A body as JSON (its binary tensors, if any, in their `data`), or why not. */
  private parse(body: Buffer | undefined, headers: Exchange['requestHeaders'], field: 'inputs' | 'outputs'): Parsed {
    if (body === undefined) return { problem: 'too_large' };
    const encoding = headers['content-encoding'];
    let bytes = body;
    if (encoding === 'gzip') {
      try {
        bytes = gunzipSync(body, { maxOutputLength: this.copyLimitBytes });
      } catch {
        return { problem: 'encoding', detail: 'a gzip body does not decompress within the copy limit' };
      }
    } else if (encoding !== undefined && encoding !== 'identity') {
      return { problem: 'encoding', detail: `content-encoding '${String(encoding).slice(0, 40)}' is not read (gzip and identity are)` };
    }
    const headerLength = headers['inference-header-content-length'];
    if (typeof headerLength === 'string') {
      const binary = readBinaryBody(bytes, Number(headerLength), field);
      return 'value' in binary ? binary : { problem: 'binary', detail: binary.problem };
    }
    try {
      return { value: JSON.parse(bytes.toString('utf8')) as unknown };
    } catch {
      return { problem: 'not_json' };
    }
  }

  private unread(reason: UnreadReason, message: string): void {
    this.unreadCounts.count(reason, () => this.log.warn({ reason }, `${message} (logged once; /v1/status counts every one).`));
  }

}

/** Every feature a mapping names must be a column of the model's baseline: a typo fails at start, naming the tensor. */
export function checkMapping(section: string, model: { name: string; inputs: TensorMapping['inputs']; v1?: V1Mapping }, profile: BaselineProfile): void {
  const columns = profileColumns(profile);
  const check = (feature: string, what: string, field: string): void => {
    if (columns.has(feature)) return;
    throw new DwError('DW_ERR_CONFIG', `model '${model.name}': ${what} maps to '${feature}', which its baseline does not have`, { field: `${section}.models.${model.name}.${field}` });
  };
  model.inputs.forEach((m, i) => {
    for (const feature of 'columns' in m ? m.columns : [m.feature]) check(feature, `tensor '${m.tensor}'`, `inputs.${i}`);
  });
  for (const feature of model.v1?.columns ?? []) check(feature, 'v1.columns', 'v1.columns');
}
