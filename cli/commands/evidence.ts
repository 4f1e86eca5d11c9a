import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { AuditLog, loadAuditSigningKey, readVerifyKey } from '../../shared/pipeline/state/audit-log.js';
import { OutboxStore } from '../../shared/pipeline/state/outbox-store.js';
import { WindowHistoryStore } from '../../shared/pipeline/state/window-history-store.js';
import { DwError } from '../../shared/platform/errors.js';
import { parseTimeSpec } from '../../shared/platform/time-spec.js';
import { evidenceHtml } from '../evidence/evidence-html.js';
import { evidencePack } from '../evidence/evidence-pack.js';
import { signEvidence, verifyEvidence, type SignedEvidence } from '../evidence/evidence-signature.js';
import { DEFAULT_STATE, openStateReadOnly } from '../state-file.js';
import { writeJson, writeText } from '../write-json.js';

interface EvidenceFlags {
  state: string;
  config?: string;
  since: string;
  until?: string;
  signingKey?: string;
  out: string;
  html?: string;
}

function readFile(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new DwError('DW_ERR_FILE_READ', `cannot read ${what} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { file });
  }
}

/**
 * The signing key: --signing-key, else the config's audit.signingKey (which also signed the audit
 * log's heads, so the pack checks them with it); a pack is never written unsigned.
 */
function signingKeyOf(flags: EvidenceFlags): { key: KeyObject; auditKey: boolean } {
  let file = flags.signingKey;
  let auditKey = false;
  if (file === undefined && flags.config !== undefined) {
    const doc = parseYaml(readFile(flags.config, 'the config').toString('utf8')) as { audit?: { signingKey?: string } } | null;
    if (doc?.audit?.signingKey !== undefined) {
      file = resolve(resolve(flags.config, '..'), doc.audit.signingKey);
      auditKey = true;
    }
  }
  const key = file === undefined ? undefined : loadAuditSigningKey(file);
  if (key === undefined) throw new DwError('DW_ERR_USAGE', 'an evidence pack is signed: give --signing-key (an Ed25519 private key, PEM) or --config with audit.signingKey');
  return { key, auditKey };
}

function write(flags: EvidenceFlags): void {
  const now = Date.now();
  const at = (text: string, field: string): number => {
    const ms = parseTimeSpec(text, now);
    if (typeof ms === 'string') throw new DwError('DW_ERR_USAGE', `${field}: ${ms}`);
    return ms;
  };
  const [sinceMs, untilMs] = [at(flags.since, '--since'), flags.until === undefined ? now : at(flags.until, '--until')];
  const { key, auditKey } = signingKeyOf(flags);
  const { db, close } = openStateReadOnly(flags.state);
  let pack;
  try {
    const log = new AuditLog(db);
    pack = evidencePack({
      sinceMs, untilMs, nowMs: now, host: hostname(), stateFile: resolve(flags.state),
      config: flags.config === undefined ? null : { file: resolve(flags.config), sha256: createHash('sha256').update(readFile(flags.config, 'the config')).digest('hex') },
      windows: new WindowHistoryStore({ db }).windows({ sinceMs, untilMs }), auditEntries: log.entries(sinceMs),
      auditVerdict: log.verify(auditKey ? createPublicKey(key) : undefined),
      dropped: new OutboxStore({ db, audit: log }).droppedWindows(0).totals,
    });
  } catch (err) {
    throw err instanceof DwError ? err : new DwError('DW_ERR_FILE_READ', `cannot read the state file (${(err as Error).message})`, { file: flags.state });
  } finally {
    close();
  }
  const signed = signEvidence(pack, key);
  writeJson(flags.out, signed);
  const html = flags.html ?? flags.out.replace(/\.json$/, '') + '.html';
  writeText(html, evidenceHtml(signed, flags.out));
  const windows = pack.models.reduce((n, m) => n + m.windows, 0);
  process.stdout.write(`${pack.models.length} model(s), ${windows} window(s) judged, ${pack.alarmConditions.length} with alarm conditions; audit log ${pack.audit.verified ? 'verified' : 'NOT VERIFIED'}\n`
    + `wrote ${flags.out} (signed, key SHA-256 ${signed.signature.publicKeySha256.slice(0, 16)}...) and ${html}\n`);
}

/** `driftwatch evidence`: the signed periodic report a compliance officer files, and its check. */
export function registerEvidence(program: Command): void {
  const evidence = program
    .command('evidence')
    .description('write a signed evidence pack for a period (JSON and a printable page), or verify one')
    .option('--state <file>', 'the agent or collector state file (state.path)', DEFAULT_STATE)
    .option('--config <file>', 'the agent or collector config in force (its SHA-256 goes in the pack; its audit.signingKey signs it)')
    .option('--since <time>', 'the period\'s start: an ISO time or a duration back from now (30d)', '30d')
    .option('--until <time>', 'the period\'s end (default now)')
    .option('--signing-key <file>', 'Ed25519 private key (PEM) that signs the pack (default the config\'s audit.signingKey)')
    .option('--out <file>', 'the signed JSON document', 'driftwatch-evidence.json')
    .option('--html <file>', 'the printable page (default beside --out, .html)')
    .action((flags: EvidenceFlags) => write(flags));
  evidence
    .command('verify <file>')
    .description('check an evidence pack\'s signature; exit 1 when it was changed after signing')
    .option('--public-key <file>', 'the public key it must be signed with (PEM); without it, only that it matches the key it carries')
    .action((file: string, flags: { publicKey?: string }) => {
      let doc: SignedEvidence;
      try {
        doc = JSON.parse(readFile(file, 'the evidence pack').toString('utf8')) as SignedEvidence;
      } catch (err) {
        throw err instanceof DwError ? err : new DwError('DW_ERR_FILE_READ', 'not a JSON evidence pack', { file });
      }
      if (doc?.signature?.value === undefined || doc.evidence?.kind !== 'driftwatch.evidence') throw new DwError('DW_ERR_FILE_READ', 'not a driftwatch evidence pack', { file });
      const verdict = verifyEvidence(doc, flags.publicKey === undefined ? undefined : readVerifyKey(readFile(flags.publicKey, 'the public key')));
      if (verdict.ok) {
        process.stdout.write(`evidence OK: ${doc.evidence.period.since} to ${doc.evidence.period.until}, signed by key SHA-256 ${doc.signature.publicKeySha256}${flags.publicKey === undefined ? ' (not compared with an expected key: pass --public-key)' : ', the key given'}\n`);
        return;
      }
      process.stdout.write(`evidence BROKEN: ${verdict.problem}\n`);
      process.exitCode = 1;
    });
}
