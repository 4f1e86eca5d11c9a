import type { RealisedSummary } from '../../core/performance/label-update.js';
import type { WindowReport } from '../../core/drift/window-report.js';
import type { StateDatabase } from './state-database.js';

/** How long closed windows are kept on the host, and how much of the file they may take. */
export interface HistoryLimits {
  retentionDays: number;
  maxBytes: number;
}

/** A closed window as the history keeps it. */
export interface HistoryWindow {
  model: string;
  version: string;
  startMs: number;
  endMs: number;
  closedAtMs: number;
  /** The bin layout's fingerprint (model-windows.ts): a baseline whose bins differ cannot read the counts. */
  layout: string;
  /** SHA-256 of the baseline profile in force when the window closed. */
  baseline: string;
  report: WindowReport;
}

/** What to read: one model or all, windows that ended in [sinceMs, untilMs), the newest `limit`, oldest first. */
export interface HistoryQuery {
  model?: string | undefined;
  sinceMs?: number | undefined;
  untilMs?: number | undefined;
  limit?: number | undefined;
}

type Row = { model: string; version: string; start_ms: number; end_ms: number; closed_at_ms: number; layout: string; baseline: string; report: string };

/**
 * The closed windows' reports kept on the host (`window_history`): scores, verdicts and bin
 * counts, never a raw value, for `GET /v1/windows`, `driftwatch report` and `driftwatch evidence`.
 * A close writes its window in the same transaction as the outbox entry; the oldest go past
 * `retentionDays` or `maxBytes`.
 */
export class WindowHistoryStore {
  constructor(private readonly state: Pick<StateDatabase, 'db'>) {}

  /** Keeps a closed window (a window closed again, after a restart's replay, replaces it) and trims the history to `limits`. */
  /** Puts a window's realised performance (its joined labels) into its kept report, if the window is still kept. */
  setRealised(model: string, version: string, startMs: number, realised: RealisedSummary): void {
    const text = JSON.stringify(realised);
    this.state.db.prepare(`UPDATE window_history SET report = json_set(report, '$.realised', json(?)), bytes = bytes - coalesce(length(json_extract(report, '$.realised')), 0) + ?
      WHERE model = ? AND version = ? AND start_ms = ?`).run(text, Buffer.byteLength(text), model, version, startMs);
  }

  record(report: WindowReport, closedAtMs: number, identity: { layout: string; baseline: string }, limits: HistoryLimits): void {
    const text = JSON.stringify(report);
    const db = this.state.db;
    db.prepare(`INSERT OR REPLACE INTO window_history (model, version, start_ms, end_ms, closed_at_ms, layout, baseline, report, bytes)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(report.model, report.version, report.startMs, report.endMs, closedAtMs, identity.layout, identity.baseline, text, Buffer.byteLength(text));
    db.prepare('DELETE FROM window_history WHERE end_ms < ?').run(closedAtMs - limits.retentionDays * 86_400_000);
    let total = db.prepare<[], { total: number | null }>('SELECT sum(bytes) AS total FROM window_history').get()?.total ?? 0;
    while (total > limits.maxBytes) {
      const oldest = db.prepare<[], { rowid: number; bytes: number }>('SELECT rowid, bytes FROM window_history ORDER BY end_ms, rowid LIMIT 1').get();
      if (oldest === undefined) break;
      db.prepare('DELETE FROM window_history WHERE rowid = ?').run(oldest.rowid);
      total -= oldest.bytes;
    }
  }

  /** The windows the query asks for, oldest first. */
  windows(query: HistoryQuery = {}): HistoryWindow[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (query.model !== undefined) {
      where.push('model = ?');
      args.push(query.model);
    }
    if (query.sinceMs !== undefined) {
      where.push('end_ms > ?');
      args.push(query.sinceMs);
    }
    if (query.untilMs !== undefined) {
      where.push('end_ms <= ?');
      args.push(query.untilMs);
    }
    const sql = `SELECT * FROM (SELECT model, version, start_ms, end_ms, closed_at_ms, layout, baseline, report FROM window_history
      ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY end_ms DESC, model DESC, version DESC LIMIT ?) ORDER BY end_ms, model, version`;
    const rows = this.state.db.prepare<(string | number)[], Row>(sql).all(...args, query.limit ?? -1);
    return rows.map((r) => ({ model: r.model, version: r.version, startMs: r.start_ms, endMs: r.end_ms, closedAtMs: r.closed_at_ms,
      layout: r.layout, baseline: r.baseline, report: JSON.parse(r.report) as WindowReport }));
  }

  /** Windows kept and their bytes. */
  size(): { windows: number; bytes: number } {
    const r = this.state.db.prepare<[], { windows: number; bytes: number | null }>('SELECT count(*) AS windows, sum(bytes) AS bytes FROM window_history').get()!;
    return { windows: r.windows, bytes: r.bytes ?? 0 };
  }
}
