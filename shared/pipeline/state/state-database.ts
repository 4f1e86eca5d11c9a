import { existsSync, renameSync } from 'node:fs';
import { createPrivateFile } from './private-files.js';
import Database from 'better-sqlite3';
import { DwError, hasCode } from '../../platform/errors.js';
import type { KeyObject } from 'node:crypto';
import { AuditLog } from './audit-log.js';

const SCHEMA_VERSION = '1';

/** SQLite result codes that mean the file is not a usable database. */
const CORRUPT_CODES = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CORRUPT_INDEX', 'SQLITE_CORRUPT_SEQUENCE']);

/** Renames a state file and its -wal and -shm to `<path>.corrupt-<time>`; returns the new path. */
function moveAside(path: string, nowMs: number): string {
  const movedTo = `${path}.corrupt-${new Date(nowMs).toISOString().replace(/[:.]/g, '-')}`;
  for (const suffix of ['', '-wal', '-shm']) if (existsSync(path + suffix)) renameSync(path + suffix, movedTo + suffix);
  return movedTo;
}

/** Thrown by {@link StateDatabase.open} for a file that is not a usable database (see `openOrMoveAside`). */
export class CorruptStateError extends DwError {
  override readonly name = 'CorruptStateError';

  constructor(message: string) {
    super('DW_ERR_STATE_CORRUPT', message);
  }
}

/** Options for opening the store. */
export interface StoreOptions {
  /** `state.synchronous`: `FULL` syncs every commit to disk (survives power loss); `NORMAL` survives process crashes. */
  synchronous: 'NORMAL' | 'FULL';
  /** `audit.signingKey`, read: every batch appended to the audit log is closed by a head signed with it. */
  auditSigningKey?: KeyObject | undefined;
}

/**
 * A component's state file, one SQLite database (WAL): opening it, its schema and migrations, and
 * what happens when it is damaged. The stores (checkpoints, outbox, received windows, audit log,
 * privacy budget, the label join) each take this object and read its current handle, so replacing a damaged file
 * swaps the handle under all of them at once.
 */
export class StateDatabase {
  private handle: Database.Database;
  private auditLog: AuditLog;
  /** Statements compiled on the current handle, by SQL text. */
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(db: Database.Database, private readonly path: string, private readonly options: StoreOptions) {
    this.handle = db;
    this.auditLog = new AuditLog(db, options.auditSigningKey);
  }

  /** The open database handle (a new one after {@link replaceDamaged}). */
  get db(): Database.Database {
    return this.handle;
  }

  /**
   * A prepared statement for `sql`, compiled once per handle: the collector's receive path runs
   * its statements thousands of times a second, and compiling one costs as much as running it.
   */
  statement<P extends unknown[] = unknown[], R = unknown>(sql: string): Database.Statement<P, R> {
    let compiled = this.statements.get(sql);
    if (compiled === undefined) {
      compiled = this.handle.prepare(sql);
      this.statements.set(sql, compiled);
    }
    return compiled as Database.Statement<P, R>;
  }

  /** What left the host (audit-log.ts), on the current handle. */
  get audit(): AuditLog {
    return this.auditLog;
  }

  /** Whether an error from the state file means the file is damaged (not full, not locked, not unwritable). */
  static isCorruption(err: unknown): boolean {
    return hasCode(err, 'DW_ERR_STATE_CORRUPT') || CORRUPT_CODES.has((err as { code?: string }).code ?? '');
  }


  /**
   * A file found damaged while running: closes it, renames it (with its -wal and -shm) to
   * `<path>.corrupt-<time>` and continues on a fresh file in its place. Returns where the damaged
   * file went. What was only in it (unsent windows, the audit log) stays there for inspection.
   */
  replaceDamaged(nowMs: number): string {
    try {
      this.handle.close();
    } catch {
      // closing a damaged file may fail; the rename below is what matters
    }
    const movedTo = moveAside(this.path, nowMs);
    const fresh = StateDatabase.open(this.path, this.options);
    this.handle = fresh.handle;
    this.statements.clear();
    this.auditLog = fresh.auditLog;
    return movedTo;
  }


  /**
   * Opens the store at `path`; a file that is not a usable database (corrupted, truncated, not
   * SQLite) is renamed to `<path>.corrupt-<time>` (with its -wal and -shm) and a fresh store is
   * created, so a damaged file costs its contents, not a crash loop. `onMovedAside` is told where.
   */
  static openOrMoveAside(path: string, options: StoreOptions, onMovedAside: (movedTo: string, reason: string) => void, nowMs = Date.now()): StateDatabase {
    try {
      return StateDatabase.open(path, options);
    } catch (err) {
      if (!hasCode(err, 'DW_ERR_STATE_CORRUPT')) throw err;
      const movedTo = moveAside(path, nowMs);
      onMovedAside(movedTo, err.message);
      return StateDatabase.open(path, options);
    }
  }

  /** Opens (creating if needed) the store at `path`; throws {@link CorruptStateError} for a damaged file. */
  static open(path: string, options: StoreOptions): StateDatabase {
    if (path !== ':memory:') createPrivateFile(path);
    let db: Database.Database | undefined;
    try {
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      const check = db.pragma('quick_check(1)', { simple: true });
      if (check !== 'ok') throw new CorruptStateError(`state file ${path} fails its integrity check: ${String(check)}`);
      StateDatabase.createSchema(db);
    } catch (err) {
      db?.close();
      if (hasCode(err, 'DW_ERR_STATE_CORRUPT')) throw err;
      const code = (err as { code?: string }).code;
      if (code !== undefined && CORRUPT_CODES.has(code)) throw new CorruptStateError(`state file ${path} is not a usable database: ${(err as Error).message}`);
      throw err;
    }
    const version = db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'schema'").get();
    if (version === undefined) db.prepare("INSERT INTO meta (key, value) VALUES ('schema', ?)").run(SCHEMA_VERSION);
    else if (version.value !== SCHEMA_VERSION) {
      db.close();
      throw new DwError('DW_ERR_STATE_VERSION', `the state file has schema ${version.value}; this build reads ${SCHEMA_VERSION}`, { file: path, field: 'state.path' });
    }
    db.pragma(`synchronous = ${options.synchronous}`);
    db.pragma('busy_timeout = 5000');
    return new StateDatabase(db, path, options);
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
      CREATE TABLE IF NOT EXISTS agent_anchors (instance TEXT PRIMARY KEY, entries INTEGER NOT NULL, digest INTEGER NOT NULL, at_ms INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS privacy_budget (model TEXT PRIMARY KEY, windows INTEGER NOT NULL, epsilon REAL NOT NULL);
      CREATE TABLE IF NOT EXISTS dropped_windows (model TEXT NOT NULL, version TEXT NOT NULL, start_ms INTEGER NOT NULL,
        end_ms INTEGER NOT NULL, events INTEGER NOT NULL, reason TEXT NOT NULL, sinks TEXT NOT NULL, dropped_at_ms INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS window_history (model TEXT NOT NULL, version TEXT NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL,
        closed_at_ms INTEGER NOT NULL, layout TEXT NOT NULL, baseline TEXT NOT NULL, report TEXT NOT NULL, bytes INTEGER NOT NULL,
        PRIMARY KEY (model, version, start_ms));
      CREATE INDEX IF NOT EXISTS window_history_end ON window_history (end_ms);
      CREATE TABLE IF NOT EXISTS label_keys (key BLOB PRIMARY KEY, model TEXT NOT NULL, version TEXT NOT NULL, start_ms INTEGER NOT NULL,
        predicted INTEGER NOT NULL, bin INTEGER NOT NULL, at_ms INTEGER NOT NULL, labelled INTEGER NOT NULL) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS label_keys_age ON label_keys (at_ms);
      CREATE TABLE IF NOT EXISTS label_windows (model TEXT NOT NULL, version TEXT NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL,
        inferences INTEGER NOT NULL, labelled INTEGER NOT NULL, shipped TEXT, dirty INTEGER NOT NULL, PRIMARY KEY (model, version, start_ms));
      CREATE TABLE IF NOT EXISTS label_cells (model TEXT NOT NULL, version TEXT NOT NULL, start_ms INTEGER NOT NULL, predicted INTEGER NOT NULL,
        truth INTEGER NOT NULL, bin INTEGER NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (model, version, start_ms, predicted, truth, bin));
      CREATE TABLE IF NOT EXISTS source_offsets (source TEXT NOT NULL, file_key TEXT NOT NULL, path TEXT NOT NULL, offset INTEGER NOT NULL, seen BLOB NOT NULL,
        PRIMARY KEY (source, file_key));
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
    if (!openColumns.includes('segments')) db.exec('ALTER TABLE open_windows ADD COLUMN segments TEXT');
    // Size and age of the outbox are read from this index alone, never from the reports.
    db.exec('CREATE INDEX IF NOT EXISTS outbox_bounds ON outbox (id, end_ms, bytes, events, model, version, start_ms)');
    AuditLog.ensureSchema(db);
  }


  /** A small write that tells whether the file takes writes again after a fault. */
  probeWrite(atMs: number): void {
    this.handle.prepare("INSERT INTO meta (key, value) VALUES ('last_write_probe', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(String(atMs));
  }


  close(): void {
    if (this.handle.open) this.handle.close();
  }
}
