import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededNormal } from '../../scripts/lib/seeded-normal.js';
import { buildBaseline } from '../../shared/offline/baseline/build-baseline.js';
import { arrayRowSource } from '../../shared/offline/input/row-source.js';
import type { BaselineProfile, NumericFeatureProfile } from '../../shared/core/profile/baseline-profile.js';
import { startAgent, waitForDrain, type AgentProcess } from '../helpers/agent-process.js';
import { reconstructionError } from '../helpers/reconstruction-error.js';

/**
 * Embeddings and the multivariate check in the running product: two agents take events with a
 * 16-dimensional embedding, refuse bad vectors by name, and export their windows over OTLP to a
 * collector, which merges the reconstruction-error histograms and sums and ships the fleet's
 * MultivariatePSI and exact mean ReconstructionError. No vector leaves an agent.
 */
const dir = mkdtempSync(join(tmpdir(), 'dw-embedding-'));
const WINDOW_MS = 60_000;
const t0 = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - 30 * WINDOW_MS;
const D = 16;
const { normal } = seededNormal(316);
const axes = Array.from({ length: 3 }, () => Array.from({ length: D }, () => normal() / 2));

type Row = { amount: number; items: number; latency: number; query: number[] };
function row(shifted: boolean): Row {
  const latent = [3, 2, 1].map((s) => s * normal());
  const query = Array.from({ length: D }, (_, j) => latent.reduce((sum, l, i) => sum + l * axes[i]![j]!, 0) + 0.2 * normal() + (shifted && j < 8 ? 1 : 0));
  const base = normal();
  return { amount: 100 + 20 * base, items: 3 + base + 0.5 * normal(), latency: 40 + 5 * normal(), query };
}
const event = (r: Row, t: number) => ({ model: 'search', timestamp: t, features: r });

let profile: BaselineProfile;
let collector: AgentProcess;
const agents: AgentProcess[] = [];
/** Window 0 like the baseline, window 1 with shifted embeddings; per agent. */
const sent: Row[][] = [[], []];

type Put = { MetricData: { MetricName: string; Value?: number; Timestamp: string; Dimensions: { Name: string; Value: string }[] }[] };
const datums = (): Put['MetricData'] => readFileSync(join(dir, 'fleet.ndjson'), 'utf8').trim().split('\n').flatMap((l) => (JSON.parse(l) as Put).MetricData);

beforeAll(async () => {
  ({ profile } = await buildBaseline(arrayRowSource(Array.from({ length: 3000 }, () => row(false))), { embedding: ['query'] }));
  writeFileSync(join(dir, 'search.json'), JSON.stringify(profile));
  collector = await startAgent({
    models: [{ name: 'search', baseline: join(dir, 'search.json') }],
    receiver: { port: 0 },
    windows: { seconds: 60, graceSeconds: 600 },
    sinks: { file: { path: join(dir, 'fleet.ndjson') } },
  }, { dir: mkdtempSync(join(dir, 'collector-')), command: 'collector' });
  for (let a = 0; a < 2; a++) {
    agents.push(await startAgent({
      instanceId: `gpu-${a}`,
      models: [{ name: 'search', baseline: join(dir, 'search.json') }],
      api: { port: 0 },
      windows: { seconds: 60, graceSeconds: 0, clock: 'event' },
      sinks: { otlp: { endpoint: `${collector.address}/v1/metrics`, protocol: a === 0 ? 'http/protobuf' : 'http/json' } },
    }, { dir: mkdtempSync(join(dir, `agent-${a}-`)) }));
  }
}, 120_000);

afterAll(async () => {
  await Promise.all([...agents, collector].map((p) => p?.stop()));
}, 120_000);

describe('embedding events', () => {
  it('refuses a vector of the wrong length, with a non-number, or not an array, naming the field; takes one without the vector', async () => {
    const good = row(false);
    const res = await agents[0]!.postEvents([
      event({ ...good, query: good.query.slice(1) }, t0),
      event({ ...good, query: [...good.query.slice(1), 'NaN' as unknown as number] }, t0),
      event({ ...good, query: { x: 1 } as unknown as number[] }, t0),
      { model: 'search', timestamp: t0, features: { amount: 90, items: 2, latency: 41 } },
    ]);
    expect(res.status).toBe(422);
    expect(res.body.accepted).toBe(1);
    expect(res.body.errors).toEqual([
      expect.objectContaining({ index: 0, reason: 'bad_value', field: 'features.query', message: `embedding has ${D - 1} entries; the baseline's have ${D}` }),
      expect.objectContaining({ index: 1, reason: 'bad_value', field: 'features.query', message: `embedding entry ${D - 1} is not a finite number` }),
      expect.objectContaining({ index: 2, reason: 'bad_value', field: 'features.query', message: 'embedding is not an array of numbers' }),
    ]);
    sent[0]!.push({ amount: 90, items: 2, latency: 41, query: undefined as unknown as number[] });
  });

  it('merges the agents\' windows into the fleet\'s, with the exact mean reconstruction error, and flags the shifted embeddings', async () => {
    for (let w = 0; w < 2; w++) {
      for (let a = 0; a < 2; a++) {
        const rows = Array.from({ length: 150 }, () => row(w === 1));
        sent[w]!.push(...rows);
        expect((await agents[a]!.postEvents(rows.map((r, i) => event(r, t0 + w * WINDOW_MS + i * 100)))).status).toBe(200);
      }
    }
    // An event in the next window moves each agent's clock on and closes window 1.
    for (const a of agents) expect((await a.postEvents([event(row(false), t0 + 2 * WINDOW_MS)])).status).toBe(200);
    for (const a of agents) await waitForDrain(a, 60_000, 2);
    expect((await collector.post('/v1/flush', '')).status).toBe(200);
    await waitForDrain(collector);

    const all = datums();
    const at = (w: number) => new Date(t0 + (w + 1) * WINDOW_MS - 1).toISOString();
    const value = (name: string, w: number, feature?: string) => all.find((d) => d.MetricName === name && d.Timestamp === at(w)
      && (feature === undefined || d.Dimensions.some((x) => x.Name === 'Feature' && x.Value === feature)))?.Value;
    for (let w = 0; w < 2; w++) {
      expect(value('EventCount', w)).toBe(sent[w]!.length);
      // The mean over both agents' events, computed here from the profile's projection.
      const withVector = sent[w]!.filter((r) => r.query !== undefined);
      const expected = withVector.reduce((s, r) => s + reconstructionError(profile, r, 'query'), 0) / withVector.length;
      expect(value('ReconstructionError', w, 'query.reconstruction_error'), `window ${w}`).toBeCloseTo(expected, 9);
      const tabular = sent[w]!.reduce((s, r) => s + reconstructionError(profile, r), 0) / sent[w]!.length;
      expect(value('ReconstructionError', w, 'multivariate.reconstruction_error')).toBeCloseTo(tabular, 9);
    }
    const baseline = profile.features.find((f) => f.name === 'query.reconstruction_error') as NumericFeatureProfile;
    const standardError = baseline.std * Math.sqrt(1 / 300 + 1 / 3000);
    expect(Math.abs(value('ReconstructionError', 0, 'query.reconstruction_error')! - baseline.mean)).toBeLessThan(3 * standardError);
    expect(value('ReconstructionError', 1, 'query.reconstruction_error')!).toBeGreaterThan(baseline.mean + 5 * standardError);
    expect(value('MultivariatePSI', 0)!).toBeLessThan(0.1);
    expect(value('MultivariatePSI', 1)!).toBeGreaterThan(0.5);
    expect(value('RetrainingRecommended', 1)).toBeDefined();
    // Not one coordinate of any vector is in what the fleet shipped.
    const shipped = readFileSync(join(dir, 'fleet.ndjson'), 'utf8');
    for (const r of sent[1]!.slice(0, 20)) for (const v of r.query) expect(shipped.includes(String(v).slice(0, 10))).toBe(false);
  }, 120_000);
});
