/**
 * Why an event was refused: the `reason` in API responses and the `reason` attribute of the
 * rejected-events counter (docs/agent-api.md).
 */
export const REJECT_REASONS = [
  'malformed_json',
  'not_an_object',
  'missing_model',
  'unknown_model',
  'bad_version',
  'unknown_version',
  'bad_timestamp',
  'late_event',
  'future_timestamp',
  'bad_features',
  'unknown_feature',
  'bad_value',
  'bad_prediction',
  'too_deep',
  'unknown_field',
  'bad_id',
] as const;

export type RejectReason = (typeof REJECT_REASONS)[number];

/** One refused event in a response. */
export interface EventRejection {
  /** 0-based position in the batch. */
  index: number;
  /** 1-based line for NDJSON bodies. */
  line?: number;
  reason: RejectReason;
  /** The feature or event field at fault. */
  field?: string;
  message: string;
}
