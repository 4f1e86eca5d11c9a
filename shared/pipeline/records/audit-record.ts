/** One payload that left the host, as the audit log records it. */
export interface AuditRecord {
  /** Where it went: `cloudwatch:<region|endpoint>/<namespace>`, or an OTLP URL. */
  destination: string;
  /** The canonical payload: the PutMetricData input, or the OTLP request in OTLP JSON. */
  payload: string;
  /** Its size in bytes (UTF-8). */
  bytes: number;
}

/** Where records of what left go when no outbox transaction carries them (self-telemetry). */
export interface AuditAppender {
  appendAudit(records: readonly AuditRecord[], atMs: number): void;
}
