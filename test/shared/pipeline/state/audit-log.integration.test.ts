import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AuditLog, entryHash, GENESIS_HASH } from '../../../../shared/pipeline/state/audit-log.js';
import { openStores } from '../../../helpers/state-stores.js';
import type { ComponentState } from '../../../../shared/pipeline/state/open-state.js';

const rec = (i: number) => ({ destination: 'cloudwatch:eu-west-1/Driftwatch', payload: JSON.stringify({ Namespace: 'Driftwatch', n: i }), bytes: JSON.stringify({ Namespace: 'Driftwatch', n: i }).length });

/** A state file with five audit entries, one a minute. */
function fiveEntries(): { path: string; store: ComponentState } {
  const path = join(mkdtempSync(join(tmpdir(), 'dw-audit-')), 'agent.db');
  const store = openStores(path);
  for (let i = 1; i <= 5; i++) store.outbox.appendAudit([rec(i)], i * 60_000);
  return { path, store };
}

describe('audit log', () => {
  it('chains every entry to the one before, from a genesis hash', () => {
    const { store } = fiveEntries();
    const entries = store.database.audit.entries();
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(entries[0]!.prevHash).toBe(GENESIS_HASH);
    // The hash is SHA-256 over the previous hash and the fields, recomputed here independently of the log.
    expect(entries[1]!.hash).toBe(entryHash(entries[0]!.hash, 2, 120_000, rec(2)));
    expect(store.database.audit.verify()).toMatchObject({ ok: true, entries: 5, headHash: entries[4]!.hash });
    expect(store.database.audit.entries(180_000).map((e) => e.seq)).toEqual([3, 4, 5]);
    store.database.close();
  });

  it('refuses updates and deletes through SQL', () => {
    const { path, store } = fiveEntries();
    store.database.close();
    const db = new Database(path);
    expect(() => db.prepare("UPDATE audit_log SET payload = 'x' WHERE seq = 2").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_log WHERE seq = 2').run()).toThrow(/only behind a checkpoint/);
    db.close();
  });

  it('names the first altered, deleted or reordered entry, even with the triggers dropped', () => {
    const tampered = (sql: string[]): ReturnType<AuditLog['verify']> => {
      const { path, store } = fiveEntries();
      store.database.close();
      const db = new Database(path);
      db.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
      for (const s of sql) db.exec(s);
      const verdict = new AuditLog(db).verify();
      db.close();
      return verdict;
    };
    expect(tampered(["UPDATE audit_log SET payload = replace(payload, '\"n\":3', '\"n\":4') WHERE seq = 3"])).toEqual({ ok: false, seq: 3, problem: 'entry 3 was altered: its hash does not match its content' });
    expect(tampered(['DELETE FROM audit_log WHERE seq = 2'])).toEqual({ ok: false, seq: 2, problem: 'entry 2 is missing (the next is 3)' });
    expect(tampered(['UPDATE audit_log SET seq = 99 WHERE seq = 2', 'UPDATE audit_log SET seq = 2 WHERE seq = 3', 'UPDATE audit_log SET seq = 3 WHERE seq = 99'])).toMatchObject({ ok: false, seq: 2 });
    // Cutting off the tail leaves a valid shorter chain: only a head hash recorded elsewhere shows
    // it (docs/security.md says how), which is why verify reports the head it ends on.
    expect(tampered(['DELETE FROM audit_log WHERE seq = 5'])).toMatchObject({ ok: true, entries: 4 });
  });

  it('prunes behind a signed checkpoint and stays verifiable, with the right key only', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const store = openStores(join(mkdtempSync(join(tmpdir(), 'dw-audit-')), 'agent.db'), { auditSigningKey: privateKey });
    for (let i = 1; i <= 5; i++) store.outbox.appendAudit([rec(i)], i * 60_000);
    expect(store.database.audit.prune(180_000, 600_000, privateKey)).toBe(2);
    expect(store.database.audit.entries().map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(store.database.audit.lastCheckpoint()).toMatchObject({ throughSeq: 2, entries: 2 });
    store.outbox.appendAudit([rec(6)], 360_000);
    expect(store.database.audit.verify(publicKey)).toMatchObject({ ok: true, entries: 4 });
    expect(store.database.audit.verify(generateKeyPairSync('ed25519').publicKey)).toMatchObject({ ok: false, seq: 2 });
    store.database.close();
  });
});
