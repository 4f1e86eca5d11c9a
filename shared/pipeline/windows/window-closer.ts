import type { Logger } from 'pino';
import { DwError } from '../../platform/errors.js';
import { FailureEvents, type ErrorStage } from '../../platform/failure-events.js';
import type { WindowReport } from '../../core/drift/window-report.js';
import type { CheckpointParticipant } from '../state/checkpoint-participant.js';
import type { OpenWindowRecord } from '../state/checkpoint-store.js';
import type { ComponentState } from '../state/open-state.js';
import { StateDatabase } from '../state/state-database.js';
import { StoreHealth } from '../state/store-health.js';
import type { HistoryLimits } from '../state/window-history-store.js';
import type { SelfMetrics } from '../telemetry/self-metrics.js';
import type { ModelWindows, OpenWindow } from './model-windows.js';

type Due = [ModelWindows, OpenWindow, number];

/** A closed window whose outbox write failed, held until the state file takes it. */
interface Unpersisted {
  report: WindowReport;
  recent: boolean[];
  closedAtMs: number;
  identity: { layout: string; baseline: string };
}

/** At most this many closed windows are held in memory while the state file fails. */
const MAX_UNPERSISTED = 1000;

/** Waiters for the next commit of the counts (strict durability). */
interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

/** The counts of an acknowledged-on-commit request could not be committed. */
export class StateUnavailableError extends DwError {
  constructor(message: string) {
    super('DW_ERR_STATE_UNAVAILABLE', message);
  }
}

/**
 * Checkpoints open windows and closes them into the outbox: the part of the window lifecycle the
 * agent and the collector share. Closes run one after another, in window order, since the M-of-N
 * retraining rule is history.
 */
export class WindowCloser {
  /** Saved with every checkpoint, in its transaction. */
  readonly participants: CheckpointParticipant[] = [];
  private closing: Promise<unknown> = Promise.resolve();
  private readonly unpersisted: Unpersisted[] = [];
  private waiters: Waiter[] = [];
  private commitScheduled = false;
  /** Whether the state file takes writes. */
  readonly health: StoreHealth;
  private readonly failures: FailureEvents;
  /** Called after every closed window (the live demo prints it). */
  onWindowClosed: ((report: WindowReport) => void) | undefined;

  constructor(
    private readonly models: () => Iterable<ModelWindows>,
    private readonly store: ComponentState,
    /** Told when a window entered the outbox (the owner wakes the shipper). */
    private readonly onOutboxWritten: () => void,
    private readonly metrics: SelfMetrics,
    private readonly log: Logger,
    private readonly now: () => number,
    /** How much closed-window history the state file keeps (`state.history`). */
    private readonly historyLimits: HistoryLimits,
    /** Strict durability: counts whose commit fails are undone (their requests were refused). */
    private readonly strict = false,
  ) {
    this.failures = new FailureEvents(log, metrics);
    this.health = new StoreHealth(log, this.failures, now);
  }

  /** A write (or the shipper's read) failed: counted and logged; a damaged file is replaced at once. */
  private failed(stage: ErrorStage, err: unknown, detail: object): void {
    this.health.failed(stage, err, detail);
    this.recoverIfDamaged(err);
  }

  /**
   * The state file is damaged (SQLite reports corruption): it will not heal by waiting, so it is
   * moved aside and a fresh one takes its place; every open window is written again from memory at
   * the next checkpoint, and closed windows held in memory go to the fresh outbox.
   */
  recoverIfDamaged(err: unknown): void {
    if (!StateDatabase.isCorruption(err)) return;
    let movedTo: string;
    try {
      movedTo = this.store.database.replaceDamaged(this.now());
    } catch (replaceErr) {
      this.failures.storeWrite('state', replaceErr, 'The state file is damaged and could not be replaced; counting goes on in memory.');
      return;
    }
    for (const m of this.models()) m.markAllDirty();
    this.failures.storeCorrupt('state',
      'The state file is damaged; it was moved aside and a fresh one started. Open windows are written again from memory; unsent windows and audit entries in the moved file stay there for inspection and are not sent.',
      { movedTo, reason: (err as Error).message });
  }

  /** Closed windows held in memory because the state file would not take them. */
  get unpersistedWindows(): number {
    return this.unpersisted.length;
  }

  /**
   * Saves the counts of windows changed since the last checkpoint, and any closed windows held in
   * memory; settles the commit waiters. On failure the windows stay dirty (retried next time) or,
   * in strict mode, go back to their last committed counts. Returns whether everything was saved.
   */
  checkpoint(): boolean {
    const waiters = this.waiters;
    this.waiters = [];
    const models = [...this.models()];
    const dirty = models.map((m) => [m, m.takeDirty()] as const);
    const records = dirty.flatMap(([, d]) => d);
    const participants = this.participants.filter((p) => p.dirty());
    try {
      if (records.length > 0 || participants.length > 0) {
        this.store.database.db.transaction(() => {
          if (records.length > 0) this.store.checkpoints.checkpoint(records);
          for (const p of participants) p.save();
        })();
      } else if (!this.health.writable) this.store.database.probeWrite(this.now());
    } catch (err) {
      this.failed('checkpoint', err, { windows: records.length });
      for (const p of participants) p.failed(this.strict);
      for (const [m, d] of dirty) {
        if (this.strict) this.revert(m, d);
        else m.markDirty(d);
      }
      const refused = new StateUnavailableError(`the state file cannot be written (${(err as { code?: string }).code ?? (err as Error).message})`);
      for (const w of waiters) w.reject(refused);
      return false;
    }
    for (const w of waiters) w.resolve();
    if (!this.persistHeld()) return false;
    this.health.succeeded();
    return true;
  }

  /**
   * Resolves once the counts taken in so far are committed (one commit serves every request of the
   * same event-loop turn); rejects with {@link StateUnavailableError} if the commit fails.
   */
  committed(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (this.commitScheduled) return;
      this.commitScheduled = true;
      setImmediate(() => {
        this.commitScheduled = false;
        this.checkpoint();
      });
    });
  }

  /** Puts windows whose commit failed back to their last committed counts (strict durability). */
  private revert(m: ModelWindows, records: readonly OpenWindowRecord[]): void {
    for (const r of records) {
      try {
        m.revert(r.version, r.startMs, this.store.checkpoints.loadOpenWindow(r.model, r.version, r.startMs, m.binCounts));
      } catch (err) {
        // Unreadable too: keep the counts (they may be more than was acknowledged, never less).
        m.markDirty([r]);
        this.failures.storeRead('checkpoint', err, 'Could not read back the last committed counts of a window; it keeps its counts in memory.', { model: r.model });
      }
    }
  }

  /** Writes closed windows held in memory to the outbox, oldest first; false if the store still fails. */
  private persistHeld(): boolean {
    while (this.unpersisted.length > 0) {
      const held = this.unpersisted[0]!;
      try {
        this.persist(held);
      } catch (err) {
        this.failed('close', err, { heldWindows: this.unpersisted.length });
        return false;
      }
      this.unpersisted.shift();
      this.onOutboxWritten();
    }
    return true;
  }

  /** A closed window into the outbox and the history, in one transaction. */
  private persist(held: Unpersisted): void {
    this.store.database.db.transaction(() => {
      this.store.outbox.closeWindow(held.report, held.recent, held.closedAtMs);
      this.store.history.record(held.report, held.closedAtMs, held.identity, this.historyLimits);
    })();
  }

  /** Keeps a closed window the store refused; past the bound, the oldest is dropped, counted and logged. */
  private hold(held: Unpersisted): void {
    this.unpersisted.push(held);
    if (this.unpersisted.length <= MAX_UNPERSISTED) return;
    const lost = this.unpersisted.shift()!.report;
    this.metrics.outboxDropped('unpersisted_overflow', 1);
    this.log.error({ model: lost.model, version: lost.version || undefined, windowStart: new Date(lost.startMs).toISOString(), events: lost.events, held: MAX_UNPERSISTED },
      'The state file has failed for so long that closed windows no longer fit in memory; the oldest was dropped unsent.');
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
    // Commit first: counts acknowledged on commit are durable before their window leaves the open set.
    this.checkpoint();
    for (const [windows, w] of due) windows.detach(w);
    const done = this.closing.then(async () => {
      const reports: WindowReport[] = [];
      for (const [windows, w, end] of due) {
        try {
          reports.push(await this.close(windows, w, end));
        } catch (err) {
          this.failures.internal('close', err, 'Could not close a window.', { model: windows.name });
        }
        // A close whose thresholds are cached completes in microtasks; without a yield, a backlog of
        // closes (after a slow Monte-Carlo threshold, or a replay) would hold the event loop for all of them.
        await new Promise((resolve) => setImmediate(resolve));
      }
      return reports;
    });
    this.closing = done;
    return done;
  }

  private async close(windows: ModelWindows, w: OpenWindow, endMs: number): Promise<WindowReport> {
    const { report, recent } = await windows.close(w, endMs);
    const held = { report, recent, closedAtMs: this.now(), identity: { layout: windows.layout, baseline: windows.baselineHash } };
    if (this.unpersisted.length > 0 && !this.persistHeld()) this.hold(held);
    else {
      try {
        this.persist(held);
      } catch (err) {
        this.failed('close', err, { model: report.model });
        this.hold(held);
      }
    }
    this.metrics.windowClosed(report.model);
    const drifted = report.score.features.filter((f) => f.status === 'drift').map((f) => f.name);
    this.log.info({ model: report.model, version: report.version || undefined, windowStart: new Date(report.startMs).toISOString(),
      events: report.events, drifted, retrainingRecommended: report.retraining.recommended }, 'Window closed.');
    this.onOutboxWritten();
    this.onWindowClosed?.(report);
    return report;
  }
}
