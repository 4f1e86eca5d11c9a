import { existsSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { InvalidArgumentError, type Command } from 'commander';
import { DwError } from '../../shared/platform/errors.js';
import { AuditLog, readVerifyKey, type AuditEntry } from '../../shared/pipeline/state/audit-log.js';

const DEFAULT_STATE = '.driftwatch/agent.db';

function openLog(state: string): { log: AuditLog; close: () => void } {
  if (!existsSync(state)) throw new DwError('DW_ERR_FILE_READ', 'no state file here; pass --state with the agent or collector state.path', { file: state });
  let db: Database.Database;
  try {
    db = new Database(state, { readonly: true, fileMustExist: true });
    db.prepare('SELECT 1 FROM audit_log LIMIT 1').get();
  } catch (err) {
    throw new DwError('DW_ERR_FILE_READ', `not a driftwatch state file with an audit log (${(err as Error).message})`, { file: state });
  }
  return { log: new AuditLog(db), close: () => db.close() };
}

function sinceOption(value: string): number {
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) throw new InvalidArgumentError(`--since takes an ISO-8601 time or epoch milliseconds, not '${value}'.`);
  return ms;
}

/** One line of what an entry carried, for a reader: metric names, models, datums. */
function summary(e: AuditEntry): string {
  try {
    const p = JSON.parse(e.payload) as { MetricData?: { MetricName: string; Dimensions?: { Name: string; Value: string }[] }[]; resourceMetrics?: { scopeMetrics: { metrics: { name: string }[] }[] }[] };
    if (p.MetricData !== undefined) {
      const names = [...new Set(p.MetricData.map((d) => d.MetricName))];
      const models = [...new Set(p.MetricData.flatMap((d) => (d.Dimensions ?? []).filter((x) => x.Name === 'Model').map((x) => x.Value)))];
      return `PutMetricData, ${p.MetricData.length} datums of ${names.length} metrics (${names.slice(0, 4).join(', ')}${names.length > 4 ? ', ...' : ''})${models.length > 0 ? `, model ${models.join(', ')}` : ''}`;
    }
    if (p.resourceMetrics !== undefined) {
      const names = [...new Set(p.resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.name))))];
      return `OTLP metrics: ${names.join(', ')}`;
    }
  } catch {
    // fall through
  }
  return 'payload (not JSON)';
}

/** `driftwatch audit show|verify`: what left the host, and whether the record is intact. */
export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('read and verify the audit log of what left the host');

  audit
    .command('show')
    .description('print every payload that left the host, oldest first')
    .option('--state <file>', 'the agent or collector state file (state.path)', DEFAULT_STATE)
    .option('--since <time>', 'only entries from this time (ISO-8601 or epoch ms)', sinceOption)
    .option('--json', 'print the entries as JSON lines, payloads included')
    .action((flags: { state: string; since?: number; json?: boolean }) => {
      const { log, close } = openLog(flags.state);
      try {
        const entries = log.entries(flags.since ?? 0);
        if (flags.json === true) {
          for (const e of entries) process.stdout.write(`${JSON.stringify({ ...e, at: new Date(e.atMs).toISOString(), payload: JSON.parse(e.payload) as unknown })}\n`);
          return;
        }
        const cp = log.lastCheckpoint();
        if (cp !== undefined) process.stdout.write(`(entries 1-${cp.throughSeq} pruned on ${new Date(cp.atMs).toISOString()}; the chain continues from ${cp.headHash.slice(0, 16)}...)\n`);
        for (const e of entries) {
          process.stdout.write(`#${e.seq}  ${new Date(e.atMs).toISOString()}  ${e.destination}  ${e.bytes.toLocaleString('en-US')} bytes\n`);
          process.stdout.write(`     ${summary(e)}\n     sha256 ${e.hash}\n`);
        }
        process.stdout.write(`${entries.length} entries${flags.since === undefined ? '' : ` since ${new Date(flags.since).toISOString()}`}.\n`);
      } finally {
        close();
      }
    });

  audit
    .command('verify')
    .description('recompute the hash chain; exit 1 naming the first bad entry if any was changed, deleted or reordered')
    .option('--state <file>', 'the agent or collector state file (state.path)', DEFAULT_STATE)
    .option('--public-key <file>', 'PEM key to check the signature of the pruning checkpoint')
    .action((flags: { state: string; publicKey?: string }) => {
      let key;
      if (flags.publicKey !== undefined) {
        try {
          key = readVerifyKey(readFileSync(flags.publicKey));
        } catch (err) {
          throw new DwError('DW_ERR_FILE_READ', `cannot read the public key (${(err as Error).message})`, { file: flags.publicKey });
        }
      }
      const { log, close } = openLog(flags.state);
      try {
        const verdict = log.verify(key);
        if (verdict.ok) {
          const from = verdict.checkpoint === undefined ? 'the first entry' : `the checkpoint after entry ${verdict.checkpoint.throughSeq}${key === undefined ? '' : ' (signature good)'}`;
          process.stdout.write(`audit log OK: ${verdict.entries} entries chained from ${from}; head ${verdict.headHash}\n`);
          const signed = verdict.signedHead;
          if (signed !== undefined) {
            process.stdout.write(`signed head: entry ${signed.seq}, ${new Date(signed.atMs).toISOString()} (${signed.reason === 'stop' ? 'a clean stop' : 'an appended batch'}); signatures of every head and checkpoint good\n`);
          }
          if (key === undefined) {
            process.stdout.write('without --public-key this checks the chain only: it shows an entry changed, deleted or reordered in place, but not a chain rewritten '
              + 'from the start, a tail cut off, or a forged pruning checkpoint (docs/security.md#the-audit-log)\n');
          }
          return;
        }
        process.stdout.write(`audit log BROKEN at entry ${verdict.seq}: ${verdict.problem}\n`);
        process.exitCode = 1;
      } finally {
        close();
      }
    });
}
