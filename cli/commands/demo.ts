import { readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { Agent } from '../../agent/agent.js';
import { parseAgentConfig } from '../../agent/config/agent-config.js';
import { createLogger } from '../../shared/platform/logger.js';
import { createApiServer, listen } from '../../agent/sources/http-api.js';
import { buildBaseline } from '../../shared/offline/baseline/build-baseline.js';
import type { WindowReport } from '../../shared/core/drift/window-report.js';
import { fileRowSource } from '../../shared/offline/input/file-row-source.js';
import { DwError } from '../../shared/platform/errors.js';
import { packageRoot } from '../../shared/platform/package-info.js';
import { writeJson, writeText } from '../write-json.js';
import { reportHtml } from '../report/report-html.js';
import { fromHistory } from '../report/report-sources.js';

const WINDOW_SECONDS = 60;
const EVENTS_PER_WINDOW = 200;

type Row = Record<string, unknown>;

function readRows(file: string): Row[] {
  const text = readFileSync(file, 'utf8').trim();
  if (file.endsWith('.jsonl')) return text.split('\n').map((l) => JSON.parse(l) as Row);
  const [header, ...lines] = text.split('\n');
  const cols = header!.split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(cols.map((c, i) => {
      const v = cells[i] ?? '';
      return [c, v === '' ? null : /^-?[\d.]+$/.test(v) ? Number(v) : v];
    }));
  });
}

/** An API event for a bundled example row. */
function toEvent(row: Row, timestamp: number): Row {
  const { application_id: id, prediction, confidence, ...features } = row;
  void id; // an identifier: never sent, not even to the local agent
  return { model: 'loans', timestamp, features, prediction: { label: prediction, confidence } };
}

function describeWindow(r: WindowReport): string {
  const time = (ms: number): string => new Date(ms).toISOString().slice(11, 16);
  const scored = r.score.features.filter((f) => f.psi !== null);
  const top = [...scored].sort((a, b) => b.psi! - a.psi!)[0];
  const drifted = r.score.features.filter((f) => f.status === 'drift').map((f) => f.name);
  const retrain = r.retraining.recommended ? 'RETRAIN' : `${r.retraining.flagged}/${r.retraining.of}`;
  return [
    `${time(r.startMs)}-${time(r.startMs + WINDOW_SECONDS * 1000)}`,
    String(r.events).padStart(6),
    (top === undefined ? '-' : `${top.psi!.toFixed(3)} ${top.name}`).padEnd(26),
    (drifted.length === 0 ? 'ok' : `DRIFT: ${drifted.join(', ')}`).padEnd(62),
    retrain,
  ].join('  ');
}

/** Step 4: what would have gone to CloudWatch, in the file. */
function sayPayloads(payloads: string, say: (text: string) => void, show: (path: string) => string): void {
  const requests = readFileSync(payloads, 'utf8').trim().split('\n');
  const datums = requests.reduce((n, line) => n + (JSON.parse(line) as { MetricData: unknown[] }).MetricData.length, 0);
  say(`\n== 4. Nothing left this machine. The exact PutMetricData payloads that would have gone to CloudWatch`);
  say(`      (${requests.length} requests, ${datums} datums, aggregates only) are in ${show(payloads)}`);
  say(`      Point the agent at AWS with sinks.cloudwatch in its config (docs/agent.md).`);
}

/** Step 5: the windows the agent kept on this host, drawn for a person: what drifted, how and since when. */
function writeDemoReport(files: { baseline: string; state: string; out: string }, say: (text: string) => void, show: (path: string) => string): void {
  const report = join(files.out, 'drift-report.html');
  const model = fromHistory({ baseline: files.baseline, state: files.state, model: 'loans', since: '1d', out: report });
  writeText(report, reportHtml(model));
  say(`\n== 5. Why: ${model.summary}`);
  say(`      The drift report (one HTML file, works offline: distributions, PSI over time, retraining) is ${show(report)}`);
  say(`      Open it in a browser; \`driftwatch report --state ${show(files.state)} --model loans --baseline ${show(files.baseline)}\` writes it again.`);
}

/** `driftwatch demo`: a live agent on embedded defaults, replaying traffic in which drift begins part-way. */
// eslint-disable-next-line max-lines-per-function -- the demo's steps, in the order the README narrates them.
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run an agent on embedded defaults and replay example traffic in which drift begins part-way')
    .option('--out <dir>', 'folder for the demo baseline, state and payloads', '.driftwatch/demo')
    .option('--pace <ms>', 'pause between replayed windows', '250')
    .action(async (flags: { out: string; pace: string }) => {
      const examples = join(packageRoot(), 'examples');
      const show = (path: string): string => relative(process.cwd(), path) || path;
      const say = (text: string): void => {
        process.stdout.write(`${text}\n`);
      };

      say(`== 1. Profile the training data (${show(join(examples, 'loans-train.csv'))})`);
      const { profile } = await buildBaseline(fileRowSource(join(examples, 'loans-train.csv')), {
        exclude: ['application_id'], confidenceColumn: 'confidence', predictionColumn: 'prediction',
      });
      const baseline = join(flags.out, 'loans-baseline.json');
      writeJson(baseline, profile);
      say(`   ${profile.rowCount} rows, ${profile.features.length} features -> ${show(baseline)}`);

      const payloads = join(flags.out, 'cloudwatch-payloads.ndjson');
      const state = join(flags.out, 'agent.db');
      for (const f of [payloads, state, `${state}-wal`, `${state}-shm`]) rmSync(f, { force: true });
      const config = parseAgentConfig({
        models: [{ name: 'loans', baseline }],
        api: { port: 0 },
        // Replay: windows close by event time, so an hour of traffic plays in seconds.
        windows: { seconds: WINDOW_SECONDS, graceSeconds: 0, clock: 'event' },
        state: { path: state },
        sinks: { file: { path: payloads } },
        log: { level: 'warn', pretty: true },
      }, process.cwd(), 'demo');
      const agent = new Agent(config, createLogger(config.log, process.stderr));
      const server = createApiServer(agent, config.api);
      const address = await listen(server, config.api);
      agent.start();
      say(`\n== 2. Agent listening on ${address}; replaying 8 one-minute windows of loan decisions`);
      say('   (the last 3 windows come from a shifted population: lower incomes, more mobile applications)\n');
      say(`   ${'window'.padEnd(11)}  ${'events'.padStart(6)}  ${'highest PSI'.padEnd(26)}  ${'verdict'.padEnd(62)}  retrain (M of N)`);
      agent.onWindowClosed = (r) => say(`   ${describeWindow(r)}`);

      const stable = readRows(join(examples, 'loans-stable.csv'));
      const drifted = readRows(join(examples, 'loans-drifted.jsonl')).slice(400); // drift starts at row 400
      const replay = [0, 1, 2, 3, 4].map((w) => stable.slice(w * EVENTS_PER_WINDOW, (w + 1) * EVENTS_PER_WINDOW))
        .concat([0, 1, 2].map((w) => drifted.slice(w * EVENTS_PER_WINDOW, (w + 1) * EVENTS_PER_WINDOW)));
      const start = Math.floor(Date.now() / 60_000) * 60_000 - replay.length * 60_000;
      for (let w = 0; w < replay.length; w++) {
        const events = replay[w]!.map((row, i) => toEvent(row, start + w * 60_000 + i * 250));
        const res = await fetch(`${address}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) });
        if (!res.ok) throw new DwError('DW_ERR_INTERNAL', `the agent refused the replay: ${res.status} ${await res.text()}`);
        await new Promise((r) => setTimeout(r, Number(flags.pace)));
      }
      await agent.flush();
      const deadline = Date.now() + 10_000;
      while (agent.shipper.backlog().some((b) => b.count > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const lastAlert = agent.status() as { models: { lastClosedWindow: { retrainingRecommended: boolean } | null }[] };
      await agent.shutdown(1000);
      server.close();

      say('');
      if (lastAlert.models[0]?.lastClosedWindow?.retrainingRecommended === true) {
        say('== 3. Retraining alert: 3 of the last 5 windows drifted, so RetrainingRecommended = 1 for model "loans".');
        say('      In AWS, a CloudWatch alarm on it pages on-call and can start the retraining pipeline.');
      }
      sayPayloads(payloads, say, show);

      writeDemoReport({ baseline, state, out: flags.out }, say, show);
    });
}
