import type { ErrorStage, FailureEvents } from '../../platform/failure-events.js';
import type { Logger } from 'pino';

/** How often a fault that goes on is logged again. */
const REPEAT_LOG_MS = 60_000;

/** What `/v1/status` shows of the state file's health. */
export interface StoreHealthStatus {
  writable: boolean;
  /** Since when writes fail, and the last error (`SQLITE_FULL`, `SQLITE_READONLY`, ...). */
  failingSince?: string;
  lastError?: string;
}

/**
 * Tracks whether writes to the state file succeed (disk full, file unwritable, I/O errors), so a
 * fault is logged once when it starts, again every minute while it lasts, and once when it clears,
 * and every failed write is counted (`driftwatch.component.errors{error_type="store_write"}`).
 */
export class StoreHealth {
  private failingSinceMs: number | undefined;
  private lastError: string | undefined;
  private lastLogMs = 0;

  constructor(private readonly log: Logger, private readonly failures: FailureEvents, private readonly now: () => number) {}

  get writable(): boolean {
    return this.failingSinceMs === undefined;
  }

  /** A write failed at `stage` (checkpoint, close, send). */
  failed(stage: ErrorStage, err: unknown, detail: object = {}): void {
    const now = this.now();
    const code = (err as { code?: string }).code;
    this.lastError = `${code ?? 'error'}: ${(err as Error).message}`;
    if (this.failingSinceMs === undefined || now - this.lastLogMs >= REPEAT_LOG_MS) {
      this.failures.storeWrite(stage, err, 'Cannot write the state file; counting goes on in memory and the write is retried. Check the disk and the file permissions.',
        { ...detail, failingSince: new Date(this.failingSinceMs ?? now).toISOString() });
      this.lastLogMs = now;
    } else {
      this.failures.storeWriteRepeated(stage);
    }
    this.failingSinceMs ??= now;
  }

  /** A write succeeded: a fault, if any, is over. */
  succeeded(): void {
    if (this.failingSinceMs === undefined) return;
    this.log.info({ failedForSeconds: (this.now() - this.failingSinceMs) / 1000 }, 'The state file is writable again.');
    this.failingSinceMs = undefined;
  }

  status(): StoreHealthStatus {
    if (this.failingSinceMs === undefined) return { writable: true };
    return { writable: false, failingSince: new Date(this.failingSinceMs).toISOString(), ...(this.lastError === undefined ? {} : { lastError: this.lastError }) };
  }
}
