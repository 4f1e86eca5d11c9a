import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { WindowReport } from '../../core/drift/window-report.js';
import type { AuditRecord } from '../records/audit-record.js';
import type { OutboxEntry } from '../records/outbox-entry.js';
import { AuditLog } from './audit-log.js';

const SCHEMA_VERSION = '1';

/** An open window's counts as checkpointed: one Float64Array per feature. */
export interface OpenWindowRecord {
  model: string;
  version: string;
  startMs: number;
  /** Fingerprint of the baseline's bin layout, so a changed baseline never restores old counts. */
  layout: string;
  rows: number;
  rejected: Record<string, number>;
  counts: Float64Array[];
  /** Per feature, the sum of the values counted (ProfileCounter.sums); only for profiles with projections. */
  sums?: Float64Array;
}

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

/** SQLite result codes that mean the file is not a usable database. */
const CORRUPT_CODES = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CORRUPT_INDEX', 'SQLITE_CORRUPT_SEQUENCE']);

/** Renames a state file and its -wal and -shm to `<path>.corrupt-<time>`; returns the new path. */
function moveAside(path: string, nowMs: number): string {
  const movedTo = `${path}.corrupt-${new Date(nowMs).toISOString().replace(/[:.]/g, '-')}`;
  for (const suffix of ['', '-wal', '-shm']) if (existsSync(path + suffix)) renameSync(path + suffix, movedTo + suffix);
  return movedTo;
}

/** Thrown by {@link AgentStore.open} for a file that is not a usable database (see `openOrMoveAside`). */
export class CorruptStateError extends Error {
  override readonly name = 'CorruptStateError';
}

/** Options for opening the store. */
export interface StoreOptions {
  /** `FULL` syncs every commit to disk (survives power loss); `NORMAL` survives process crashes. */
  synchronous?: 'NORMAL' | 'FULL';
}

function concat(arrays: readonly Float64Array[]): Buffer {
  const total = arrays.reduce((n, a) => n + a.length, 0);
  const all = new Float64Array(total);
  let offset = 0;
  for (const a of arrays) {
    all.set(a, offset);
    offset += a.length;
  }
  return Buffer.from(all.buffer, all.byteOffset, all.byteLength);
}

/** The sums of a checkpoint, when it has them for every feature. */
function readSums(blob: Buffer | null, features: number): { sums?: Float64Array } {
  const sums = blob === null ? undefined : split(blob, [features]);
  return sums === undefined ? {} : { sums: sums[0]! };
}

function split(blob: Buffer, lengths: readonly number[]): Float64Array[] | undefined {
  const all = new Float64Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
  if (all.length !== lengths.reduce((a, b) => a + b, 0)) return undefined;
  const out: Float64Array[] = [];
  let offset = 0;
  for (const n of lengths) {
    out.push(all.slice(offset, offset + n));
    offset += n;
  }
  return out;
}

/**
 * The agent's durable state in one SQLite file (WAL): open-window checkpoints, the outbox of
 * closed windows, each sink's progress through it, and the recent drift verdicts per model.
 * Closing a window is one transaction, so a crash loses no closed window and never ships one twice.
 */
export class AgentStore {
  private db: Database.Database;
  private auditLog: AuditLog;

  private constructor(db: Database.Database, private readonly path: string, private readonly options: StoreOptions) {
    this.db = db;
    this.auditLog = new AuditLog(db);
  }

  /** What left the host (audit-log.ts). */
  get audit(): AuditLog {
    return this.auditLog;
  }

  /** Whether an error from the state file means the file is damaged (not full, not locked, not unwritable). */
  static isCorruption(err: unknown): boolean {
    return err instanceof CorruptStateError || CORRUPT_CODES.has((err as { code?: string }).code ?? '');
  }

  /**
   * A file found damaged while running: closes it, renames it (with its -wal and -shm) to
   * `<path>.corrupt-<time>` and continues on a fresh file in its place. Returns where the damaged
   * file went. What was only in it (unsent windows, the audit log) stays there for inspection.
   */
  replaceDamaged(nowMs: number): string {
    try {
      this.db.close();
    } catch {
      // closing a damaged file may fail; the rename below is what matters
    }
    const movedTo = moveAside(this.path, nowMs);
    const fresh = AgentStore.open(this.path, this.options);
    this.db = fresh.db;
    this.auditLog = fresh.auditLog;
    return movedTo;
  }

  /**
   * Opens the store at `path`; a file that is not a usable database (corrupted, truncated, not
   * SQLite) is renamed to `<path>.corrupt-<time>` (with its -wal and -shm) and a fresh store is
   * created, so a damaged file costs its contents, not a crash loop. `onMovedAside` is told where.
   */
  static openOrMoveAside(path: string, options: StoreOptions, onMovedAside: (movedTo: string, reason: string) => void, nowMs = Date.now()): AgentStore {
    try {
      return AgentStore.open(path, options);
    } catch (err) {
      if (!(err instanceof CorruptStateError)) throw err;
      const movedTo = moveAside(path, nowMs);
      onMovedAside(movedTo, err.message);
      return AgentStore.open(path, options);
    }
  }

  /** Opens (creating if needed) the store at `path`; throws {@link CorruptStateError} for a damaged file. */
  static open(path: string, options: StoreOptions = {}): AgentStore {
    mkdirSync(dirname(path), { recursive: true });
    let db: Database.Database | undefined;
    try {
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      const check = db.pragma('quick_check(1)', { simple: true });
      if (check !== 'ok') throw new CorruptStateError(`state file ${path} fails its integrity check: ${String(check)}`);
      AgentStore.createSchema(db);
    } catch (err) {
      db?.close();
      if (err instanceof CorruptStateError) throw err;
      const code = (err as { code?: string }).code;
      if (code !== undefined && CORRUPT_CODES.has(code)) throw new CorruptStateError(`state file ${path} is not a usable database: ${(err as Error).message}`);
      throw err;
    }
    const version = db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'schema'").get();
    if (version === undefined) db.prepare("INSERT INTO meta (key, value) VALUES ('schema', ?)").run(SCHEMA_VERSION);
    else if (version.value !== SCHEMA_VERSION) {
      db.close();
      throw new Error(`state file ${path} has schema ${version.value}; this build reads ${SCHEMA_VERSION}`);
    }
    db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
    db.pragma('busy_timeout = 5000');
    return new AgentStore(db, path, options);
  }

  private static createSchema(db: Database.Database): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS open_windows (
        model TEXT NOT NULL, version TEXT NOT NULL, start_ms INTEGER NOT NULL,
        layout TEXT NOT NULL, rows INTEGER NOT NULL, rejected TEXT NOT NULL, counts BLOB NOT NULL,
        PRIMARY KEY (model, version, start_ms));
      CREATE TABLE IF NOT EXISTS outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT, model TEXT NOT NULL, version TEXT NOT NULL,
        start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, closed_at_ms INTEGER NOT NULL, report TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS sink_cursor (sink TEXT PRIMARY KEY, last_id INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS dead_letters (sink TEXT NOT NULL, outbox_id INTEGER NOT NULL, at_ms INTEGER NOT NULL,
        error TEXT NOT NULL, report TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS model_history (model TEXT NOT NULL, version TEXT NOT NULL, recent TEXT NOT NULL,
        PRIMARY KEY (model, version));
      CREATE TABLE IF NOT EXISTS closed_windows (model TEXT NOT NULL, version TEXT NOT NULL, start_ms INTEGER NOT NULL,
        closed_at_ms INTEGER NOT NULL, PRIMARY KEY (model, version, start_ms));
      CREATE TABLE IF NOT EXISTS received (key TEXT PRIMARY KEY, at_ms INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS privacy_budget (model TEXT PRIMARY KEY, windows INTEGER NOT NULL, epsilon REAL NOT NULL);
      CREATE TABLE IF NOT EXISTS dropped_windows (model TEXT NOT NULL, version TEXT NOT NULL, start_ms INTEGER NOT NULL,
        end_ms INTEGER NOT NULL, events INTEGER NOT NULL, reason TEXT NOT NULL, sinks TEXT NOT NULL, dropped_at_ms INTEGER NOT NULL);
    `);
    const outboxColumns = db.prepare<[], { name: string }>('PRAGMA table_info(outbox)').all().map((c) => c.name);
    if (!outboxColumns.includes('bytes')) {
      db.exec('ALTER TABLE outbox ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0; UPDATE outbox SET bytes = length(report);');
    }
    if (!outboxColumns.includes('events')) {
      db.exec("ALTER TABLE outbox ADD COLUMN events INTEGER NOT NULL DEFAULT 0; UPDATE outbox SET events = json_extract(report, '$.events');");
    }
    const openColumns = db.prepare<[], { name: string }>('PRAGMA table_info(open_windows)').all().map((c) => c.name);
    if (!openColumns.includes('sums')) db.exec('ALTER TABLE open_windows ADD COLUMN sums BLOB');
    // Size and age of the outbox are read from this index alone, never from the reports.
    db.exec('CREATE INDEX IF NOT EXISTS outbox_bounds ON outbox (id, end_ms, bytes, events, model, version, start_ms)');
    AuditLog.ensureSchema(db);
  }

  /** A small write that tells whether the file takes writes again after a fault. */
  probeWrite(atMs: number): void {
    this.db.prepare("INSERT INTO meta (key, value) VALUES ('last_write_probe', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(String(atMs));
  }

  /** Saves the counts of these open windows (replacing earlier checkpoints of the same windows). */
  checkpoint(windows: readonly OpenWindowRecord[]): void {
    const upsert = this.db.prepare(`INSERT INTO open_windows (model, version, start_ms, layout, rows, rejected, counts, sums)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (model, version, start_ms) DO UPDATE SET layout = excluded.layout, rows = excluded.rows,
        rejected = excluded.rejected, counts = excluded.counts, sums = excluded.sums`);
    this.db.transaction(() => {
      for (const w of windows) {
        upsert.run(w.model, w.version, w.startMs, w.layout, w.rows, JSON.stringify(w.rejected), concat(w.counts),
          w.sums === undefined ? null : concat([w.sums]));
      }
    })();
  }

  /**
   * Checkpointed open windows. `binCounts(model)` gives the expected layout fingerprint and bins
   * per feature; rows whose layout differs (the baseline changed) are dropped and returned apart.
   */
  loadOpenWindows(expected: (model: string) => { layout: string; bins: number[] } | undefined): {
    windows: OpenWindowRecord[];
    discarded: { model: string; version: string; startMs: number; rows: number }[];
  } {
    const rows = this.db.prepare<[], { model: string; version: string; start_ms: number; layout: string; rows: number; rejected: string; counts: Buffer; sums: Buffer | null }>(
      'SELECT * FROM open_windows ORDER BY start_ms').all();
    const windows: OpenWindowRecord[] = [];
    const discarded: { model: string; version: string; startMs: number; rows: number }[] = [];
    for (const r of rows) {
      const shape = expected(r.model);
      const counts = shape !== undefined && shape.layout === r.layout ? split(r.counts, shape.bins) : undefined;
      if (counts === undefined) {
        discarded.push({ model: r.model, version: r.version, startMs: r.start_ms, rows: r.rows });
        this.db.prepare('DELETE FROM open_windows WHERE model = ? AND version = ? AND start_ms = ?').run(r.model, r.version, r.start_ms);
        continue;
      }
      windows.push({ model: r.model, version: r.version, startMs: r.start_ms, layout: r.layout, rows: r.rows,
        rejected: JSON.parse(r.rejected) as Record<string, number>, counts, ...readSums(r.sums, counts.length) });
    }
    return { windows, discarded };
  }

  /**
   * Closes a window in one transaction: the report enters the outbox, the checkpoint goes, and the
   * model's recent verdicts are saved. Returns the outbox id.
   */
  closeWindow(report: WindowReport, recent: readonly boolean[], closedAtMs: number): number {
    return this.db.transaction(() => {
      const text = JSON.stringify(report);
      const { lastInsertRowid } = this.db.prepare(
        'INSERT INTO outbox (model, version, start_ms, end_ms, closed_at_ms, report, bytes, events) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(report.model, report.version, report.startMs, report.endMs, closedAtMs, text, Buffer.byteLength(text), report.events);
      this.db.prepare('DELETE FROM open_windows WHERE model = ? AND version = ? AND start_ms = ?').run(report.model, report.version, report.startMs);
      this.db.prepare(`INSERT INTO model_history (model, version, recent) VALUES (?, ?, ?)
        ON CONFLICT (model, version) DO UPDATE SET recent = excluded.recent`).run(report.model, report.version, JSON.stringify(recent));
      this.db.prepare('INSERT OR IGNORE INTO closed_windows (model, version, start_ms, closed_at_ms) VALUES (?, ?, ?, ?)')
        .run(report.model, report.version, report.startMs, closedAtMs);
      if (report.privacy !== undefined) {
        this.db.prepare(`INSERT INTO privacy_budget (model, windows, epsilon) VALUES (?, 1, ?)
          ON CONFLICT (model) DO UPDATE SET windows = windows + 1, epsilon = epsilon + excluded.epsilon`).run(report.model, report.privacy.epsilon);
      }
      return Number(lastInsertRowid);
    })();
  }

  /** Differential-privacy budget spent per model: windows released with noise and their summed ε. */
  privacyBudget(): Map<string, { windows: number; epsilon: number }> {
    const rows = this.db.prepare<[], { model: string; windows: number; epsilon: number }>('SELECT * FROM privacy_budget').all();
    return new Map(rows.map((r) => [r.model, { windows: r.windows, epsilon: r.epsilon }]));
  }

  /** Whether a window of this model version and start has been closed (the collector refuses later parts of it). */
  isClosed(model: string, version: string, startMs: number): boolean {
    return this.db.prepare('SELECT 1 FROM closed_windows WHERE model = ? AND version = ? AND start_ms = ?').get(model, version, startMs) !== undefined;
  }

  /**
   * Merged contributions in one transaction: the open windows' new counts and the keys of the
   * contributions they took in, so a contribution sent twice (a retry after a lost response) is
   * counted once, across restarts too.
   */
  checkpointReceived(windows: readonly OpenWindowRecord[], keys: readonly string[], atMs: number): void {
    const insert = this.db.prepare('INSERT OR IGNORE INTO received (key, at_ms) VALUES (?, ?)');
    this.db.transaction(() => {
      this.checkpoint(windows);
      for (const k of keys) insert.run(k, atMs);
    })();
  }

  /** Whether a contribution with this key was merged before. */
  wasReceived(key: string): boolean {
    return this.db.prepare('SELECT 1 FROM received WHERE key = ?').get(key) !== undefined;
  }

  /** Forgets received keys and closed windows older than `beforeMs` (past any retry or late arrival). */
  forgetBefore(beforeMs: number): void {
    this.db.prepare('DELETE FROM received WHERE at_ms < ?').run(beforeMs);
    this.db.prepare('DELETE FROM closed_windows WHERE closed_at_ms < ?').run(beforeMs);
  }

  /** Recent drift verdicts per "model\u0000version". */
  loadHistory(): Map<string, boolean[]> {
    const rows = this.db.prepare<[], { model: string; version: string; recent: string }>('SELECT * FROM model_history').all();
    return new Map(rows.map((r) => [`${r.model}\u0000${r.version}`, JSON.parse(r.recent) as boolean[]]));
  }

  private cursor(sink: string): number {
    return this.db.prepare<[string], { last_id: number }>('SELECT last_id FROM sink_cursor WHERE sink = ?').get(sink)?.last_id ?? 0;
  }

  /** Up to `limit` outbox entries the sink has not sent, oldest first. */
  pending(sink: string, limit: number): OutboxEntry[] {
    return this.db.prepare<[number, number], { id: number; closed_at_ms: number; report: string }>(
      'SELECT id, closed_at_ms, report FROM outbox WHERE id > ? ORDER BY id LIMIT ?',
    ).all(this.cursor(sink), limit).map((r) => ({ id: r.id, closedAtMs: r.closed_at_ms, report: JSON.parse(r.report) as WindowReport }));
  }

  /**
   * Records that the sink has sent everything up to and including `id`, and appends what left the
   * host for it to the audit log, in one transaction.
   */
  markSent(sink: string, id: number, audit: readonly AuditRecord[] = [], atMs = Date.now()): void {
    this.db.transaction(() => {
      this.audit.append(audit, atMs);
      this.db.prepare(`INSERT INTO sink_cursor (sink, last_id) VALUES (?, ?)
        ON CONFLICT (sink) DO UPDATE SET last_id = max(last_id, excluded.last_id)`).run(sink, id);
    })();
  }

  /** Appends to the audit log what left the host outside an outbox send (self-telemetry, a send that failed part-way). */
  appendAudit(records: readonly AuditRecord[], atMs: number): void {
    if (records.length === 0) return;
    this.db.transaction(() => this.audit.append(records, atMs))();
  }

  /**
   * Records an entry the sink can never send (the service refused the request as invalid) and
   * moves the sink past it, so one bad window cannot block the ones behind it.
   */
  deadLetter(sink: string, entry: OutboxEntry, error: string, atMs: number): void {
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO dead_letters (sink, outbox_id, at_ms, error, report) VALUES (?, ?, ?, ?, ?)')
        .run(sink, entry.id, atMs, error, JSON.stringify(entry.report));
      this.markSent(sink, entry.id);
    })();
  }

  /** Dead letters of a sink, oldest first. */
  deadLetters(sink: string): { outboxId: number; atMs: number; error: string }[] {
    return this.db.prepare<[string], { outbox_id: number; at_ms: number; error: string }>(
      'SELECT outbox_id, at_ms, error FROM dead_letters WHERE sink = ? ORDER BY rowid').all(sink)
      .map((r) => ({ outboxId: r.outbox_id, atMs: r.at_ms, error: r.error }));
  }

  /** Entries the sink has not sent, and when the oldest of them closed. */
  backlog(sink: string): { count: number; oldestClosedAtMs: number | undefined } {
    const row = this.db.prepare<[number], { count: number; oldest: number | null }>(
      'SELECT count(*) AS count, min(closed_at_ms) AS oldest FROM outbox WHERE id > ?').get(this.cursor(sink))!;
    return { count: row.count, oldestClosedAtMs: row.oldest ?? undefined };
  }

  /**
   * Keeps the outbox within its bounds: drops windows that ended before `oldestEndMs` (`too_old`),
   * then the oldest windows while the reports exceed `maxBytes` (`outbox_full`). Each drop is
   * recorded in `dropped_windows`, in the same transaction; returns what was dropped.
   */
  enforceOutboxBounds(sinks: readonly string[], oldestEndMs: number, maxBytes: number, atMs: number): DroppedWindow[] {
    return this.db.transaction(() => {
      type Row = { id: number; model: string; version: string; start_ms: number; end_ms: number; bytes: number; events: number };
      const cursors = sinks.map((s) => [s, this.cursor(s)] as const);
      const done = Math.min(...cursors.map(([, c]) => c));
      const columns = 'id, model, version, start_ms, end_ms, bytes, events';
      const old = this.db.prepare<[number, number], Row>(`SELECT ${columns} FROM outbox INDEXED BY outbox_bounds WHERE id > ? AND end_ms < ? ORDER BY id`).all(done, oldestEndMs);
      const drops: [Row, DroppedWindow['reason']][] = old.map((r) => [r, 'too_old']);
      const total = this.db.prepare<[number], { bytes: number | null }>('SELECT sum(bytes) AS bytes FROM outbox INDEXED BY outbox_bounds WHERE id > ?').get(done)!.bytes ?? 0;
      let excess = total - old.reduce((n, r) => n + r.bytes, 0) - maxBytes;
      if (excess > 0) {
        const oldIds = new Set(old.map((r) => r.id));
        for (const r of this.db.prepare<[number], Row>(`SELECT ${columns} FROM outbox INDEXED BY outbox_bounds WHERE id > ? ORDER BY id`).iterate(done)) {
          if (excess <= 0) break;
          if (oldIds.has(r.id)) continue;
          drops.push([r, 'outbox_full']);
          excess -= r.bytes;
        }
      }
      const record = this.db.prepare('INSERT INTO dropped_windows (model, version, start_ms, end_ms, events, reason, sinks, dropped_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
      const remove = this.db.prepare('DELETE FROM outbox WHERE id = ?');
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
    for (const r of this.db.prepare<[], { reason: string; windows: number; events: number }>(
      'SELECT reason, count(*) AS windows, sum(events) AS events FROM dropped_windows GROUP BY reason').all()) {
      totals[r.reason] = { windows: r.windows, events: r.events };
    }
    const recent = this.db.prepare<[number], { model: string; version: string; start_ms: number; end_ms: number; events: number; reason: DroppedWindow['reason']; sinks: string }>(
      'SELECT * FROM dropped_windows ORDER BY rowid DESC LIMIT ?').all(limit)
      .map((r) => ({ model: r.model, version: r.version, startMs: r.start_ms, endMs: r.end_ms, events: r.events, reason: r.reason, sinks: r.sinks === '' ? [] : r.sinks.split(',') }));
    return { totals, recent };
  }

  /** The checkpoint of one open window, if any (strict durability reverts to it when a commit fails). */
  loadOpenWindow(model: string, version: string, startMs: number, bins: readonly number[]): OpenWindowRecord | undefined {
    const r = this.db.prepare<[string, string, number], { layout: string; rows: number; rejected: string; counts: Buffer; sums: Buffer | null }>(
      'SELECT layout, rows, rejected, counts, sums FROM open_windows WHERE model = ? AND version = ? AND start_ms = ?').get(model, version, startMs);
    if (r === undefined) return undefined;
    const counts = split(r.counts, bins);
    if (counts === undefined) return undefined;
    return { model, version, startMs, layout: r.layout, rows: r.rows, rejected: JSON.parse(r.rejected) as Record<string, number>, counts, ...readSums(r.sums, counts.length) };
  }

  /** Deletes outbox entries every named sink has sent. */
  prune(sinks: readonly string[]): number {
    if (sinks.length === 0) return 0;
    const done = Math.min(...sinks.map((s) => this.cursor(s)));
    return this.db.prepare('DELETE FROM outbox WHERE id <= ?').run(done).changes;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
