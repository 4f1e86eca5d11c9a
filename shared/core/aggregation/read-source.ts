import type { ColumnSource } from '../profile/baseline-profile.js';
import { summariseProbabilities, type VectorSummary } from './probability-vector.js';
import { isMissing } from './value-coercion.js';

/** A flat input record: one event or one row, keyed by column. */
export type InputRecord = Record<string, unknown>;

/** Marks a missing value (absent key, null, empty, NaN, NA...). */
export const MISSING: unique symbol = Symbol('missing');

/** A value that cannot be read for its source, with the reason (for the error message). */
export class InvalidValue {
  constructor(readonly reason: string) {}
}

/** Per-record memo of parsed probability vectors, so three signals of one column parse it once. */
export type VectorCache = Map<string, VectorSummary | string>;

/**
 * The value a feature source takes in a record: {@link MISSING}, an {@link InvalidValue}, the raw
 * value for `value` sources, or a number for probability-vector transforms (`argmax` gives the
 * class index).
 */
export function readSource(record: InputRecord, source: ColumnSource, cache: VectorCache): unknown {
  const raw = record[source.column];
  if (isMissing(raw)) return MISSING;
  if (source.transform === 'value') return raw;
  let summary = cache.get(source.column);
  if (summary === undefined) {
    summary = summariseProbabilities(raw);
    cache.set(source.column, summary);
  }
  if (typeof summary === 'string') return new InvalidValue(`probability vector ${summary}`);
  switch (source.transform) {
    case 'max':
      return summary.max;
    case 'argmax':
      return summary.argmax;
    case 'entropy':
      return summary.entropy;
  }
}
