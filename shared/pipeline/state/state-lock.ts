import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import { DwError } from '../../platform/errors.js';
import { createPrivateFile } from './private-files.js';

/** Who holds a state file: written into the lock file, read by the process that is refused. */
interface Holder {
  pid: number;
  host: string;
  startedAt: string;
}

/**
 * One process per state file. Two agents on one `state.path` would share checkpoint keys and
 * overwrite each other's windows, so a component takes this lock before it opens (or moves aside)
 * its state file, and holds it until it stops. The lock is a small SQLite file beside the state
 * file (`<path>.lock`) holding the holder's pid, with a write transaction left open: SQLite's
 * RESERVED lock is a kernel byte-range lock, so it is released whenever the process ends, kill -9
 * included, and it works across containers sharing a volume; other processes can still read the
 * holder's pid to name it.
 */
export class StateLock {
  private constructor(private readonly db: Database.Database) {}

  /** Takes the lock of the state file at `path`, or throws DW_ERR_STATE_LOCKED naming the holder. */
  static acquire(path: string): StateLock {
    const lockPath = `${path}.lock`;
    createPrivateFile(lockPath);
    const db = new Database(lockPath, { timeout: 0 });
    try {
      db.pragma('journal_mode = DELETE');
      db.exec('CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER, host TEXT, started_at TEXT)');
      // Take the lock, record who holds it (committed, so others can read it), and take it again
      // for good. Between the two a racing process may win; then this one is refused, as it should.
      StateLock.take(db, path);
      db.prepare('INSERT OR REPLACE INTO holder (id, pid, host, started_at) VALUES (1, ?, ?, ?)').run(process.pid, hostname(), new Date().toISOString());
      db.exec('COMMIT');
      StateLock.take(db, path);
    } catch (err) {
      if (db.open) db.close();
      throw err;
    }
    return new StateLock(db);
  }

  /** Opens a write transaction, or throws DW_ERR_STATE_LOCKED naming whoever holds one. */
  private static take(db: Database.Database, path: string): void {
    try {
      db.exec('BEGIN IMMEDIATE');
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
      const holder = StateLock.readHolder(db);
      const who = holder === undefined ? 'another process' : `process ${holder.pid} on ${holder.host} (since ${holder.startedAt})`;
      throw new DwError('DW_ERR_STATE_LOCKED', `the state file is in use by ${who}; give each agent or collector its own state.path`, { file: path, field: 'state.path' });
    }
  }

  private static readHolder(db: Database.Database): Holder | undefined {
    try {
      const row = db.prepare('SELECT pid, host, started_at AS startedAt FROM holder WHERE id = 1').get() as Holder | undefined;
      return row;
    } catch {
      return undefined;
    }
  }

  /** Releases the lock (idempotent). */
  release(): void {
    if (!this.db.open) return;
    this.db.exec('ROLLBACK');
    this.db.close();
  }
}
