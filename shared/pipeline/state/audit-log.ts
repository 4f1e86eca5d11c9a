import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { DwError } from '../../platform/errors.js';
import type { AuditRecord } from '../records/audit-record.js';

/** The first 48 bits of a head hash as an integer: exact in a CloudWatch value (a double). */
export function headDigest(hash: string): number {
  return Number.parseInt(hash.slice(0, 12), 16);
}

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

/** A signed statement of the chain's head: entry `seq` has hash `headHash` (written with every appended batch and at a clean stop). */
export interface SignedHead {
  seq: number;
  headHash: string;
  atMs: number;
  /** Why it was signed: `append` (a batch of entries), `stop` (a clean shutdown). */
  reason: 'append' | 'stop';
  /** Ed25519 signature (base64) over the head text. */
  signature: string;
}

/** What `verify` found. */
export type AuditVerdict =
  | { ok: true; entries: number; headHash: string; checkpoint?: AuditCheckpoint; signedHead?: SignedHead }
  | { ok: false; seq: number; problem: string };

/** The hash of an entry: SHA-256 over the previous hash and every field, one per line. */
export function entryHash(prevHash: string, seq: number, atMs: number, r: AuditRecord): string {
  return createHash('sha256').update(`${prevHash}\n${seq}\n${atMs}\n${r.destination}\n${r.bytes}\n${r.payload}`).digest('hex');
}

const checkpointText = (c: Pick<AuditCheckpoint, 'throughSeq' | 'headHash' | 'entries' | 'atMs'>): string =>
  `driftwatch audit checkpoint\nthrough ${c.throughSeq}\nhead ${c.headHash}\nentries ${c.entries}\nat ${c.atMs}`;
const headText = (h: Pick<SignedHead, 'seq' | 'headHash' | 'atMs' | 'reason'>): string =>
  `driftwatch audit head\nseq ${h.seq}\nhead ${h.headHash}\nat ${h.atMs}\nreason ${h.reason}`;

type EntryRow = { seq: number; at_ms: number; destination: string; bytes: number; payload: string; prev_hash: string; hash: string };
type HeadRow = { seq: number; head_hash: string; at_ms: number; reason: 'append' | 'stop'; signature: string };

/**
 * The audit log: every payload that left the host, in an append-only SQLite table of the state
 * file, each entry's SHA-256 chained to the one before. Triggers refuse updates, and deletes of
 * entries no checkpoint covers; pruning writes a checkpoint of the pruned head first, so the rest
 * of the chain stays verifiable. With a signing key (Ed25519, `audit.signingKey`), every appended
 * batch, in its own transaction, and every clean stop add a signed head, and checkpoints are signed:
 * then whoever can write the state file but not read the key cannot rewrite, reorder, cut the
 * tail past a signed head, or forge a checkpoint without `verify --public-key` noticing
 * (docs/security.md#the-audit-log says what a rollback to an older head needs).
 */
export class AuditLog {
  constructor(private readonly db: Database.Database, private readonly signingKey?: KeyObject) {}

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
      CREATE TABLE IF NOT EXISTS audit_heads (id INTEGER PRIMARY KEY AUTOINCREMENT, seq INTEGER NOT NULL, head_hash TEXT NOT NULL,
        at_ms INTEGER NOT NULL, reason TEXT NOT NULL, signature TEXT NOT NULL);
      CREATE TRIGGER IF NOT EXISTS audit_heads_no_update BEFORE UPDATE ON audit_heads
        BEGIN SELECT RAISE(ABORT, 'signed audit heads are append-only'); END;
      CREATE TRIGGER IF NOT EXISTS audit_heads_no_delete BEFORE DELETE ON audit_heads
        BEGIN SELECT RAISE(ABORT, 'signed audit heads are never deleted'); END;
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
    this.writeHead({ seq, headHash: hash, atMs, reason: 'append' });
  }

  /**
   * Compares the log with an anchor kept outside the host (CloudWatch, or the collector for an
   * agent in fleet mode): the other side saw a request sent when the log
   * held between `minEntries` and `maxEntries` entries, one of them with head digest `digest`. The
   * log must hold that entry (or a signed head of it, if pruned) and at least one entry after it
   * (the request that carried it). Undefined when it agrees; else the problem.
   */
  checkAnchor(anchor: { minEntries: number; maxEntries: number; digest: number }): { seq: number; problem: string } | undefined {
    const { seq: last } = this.head();
    if (last <= anchor.maxEntries) {
      return { seq: last + 1, problem: `the anchor records ${anchor.maxEntries} entries and a request after them, but the log ends at entry ${last}: it was cut back (rolled back) after the fact` };
    }
    const known = new Map<number, string>();
    for (const h of this.heads()) known.set(h.seq, h.headHash);
    for (const r of this.db.prepare<[number, number], { seq: number; hash: string }>('SELECT seq, hash FROM audit_log WHERE seq BETWEEN ? AND ?')
      .all(anchor.minEntries, anchor.maxEntries)) known.set(r.seq, r.hash);
    for (let s = anchor.minEntries; s <= anchor.maxEntries; s++) {
      const hash = known.get(s);
      if (hash !== undefined && headDigest(hash) === anchor.digest) return undefined;
    }
    const pruned = this.lastCheckpoint();
    if (pruned !== undefined && anchor.maxEntries <= pruned.throughSeq && ![...known.keys()].some((s) => s >= anchor.minEntries && s <= anchor.maxEntries)) {
      return { seq: anchor.minEntries, problem: `the entries CloudWatch anchored (${anchor.minEntries}-${anchor.maxEntries}) were pruned with no signed head left to compare` };
    }
    return { seq: anchor.minEntries, problem: `no entry ${anchor.minEntries}-${anchor.maxEntries} has the head digest the anchor kept (${anchor.digest.toString(16)}): the chain was rewritten` };
  }

  /** The anchor of the current head: entries so far (its sequence number) and the first 48 bits of its hash as an integer. */
  anchor(): { entries: number; digest: number } {
    const { seq, hash } = this.head();
    return { entries: seq, digest: headDigest(hash) };
  }

  /** Signs the current head (a clean stop); does nothing without a key or an entry. */
  signHead(atMs: number): void {
    const { seq, hash } = this.head();
    if (seq > 0) this.writeHead({ seq, headHash: hash, atMs, reason: 'stop' });
  }

  private writeHead(h: Omit<SignedHead, 'signature'>): void {
    if (this.signingKey === undefined) return;
    const signature = sign(null, Buffer.from(headText(h)), this.signingKey).toString('base64');
    this.db.prepare('INSERT INTO audit_heads (seq, head_hash, at_ms, reason, signature) VALUES (?, ?, ?, ?, ?)').run(h.seq, h.headHash, h.atMs, h.reason, signature);
  }

  /** The signed heads, oldest first (none in a state file from before they existed). */
  heads(): SignedHead[] {
    const exists = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_heads'").get() !== undefined;
    if (!exists) return [];
    return this.db.prepare<[], HeadRow>('SELECT seq, head_hash, at_ms, reason, signature FROM audit_heads ORDER BY id').all()
      .map((r) => ({ seq: r.seq, headHash: r.head_hash, atMs: r.at_ms, reason: r.reason, signature: r.signature }));
  }

  /** Entries from `sinceMs` on, oldest first. */
  entries(sinceMs = 0): AuditEntry[] {
    return this.db.prepare<[number], EntryRow>('SELECT * FROM audit_log WHERE at_ms >= ? ORDER BY seq').all(sinceMs)
      .map((r) => ({ seq: r.seq, atMs: r.at_ms, destination: r.destination, bytes: r.bytes, payload: r.payload, prevHash: r.prev_hash, hash: r.hash }));
  }

  lastCheckpoint(): AuditCheckpoint | undefined {
    const r = this.db.prepare<[], { through_seq: number; head_hash: string; entries: number; at_ms: number; signature: string | null }>(
      'SELECT * FROM audit_checkpoints ORDER BY through_seq DESC LIMIT 1').get();
    return r === undefined ? undefined : { throughSeq: r.through_seq, headHash: r.head_hash, entries: r.entries, atMs: r.at_ms, signature: r.signature };
  }

  /**
   * Recomputes the chain from the last checkpoint (or the start): every hash, every link, the
   * sequence without gaps. With `publicKey`, every checkpoint and every signed head must carry a
   * good signature, each signed head must match the chain, and the chain must end exactly at the
   * last signed head (no tail cut off, none added without the key). A failure names the first
   * broken entry.
   */
  verify(publicKey?: KeyObject): AuditVerdict {
    const cp = this.lastCheckpoint();
    let heads: SignedHead[] = [];
    if (publicKey !== undefined) {
      const problem = this.verifySignatures(publicKey);
      if (problem !== undefined) return problem;
      heads = this.heads();
    }
    const signedAt = new Map(heads.map((h) => [h.seq, h.headHash]));
    let seq = cp?.throughSeq ?? 0;
    let hash = cp?.headHash ?? GENESIS_HASH;
    if (cp !== undefined && signedAt.has(seq) && signedAt.get(seq) !== hash) {
      return { ok: false, seq, problem: `the checkpoint through entry ${seq} does not match the signed head of that entry` };
    }
    let count = 0;
    for (const r of this.db.prepare<[], EntryRow>('SELECT * FROM audit_log ORDER BY seq').iterate()) {
      if (r.seq !== seq + 1) return { ok: false, seq: seq + 1, problem: r.seq <= seq ? `entry ${r.seq} is before the checkpoint or repeated` : `entry ${seq + 1} is missing (the next is ${r.seq})` };
      if (r.prev_hash !== hash) return { ok: false, seq: r.seq, problem: `entry ${r.seq} does not link to the entry before it` };
      if (Buffer.byteLength(r.payload) !== r.bytes) return { ok: false, seq: r.seq, problem: `entry ${r.seq}: the byte count does not match its payload` };
      const expected = entryHash(hash, r.seq, r.at_ms, r);
      if (expected !== r.hash) return { ok: false, seq: r.seq, problem: `entry ${r.seq} was altered: its hash does not match its content` };
      const signed = signedAt.get(r.seq);
      if (signed !== undefined && signed !== r.hash) return { ok: false, seq: r.seq, problem: `entry ${r.seq} does not match its signed head: the chain was rewritten from here or before` };
      seq = r.seq;
      hash = r.hash;
      count++;
    }
    const last = heads.at(-1);
    if (publicKey !== undefined) {
      if (last === undefined) {
        if (seq > 0) return { ok: false, seq: 1, problem: 'no signed head: the log was written without the key, or its signed heads were removed' };
      } else if (seq < last.seq) {
        return { ok: false, seq: seq + 1, problem: `the log ends at entry ${seq}, but a signed head records entry ${last.seq}: entries ${seq + 1}-${last.seq} were cut off` };
      } else if (seq > last.seq) {
        return { ok: false, seq: last.seq + 1, problem: `entries ${last.seq + 1}-${seq} are not covered by a signed head: they were appended without the key` };
      }
    }
    return { ok: true, entries: count, headHash: hash, ...(cp === undefined ? {} : { checkpoint: cp }), ...(last === undefined ? {} : { signedHead: last }) };
  }

  /** Every checkpoint and signed head signed by `publicKey`, the heads in order; the first failure, if any. */
  private verifySignatures(publicKey: KeyObject): AuditVerdict | undefined {
    const checkpoints = this.db.prepare<[], { through_seq: number; head_hash: string; entries: number; at_ms: number; signature: string | null }>(
      'SELECT * FROM audit_checkpoints ORDER BY through_seq').all();
    for (const c of checkpoints) {
      const text = checkpointText({ throughSeq: c.through_seq, headHash: c.head_hash, entries: c.entries, atMs: c.at_ms });
      if (c.signature === null || !verify(null, Buffer.from(text), publicKey, Buffer.from(c.signature, 'base64'))) {
        return { ok: false, seq: c.through_seq, problem: `the checkpoint through entry ${c.through_seq} is not signed by the given key (forged, or written without the key)` };
      }
    }
    let previous = 0;
    for (const h of this.heads()) {
      if (!verify(null, Buffer.from(headText(h)), publicKey, Buffer.from(h.signature, 'base64'))) {
        return { ok: false, seq: h.seq, problem: `the signed head of entry ${h.seq} does not verify with the given key (forged or altered)` };
      }
      if (h.seq < previous) return { ok: false, seq: h.seq, problem: `the signed head of entry ${h.seq} comes after one of entry ${previous}: the heads were reordered` };
      previous = h.seq;
    }
    return undefined;
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

/** The configured `audit.signingKey` file as an Ed25519 private key, or undefined when none is set; a bad file is a config error. */
export function loadAuditSigningKey(file: string | undefined): KeyObject | undefined {
  if (file === undefined) return undefined;
  let key: KeyObject;
  try {
    key = readSigningKey(readFileSync(file));
  } catch (err) {
    throw new DwError('DW_ERR_CONFIG', `cannot read the audit signing key: ${(err as Error).message}`, { file, field: 'audit.signingKey' });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new DwError('DW_ERR_CONFIG', `the audit signing key must be an Ed25519 private key, not ${String(key.asymmetricKeyType)}`, { field: 'audit.signingKey' });
  }
  return key;
}

/** Reads a public key (PEM), or derives it from a private key, for verifying checkpoints. */
export function readVerifyKey(pem: string | Buffer): KeyObject {
  return createPublicKey(pem);
}
