import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Egress, EgressRefusedError } from '../../shared/pipeline/egress/egress.js';
import { EgressAllowlist } from '../../shared/pipeline/egress/egress-allowlist.js';
import { startAgent, waitForDrain, type AgentProcess } from '../helpers/agent-process.js';
import { emfDatums, emfProblems, type EmfDatum } from '../helpers/emf-spec.js';
import { exampleBaseline, exampleRows, toEvent } from '../helpers/example-events.js';
import { runCli } from '../helpers/run-cli.js';

/**
 * The EMF sink (`sinks.emf`): a real agent writes embedded-metric-format lines for a CloudWatch
 * agent or Fluent Bit to ship. Every line keeps the specification's rules and limits (checked by
 * test/helpers/emf-spec.ts, written from the specification); the metrics CloudWatch Logs would
 * extract from them are exactly the PutMetricData datums of the same windows (from the file sink),
 * but the confidence statistic set, which EMF cannot carry; what was written is in the audit log;
 * a payload off the allowlist is refused and nothing is written.
 */
const dir = mkdtempSync(join(tmpdir(), 'dw-emf-'));
const WINDOW_MS = 60_000;
const t0 = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - 10 * WINDOW_MS;
let agent: AgentProcess;

type Datum = { MetricName: string; Value?: number; Counts?: number[]; Timestamp: string; Dimensions: { Name: string; Value: string }[]; Unit: string; StorageResolution?: number };

beforeAll(async () => {
  writeFileSync(join(dir, 'loans.json'), JSON.stringify(await exampleBaseline()));
  agent = await startAgent({
    site: 'dc1',
    models: [{ name: 'loans', baseline: join(dir, 'loans.json') }],
    api: { port: 0 },
    windows: { seconds: 60, graceSeconds: 0, clock: 'event' },
    sinks: { emf: { path: join(dir, 'emf', 'driftwatch.emf.log'), namespace: 'DwEmf' }, file: { path: join(dir, 'requests.ndjson') } },
  }, { dir });
  const stable = exampleRows('loans-stable.csv');
  const drifted = exampleRows('loans-drifted.jsonl').slice(400);
  for (const [w, rows] of [stable.slice(0, 200), drifted.slice(0, 200), stable.slice(200, 210)].entries()) {
    expect((await agent.postEvents(rows.map((row, i) => toEvent(row, 'loans', t0 + w * WINDOW_MS + i * 100)))).status).toBe(200);
  }
  expect((await agent.post('/v1/flush', '')).status).toBe(200);
  await waitForDrain(agent);
}, 120_000);

afterAll(async () => {
  await agent?.stop();
});

const emfText = (): string => readFileSync(join(dir, 'emf', 'driftwatch.emf.log'), 'utf8');

describe('EMF sink', () => {
  it('writes lines that keep the EMF specification and its limits', () => {
    const lines = emfText().trim().split('\n');
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(emfProblems(line), line.slice(0, 200)).toEqual([]);
    for (const line of lines) expect((JSON.parse(line) as { _aws: { CloudWatchMetrics: { Namespace: string }[] } })._aws.CloudWatchMetrics[0]!.Namespace).toBe('DwEmf');
  });

  it('makes exactly the datums PutMetricData would carry, but the confidence statistic set', () => {
    const fromEmf = emfText().trim().split('\n').flatMap(emfDatums);
    const requests = readFileSync(join(dir, 'requests.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { MetricData: Datum[] });
    const windowDatums = requests.flatMap((r) => r.MetricData).filter((d) => d.Dimensions.some((x) => x.Name === 'Model'));
    const expected: EmfDatum[] = windowDatums.filter((d) => d.Counts === undefined).map((d) => ({
      name: d.MetricName, dimensions: Object.fromEntries(d.Dimensions.map((x) => [x.Name, x.Value])), values: [d.Value!],
      timestamp: Date.parse(d.Timestamp), storageResolution: d.StorageResolution ?? 60, unit: d.Unit,
    }));
    expect(expected.length).toBeGreaterThan(20);
    expect(windowDatums.some((d) => d.MetricName === 'Confidence')).toBe(true);
    const key = (d: EmfDatum): string => JSON.stringify([d.name, Object.entries(d.dimensions).sort(), d.timestamp]);
    const sorted = (ds: EmfDatum[]): EmfDatum[] => [...ds].sort((a, b) => key(a).localeCompare(key(b)));
    expect(sorted(fromEmf.filter((d) => 'Model' in d.dimensions))).toEqual(sorted(expected));
    // The sender's health rides along, as with CloudWatch.
    expect(fromEmf.some((d) => d.name === 'OutboxBacklog' && d.dimensions.Site === 'dc1')).toBe(true);
  });

  it('records what it wrote in the audit log', () => {
    const shown = runCli(['audit', 'show', '--state', join(dir, '.driftwatch', 'agent.db'), '--json']);
    expect(shown.status, shown.stderr).toBe(0);
    const entries = shown.stdout.trim().split('\n').map((l) => JSON.parse(l) as { destination: string; payload: unknown[] });
    const emf = entries.filter((e) => e.destination === `emf:${join(dir, 'emf', 'driftwatch.emf.log')}`);
    expect(emf.length).toBeGreaterThanOrEqual(3);
    expect(`${emf.flatMap((e) => e.payload).map((ev) => JSON.stringify(ev)).join('\n')}\n`).toBe(emfText());
    const text = runCli(['audit', 'show', '--state', join(dir, '.driftwatch', 'agent.db')]).stdout;
    expect(text).toMatch(/emf:\S+driftwatch\.emf\.log .*\n\s+EMF, \d+ log events of \d+ metrics \(EventCount, /);
    const verify = runCli(['audit', 'verify', '--state', join(dir, '.driftwatch', 'agent.db')]);
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);
  });

  it('refuses a payload off the allowlist and writes nothing', async () => {
    const path = join(dir, 'refused.emf.log');
    const refusals: string[] = [];
    const egress = new Egress(new EgressAllowlist({ namespace: 'DwEmf', models: [{ name: 'loans', versions: [], features: ['age'] }] }),
      (_, reason) => refusals.push(reason), pino({ level: 'silent' }));
    const door = egress.emf({ path });
    await expect(door.put({ Namespace: 'DwEmf', MetricData: [{ MetricName: 'FeaturePSI', Value: 1, Timestamp: new Date(), Dimensions: [{ Name: 'Model', Value: 'loans' }, { Name: 'Feature', Value: '078-05-1120' }] }] }, 0))
      .rejects.toBeInstanceOf(EgressRefusedError);
    expect(refusals).toEqual([expect.stringMatching(/feature '078-05-1120' is not a safe name/)]);
    expect(existsSync(path)).toBe(false);
  });

  it('refuses a config that names both a file and stdout, or a second namespace, naming the field', () => {
    const check = (emf: Record<string, unknown>, cloudwatch?: Record<string, unknown>): { status: number | null; stderr: string } => {
      const file = join(dir, `check-${Math.random().toString(36).slice(2)}.yaml`);
      writeFileSync(file, JSON.stringify({ models: [{ name: 'loans', baseline: join(dir, 'loans.json') }], sinks: { emf, ...(cloudwatch === undefined ? {} : { cloudwatch }) } }));
      return runCli(['agent', '--config', file, '--check']);
    };
    expect(check({ path: 'x.log' }).status).toBe(0);
    const both = check({ path: 'x.log', stdout: true });
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/sinks\.emf: takes either path or stdout: true/);
    const second = check({ stdout: true, namespace: 'A' }, { namespace: 'B' });
    expect(second.status).toBe(2);
    expect(second.stderr).toMatch(/sinks\.emf\.namespace: 'A' is not sinks\.cloudwatch\.namespace 'B'/);
  });
});
