import type { FileSourceConfig } from '../../config/file-tail-config.js';
import type { InferenceEvent } from '../inference/oip-events.js';
import { isPlainObject } from '../json-value.js';
import { inferenceId } from '../event-fields.js';


/** The value at a dot path, or undefined. */
function at(value: unknown, path: string): unknown {
  let v = value;
  for (const key of path.split('.')) {
    if (!isPlainObject(v) || !Object.hasOwn(v, key)) return undefined;
    v = v[key];
  }
  return v;
}

/** Why a line gave no event: counted under this reason. */
export type LineProblem = 'not_json' | 'not_object' | 'no_features';

/**
 * The event one log line describes, by the source's mapping; or why there is none. Values are
 * passed on as they are: the counting path checks them as it checks the event API's.
 */
export function lineEvent(line: string, mapping: FileSourceConfig): (InferenceEvent & { timestamp?: unknown }) | LineProblem {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'not_json';
  }
  if (!isPlainObject(value)) return 'not_object';
  const features: Record<string, unknown> = {};
  if (mapping.features !== undefined) {
    const found = at(value, mapping.features);
    if (!isPlainObject(found)) return 'no_features';
    Object.assign(features, found);
  }
  for (const [name, path] of Object.entries(mapping.fields ?? {})) {
    const v = at(value, path);
    if (v !== undefined) features[name] = v;
  }
  if (Object.keys(features).length === 0) return 'no_features';
  const event: InferenceEvent & { timestamp?: unknown } = { model: mapping.model, features };
  const version = mapping.version === undefined ? undefined : at(value, mapping.version);
  if (version !== undefined) event.version = version as string;
  // An id the event API would refuse is left out: the line still counts, it just cannot take a label.
  const id = mapping.id === undefined ? undefined : inferenceId(at(value, mapping.id));
  if (id !== undefined) event.id = id;
  const timestamp = mapping.timestamp === undefined ? undefined : at(value, mapping.timestamp);
  if (timestamp !== undefined) event.timestamp = timestamp;
  const prediction: NonNullable<InferenceEvent['prediction']> = {};
  for (const key of ['label', 'confidence', 'probabilities'] as const) {
    const path = mapping.prediction?.[key];
    const v = path === undefined ? undefined : at(value, path);
    if (v !== undefined) (prediction as Record<string, unknown>)[key] = v;
  }
  if (Object.keys(prediction).length > 0) event.prediction = prediction;
  return event;
}
