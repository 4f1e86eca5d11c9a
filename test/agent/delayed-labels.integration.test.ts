import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seededUniform } from '../../shared/core/stats/seeded-random.js';
import { buildBaseline } from '../../shared/offline/baseline/build-baseline.js';
import { arrayRowSource } from '../../shared/offline/input/row-source.js';
import { replay, startAgent, waitForDrain, type AgentProcess } from '../helpers/agent-process.js';
import { metricSeries } from '../helpers/cloudwatch-series.js';
import { evaluateAlarm } from '../helpers/alarm-rule.js';
import { ROOT, runCli } from '../helpers/run-cli.js';
import { mlserverVenv } from '../helpers/mlserver.js';

/**
 * Delayed labels end to end: a real agent counts inferences that carry ids five days ago (event
 * clock), the labels arrive "now" in two batches with a restart in between, and moto holds the
 * realised performance at each window's own timestamp. Expected values are counted here from the
 * test's own rows, never taken from the agent.
 */
const endpoint = inject('motoEndpoint');
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const cw = new CloudWatchClient({ endpoint, region: 'eu-west-1', credentials });
const namespace = `DwLabels${Date.now()}`;
const dir = mkdtempSync(join(tmpdir(), 'dw-labels-'));
const WINDOW_MS = 60_000;
const DAY_MS = 86_400_000;
const t0 = Math.floor((Date.now() - 5 * DAY_MS) / WINDOW_MS) * WINDOW_MS;
const u = seededUniform(2207);

/** A binary model whose confidence c is right with chance c. */
interface Inference { id: string; x: number; predicted: number; confidence: number; truth: number }
function inference(id: string): Inference {
  const confidence = 0.5 + 0.5 * u();
  const predicted = u() < 0.5 ? 0 : 1;
  return { id, x: u() * 10, predicted, confidence, truth: u() < confidence ? predicted : 1 - predicted };
}
const training = Array.from({ length: 4000 }, (_, i) => inference(`t${i}`)).map((r) => ({ x: r.x, prediction: r.predicted, confidence: r.confidence, truth: r.truth }));
// Ids that look like what a gateway would send: long enough to search the state file for.
const windows = [0, 1, 2].map((w) => Array.from({ length: 200 }, (_, i) => inference(`req-7f3a91c2-w${w}-${String(i).padStart(4, '0')}`)));
const config = {
  models: [{ name: 'scorer', baseline: join(dir, 'scorer.json') }],
  api: { port: 0 },
  windows: { seconds: 60, graceSeconds: 0, clock: 'event', checkpointMs: 200 },
  labels: { shipSeconds: 1, minLabels: 50 },
  sinks: { cloudwatch: { namespace, endpoint, region: 'eu-west-1' } },
};
const env = { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey };
let agent: AgentProcess;
/** A Python with scikit-learn (the MLServer test venv, built once and cached). */
let python: string;
const label = (r: Inference, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ model: 'scorer', id: r.id, label: r.truth, timestamp: Date.now(), ...extra });
const postLabels = (labels: unknown[]): ReturnType<AgentProcess['post']> => agent.post('/v1/labels', JSON.stringify(labels));

/** Waits until every window with labels has shipped them (the status counts updates) and the outbox is empty. */
async function waitForUpdates(updates: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { body } = await agent.get('/v1/status');
    if ((body.labels as { updates: number }).updates >= updates) break;
    if (Date.now() > deadline) throw new Error(`labels not shipped: ${JSON.stringify(body.labels)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await waitForDrain(agent);
}

beforeAll(async () => {
  const { profile } = await buildBaseline(arrayRowSource(training), { predictionColumn: 'prediction', confidenceColumn: 'confidence', labelColumn: 'truth', multivariate: false });
  writeFileSync(join(dir, 'scorer.json'), JSON.stringify(profile));
  agent = await startAgent(config, { dir, env });
  python = (await mlserverVenv()).python;
  await replay(agent, windows.map((rows, w) => rows.map((r, i) => ({ model: 'scorer', id: r.id, timestamp: t0 + w * WINDOW_MS + i * 100, features: { x: r.x },
    prediction: { label: r.predicted, confidence: r.confidence } }))));
}, 900_000);

afterAll(async () => {
  await agent?.stop();
});

describe('delayed labels (POST /v1/labels)', () => {
  it('joins labels posted days later, refuses the bad ones by reason, and survives a restart: moto holds each window at its own timestamp', async () => {
    // Batch 1: 120 labels of window 0, 120 of window 1, and one of each kind of bad label.
    const first = [...windows[0]!.slice(0, 120), ...windows[1]!.slice(0, 120)].map((r) => label(r));
    const bad = [
      { model: 'scorer', id: 'never-seen', label: 1 },
      { model: 'scorer', id: windows[0]![0]!.id, label: 1 },
      { model: 'scorer', id: windows[2]![0]!.id, label: 7 },
      { model: 'scorer', id: windows[2]![1]!.id, label: 1, timestamp: t0 - DAY_MS },
      { model: 'scorer', id: windows[2]![2]!.id, label: { class: 1 } },
      { model: 'nope', id: 'x', label: 1 },
    ];
    const res = await postLabels([...first, ...bad]);
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ accepted: 240, refused: 6, error: { code: 'DW_ERR_API_LABELS' } });
    expect((res.body.errors as { index: number; reason: string; field?: string }[]).map((e) => [e.index, e.reason, e.field])).toEqual([
      [240, 'unknown_id', 'id'], [241, 'duplicate', 'id'], [242, 'unknown_class', 'label'], [243, 'before_inference', 'timestamp'], [244, 'bad_label', 'label'], [245, 'unknown_model', 'model'],
    ]);
    await waitForUpdates(2);

    // A restart between the batches loses nothing: the remembered inferences and the labels so far are in the state file.
    expect(await agent.stop()).toBe(0);
    agent = await startAgent(config, { dir, env });
    const second = [...windows[0]!.slice(120), ...windows[2]!.slice(3)].map((r) => label(r));
    const again = await postLabels([...second, label(windows[1]![5]!)]);
    expect(again.status).toBe(422);
    expect(again.body).toMatchObject({ accepted: 80 + 197, refused: 1 });
    expect((again.body.errors as { reason: string }[])[0]!.reason).toBe('duplicate');
    expect((await postLabels(windows[1]!.slice(120, 125).map((r) => label(r)))).status).toBe(200);
    await waitForUpdates(2);
    const status = (await agent.get('/v1/status')).body.labels as { accepted: number; refused: Record<string, number>; remembered: number };
    expect(status.refused).toEqual({ duplicate: 1 });
    // Counted from the state file at the restart, then kept: every inference that carried an id.
    expect(status.remembered).toBe(600);

    const labelled = [windows[0]!, windows[1]!.slice(0, 125), windows[2]!.slice(3)];
    const dims = [{ Name: 'Model', Value: 'scorer' }];
    const range = { from: t0 - WINDOW_MS, to: t0 + 4 * WINDOW_MS };
    const sums = async (name: string): Promise<number[]> => {
      const s = await metricSeries(cw, namespace, name, dims, range, 'Sum');
      return [0, 1, 2].map((w) => s.get(t0 + w * WINDOW_MS) ?? NaN);
    };
    expect(await sums('LabelledPredictions')).toEqual(labelled.map((l) => l.length));
    expect(await sums('CorrectPredictions')).toEqual(labelled.map((l) => l.filter((r) => r.predicted === r.truth).length));
    // scikit-learn on the same rows: CorrectPredictions / LabelledPredictions (CloudWatch metric math) is its
    // accuracy exactly; the ratios, shipped as the sum of their updates, to 12 digits.
    const run = spawnSync(python, [join(ROOT, 'test', 'fixtures', 'labels', 'sklearn_metrics.py')],
      { input: JSON.stringify(labelled.map((l) => l.map((r) => ({ predicted: r.predicted, truth: r.truth })))), encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    const sklearn = JSON.parse(run.stdout) as { accuracy: number; precision: number; recall: number }[];
    const [labelledSums, correctSums] = [await sums('LabelledPredictions'), await sums('CorrectPredictions')];
    labelled.forEach((_, w) => expect(correctSums[w]! / labelledSums[w]!).toBe(sklearn[w]!.accuracy));
    const [accuracy, precision, recall] = [await sums('RealisedAccuracy'), await sums('RealisedPrecision'), await sums('RealisedRecall')];
    labelled.forEach((_, w) => {
      expect(accuracy[w]).toBeCloseTo(sklearn[w]!.accuracy, 12);
      expect(precision[w]).toBeCloseTo(sklearn[w]!.precision, 12);
      expect(recall[w]).toBeCloseTo(sklearn[w]!.recall, 12);
    });
    const coverage = await sums('LabelCoverage');
    labelled.forEach((l, w) => expect(coverage[w]).toBeCloseTo(l.length / 200, 12));

    // The kept history shows each window's realised performance beside its estimate.
    const kept = (await agent.get('/v1/windows?model=scorer')).body.windows as { start: string; report: { realised?: { labelled: number; accuracy: number } } }[];
    const byStart = new Map(kept.map((k) => [Date.parse(k.start), k.report.realised]));
    labelled.forEach((l, w) => expect(byStart.get(t0 + w * WINDOW_MS)?.labelled).toBe(l.length));
  }, 240_000);

  it('pages through the -accuracy alarm when the estimated accuracy drops, and not before', async () => {
    // Five later windows whose confidences crowd at 0.5–0.6: the estimate (about 0.55) falls far below the baseline's 0.75.
    const low = [10, 11, 12, 13, 14].map((w) => Array.from({ length: 200 }, (_, i) => {
      const confidence = 0.5 + 0.1 * u();
      return { model: 'scorer', timestamp: t0 + w * WINDOW_MS + i * 100, features: { x: u() * 10 }, prediction: { label: u() < 0.5 ? 0 : 1, confidence } };
    }));
    await replay(agent, low);
    process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
    const apply = runCli(['alarms', 'apply', '--config', join(dir, 'driftwatch.yaml')]);
    expect(apply.status, apply.stderr).toBe(0);
    const alarm = (await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['driftwatch-scorer-accuracy'] }))).MetricAlarms![0]!;
    expect(alarm).toMatchObject({ MetricName: 'AccuracyDrop', Statistic: 'Maximum', Threshold: 1, DatapointsToAlarm: 3, EvaluationPeriods: 5 });
    const series = await metricSeries(cw, namespace, 'AccuracyDrop', alarm.Dimensions!, { from: t0 - 10 * WINDOW_MS, to: t0 + 16 * WINDOW_MS }, alarm.Statistic, alarm.Period);
    expect([0, 1, 2].map((w) => series.get(t0 + w * WINDOW_MS))).toEqual([0, 0, 0]);
    expect([10, 11, 12, 13, 14].map((w) => series.get(t0 + w * WINDOW_MS))).toEqual([1, 1, 1, 1, 1]);
    const states = (from: number, to: number): string[] => evaluateAlarm(alarm, series, t0 + from * WINDOW_MS, t0 + to * WINDOW_MS).map((e) => e.state);
    expect(states(0, 10)).not.toContain('ALARM');
    expect(states(12, 15)).toEqual(['ALARM', 'ALARM', 'ALARM']);
  }, 120_000);

  it('keeps the ids on the host and unreadable in the state file: keyed hashes only, the key in a 0600 file beside it', async () => {
    const status = await agent.get('/v1/status');
    expect(status.status).toBe(200);
    expect(await agent.stop()).toBe(0);
    const state = join(dir, '.driftwatch', 'agent.db');
    const files = readdirSync(join(dir, '.driftwatch')).map((f) => join(dir, '.driftwatch', f)).filter((f) => f.startsWith(state));
    const ids = windows.flat().map((r) => r.id);
    for (const file of files) {
      const bytes = readFileSync(file);
      for (const id of ['req-7f3a91c2', ...ids.slice(0, 50)]) expect(bytes.includes(Buffer.from(id)), `${id} in ${file}`).toBe(false);
    }
    const key = `${state}.label-key`;
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(readFileSync(key)).toHaveLength(32);
    const db = new Database(state, { readonly: true });
    try {
      const rows = db.prepare<[], { key: Buffer }>('SELECT key FROM label_keys').all();
      expect(rows).toHaveLength(600);
      for (const r of rows) expect(r.key).toHaveLength(16);
    } finally {
      db.close();
    }
    // Nothing that left the host names an id either: the audit log holds every request's bytes' digest, and the
    // datums carry model dimensions only (checked by the egress allowlist for every request).
    agent = await startAgent(config, { dir, env });
  }, 120_000);
});
