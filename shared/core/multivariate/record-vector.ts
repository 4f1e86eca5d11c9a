import { MISSING, type InputRecord } from '../aggregation/read-source.js';
import { isMissing, toCategory, toNumber } from '../aggregation/value-coercion.js';
import type { FeatureProfile } from '../profile/baseline-profile.js';

/**
 * Reads a record as the vector a projection works on. Writes d numbers into `out` and returns
 * undefined, or returns {@link MISSING} (no vector in this record) or a sentence on why the value
 * cannot be read. Allocates nothing for values that are already parsed.
 */
export interface RecordVector {
  readonly dimension: number;
  /** The column to name in an error message. */
  readonly column: string;
  read(record: InputRecord, out: Float64Array, impute: ArrayLike<number>): undefined | typeof MISSING | string;
}

/**
 * A tabular record as a vector: numeric input features as they are, categorical ones encoded as
 * the category's baseline proportion (0 outside the top-K categories). A missing or non-finite
 * value takes the coordinate's `impute` value (the baseline mean). Values are assumed already
 * validated by the features' own binners.
 */
export function tabularVector(inputs: readonly FeatureProfile[]): RecordVector {
  const readers = inputs.map((f): ((raw: unknown) => number | undefined) => {
    if (f.type === 'numeric') {
      return (raw) => {
        const x = toNumber(raw);
        return x !== undefined && Number.isFinite(x) ? x : undefined;
      };
    }
    const frequency = new Map(f.categories.map((c, i) => [c, f.proportions[i]!]));
    return (raw) => {
      const category = toCategory(raw);
      return category === undefined ? undefined : frequency.get(category) ?? 0;
    };
  });
  const columns = inputs.map((f) => ('column' in f.source ? f.source.column : f.name));
  return {
    dimension: inputs.length,
    column: columns.join(', '),
    read(record, out, impute) {
      for (let j = 0; j < readers.length; j++) {
        const raw = record[columns[j]!];
        const x = isMissing(raw) ? undefined : readers[j]!(raw);
        out[j] = x ?? impute[j]!;
      }
      return undefined;
    },
  };
}

/** The value imputed for a missing categorical input: the mean of its encoding over the rows that have a value. */
export function categoricalEncodingMean(feature: FeatureProfile & { type: 'categorical' }): number {
  const k = feature.categories.length;
  const present = 1 - feature.proportions[k + 1]!;
  if (!(present > 0)) return 0;
  let sum = 0;
  for (let i = 0; i < k; i++) sum += feature.proportions[i]! ** 2;
  return sum / present;
}

/** An embedding cell as parsed JSON: arrays as they are, a CSV cell's text parsed. */
function parsed(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/**
 * Checks an embedding value and copies it into `out` (when given): a JSON array (or its text) of
 * finite numbers. `dimension` undefined accepts any length of at least 2.
 */
export function readEmbedding(raw: unknown, dimension: number | undefined, out?: Float64Array): { length: number } | string {
  const vector = parsed(raw);
  if (!Array.isArray(vector)) return 'embedding is not an array of numbers';
  if (dimension !== undefined && vector.length !== dimension) return `embedding has ${vector.length} entries; the baseline's have ${dimension}`;
  if (vector.length < 2) return 'embedding has fewer than 2 entries';
  for (let j = 0; j < vector.length; j++) {
    const v: unknown = vector[j];
    if (typeof v !== 'number' || !Number.isFinite(v)) return `embedding entry ${j} is not a finite number`;
    if (out !== undefined) out[j] = v;
  }
  return { length: vector.length };
}

/** An embedding column as a vector of fixed length. */
export function embeddingVector(column: string, dimension: number): RecordVector {
  return {
    dimension,
    column,
    read(record, out) {
      const raw = record[column];
      if (isMissing(raw)) return MISSING;
      const read = readEmbedding(raw, dimension, out);
      return typeof read === 'string' ? read : undefined;
    },
  };
}

/**
 * What a tabular vector imputes for a missing coordinate: the feature's baseline mean over every
 * counted row (its mean encoding, for a categorical one). The fit and live projection impute the
 * same, whichever rows the fit took.
 */
export function imputeValues(inputs: readonly FeatureProfile[]): Float64Array {
  return Float64Array.from(inputs, (f) => (f.type === 'numeric' ? f.mean : categoricalEncodingMean(f)));
}
