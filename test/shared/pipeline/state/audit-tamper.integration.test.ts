import { generateKeyPairSync, sign } from 'node:crypto';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { entryHash } from '../../../../shared/pipeline/state/audit-log.js';
import { startAgent, waitForDrain } from '../../../helpers/agent-process.js';
import { exampleBaseline, exampleRows, toEvent } from '../../../helpers/example-events.js';
import { runCli } from '../../../helpers/run-cli.js';

/**
 * Issue 16, finding 5: an audit log that proves what left. A real agent with `audit.signingKey`
 * ships windows to CloudWatch (moto) and stops cleanly; then copies of its state file are tampered
 * with by someone who can write the file but not read the key (triggers dropped first, as they
 * could be), and `driftwatch audit verify --public-key` must fail on each, naming the first broken
 * entry. Without the key, the documented limits hold: what the chain alone cannot show passes.
 */
const moto = inject('motoEndpoint');
const dir = mkdtempSync(join(tmpdir(), 'dw-audit-tamper-'));
const WINDOW_MS = 60_000;
const t0 = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - 30 * WINDOW_MS;
let state: string;
let entries: number;
const publicPem = join(dir, 'audit-pub.pem');
// `audit verify --cloudwatch` reads the anchor back from moto with these.
process.env.AWS_ACCESS_KEY_ID = 'testing';
process.env.AWS_SECRET_ACCESS_KEY = 'testing';

type Row = { seq: number; at_ms: number; destination: string; bytes: number; payload: string; prev_hash: string; hash: string };

/** A copy of the real log with `tamper` applied (triggers dropped), and what verify says of it, with and without the key. */
function verifyTampered(name: string, tamper: (db: Database.Database) => void): Record<'withKey' | 'withoutKey' | 'withAnchor', { status: number | null; out: string }> {
  const copy = join(dir, `${name}.db`);
  copyFileSync(state, copy);
  const db = new Database(copy);
  db.exec('DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete; DROP TRIGGER IF EXISTS audit_heads_no_delete; DROP TRIGGER IF EXISTS audit_heads_no_update;');
  tamper(db);
  db.close();
  const run = (args: string[]): { status: number | null; out: string } => {
    const r = runCli(['audit', 'verify', '--state', copy, ...args]);
    return { status: r.status, out: r.stdout + r.stderr };
  };
  return { withKey: run(['--public-key', publicPem]), withoutKey: run([]), withAnchor: run(['--public-key', publicPem, '--cloudwatch', join(dir, 'driftwatch.yaml')]) };
}

/** `windows` windows of `size` example events from t0 on, closed by one event of the next (event clock). */
function closedWindows(windows: number, size: number): Record<string, unknown>[] {
  const rows = exampleRows('loans-stable.csv');
  const events = Array.from({ length: windows }, (_, w) => rows.slice(w * size, (w + 1) * size).map((r, i) => toEvent(r, 'audit-tamper', t0 + w * WINDOW_MS + i * 100))).flat();
  events.push(toEvent(rows[0]!, 'audit-tamper', t0 + windows * WINDOW_MS));
  return events;
}

/** Rewrites the chain from entry `from` on with consistent hashes, as a writer without the key can. */
function rechain(db: Database.Database, from: number, change: (r: Row) => Row): void {
  const rows = db.prepare<[], Row>('SELECT * FROM audit_log ORDER BY seq').all();
  let prev = rows.find((r) => r.seq === from - 1)?.hash ?? '0'.repeat(64);
  for (const r of rows.filter((x) => x.seq >= from)) {
    const c = change(r);
    const hash = entryHash(prev, c.seq, c.at_ms, { destination: c.destination, bytes: Buffer.byteLength(c.payload), payload: c.payload });
    db.prepare('UPDATE audit_log SET payload = ?, bytes = ?, prev_hash = ?, hash = ? WHERE seq = ?').run(c.payload, Buffer.byteLength(c.payload), prev, hash, c.seq);
    prev = hash;
  }
}

beforeAll(async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(join(dir, 'audit-signing.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(publicPem, publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(join(dir, 'loans.json'), JSON.stringify(await exampleBaseline()));
  const agent = await startAgent({
    models: [{ name: 'audit-tamper', baseline: join(dir, 'loans.json') }], api: { port: 0 },
    windows: { seconds: 60, graceSeconds: 0, clock: 'event' },
    sinks: { cloudwatch: { namespace: `DwAudit${Date.now().toString(36)}`, endpoint: moto, region: 'eu-west-1' } },
    audit: { signingKey: join(dir, 'audit-signing.pem') },
  }, { dir, env: { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' } });
  expect((await agent.postEvents(closedWindows(6, 40))).status).toBe(200);
  await waitForDrain(agent, 60_000, 6);
  expect(await agent.stop()).toBe(0);
  state = join(dir, '.driftwatch', 'agent.db');
  const db = new Database(state, { readonly: true });
  entries = (db.prepare('SELECT count(*) AS n FROM audit_log').get() as { n: number }).n;
  const heads = db.prepare<[], { reason: string }>('SELECT reason FROM audit_heads ORDER BY id').all();
  db.close();
  expect(entries).toBeGreaterThanOrEqual(6);
  // A head per appended batch, and one at the clean stop.
  expect(heads.at(-1)!.reason).toBe('stop');
  expect(heads.filter((h) => h.reason === 'append').length).toBeGreaterThanOrEqual(6);
}, 180_000);

describe('audit verify --public-key on a real, signed log', () => {
  it('passes the untouched log and says what it checked', () => {
    const r = runCli(['audit', 'verify', '--state', state, '--public-key', publicPem]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`audit log OK: ${entries} entries chained from the first entry`));
    expect(r.stdout).toMatch(new RegExp(`signed head: entry ${entries}, .* \\(a clean stop\\)`));
  });

  it('fails on a chain rewritten with consistent hashes, naming the first entry that disagrees with a signed head', () => {
    const v = verifyTampered('rewrite', (db) => rechain(db, 3, (r) => (r.seq === 3 ? { ...r, payload: r.payload.replace('"EventCount"', '"EventCounT"') } : r)));
    expect(v.withKey.status).toBe(1);
    expect(v.withKey.out).toMatch(/audit log BROKEN at entry 3: entry 3 does not match its signed head/);
    // The documented limit: the chain alone cannot tell a consistent rewrite.
    expect(v.withoutKey.status).toBe(0);
    expect(v.withoutKey.out).toMatch(/not a chain rewritten from the start, a tail cut off, or a forged pruning checkpoint/);
  });

  it('fails on a truncated tail', () => {
    const v = verifyTampered('truncate', (db) => db.prepare('DELETE FROM audit_log WHERE seq > ?').run(entries - 2));
    expect(v.withKey.status).toBe(1);
    expect(v.withKey.out).toContain(`audit log BROKEN at entry ${entries - 1}: the log ends at entry ${entries - 2}, but a signed head records entry ${entries}`);
    expect(v.withoutKey.status).toBe(0);
  });

  it('fails on reordered entries, with or without the key', () => {
    const v = verifyTampered('reorder', (db) => {
      db.exec('UPDATE audit_log SET seq = -2 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = -2;');
    });
    expect(v.withKey.out).toMatch(/audit log BROKEN at entry 2:/);
    expect(v.withKey.status).toBe(1);
    expect(v.withoutKey.status).toBe(1);
  });

  it('fails on a forged pruning checkpoint that hides every entry, which the triggers allow', () => {
    const v = verifyTampered('forged-checkpoint', (db) => {
      db.exec('CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log WHEN old.seq > COALESCE((SELECT max(through_seq) FROM audit_checkpoints), 0) BEGIN SELECT RAISE(ABORT, \'x\'); END;');
      const last = db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get()!;
      db.prepare('INSERT INTO audit_checkpoints (through_seq, head_hash, entries, at_ms, signature) VALUES (?, ?, ?, ?, NULL)').run(last.seq, last.hash, last.seq, Date.now());
      db.prepare('DELETE FROM audit_log').run();
    });
    expect(v.withKey.status).toBe(1);
    expect(v.withKey.out).toContain(`audit log BROKEN at entry ${entries}: the checkpoint through entry ${entries} is not signed by the given key`);
    // The finding as reported: without the key, verify passes with the same head hash.
    expect(v.withoutKey.status).toBe(0);
  });

  it('fails on a forged signed head and on entries appended without the key', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const forged = verifyTampered('forged-head', (db) => {
      rechain(db, 2, (r) => (r.seq === 2 ? { ...r, payload: r.payload.replace('"EventCount"', '"EventCounT"') } : r));
      const rows = db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq').all();
      const last = rows.at(-1)!;
      const text = `driftwatch audit head\nseq ${last.seq}\nhead ${last.hash}\nat 1\nreason stop`;
      db.prepare('DELETE FROM audit_heads').run();
      db.prepare('INSERT INTO audit_heads (seq, head_hash, at_ms, reason, signature) VALUES (?, ?, 1, ?, ?)').run(last.seq, last.hash, 'stop', sign(null, Buffer.from(text), privateKey).toString('base64'));
    });
    expect(forged.withKey.status).toBe(1);
    expect(forged.withKey.out).toContain(`audit log BROKEN at entry ${entries}: the signed head of entry ${entries} does not verify with the given key`);
    const appended = verifyTampered('appended', (db) => {
      const last = db.prepare<[], Row>('SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1').get()!;
      const payload = '{"Namespace":"Elsewhere"}';
      const hash = entryHash(last.hash, last.seq + 1, last.at_ms + 1, { destination: last.destination, bytes: Buffer.byteLength(payload), payload });
      db.prepare('INSERT INTO audit_log (seq, at_ms, destination, bytes, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(last.seq + 1, last.at_ms + 1, last.destination, Buffer.byteLength(payload), payload, last.hash, hash);
    });
    expect(appended.withKey.out).toContain(`audit log BROKEN at entry ${entries + 1}: entries ${entries + 1}-${entries + 1} are not covered by a signed head`);
    expect(appended.withoutKey.status).toBe(0);
  });

  it('agrees with the anchor CloudWatch kept on the untouched log', () => {
    const r = runCli(['audit', 'verify', '--state', state, '--public-key', publicPem, '--cloudwatch', join(dir, 'driftwatch.yaml')]);
    expect(r.stdout + r.stderr).toMatch(/the anchor agrees: at .* the other side saw \d+ entries and a request after them, head digest [0-9a-f]+/);
    expect(r.status).toBe(0);
  });

  it('passes a rollback to an older signed head with the key alone, and fails it against the CloudWatch anchor', () => {
    const v = verifyTampered('rollback', (db) => {
      const heads = db.prepare<[], { id: number; seq: number }>('SELECT id, seq FROM audit_heads ORDER BY id').all();
      const older = heads.filter((h) => h.seq <= entries - 3).at(-1)!;
      db.prepare('DELETE FROM audit_log WHERE seq > ?').run(older.seq);
      db.prepare('DELETE FROM audit_heads WHERE id > ?').run(older.id);
    });
    // The documented limit of a key alone: a consistent rollback is a valid, signed, shorter log.
    expect(v.withKey.status).toBe(0);
    expect(v.withAnchor.out).toMatch(/audit log BROKEN at entry \d+: the anchor records \d+ entries and a request after them, but the log ends at entry \d+: it was cut back/);
    expect(v.withAnchor.status).toBe(1);
  });
});

describe('the anchor of an agent in fleet mode, kept by the collector', () => {
  it('agrees on the agent\'s untouched log, and fails a rollback of it', async () => {
    const fleetDir = mkdtempSync(join(dir, 'fleet-'));
    const collector = await startAgent({
      models: [{ name: 'audit-tamper', baseline: join(dir, 'loans.json') }], receiver: { port: 0 },
      windows: { seconds: 60, graceSeconds: 3600 }, sinks: { file: { path: join(fleetDir, 'collector.ndjson') } },
    }, { dir: mkdtempSync(join(fleetDir, 'collector-')), command: 'collector' });
    const agentDir = mkdtempSync(join(fleetDir, 'agent-'));
    const agent = await startAgent({
      instanceId: 'fleet-agent-1', models: [{ name: 'audit-tamper', baseline: join(dir, 'loans.json') }], api: { port: 0 },
      windows: { seconds: 60, graceSeconds: 0, clock: 'event' }, sinks: { otlp: { endpoint: `${collector.address}/v1/metrics` } },
      audit: { signingKey: join(dir, 'audit-signing.pem') },
    }, { dir: agentDir });
    expect((await agent.postEvents(closedWindows(5, 30))).status).toBe(200);
    await waitForDrain(agent, 60_000, 5);
    expect(await agent.stop()).toBe(0);
    expect(await collector.stop()).toBe(0);
    const listed = runCli(['audit', 'anchors', '--state', join(collector.dir, '.driftwatch', 'collector.db')]);
    const line = /^fleet-agent-1 {2}(\d+):([0-9a-f]+) {2}\S+$/m.exec(listed.stdout);
    expect(line, listed.stdout + listed.stderr).not.toBeNull();
    const anchor = `${line![1]}:${line![2]}`;
    // The anchor came with the last window: four entries before it, in the agent's log.
    expect(Number(line![1])).toBe(4);
    const agentState = join(agentDir, '.driftwatch', 'agent.db');
    const good = runCli(['audit', 'verify', '--state', agentState, '--public-key', publicPem, '--anchor', anchor]);
    expect(good.stdout).toMatch(/the anchor agrees: the other side saw 4 entries and a request after them/);
    expect(good.status).toBe(0);
    // Roll the agent's log back to its second signed head, later heads removed: valid with the key alone.
    const copy = join(fleetDir, 'rolled-back.db');
    copyFileSync(agentState, copy);
    const db = new Database(copy);
    db.exec('DROP TRIGGER audit_log_no_delete; DROP TRIGGER audit_heads_no_delete;');
    const second = db.prepare<[], { id: number; seq: number }>('SELECT id, seq FROM audit_heads ORDER BY id LIMIT 1 OFFSET 1').get()!;
    db.prepare('DELETE FROM audit_log WHERE seq > ?').run(second.seq);
    db.prepare('DELETE FROM audit_heads WHERE id > ?').run(second.id);
    db.close();
    expect(runCli(['audit', 'verify', '--state', copy, '--public-key', publicPem]).status).toBe(0);
    const rolled = runCli(['audit', 'verify', '--state', copy, '--public-key', publicPem, '--anchor', anchor]);
    expect(rolled.stdout).toContain(`audit log BROKEN at entry ${second.seq + 1}: the anchor records 4 entries and a request after them, but the log ends at entry ${second.seq}`);
    expect(rolled.status).toBe(1);
  }, 180_000);
});
