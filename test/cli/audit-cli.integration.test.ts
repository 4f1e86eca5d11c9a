import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openStores } from '../helpers/state-stores.js';
import { runCli } from '../helpers/run-cli.js';

function stateWithEntries(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'dw-audit-cli-')), 'agent.db');
  const store = openStores(path);
  for (let i = 1; i <= 3; i++) {
    const payload = JSON.stringify({ Namespace: 'Driftwatch', MetricData: [{ MetricName: 'EventCount', Dimensions: [{ Name: 'Model', Value: 'loans' }], Value: i }] });
    store.outbox.appendAudit([{ destination: 'cloudwatch:eu-west-1/Driftwatch', payload, bytes: Buffer.byteLength(payload) }], Date.UTC(2026, 10, 24, 10, i));
  }
  store.database.close();
  return path;
}

describe('driftwatch audit', () => {
  it('shows what left, readably and as JSON, from a given time', () => {
    const state = stateWithEntries();
    const shown = runCli(['audit', 'show', '--state', state]);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toMatch(/^#1 {2}2026-11-24T10:01:00\.000Z {2}cloudwatch:eu-west-1\/Driftwatch {2}\d+ bytes$/m);
    expect(shown.stdout).toMatch(/PutMetricData, 1 datums of 1 metrics \(EventCount\), model loans/);
    expect(shown.stdout).toMatch(/^3 entries\.$/m);
    const json = runCli(['audit', 'show', '--state', state, '--json', '--since', '2026-11-24T10:02:00Z']).stdout.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; payload: { MetricData: { Value: number }[] } });
    expect(json.map((e) => [e.seq, e.payload.MetricData[0]!.Value])).toEqual([[2, 2], [3, 3]]);
  });

  it('verifies the chain, and exits 1 naming the entry someone changed', () => {
    const state = stateWithEntries();
    const ok = runCli(['audit', 'verify', '--state', state]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^audit log OK: 3 entries chained from the first entry; head [0-9a-f]{64}$/m);
    const db = new Database(state);
    db.exec("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET payload = replace(payload, '\"Value\":2', '\"Value\":9') WHERE seq = 2;");
    db.close();
    const broken = runCli(['audit', 'verify', '--state', state]);
    expect(broken.status).toBe(1);
    expect(broken.stdout).toBe('audit log BROKEN at entry 2: entry 2 was altered: its hash does not match its content\n');
  });

  it('checks the signature of a pruning checkpoint with the public key', () => {
    const state = stateWithEntries();
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    // The key configured after the first entries: the head it signs (at the next clean stop) covers them.
    const store = openStores(state, { auditSigningKey: privateKey });
    store.database.audit.prune(Date.UTC(2026, 10, 24, 10, 2), Date.now(), privateKey);
    store.database.audit.signHead(Date.now());
    store.database.close();
    const dir = mkdtempSync(join(tmpdir(), 'dw-audit-key-'));
    writeFileSync(join(dir, 'good.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(dir, 'other.pem'), generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
    const good = runCli(['audit', 'verify', '--state', state, '--public-key', join(dir, 'good.pem')]);
    expect(good.stdout).toMatch(/audit log OK: 2 entries chained from the checkpoint after entry 1 \(signature good\)/);
    const other = runCli(['audit', 'verify', '--state', state, '--public-key', join(dir, 'other.pem')]);
    expect(other.status).toBe(1);
    expect(other.stdout).toMatch(/BROKEN at entry 1: the checkpoint through entry 1 is not signed by the given key/);
  });

  it('says clearly when the state file is missing', () => {
    const missing = runCli(['audit', 'verify', '--state', '/nope/agent.db']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/\/nope\/agent\.db: no state file here/);
  });
});
