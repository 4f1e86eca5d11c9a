import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { DwError } from '../../shared/platform/errors.js';
import type { KeyObject } from 'node:crypto';
import type { CloudWatchAnchor } from '../../shared/pipeline/egress/egress.js';
import { namespaceOf } from '../../shared/pipeline/sinks/create-sinks.js';
import { AuditLog, readVerifyKey, type AuditEntry, type AuditVerdict } from '../../shared/pipeline/state/audit-log.js';
import { operatorEgress } from '../operator-egress.js';
import { DEFAULT_STATE, openStateReadOnly } from '../state-file.js';

function openLog(state: string): { log: AuditLog; close: () => void } {
  const { db, close } = openStateReadOnly(state);
  try {
    db.prepare('SELECT 1 FROM audit_log LIMIT 1').get();
  } catch (err) {
    close();
    throw new DwError('DW_ERR_FILE_READ', `not a driftwatch state file with an audit log (${(err as Error).message})`, { file: state });
  }
  return { log: new AuditLog(db), close };
}

function sinceOption(value: string): number {
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) throw new InvalidArgumentError(`--since takes an ISO-8601 time or epoch milliseconds, not '${value}'.`);
  return ms;
}

/** An entry's payload as data: one JSON document, or for an EMF sink the JSON lines it wrote (as an array). */
function parsePayload(e: AuditEntry): unknown {
  if (e.destination.startsWith('emf:')) return e.payload.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as unknown);
  return JSON.parse(e.payload);
}

/** One line of what an entry carried, for a reader: metric names, models, datums. */
function summary(e: AuditEntry): string {
  try {
    if (e.destination.startsWith('emf:')) {
      const events = parsePayload(e) as { _aws: { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }; Model?: string }[];
      const names = [...new Set(events.flatMap((ev) => ev._aws.CloudWatchMetrics.flatMap((d) => d.Metrics.map((m) => m.Name))))];
      const models = [...new Set(events.map((ev) => ev.Model).filter((m) => m !== undefined))];
      return `EMF, ${events.length} log events of ${names.length} metrics (${names.slice(0, 4).join(', ')}${names.length > 4 ? ', ...' : ''})${models.length > 0 ? `, model ${models.join(', ')}` : ''}`;
    }
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
          for (const e of entries) process.stdout.write(`${JSON.stringify({ ...e, at: new Date(e.atMs).toISOString(), payload: parsePayload(e) })}\n`);
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
    .command('anchors')
    .description('on a collector: the newest audit anchor each agent sent (for `audit verify --anchor` on that agent)')
    .option('--state <file>', 'the collector state file (state.path)', DEFAULT_STATE)
    .action((flags: { state: string }) => printAnchors(flags.state));

  audit
    .command('verify')
    .description('recompute the hash chain; exit 1 naming the first bad entry if any was changed, deleted or reordered')
    .option('--state <file>', 'the agent or collector state file (state.path)', DEFAULT_STATE)
    .option('--public-key <file>', 'PEM public key of audit.signingKey: checks every signed head and checkpoint, and that nothing was cut off or added')
    .option('--anchor <entries:digest>', 'also compare with an anchor kept elsewhere: in fleet mode the line `audit anchors` prints on the collector for this agent', anchorOption)
    .option('--cloudwatch <config>', 'also compare with the anchor CloudWatch kept (AuditEntries, AuditHeadDigest), reading namespace, region, endpoint and site from this agent or collector config')
    .action(verify);
}

function verifyKey(file: string): KeyObject {
  try {
    return readVerifyKey(readFileSync(file));
  } catch (err) {
    throw new DwError('DW_ERR_FILE_READ', `cannot read the public key (${(err as Error).message})`, { file });
  }
}

/** Whether the log agrees with the anchor CloudWatch kept; exit 1 when not. */
function printAnchor(log: AuditLog, found: CloudWatchAnchor): void {
  const problem = log.checkAnchor(found);
  if (problem !== undefined) {
    process.stdout.write(`audit log BROKEN at entry ${problem.seq}: ${problem.problem}\n`);
    process.exitCode = 1;
    return;
  }
  const when = found.atMs === 0 ? '' : `at ${new Date(found.atMs).toISOString()} `;
  process.stdout.write(`the anchor agrees: ${when}the other side saw ${found.maxEntries} entries and a request after them, head digest ${found.digest.toString(16)}\n`);
}

/** What a good verdict covered, and, without a key, what it cannot. */
function printVerdict(verdict: Extract<AuditVerdict, { ok: true }>, keyed: boolean): void {
  const from = verdict.checkpoint === undefined ? 'the first entry' : `the checkpoint after entry ${verdict.checkpoint.throughSeq}${keyed ? ' (signature good)' : ''}`;
  process.stdout.write(`audit log OK: ${verdict.entries} entries chained from ${from}; head ${verdict.headHash}\n`);
  const signed = verdict.signedHead;
  if (signed !== undefined) {
    process.stdout.write(`signed head: entry ${signed.seq}, ${new Date(signed.atMs).toISOString()} (${signed.reason === 'stop' ? 'a clean stop' : 'an appended batch'}); signatures of every head and checkpoint good\n`);
  }
  if (!keyed) {
    process.stdout.write('without --public-key this checks the chain only: it shows an entry changed, deleted or reordered in place, but not a chain rewritten '
      + 'from the start, a tail cut off, or a forged pruning checkpoint (docs/security.md#the-audit-log)\n');
  }
}

/** Parses --anchor ENTRIES:DIGEST (the digest in hex, as `audit anchors` prints it). */
function anchorOption(value: string): CloudWatchAnchor {
  const m = /^(\d+):([0-9a-f]{1,12})$/i.exec(value.trim());
  if (m === null) throw new InvalidArgumentError(`--anchor takes ENTRIES:DIGEST (a count and up to 12 hex digits), not '${value}'.`);
  const entries = Number(m[1]);
  return { atMs: 0, minEntries: entries, maxEntries: entries, digest: Number.parseInt(m[2]!, 16) };
}

/** Reads the anchor CloudWatch kept for the config's namespace and site, through the egress door. */
async function cloudWatchAnchor(configFile: string): Promise<CloudWatchAnchor | undefined> {
  const { config, egress } = operatorEgress(configFile, 'driftwatch-audit');
  const door = egress.cloudWatchAnchor({ region: config.sinks.cloudwatch?.region, endpoint: config.sinks.cloudwatch?.endpoint });
  try {
    return await door.latest({ namespace: namespaceOf(config), site: config.site, nowMs: Date.now() });
  } finally {
    await door.close();
  }
}

/** `audit anchors`: the newest anchor each agent sent to this collector. */
function printAnchors(state: string): void {
  const { db, close } = openStateReadOnly(state);
  try {
    const rows = db.prepare<[], { instance: string; entries: number; digest: number; at_ms: number }>('SELECT * FROM agent_anchors ORDER BY instance').all();
    for (const r of rows) process.stdout.write(`${r.instance}  ${r.entries}:${r.digest.toString(16)}  ${new Date(r.at_ms).toISOString()}\n`);
    if (rows.length === 0) process.stdout.write('no agent has sent an audit anchor to this collector\n');
  } catch (err) {
    throw new DwError('DW_ERR_FILE_READ', `not a collector state file with agent anchors (${(err as Error).message})`, { file: state });
  } finally {
    close();
  }
}

/** `audit verify`: the chain, with a key its signatures, with an anchor what the other side saw. */
async function verify(flags: { state: string; publicKey?: string; cloudwatch?: string; anchor?: CloudWatchAnchor }): Promise<void> {
  const key = flags.publicKey === undefined ? undefined : verifyKey(flags.publicKey);
  // Read the anchor first: the state file stays open only while it is checked.
  const anchor = flags.anchor !== undefined ? { found: flags.anchor } : flags.cloudwatch === undefined ? undefined : { found: await cloudWatchAnchor(flags.cloudwatch) };
  const { log, close } = openLog(flags.state);
  try {
    const verdict = log.verify(key);
    if (!verdict.ok) {
      process.stdout.write(`audit log BROKEN at entry ${verdict.seq}: ${verdict.problem}\n`);
      process.exitCode = 1;
      return;
    }
    printVerdict(verdict, key !== undefined);
    if (anchor === undefined) return;
    if (anchor.found === undefined) {
      process.stdout.write('CloudWatch holds no audit anchor (AuditEntries, AuditHeadDigest) for this namespace and site in the last 15 days: nothing to compare\n');
      process.exitCode = 1;
      return;
    }
    printAnchor(log, anchor.found);
  } finally {
    close();
  }
}
