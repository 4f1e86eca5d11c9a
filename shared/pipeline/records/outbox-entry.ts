import type { WindowReport } from '../../core/drift/window-report.js';
import type { LabelUpdate } from '../../core/performance/label-update.js';

/**
 * An outbox entry waiting for a sink: a closed window, or new labels of a window already shipped
 * (`isLabelUpdate`), which a sink ships at that window's timestamp.
 */
export interface OutboxEntry {
  id: number;
  closedAtMs: number;
  report: WindowReport | LabelUpdate;
}
