import type { WindowReport } from '../../core/drift/window-report.js';
import type { LabelUpdate } from '../../core/performance/label-update.js';
import type { AuditRecord } from '../records/audit-record.js';
import type { OutboxEntry } from '../records/outbox-entry.js';
import type { StateDatabase } from './state-database.js';

/** A window dropped from the outbox unsent, as recorded in `dropped_windows`. */
export interface DroppedWindow {
  model: string;
  version: string;
  startMs: number;
  endMs: number;
  events: number;
  /** `too_old`: past `state.outbox.maxAgeHours`; `outbox_full`: past `state.outbox.maxBytes`. */
  reason: 'too_old' | 'outbox_full';
  /** Sinks that had not sent it. */
  sinks: string[];
}

/**
 * The outbox of closed windows (`outbox`), each sink's progress through it (`sink_cursor`), dead
 * letters, dropped windows, and the per-model verdict history and closed-window record that a close
 * writes in the same transaction.
 */
export class OutboxStore {
  constructor(private readonly state: Pick<StateDatabase, 'db' | 'audit'>) {}

  /**
   * Closes a window in one transaction: the report enters the outbox, the checkpoint goes, and the
   * model's recent verdicts are saved. Returns the outbox id.
   */
  closeWindow(report: WindowReport, recent: readonly boolean[], closedAtMs: number): number {
    return this.state.db.transaction(() => {
      const text = JSON.stringify(report);
      const { lastInsertRowid } = this.state.db.prepare(
        'INSERT INTO outbox (model, version, start_ms, end_ms, closed_at_ms, report, bytes, events) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(report.model, report.version, report.startMs, report.endMs, closedAtMs, text, Buffer.byteLength(text), report.events);
      this.state.db.prepare('DELETE FROM open_windows WHERE model = ? AND version = ? AND start_ms = ?').run(report.model, report.version, report.startMs);
      this.state.db.prepare(`INSERT INTO model_history (model, version, recent) VALUES (?, ?, ?)
        ON CONFLICT (model, version) DO UPDATE SET recent = excluded.recent`).run(report.model, report.version, JSON.stringify(recent));
      this.state.db.prepare('INSERT OR IGNORE INTO closed_windows (model, version, start_ms, closed_at_ms) VALUES (?, ?, ?, ?)')
        .run(report.model, report.version, report.startMs, closedAtMs);
      if (report.privacy !== undefined) {
        this.state.db.prepare(`INSERT INTO privacy_budget (model, windows, epsilon) VALUES (?, 1, ?)
          ON CONFLICT (model) DO UPDATE SET windows = windows + 1, epsilon = epsilon + excluded.epsilon`).run(report.model, report.privacy.epsilon);
      }
      return Number(lastInsertRowid);
    })();
  }


  /** Puts new labels of a window in the outbox (inside the caller's transaction); returns the outbox id. */
  enqueueLabels(update: LabelUpdate, atMs: number): number {
    const text = JSON.stringify(update);
    const { lastInsertRowid } = this.state.db.prepare(
      'INSERT INTO outbox (model, version, start_ms, end_ms, closed_at_ms, report, bytes, events) VALUES (?, ?, ?, ?, ?, ?, ?, 0)',
    ).run(update.model, update.version, update.startMs, update.endMs, atMs, text, Buffer.byteLength(text));
    return Number(lastInsertRowid);
  }


  /** Recent drift verdicts per "model\u0000version". */
  loadHistory(): Map<string, boolean[]> {
    const rows = this.state.db.prepare<[], { model: string; version: string; recent: string }>('SELECT * FROM model_history').all();
    return new Map(rows.map((r) => [`${r.model}\u0000${r.version}`, JSON.parse(r.recent) as boolean[]]));
  }


  private cursor(sink: string): number {
    return this.state.db.prepare<[string], { last_id: number }>('SELECT last_id FROM sink_cursor WHERE sink = ?').get(sink)?.last_id ?? 0;
  }


  /** Up to `limit` outbox entries the sink has not sent, oldest first. */
  pending(sink: string, limit: number): OutboxEntry[] {
    return this.state.db.prepare<[number, number], { id: number; closed_at_ms: number; report: string }>(
      'SELECT id, closed_at_ms, report FROM outbox WHERE id > ? ORDER BY id LIMIT ?',
    ).all(this.cursor(sink), limit).map((r) => ({ id: r.id, closedAtMs: r.closed_at_ms, report: JSON.parse(r.report) as WindowReport | LabelUpdate }));
  }


  /**
   * Records that the sink has sent everything up to and including `id`, and appends what left the
   * host for it to the audit log, in one transaction.
   */
  markSent(sink: string, id: number, audit: readonly AuditRecord[] = [], atMs = Date.now()): void {
    this.state.db.transaction(() => {
      this.state.audit.append(audit, atMs);
      this.state.db.prepare(`INSERT INTO sink_cursor (sink, last_id) VALUES (?, ?)
        ON CONFLICT (sink) DO UPDATE SET last_id = max(last_id, excluded.last_id)`).run(sink, id);
    })();
  }


  /** Appends to the audit log what left the host outside an outbox send (self-telemetry, a send that failed part-way). */
  appendAudit(records: readonly AuditRecord[], atMs: number): void {
    if (records.length === 0) return;
    this.state.db.transaction(() => this.state.audit.append(records, atMs))();
  }


  /**
   * Records an entry the sink can never send (the service refused the request as invalid) and
   * moves the sink past it, so one bad window cannot block the ones behind it.
   */
  deadLetter(sink: string, entry: OutboxEntry, error: string, atMs: number): void {
    this.state.db.transaction(() => {
      this.state.db.prepare('INSERT INTO dead_letters (sink, outbox_id, at_ms, error, report) VALUES (?, ?, ?, ?, ?)')
        .run(sink, entry.id, atMs, error, JSON.stringify(entry.report));
      this.markSent(sink, entry.id);
    })();
  }


  /** Dead letters of a sink, oldest first. */
  deadLetters(sink: string): { outboxId: number; atMs: number; error: string }[] {
    return this.state.db.prepare<[string], { outbox_id: number; at_ms: number; error: string }>(
      'SELECT outbox_id, at_ms, error FROM dead_letters WHERE sink = ? ORDER BY rowid').all(sink)
      .map((r) => ({ outboxId: r.outbox_id, atMs: r.at_ms, error: r.error }));
  }


  /** The audit log's head as shipped beside each window (the anchor outside the host). */
  auditAnchor(): { entries: number; digest: number } {
    return this.state.audit.anchor();
  }

  /** Entries the sink has not sent, and when the oldest of them closed. */
  backlog(sink: string): { count: number; oldestClosedAtMs: number | undefined } {
    const row = this.state.db.prepare<[number], { count: number; oldest: number | null }>(
      'SELECT count(*) AS count, min(closed_at_ms) AS oldest FROM outbox WHERE id > ?').get(this.cursor(sink))!;
    return { count: row.count, oldestClosedAtMs: row.oldest ?? undefined };
  }


  /**
   * Keeps the outbox within its bounds: drops windows that ended before `oldestEndMs` (`too_old`),
   * then the oldest windows while the reports exceed `maxBytes` (`outbox_full`). Each drop is
   * recorded in `dropped_windows`, in the same transaction; returns what was dropped.
   */
  enforceOutboxBounds(sinks: readonly string[], oldestEndMs: number, maxBytes: number, atMs: number): DroppedWindow[] {
    return this.state.db.transaction(() => {
      type Row = { id: number; model: string; version: string; start_ms: number; end_ms: number; bytes: number; events: number };
      const cursors = sinks.map((s) => [s, this.cursor(s)] as const);
      const done = Math.min(...cursors.map(([, c]) => c));
      const columns = 'id, model, version, start_ms, end_ms, bytes, events';
      const old = this.state.db.prepare<[number, number], Row>(`SELECT ${columns} FROM outbox INDEXED BY outbox_bounds WHERE id > ? AND end_ms < ? ORDER BY id`).all(done, oldestEndMs);
      const drops: [Row, DroppedWindow['reason']][] = old.map((r) => [r, 'too_old']);
      const total = this.state.db.prepare<[number], { bytes: number | null }>('SELECT sum(bytes) AS bytes FROM outbox INDEXED BY outbox_bounds WHERE id > ?').get(done)!.bytes ?? 0;
      let excess = total - old.reduce((n, r) => n + r.bytes, 0) - maxBytes;
      if (excess > 0) {
        const oldIds = new Set(old.map((r) => r.id));
        for (const r of this.state.db.prepare<[number], Row>(`SELECT ${columns} FROM outbox INDEXED BY outbox_bounds WHERE id > ? ORDER BY id`).iterate(done)) {
          if (excess <= 0) break;
          if (oldIds.has(r.id)) continue;
          drops.push([r, 'outbox_full']);
          excess -= r.bytes;
        }
      }
      const record = this.state.db.prepare('INSERT INTO dropped_windows (model, version, start_ms, end_ms, events, reason, sinks, dropped_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
      const remove = this.state.db.prepare('DELETE FROM outbox WHERE id = ?');
      const dropped: DroppedWindow[] = [];
      for (const [r, reason] of drops) {
        const unsent = cursors.filter(([, c]) => c < r.id).map(([s]) => s);
        record.run(r.model, r.version, r.start_ms, r.end_ms, r.events, reason, unsent.join(','), atMs);
        remove.run(r.id);
        dropped.push({ model: r.model, version: r.version, startMs: r.start_ms, endMs: r.end_ms, events: r.events, reason, sinks: unsent });
      }
      return dropped;
    })();
  }


  /** Windows dropped from the outbox unsent: totals per reason, and the newest drops. */
  droppedWindows(limit = 20): { totals: Record<string, { windows: number; events: number }>; recent: DroppedWindow[] } {
    const totals: Record<string, { windows: number; events: number }> = {};
    for (const r of this.state.db.prepare<[], { reason: string; windows: number; events: number }>(
      'SELECT reason, count(*) AS windows, sum(events) AS events FROM dropped_windows GROUP BY reason').all()) {
      totals[r.reason] = { windows: r.windows, events: r.events };
    }
    const recent = this.state.db.prepare<[number], { model: string; version: string; start_ms: number; end_ms: number; events: number; reason: DroppedWindow['reason']; sinks: string }>(
      'SELECT * FROM dropped_windows ORDER BY rowid DESC LIMIT ?').all(limit)
      .map((r) => ({ model: r.model, version: r.version, startMs: r.start_ms, endMs: r.end_ms, events: r.events, reason: r.reason, sinks: r.sinks === '' ? [] : r.sinks.split(',') }));
    return { totals, recent };
  }


  /** Deletes outbox entries every named sink has sent. */
  prune(sinks: readonly string[]): number {
    if (sinks.length === 0) return 0;
    const done = Math.min(...sinks.map((s) => this.cursor(s)));
    return this.state.db.prepare('DELETE FROM outbox WHERE id <= ?').run(done).changes;
  }
}
