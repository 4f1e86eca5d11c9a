import { readTensor, tensorRows, type Tensor } from './oip-tensor.js';
import { isPlainObject } from '../json-value.js';

/**
 * How one model's tensors become driftwatch events (config `sources.oip.models[]`): inputs to
 * baseline features, outputs to the prediction signals.
 */
export interface TensorMapping {
  /** `columns`: a `[N, F]` tensor whose column j is feature `columns[j]`; `feature`: a `[N]` or `[N, 1]` tensor that is one feature (MLServer's pandas codec). */
  inputs: readonly ({ tensor: string; columns: readonly string[] } | { tensor: string; feature: string })[];
  /** `probabilities`: `[N, C]` class probabilities (confidence, predicted class and the vector); `label`: the predicted class; `confidence`: one number per row. */
  outputs: readonly { tensor: string; role: 'probabilities' | 'label' | 'confidence' }[];
}

/** Why an exchange gave no events: the reason it is counted under, and a message naming the tensor. */
export interface ExchangeProblem {
  reason: 'not_json' | 'no_tensors' | 'missing_tensor' | 'bad_tensor' | 'shape_mismatch';
  message: string;
}

/** An event for the counting path (the HTTP API's shape). */
export interface InferenceEvent {
  model: string;
  version?: string;
  features: Record<string, unknown>;
  /** The inference's id, for delayed labels (`POST /v1/labels`). */
  id?: string;
  prediction?: { probabilities?: unknown[]; label?: unknown; confidence?: unknown };
}


/** The named tensors of a request's `inputs` or a response's `outputs`. */
function tensors(body: unknown, field: 'inputs' | 'outputs'): Map<string, Tensor> | ExchangeProblem {
  if (!isPlainObject(body) || !Array.isArray(body[field])) return { reason: 'no_tensors', message: `the ${field === 'inputs' ? 'request' : 'response'} has no '${field}' list` };
  const out = new Map<string, Tensor>();
  for (const [i, value] of (body[field] as unknown[]).entries()) {
    const t = readTensor(value, `${field}[${i}]`);
    if (typeof t === 'string') return { reason: 'bad_tensor', message: t };
    out.set(t.name, t);
  }
  return out;
}

/** A mapped tensor, its rows checked against the batch size and the width the mapping needs. */
function mapped(found: Map<string, Tensor>, name: string, width: number | undefined, batch: number | undefined, side: string): ReturnType<typeof tensorRows> | ExchangeProblem {
  const t = found.get(name);
  if (t === undefined) return { reason: 'missing_tensor', message: `the ${side} has no tensor '${name.slice(0, 100)}'` };
  const rows = tensorRows(t);
  if (batch !== undefined && rows.batch !== batch) return { reason: 'shape_mismatch', message: `tensor '${name}' has ${rows.batch} rows, the request ${batch}` };
  if (width !== undefined && rows.width !== width) return { reason: 'shape_mismatch', message: `tensor '${name}' has ${rows.width} values a row, the mapping expects ${width}` };
  return rows;
}

/**
 * The events of one inference exchange: `N` rows of the request are `N` events, each with the
 * mapped features and, from the response, its prediction signals. `response` may be undefined (a
 * request whose response is not to be read): the events then carry no prediction.
 */
export function exchangeEvents(model: string, version: string | undefined, request: unknown, response: unknown, mapping: TensorMapping): InferenceEvent[] | ExchangeProblem {
  const inputs = tensors(request, 'inputs');
  if (!(inputs instanceof Map)) return inputs;
  let batch: number | undefined;
  const columns: { rows: ReturnType<typeof tensorRows>; names: readonly string[] }[] = [];
  for (const m of mapping.inputs) {
    const names = 'columns' in m ? m.columns : [m.feature];
    const rows = mapped(inputs, m.tensor, names.length, batch, 'request');
    if ('reason' in rows) return rows;
    batch = rows.batch;
    columns.push({ rows, names });
  }
  const signals: { rows: ReturnType<typeof tensorRows>; role: TensorMapping['outputs'][number]['role'] }[] = [];
  if (response !== undefined && mapping.outputs.length > 0) {
    const outputs = tensors(response, 'outputs');
    if (!(outputs instanceof Map)) return outputs;
    for (const m of mapping.outputs) {
      const rows = mapped(outputs, m.tensor, m.role === 'probabilities' ? undefined : 1, batch, 'response');
      if ('reason' in rows) return rows;
      signals.push({ rows, role: m.role });
    }
  }
  const events: InferenceEvent[] = [];
  for (let i = 0; i < (batch ?? 0); i++) {
    const features: Record<string, unknown> = {};
    for (const { rows, names } of columns) rows.row(i).forEach((v, j) => (features[names[j]!] = v));
    const event: InferenceEvent = { model, ...(version === undefined ? {} : { version }), features };
    if (signals.length > 0) {
      const prediction: NonNullable<InferenceEvent['prediction']> = {};
      for (const { rows, role } of signals) {
        const row = rows.row(i);
        if (role === 'probabilities') prediction.probabilities = row;
        else prediction[role] = row[0];
      }
      event.prediction = prediction;
    }
    events.push(event);
  }
  return events;
}
