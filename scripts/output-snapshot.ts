/**
 * Everything driftwatch shows the outside, from one fixed scenario, as one normalised text file:
 * for checking that a restructuring changed no behaviour. Run it with two builds and diff:
 *
 *   npx tsx scripts/output-snapshot.ts --cli OLD/dist/cli/main.js --out /tmp/old.txt
 *   npx tsx scripts/output-snapshot.ts --cli dist/cli/main.js --out /tmp/new.txt
 *   diff /tmp/old.txt /tmp/new.txt
 *
 * The scenario: a baseline built from the bundled training data; two agents (one OTLP/protobuf,
 * one OTLP/JSON) sending to a collector with a file sink (fleet mode), and one agent with a file
 * sink (direct mode), all on the event clock, fed the bundled stable then drifted rows. The
 * snapshot holds the baseline file, every PutMetricData payload of the collector and the direct
 * agent, every OTLP request the agents sent (their audit logs record them canonically), the
 * `/v1/status` and `/v1/flush` answers, the SQLite schema, and `--help` of every command. Times
 * are written relative to the scenario's start, so two runs of one build give the same file.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { parse } from 'csv-parse/sync';

const arg = (name: string): string => {
  const i = process.argv.indexOf(name);
  if (i < 0 || process.argv[i + 1] === undefined) throw new Error(`usage: output-snapshot.ts --cli PATH --out FILE (missing ${name})`);
  return process.argv[i + 1]!;
};
const CLI = resolve(arg('--cli'));
const OUT = resolve(arg('--out'));
const EXAMPLES = resolve(import.meta.dirname, '..', 'examples');
const WINDOW_MS = 60_000;
// Recent enough for the outbox and the collector to take, on a whole hour so the windows align.
const T0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000;
const dir = mkdtempSync(join(tmpdir(), 'dw-snapshot-'));

type Row = Record<string, unknown>;
const FEATURES = ['age', 'income', 'credit_utilization', 'num_accounts', 'region', 'channel', 'tenure_months'];
const stable: Row[] = parse<Row>(readFileSync(join(EXAMPLES, 'loans-stable.csv'), 'utf8'), { columns: true, cast: (v, c) => (c.header ? v : v === '' ? null : c.column === 'region' || c.column === 'channel' || c.column === 'prediction' || c.column === 'application_id' ? v : Number(v)) });
const drifted = readFileSync(join(EXAMPLES, 'loans-drifted.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row).slice(400);

/** Times as offsets from T0: ISO strings, epoch milliseconds and nanoseconds near it. */
function normalise(text: string): string {
  return text
    .replaceAll(dir, 'DIR')
    // Wall-clock facts that differ between any two runs: build time, event-loop delay, and the
    // outbox health datums, which describe the moment of sending.
    .replace(/"createdAt": ?"[^"]*"/g, '"createdAt":"WALL"')
    .replace(/"eventLoopDelayMs":[\d.]+/g, '"eventLoopDelayMs":N')
    .replace(/\{"MetricName":"(OutboxBacklog|OldestUnsentAgeSeconds)","Value":[\d.]+,"Unit":"(\w+)","Timestamp":"[^"]*"/g, '{"MetricName":"$1","Value":N,"Unit":"$2","Timestamp":"WALL"')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, (iso) => `T0${offset(Date.parse(iso))}`)
    .replace(/\b\d{19}\b/g, (ns) => (near(Number(BigInt(ns) / 1_000_000n)) ? `T0ns${offset(Number(BigInt(ns) / 1_000_000n))}+${BigInt(ns) % 1_000_000n}` : ns))
    .replace(/\b\d{13}\b/g, (ms) => (near(Number(ms)) ? `T0ms${offset(Number(ms))}` : ms));
}
const near = (ms: number): boolean => Math.abs(ms - T0) < 2 * 24 * 3_600_000;
const offset = (ms: number): string => `${ms - T0 >= 0 ? '+' : '-'}${Math.abs(ms - T0)}`;

interface Proc { address: string; stop(): Promise<void> }

async function start(command: 'agent' | 'collector', config: object, name: string): Promise<Proc> {
  const configFile = join(dir, `${name}.yaml`);
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const child = spawn(process.execPath, [CLI, command, '--config', configFile], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const address = await new Promise<string>((resolveAddress, reject) => {
    void exited.then(() => reject(new Error(`${name} exited before listening`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; address?: string };
        if (entry.msg?.endsWith(' listening.') === true) resolveAddress(entry.address!);
      } catch {
        // not a log line
      }
    });
  });
  return { address, stop: async () => { child.kill('SIGTERM'); await exited; } };
}

async function call(proc: Proc, method: string, path: string, body?: unknown): Promise<string> {
  const res = await fetch(`${proc.address}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? (method === 'POST' ? '' : undefined) : JSON.stringify(body) });
  return `${method} ${path} -> ${res.status} ${await res.text()}`;
}

let lastStatus = '';

/** Waits for a condition, up to a generous limit. */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + Number(process.env.DW_SNAPSHOT_WAIT_MS ?? 120_000);
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last status: ${lastStatus}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const drained = async (p: Proc, windows: number): Promise<boolean> => {
  const text = await call(p, 'GET', '/v1/status');
  const status = JSON.parse(text.replace(/^[^{]*/, '')) as { outbox: { count: number }[]; totals: { windowsClosed: number } };
  lastStatus = text;
  return status.totals.windowsClosed >= windows && status.outbox.every((o) => o.count === 0);
};

const section = (title: string, body: string): string => {
  if (process.env.DW_SNAPSHOT_DEBUG !== undefined) console.error(title);
  return `\n===== ${title}\n${body.trimEnd()}\n`;
};

async function main(): Promise<void> {
  const out: string[] = [];
  const baseline = join(dir, 'loans.json');
  const build = spawnSync(process.execPath, [CLI, 'baseline', 'build', '--input', join(EXAMPLES, 'loans-train.csv'), '--out', baseline,
    '--exclude', 'application_id', '--confidence-column', 'confidence', '--prediction-column', 'prediction'], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`baseline build failed: ${build.stderr}`);
  out.push(section('baseline build stderr', normalise(build.stderr)), section('baseline', normalise(readFileSync(baseline, 'utf8'))));
  const models = [{ name: 'loans', baseline }];
  const collector = await start('collector', { models, receiver: { port: 0 }, windows: { seconds: 60, graceSeconds: 600 },
    sinks: { file: { path: join(dir, 'collector.ndjson') } }, state: { path: join(dir, 'collector.db') } }, 'collector');
  const agents = await Promise.all([0, 1].map((a) => start('agent', { instanceId: `agent-${a}`, models, api: { port: 0 },
    windows: { seconds: 60, graceSeconds: 0, clock: 'event' }, state: { path: join(dir, `agent-${a}.db`) },
    sinks: { otlp: { endpoint: `${collector.address}/v1/metrics`, protocol: a === 0 ? 'http/protobuf' : 'http/json' } } }, `agent-${a}`)));
  const direct = await start('agent', { instanceId: 'direct', models, api: { port: 0 }, windows: { seconds: 60, graceSeconds: 0, clock: 'event' },
    state: { path: join(dir, 'direct.db') }, sinks: { file: { path: join(dir, 'direct.ndjson') } } }, 'direct');
  const windows = [stable.slice(0, 120), stable.slice(120, 240), drifted.slice(0, 120), drifted.slice(120, 240)];
  const event = (r: Row, at: number): object => {
    const features = Object.fromEntries(FEATURES.map((f) => [f, r[f]]));
    return { model: 'loans', timestamp: at, features, prediction: { label: r.prediction, confidence: r.confidence } };
  };
  for (let w = 0; w <= windows.length; w++) {
    for (let a = 0; a < 2; a++) {
      const rows = w < windows.length ? windows[w]!.slice(a * 60, (a + 1) * 60) : [stable[0]!];
      const events = rows.map((r, i) => event(r, T0 + w * WINDOW_MS + a * 10_000 + i * 100));
      out.push(section(`agent-${a} window ${w}`, normalise(await call(agents[a]!, 'POST', '/v1/events', events))));
      out.push(section(`direct from agent-${a} window ${w}`, normalise(await call(direct, 'POST', '/v1/events', events))));
    }
  }
  out.push(section('direct bad events', await call(direct, 'POST', '/v1/events', [{ model: 'nope' }, { features: {} }, 'x'])));
  for (const a of agents) await until('the agents to drain', () => drained(a, windows.length));
  await until('the direct agent to drain', () => drained(direct, windows.length));
  out.push(section('collector flush', normalise(await call(collector, 'POST', '/v1/flush'))));
  await until('the collector to drain', () => drained(collector, windows.length));
  for (const [name, p] of [['agent-0', agents[0]!], ['direct', direct], ['collector', collector]] as const) {
    const status = normalise(await call(p, 'GET', '/v1/status')).replace(/"(oldestAgeSeconds|ageSeconds)":[\d.]+/g, '"$1":N');
    out.push(section(`${name} status`, status));
  }
  for (const p of [...agents, direct, collector]) await p.stop();
  for (const file of ['collector.ndjson', 'direct.ndjson']) out.push(section(file, normalise(readFileSync(join(dir, file), 'utf8'))));
  for (const name of ['agent-0', 'agent-1', 'direct', 'collector']) {
    const db = new Database(join(dir, `${name}.db`), { readonly: true });
    const audit = db.prepare<[], { destination: string; bytes: number; payload: string }>('SELECT destination, bytes, payload FROM audit_log ORDER BY seq').all();
    out.push(section(`${name} audit log`, normalise(audit.map((r) => `${r.destination.replace(/127\.0\.0\.1:\d+/, 'HOST')} ${r.bytes}\n${r.payload}`).join('\n'))));
    const schema = db.prepare<[], { sql: string | null }>('SELECT sql FROM sqlite_master ORDER BY name').all();
    out.push(section(`${name} schema`, schema.map((r) => r.sql ?? '').join('\n')));
    db.close();
  }
  for (const command of [[], ['baseline'], ['baseline', 'build'], ['agent'], ['collector'], ['score'], ['alarms'], ['audit'], ['demo'], ['health'], ['cost']]) {
    const help = spawnSync(process.execPath, [CLI, ...command, '--help'], { encoding: 'utf8' });
    out.push(section(`driftwatch ${command.join(' ')} --help`, help.stdout + help.stderr));
  }
  writeFileSync(OUT, out.join(''));
  console.log(`snapshot: ${OUT} (${out.length} sections; scratch in ${dir})`);
}

await main();
