import type { Logger } from 'pino';
import type { WindowReport } from '../drift/window-report.js';
import type { OutboxShipper } from '../shipping/outbox-shipper.js';
import type { AgentStore } from '../state/agent-store.js';
import type { SelfMetrics } from '../telemetry/self-metrics.js';
import type { ModelWindows, OpenWindow } from './model-windows.js';

type Due = [ModelWindows, OpenWindow, number];

/**
 * Checkpoints open windows and closes them into the outbox: the part of the window lifecycle the
 * agent and the collector share. Closes run one after another, in window order, since the M-of-N
 * retraining rule is history.
 */
export class WindowCloser {
  private closing: Promise<unknown> = Promise.resolve();
  /** Called after every closed window (the live demo prints it). */
  onWindowClosed: ((report: WindowReport) => void) | undefined;

  constructor(
    private readonly models: () => Iterable<ModelWindows>,
    private readonly store: AgentStore,
    private readonly shipper: OutboxShipper,
    private readonly metrics: SelfMetrics,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  /** Saves the counts of windows changed since the last checkpoint. */
  checkpoint(): void {
    const dirty = [...this.models()].flatMap((m) => m.takeDirty());
    if (dirty.length === 0) return;
    try {
      this.store.checkpoint(dirty);
    } catch (err) {
      this.metrics.error('store_write', 'checkpoint');
      this.log.error({ err }, 'Could not checkpoint open windows.');
    }
  }

  /** Closes every window whose `closeAt` time has come; each ends at its nominal end. Never rejects. */
  closeDue(nowMs: number, closeAt: (windows: ModelWindows, w: OpenWindow) => number): Promise<WindowReport[]> {
    const due: Due[] = [];
    for (const m of this.models()) {
      for (const w of m.windows()) if (closeAt(m, w) <= nowMs) due.push([m, w, m.endOf(w.startMs)]);
    }
    return this.enqueue(due);
  }

  /** Closes every open window now; a window not yet over ends at `clockMs`. Never rejects. */
  flush(clockMs: number): Promise<WindowReport[]> {
    const due: Due[] = [];
    for (const m of this.models()) {
      for (const w of m.windows()) due.push([m, w, Math.min(m.endOf(w.startMs), Math.max(clockMs, w.startMs + 1))]);
    }
    return this.enqueue(due);
  }

  /** Resolves when the closes under way are done. */
  idle(): Promise<unknown> {
    return this.closing;
  }

  /** Detaches the windows now (nothing more goes in) and closes them after any closes under way. */
  private enqueue(due: Due[]): Promise<WindowReport[]> {
    if (due.length === 0) return Promise.resolve([]);
    due.sort((a, b) => a[1].startMs - b[1].startMs);
    for (const [windows, w] of due) windows.detach(w);
    const done = this.closing.then(async () => {
      const reports: WindowReport[] = [];
      for (const [windows, w, end] of due) {
        try {
          reports.push(await this.close(windows, w, end));
        } catch (err) {
          this.metrics.error('internal', 'close');
          this.log.error({ err, model: windows.name }, 'Could not close a window.');
        }
      }
      return reports;
    });
    this.closing = done;
    return done;
  }

  private async close(windows: ModelWindows, w: OpenWindow, endMs: number): Promise<WindowReport> {
    const { report, recent } = await windows.close(w, endMs);
    try {
      this.store.closeWindow(report, recent, this.now());
    } catch (err) {
      this.metrics.error('store_write', 'close');
      this.log.error({ err, model: report.model }, 'Could not write a closed window to the outbox.');
    }
    this.metrics.windowClosed(report.model);
    const drifted = report.score.features.filter((f) => f.status === 'drift').map((f) => f.name);
    this.log.info({ model: report.model, version: report.version || undefined, windowStart: new Date(report.startMs).toISOString(),
      events: report.events, drifted, retrainingRecommended: report.retraining.recommended }, 'Window closed.');
    this.shipper.kick();
    this.onWindowClosed?.(report);
    return report;
  }
}
