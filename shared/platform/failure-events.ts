import type { Logger } from 'pino';

/**
 * Failures as named events. Every failure the agent or the collector survives goes through one
 * function here, named for its kind: it logs one structured line carrying `error_type` and
 * `stage`, and counts `driftwatch.component.errors{error_type, stage}` once. The kinds and the
 * stages are closed lists, so a dashboard or an alarm knows every series it can see
 * (docs/agent.md, "Self-telemetry").
 */

/** What failed: the `error_type` attribute. */
export const ERROR_TYPES = [
  /** A bug: a request, a background job or a window close threw; it fails alone and the process goes on. */
  'internal',
  /** The state file would not take a write (disk full, file unwritable, I/O error). */
  'store_write',
  /** The state file could not be read. */
  'store_read',
  /** The state file is damaged; it was moved aside and a fresh one started. */
  'store_corrupt',
  /** Self-telemetry could not start exporting over OTLP. */
  'telemetry_start',
  /** A sink asked us to slow down. */
  'throttled',
  /** A sink could not be reached or failed; the window stays in the outbox. */
  'unavailable',
  /** A sink refused a window as invalid; it is kept as a dead letter. */
  'rejected',
] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

/** Where it failed: the `stage` attribute (the background jobs are named by their timer). */
export const ERROR_STAGES = [
  'api', 'receiver', 'telemetry', 'state', 'checkpoint', 'close', 'send', 'outbox_bounds', 'forget_received', 'audit_retention', 'thresholds', 'labels',
] as const;
export type ErrorStage = (typeof ERROR_STAGES)[number];

/** Counts a failure (the self-metrics' `error`). */
export interface ErrorCounter {
  error(errorType: ErrorType, stage: ErrorStage): void;
}

/** Fields added to the log line: what the operator needs to find the window, sink or file. */
export type FailureDetail = Record<string, unknown>;

/** The failure functions of one component: each logs one line and counts once. */
export class FailureEvents {
  constructor(private readonly log: Logger, private readonly counter: ErrorCounter) {}

  /** A request, job or close threw unexpectedly (a bug); it fails alone. */
  internal(stage: ErrorStage, err: unknown, message: string, detail: FailureDetail = {}): void {
    this.emit('error', 'internal', stage, err, message, detail);
  }

  /** A write to the state file failed. */
  storeWrite(stage: ErrorStage, err: unknown, message: string, detail: FailureDetail = {}): void {
    this.emit('error', 'store_write', stage, err, message, detail);
  }

  /**
   * The same write fault again, within the minute its first line was logged: counted, not logged
   * again, so a full disk does not flood the log (the store health logs it once a minute).
   */
  storeWriteRepeated(stage: ErrorStage): void {
    this.counter.error('store_write', stage);
  }

  /** A read of the state file failed. */
  storeRead(stage: ErrorStage, err: unknown, message: string, detail: FailureDetail = {}): void {
    this.emit('error', 'store_read', stage, err, message, detail);
  }

  /** The state file was found damaged and replaced (`detail` says where the old one went). */
  storeCorrupt(stage: ErrorStage, message: string, detail: FailureDetail): void {
    this.emit('error', 'store_corrupt', stage, undefined, message, detail);
  }

  /** Self-telemetry could not start; the process runs on without it. */
  telemetryStart(err: unknown, message: string): void {
    this.emit('error', 'telemetry_start', 'telemetry', err, message, {});
  }

  /**
   * A sink did not take a window: `throttled` and `unavailable` are retried (a warning), `rejected`
   * is kept as a dead letter (an error).
   */
  sendFailed(kind: 'throttled' | 'unavailable' | 'rejected', err: unknown, message: string, detail: FailureDetail): void {
    this.emit(kind === 'rejected' ? 'error' : 'warn', kind, 'send', err, message, detail);
  }

  private emit(level: 'error' | 'warn', errorType: ErrorType, stage: ErrorStage, err: unknown, message: string, detail: FailureDetail): void {
    this.counter.error(errorType, stage);
    this.log[level]({ ...(err === undefined ? {} : { err }), error_type: errorType, stage, ...detail }, message);
  }
}
