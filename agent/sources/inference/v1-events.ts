import type { ExchangeProblem, InferenceEvent } from './oip-events.js';
import { isPlainObject } from '../json-value.js';

/**
 * How a KServe v1 protocol exchange (`POST /v1/models/{m}:predict`, `{"instances": [...]}` in,
 * `{"predictions": [...]}` out) becomes events (config `sources.*.models[].v1`).
 */
export interface V1Mapping {
  /** The features of an instance that is a list, in order; an instance that is an object names its own. */
  columns?: readonly string[];
  /** What a prediction that is one value is: `label` (the default) or `confidence`. A list is always the class probabilities. */
  predictions?: 'label' | 'confidence';
}


/** One instance's features: a list by the mapped columns, an object as it is. */
function features(instance: unknown, i: number, columns: readonly string[] | undefined): { features: Record<string, unknown> } | ExchangeProblem {
  if (isPlainObject(instance)) return { features: { ...instance } };
  if (!Array.isArray(instance)) return { reason: 'bad_tensor', message: `instances[${i}] is neither a list nor an object` };
  if (columns === undefined) return { reason: 'shape_mismatch', message: 'instances are lists, and the mapping names no v1.columns for them' };
  if (instance.length !== columns.length) return { reason: 'shape_mismatch', message: `instances[${i}] has ${instance.length} values, the mapping expects ${columns.length}` };
  const out: Record<string, unknown> = {};
  columns.forEach((name, j) => (out[name] = (instance as unknown[])[j]));
  return { features: out };
}

/**
 * The events of one v1 exchange: instance i with prediction i. `response` may be undefined (a
 * request whose response is not read): the events then carry no prediction.
 */
export function v1Events(model: string, version: string | undefined, request: unknown, response: unknown, mapping: V1Mapping): InferenceEvent[] | ExchangeProblem {
  if (!isPlainObject(request) || !Array.isArray(request.instances)) return { reason: 'no_tensors', message: "the request has no 'instances' list" };
  const instances = request.instances as unknown[];
  let predictions: unknown[] | undefined;
  if (response !== undefined) {
    if (!isPlainObject(response) || !Array.isArray(response.predictions)) return { reason: 'no_tensors', message: "the response has no 'predictions' list" };
    predictions = response.predictions as unknown[];
    if (predictions.length !== instances.length) return { reason: 'shape_mismatch', message: `${predictions.length} predictions for ${instances.length} instances` };
  }
  const events: InferenceEvent[] = [];
  for (const [i, instance] of instances.entries()) {
    const f = features(instance, i, mapping.columns);
    if (!('features' in f)) return f;
    const event: InferenceEvent = { model, ...(version === undefined ? {} : { version }), features: f.features };
    const p = predictions?.[i];
    if (predictions !== undefined) event.prediction = Array.isArray(p) ? { probabilities: p } : { [mapping.predictions ?? 'label']: p };
    events.push(event);
  }
  return events;
}
