import type { WindowReport } from '../../core/drift/window-report.js';

/** An outbox entry waiting for a sink. */
export interface OutboxEntry {
  id: number;
  closedAtMs: number;
  report: WindowReport;
}
