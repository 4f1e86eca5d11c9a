import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { AuditRecord } from '../records/audit-record.js';

/** The previous hash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** One audit entry as stored. */
export interface AuditEntry extends AuditRecord {
  seq: number;
  atMs: number;
  prevHash: string;
  hash: string;
}

/** A record that entries up to `throughSeq` were pruned, with the hash they ended on. */
export interface AuditCheckpoint {
  throughSeq: number;
  headHash: string;
  entries: number;
  atMs: number;
  /** Ed25519 signature (base64) over the checkpoint text, when a signing key is configured. */
  signature: string | null;
}

/** What `verify` found. */
export type AuditVerdict =
  | { ok: true; entries: number; headHash: string; checkpoint?: AuditCheckpoint }
  | { ok: false; seq: number; problem: string };

/** The hash of an entry: SHA-256 over the previous hash and every field, one per line. */
export function entryHash(prevHash: string, seq: number, atMs: number, r: AuditRecord): string {
  return createHash('sha256').update(`${prevHash}\n${seq}\n${atMs}\n${r.destination}\n${r.bytes}\n${r.payload}`).digest('hex');
}

const checkpointText = (c: Pick<AuditCheckpoint, 'throughSeq' | 'headHash' | 'entries' | 'atMs'>): string =>
  `driftwatch audit checkpoint\nthrough ${c.throughSeq}\nhead ${c.headHash}\nentries ${c.entries}\nat ${c.atMs}`;

/**
 * The audit log: every payload that left the host, in an append-only SQLite table of the state
 * file, each entry's SHA-256 chained to the one before. Triggers refuse updates, and deletes of
 * entries no checkpoint covers; pruning writes a checkpoint of the pruned head first (signed with
 * Ed25519 when a key is configured), so the rest of the chain stays verifiable.
 */
export class AuditLog {
  constructor(private readonly db: Database.Database) {}

  /** Creates the tables and the append-only triggers (idempotent). */
  static ensureSchema(db: Database.Database): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS audit_log (seq INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, destination TEXT NOT NULL,
        bytes INTEGER NOT NULL, payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS audit_checkpoints (through_seq INTEGER PRIMARY KEY, head_hash TEXT NOT NULL,
        entries INTEGER NOT NULL, at_ms INTEGER NOT NULL, signature TEXT);
      CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
      CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
        WHEN old.seq > COALESCE((SELECT max(through_seq) FROM audit_checkpoints), 0)
        BEGIN SELECT RAISE(ABORT, 'audit entries are deleted only behind a checkpoint'); END;
      CREATE TRIGGER IF NOT EXISTS audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
        BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
    `);
  }

  private head(): { seq: number; hash: string } {
    const last = this.db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get();
    if (last !== undefined) return last;
    const cp = this.lastCheckpoint();
    return cp === undefined ? { seq: 0, hash: GENESIS_HASH } : { seq: cp.throughSeq, hash: cp.headHash };
  }

  /** Appends records, chained. Call inside the caller's transaction to tie them to a "sent" mark. */
  append(records: readonly AuditRecord[], atMs: number): void {
    if (records.length === 0) return;
    const insert = this.db.prepare('INSERT INTO audit_log (seq, at_ms, destination, bytes, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)');
    let { seq, hash } = this.head();
    for (const r of records) {
      seq += 1;
      const next = entryHash(hash, seq, atMs, r);
      insert.run(seq, atMs, r.destination, r.bytes, r.payload, hash, next);
      hash = next;
    }
  }

  /** Entries from `sinceMs` on, oldest first. */
  entries(sinceMs = 0): AuditEntry[] {
    return this.db.prepare<[number], { seq: number; at_ms: number; destination: string; bytes: number; payload: string; prev_hash: string; hash: string }>(
      'SELECT * FROM audit_log WHERE at_ms >= ? ORDER BY seq').all(sinceMs)
      .map((r) => ({ seq: r.seq, atMs: r.at_ms, destination: r.destination, bytes: r.bytes, payload: r.payload, prevHash: r.prev_hash, hash: r.hash }));
  }

  lastCheckpoint(): AuditCheckpoint | undefined {
    const r = this.db.prepare<[], { through_seq: number; head_hash: string; entries: number; at_ms: number; signature: string | null }>(
      'SELECT * FROM audit_checkpoints ORDER BY through_seq DESC LIMIT 1').get();
    return r === undefined ? undefined : { throughSeq: r.through_seq, headHash: r.head_hash, entries: r.entries, atMs: r.at_ms, signature: r.signature };
  }

  /**
   * Recomputes the chain from the last checkpoint (or the start): every hash, every link, the
   * sequence without gaps. With `publicKey`, the checkpoint's signature must verify too.
   */
  verify(publicKey?: KeyObject): AuditVerdict {
    const cp = this.lastCheckpoint();
    if (cp !== undefined && publicKey !== undefined) {
      const good = cp.signature !== null && verify(null, Buffer.from(checkpointText(cp)), publicKey, Buffer.from(cp.signature, 'base64'));
      if (!good) return { ok: false, seq: cp.throughSeq, problem: `the checkpoint through entry ${cp.throughSeq} is not signed by the given key` };
    }
    let seq = cp?.throughSeq ?? 0;
    let hash = cp?.headHash ?? GENESIS_HASH;
    let count = 0;
    const rows = this.db.prepare<[], { seq: number; at_ms: number; destination: string; bytes: number; payload: string; prev_hash: string; hash: string }>(
      'SELECT * FROM audit_log ORDER BY seq').iterate();
    for (const r of rows) {
      if (r.seq !== seq + 1) return { ok: false, seq: seq + 1, problem: r.seq <= seq ? `entry ${r.seq} is before the checkpoint or repeated` : `entry ${seq + 1} is missing (the next is ${r.seq})` };
      if (r.prev_hash !== hash) return { ok: false, seq: r.seq, problem: `entry ${r.seq} does not link to the entry before it` };
      if (Buffer.byteLength(r.payload) !== r.bytes) return { ok: false, seq: r.seq, problem: `entry ${r.seq}: the byte count does not match its payload` };
      const expected = entryHash(hash, r.seq, r.at_ms, r);
      if (expected !== r.hash) return { ok: false, seq: r.seq, problem: `entry ${r.seq} was altered: its hash does not match its content` };
      seq = r.seq;
      hash = r.hash;
      count++;
    }
    return { ok: true, entries: count, headHash: hash, ...(cp === undefined ? {} : { checkpoint: cp }) };
  }

  /**
   * Deletes entries older than `beforeMs`, after writing a checkpoint of the last one deleted
   * (signed when `signingKey` is given), in one transaction. Returns how many were pruned.
   */
  prune(beforeMs: number, nowMs: number, signingKey?: KeyObject): number {
    return this.db.transaction(() => {
      const last = this.db.prepare<[number], { seq: number; hash: string }>('SELECT seq, hash FROM audit_log WHERE at_ms < ? ORDER BY seq DESC LIMIT 1').get(beforeMs);
      if (last === undefined) return 0;
      const entries = (this.db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM audit_log WHERE seq <= ?').get(last.seq)!).n;
      const cp = { throughSeq: last.seq, headHash: last.hash, entries, atMs: nowMs };
      const signature = signingKey === undefined ? null : sign(null, Buffer.from(checkpointText(cp)), signingKey).toString('base64');
      this.db.prepare('INSERT INTO audit_checkpoints (through_seq, head_hash, entries, at_ms, signature) VALUES (?, ?, ?, ?, ?)')
        .run(cp.throughSeq, cp.headHash, cp.entries, cp.atMs, signature);
      return this.db.prepare('DELETE FROM audit_log WHERE seq <= ?').run(last.seq).changes;
    })();
  }
}

/** Reads an Ed25519 private key (PEM) for signing checkpoints. */
export function readSigningKey(pem: string | Buffer): KeyObject {
  return createPrivateKey(pem);
}

/** Reads a public key (PEM), or derives it from a private key, for verifying checkpoints. */
export function readVerifyKey(pem: string | Buffer): KeyObject {
  return createPublicKey(pem);
}
