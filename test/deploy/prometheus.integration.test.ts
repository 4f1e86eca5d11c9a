import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, waitForDrain, type AgentProcess } from '../helpers/agent-process.js';
import { exampleBaseline, exampleRows, toEvent } from '../helpers/example-events.js';
import { startPrometheus, type PrometheusServer } from '../helpers/prometheus-server.js';
import { ROOT, runCli } from '../helpers/run-cli.js';

/**
 * On-prem dashboards: an agent (fleet mode, with an API token) and its collector serve
 * `GET /metrics` (`sinks.prometheus`); a real Prometheus server (Debian's package, unpacked by the
 * test setup) scrapes both, and PromQL returns the window results and self-metrics expected. Raw
 * values sent as sentinels never appear on the endpoint. The Grafana dashboard in deploy/grafana
 * type-checks against Grafana's own dashboard schema (@grafana/schema), and every query in it
 * runs on that Prometheus.
 */
const dir = mkdtempSync(join(tmpdir(), 'dw-prometheus-test-'));
const WINDOW_MS = 60_000;
const t0 = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - 10 * WINDOW_MS;
const TOKEN = 'scrape-token-0123456789abcdef';
const SENTINEL_CATEGORY = 'SENTINEL-REGION-7731';
const SENTINEL_NUMBER = 123457.0071;
const DASHBOARD = join(ROOT, 'deploy', 'grafana', 'driftwatch-dashboard.json');
let agent: AgentProcess;
let collector: AgentProcess;
let plain: AgentProcess;
let prometheus: PrometheusServer;
const stable = exampleRows('loans-stable.csv').slice(0, 200);
const drifted = exampleRows('loans-drifted.jsonl').slice(400, 600);

/** Runs `promql` until `accept` takes its result (scrapes are every second; a busy machine gets a minute). */
async function eventually<T>(promql: string, accept: (r: Awaited<ReturnType<PrometheusServer['query']>>) => T | undefined): Promise<T> {
  const deadline = Date.now() + 60_000;
  let last: unknown;
  for (;;) {
    const result = await prometheus.query(promql);
    const value = accept(result);
    if (value !== undefined) return value;
    last = result;
    if (Date.now() > deadline) throw new Error(`${promql} did not give what was expected in 60 s; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const one = (r: { value: [number, string] }[]): number | undefined => (r.length === 1 ? Number(r[0]!.value[1]) : undefined);

beforeAll(async () => {
  writeFileSync(join(dir, 'loans.json'), JSON.stringify(await exampleBaseline()));
  collector = await startAgent({
    models: [{ name: 'loans', baseline: join(dir, 'loans.json') }],
    receiver: { port: 0 },
    windows: { seconds: 60, graceSeconds: 600 },
    sinks: { prometheus: true },
  }, { dir: mkdtempSync(join(dir, 'collector-')), command: 'collector' });
  agent = await startAgent({
    instanceId: 'agent-0',
    models: [{ name: 'loans', baseline: join(dir, 'loans.json') }],
    api: { port: 0, token: TOKEN },
    windows: { seconds: 60, graceSeconds: 0, clock: 'event' },
    sinks: { otlp: { endpoint: `${collector.address}/v1/metrics` }, prometheus: true },
  }, { dir: mkdtempSync(join(dir, 'agent-')) });
  plain = await startAgent({ models: [{ name: 'loans', baseline: join(dir, 'loans.json') }], api: { port: 0 }, sinks: { file: { path: join(dir, 'plain.ndjson') } } },
    { dir: mkdtempSync(join(dir, 'plain-')) });
  const auth = { authorization: `Bearer ${TOKEN}` };
  const post = (events: unknown[]): Promise<Response> => fetch(`${agent.address}/v1/events`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(events) });
  const sentinel = { ...stable[0]!, region: SENTINEL_CATEGORY, income: SENTINEL_NUMBER };
  for (const [w, rows] of [[...stable, sentinel], drifted].entries()) {
    expect((await post(rows.map((row, i) => toEvent(row, 'loans', t0 + w * WINDOW_MS + i * 100)))).status).toBe(200);
  }
  expect((await fetch(`${agent.address}/v1/flush`, { method: 'POST', headers: auth })).status).toBe(200);
  await waitForDrain({ ...agent, get: async (path: string) => agent.get(path, auth) }, 60_000, 2);
  expect((await collector.post('/v1/flush', '')).status).toBe(200);
  prometheus = await startPrometheus([{ job: 'agent', address: agent.address, token: TOKEN }, { job: 'collector', address: collector.address }]);
}, 300_000);

afterAll(async () => {
  await prometheus?.stop();
  for (const p of [agent, collector, plain]) await p?.stop();
});

describe('Prometheus scraping the agent and the collector', () => {
  it('scrapes both, the agent with its API token', async () => {
    const up = await eventually('up', (r) => (r.length === 2 && r.every((s) => s.value[1] === '1') ? r : undefined));
    expect(up.map((s) => s.metric.job).sort()).toEqual(['agent', 'collector']);
    expect((await fetch(`${agent.address}/metrics`)).status).toBe(401);
  });

  it('returns the last window\'s results per model, equal to driftwatch score on the same rows', async () => {
    const file = join(dir, 'drifted.jsonl');
    writeFileSync(file, drifted.map((r) => JSON.stringify(r)).join('\n'));
    const offline = JSON.parse(runCli(['score', '--baseline', join(dir, 'loans.json'), '--current', file, '--json']).stdout) as { features: { name: string; role: string; psi: number; status: string }[] };
    const flagged = offline.features.filter((f) => f.role === 'input' && f.status === 'drift').length;
    expect(flagged).toBeGreaterThan(0);
    for (const job of ['agent', 'collector']) {
      expect(await eventually(`driftwatch_event_count{job="${job}",model="loans"}`, one)).toBe(200);
      expect(await eventually(`driftwatch_drifted_feature_count{job="${job}",model="loans"}`, one)).toBe(flagged);
      const income = await eventually(`driftwatch_feature_psi{job="${job}",model="loans",feature="income"}`, one);
      expect(income).toBeCloseTo(offline.features.find((f) => f.name === 'income')!.psi, 9);
      const component = job === 'agent' ? agent : collector;
      const kept = (await component.get('/v1/windows?model=loans', { authorization: `Bearer ${TOKEN}` })).body.windows as { end: string }[];
      const lastEnd = Math.max(...kept.map((w) => Date.parse(w.end)));
      expect(await eventually(`driftwatch_window_end_timestamp_seconds{job="${job}",model="loans"}`, one)).toBe(lastEnd / 1000);
    }
  });

  it('returns the self-metrics', async () => {
    expect(await eventually('driftwatch_events_accepted_total{job="agent"}', one)).toBe(401);
    expect(await eventually('driftwatch_windows_closed_total{job="agent"}', one)).toBe(2);
    expect(await eventually('driftwatch_sink_sends_total{job="agent",sink="otlp",outcome="succeeded"}', one)).toBe(2);
    expect(await eventually('driftwatch_outbox_backlog{job="collector",sink="prometheus"}', one)).toBe(0);
    expect(await eventually('process_resident_memory_bytes{job="agent"}', one)).toBeGreaterThan(10 * 1024 * 1024);
  });

  it('lets nothing through that the egress rules would not: no raw value, and an audit entry per window', async () => {
    const text = await (await fetch(`${agent.address}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(text).toContain('driftwatch_feature_psi{');
    expect(text).not.toContain(SENTINEL_CATEGORY);
    expect(text).not.toContain(String(SENTINEL_NUMBER));
    const shown = runCli(['audit', 'show', '--state', join(agent.dir, '.driftwatch', 'agent.db'), '--json']);
    const entries = shown.stdout.trim().split('\n').map((l) => JSON.parse(l) as { destination: string });
    expect(entries.filter((e) => e.destination === 'prometheus:/metrics')).toHaveLength(2);
  });

  it('is off by default: 404 naming the setting', async () => {
    const res = await plain.get('/metrics');
    expect(res.status).toBe(404);
    expect(JSON.stringify(res.body)).toMatch(/set sinks\.prometheus: true/);
  });
});

describe('the Grafana dashboard (deploy/grafana)', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };

  it('type-checks against Grafana\'s dashboard schema (@grafana/schema)', () => {
    const check = join(ROOT, 'node_modules', '.cache', 'dw-grafana-check');
    rmSync(check, { recursive: true, force: true });
    mkdirSync(check, { recursive: true });
    writeFileSync(join(check, 'dashboard.ts'), "import type { Dashboard } from '@grafana/schema/dist/esm/raw/dashboard/x/Dashboard_types.gen';\n"
      + `export const dashboard: Dashboard = ${readFileSync(DASHBOARD, 'utf8')};\n`);
    // The same check catches a field the schema does not have.
    writeFileSync(join(check, 'broken.ts'), "import type { Dashboard } from '@grafana/schema/dist/esm/raw/dashboard/x/Dashboard_types.gen';\n"
      + 'export const broken: Dashboard = { schemaVersion: 39, title: "x", panels: [{ type: "timeseries", gridPos: { x: 0, y: 0, w: 1, h: 1 }, titel: "typo" }] };\n');
    const tsc = (file: string): { status: number | null; stdout: string } => spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict',
      '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', file], { cwd: ROOT, encoding: 'utf8' });
    const good = tsc(join(check, 'dashboard.ts'));
    expect(good.status, good.stdout).toBe(0);
    const bad = tsc(join(check, 'broken.ts'));
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toMatch(/titel/);
  });

  it('asks Prometheus only queries that run, and its drift panels find the models', async () => {
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr.replaceAll('$model', '.*')));
    expect(exprs.length).toBeGreaterThanOrEqual(10);
    for (const expr of exprs) await prometheus.query(expr);
    for (const title of ['Drifted input features (the calibrated verdict)', 'Events per window', 'Resident memory']) {
      const expr = dashboard.panels.find((p) => p.title === title)!.targets[0]!.expr.replaceAll('$model', '.*');
      await eventually(expr, (r) => (r.length > 0 ? r : undefined));
    }
  });
});
