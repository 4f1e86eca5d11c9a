import { describe, expect, it } from 'vitest';
import { buildBaseline } from '../../../../../shared/offline/baseline/build-baseline.js';
import { arrayRowSource } from '../../../../../shared/offline/input/row-source.js';
import { estimateCost, metricsPrice } from '../../../../../shared/pipeline/sinks/cloudwatch/cost-estimate.js';
import { windowRequests } from '../../../../../shared/pipeline/sinks/cloudwatch/window-requests.js';
import { ModelWindows } from '../../../../../shared/pipeline/windows/model-windows.js';
import { DEFAULT_DRIFT_RULE } from '../../../../../shared/core/drift/drift-rule.js';

const rows = Array.from({ length: 400 }, (_, i) => ({ a: i, b: i % 7 * 1.5, c: `k${i % 3}`, conf: 0.5 + (i % 50) / 100, label: i % 2 ? 'y' : 'n' }));
const { profile } = await buildBaseline(arrayRowSource(rows), { confidenceColumn: 'conf', predictionColumn: 'label' });

describe('metricsPrice', () => {
  it('prices custom metrics through the tiers', () => {
    expect(metricsPrice(100)).toBeCloseTo(30, 10);
    expect(metricsPrice(10_000)).toBeCloseTo(3000, 10);
    expect(metricsPrice(20_000)).toBeCloseTo(3000 + 1000, 10);
  });
});

describe('estimateCost', () => {
  it('counts exactly the datums a window ships', async () => {
    const windows = new ModelWindows('m', profile, 300_000, DEFAULT_DRIFT_RULE, { m: 3, n: 5 });
    for (const r of rows.slice(0, 100)) windows.add(r, '', 0);
    const { report } = await windows.close(windows.windows()[0]!, 300_000);
    // Everything the requests of one window carry, the sender's health and audit anchor included.
    const requests = windowRequests({ id: 1, closedAtMs: 300_000, report }, { outboxBacklog: 1, oldestUnsentAgeSeconds: 0, atMs: 300_000, auditHead: { entries: 7, digest: 123 } },
      { namespace: 'Driftwatch', topFeatures: 0, minCount: 0 });
    const shipped = requests.reduce((n, r) => n + r.MetricData!.length, 0);
    const estimate = estimateCost({ models: [{ name: 'm', profile }], windowSeconds: 300, topFeatures: 0, versions: 1, agents: 1 });
    expect(estimate.models[0]!.datumsPerWindow).toBe(shipped);
  });

  it('counts the datums segments add, and the realised-performance metrics of delayed labels', async () => {
    const windows = new ModelWindows('m', profile, 300_000, DEFAULT_DRIFT_RULE, { m: 3, n: 5 }, { segments: { feature: 'c', topK: 2 } });
    for (const r of rows.slice(0, 300)) windows.add(r, '', 0);
    const { report } = await windows.close(windows.windows()[0]!, 300_000);
    const requests = windowRequests({ id: 1, closedAtMs: 300_000, report }, { outboxBacklog: 1, oldestUnsentAgeSeconds: 0, atMs: 300_000, auditHead: { entries: 7, digest: 123 } },
      { namespace: 'Driftwatch', topFeatures: 0, minCount: 0 });
    const shipped = requests.reduce((n, r) => n + r.MetricData!.length, 0);
    // c has three categories: k0 and k1 are segments of their own, k2 is "other".
    const segments = { feature: 'c', count: 3 };
    const plain = estimateCost({ models: [{ name: 'm', profile }], windowSeconds: 300, topFeatures: 0, versions: 1, agents: 1 });
    const estimate = estimateCost({ models: [{ name: 'm', profile, segments }], windowSeconds: 300, topFeatures: 0, versions: 1, agents: 1 });
    expect(estimate.models[0]!.datumsPerWindow).toBe(shipped);
    expect(estimate.models[0]!.segments).toEqual({ ...segments, metrics: 10, usd: 3 });
    expect(estimate.totalMetrics - plain.totalMetrics).toBe(10);
    const labelled = estimateCost({ models: [{ name: 'm', profile, labels: true }], windowSeconds: 300, topFeatures: 0, versions: 1, agents: 1 });
    expect(labelled.totalMetrics - plain.totalMetrics).toBe(8);
    expect(labelled.requestsPerMonth).toBe(2 * plain.requestsPerMonth);
  });

  it('counts the accuracy estimate and its verdict of a baseline built with labels', async () => {
    const labelled = rows.map((r, i) => ({ ...r, truth: i % 3 === 0 ? (r.label === 'y' ? 'n' : 'y') : r.label }));
    const built = (await buildBaseline(arrayRowSource(labelled), { confidenceColumn: 'conf', predictionColumn: 'label', labelColumn: 'truth' })).profile;
    const windows = new ModelWindows('m', built, 300_000, DEFAULT_DRIFT_RULE, { m: 3, n: 5 }, { performance: { maxDrop: 0.05, retrain: true } });
    for (const r of rows.slice(0, 100)) windows.add(r, '', 0);
    const { report } = await windows.close(windows.windows()[0]!, 300_000);
    const requests = windowRequests({ id: 1, closedAtMs: 300_000, report }, { outboxBacklog: 1, oldestUnsentAgeSeconds: 0, atMs: 300_000, auditHead: { entries: 7, digest: 123 } },
      { namespace: 'Driftwatch', topFeatures: 0, minCount: 0 });
    const names = requests.flatMap((r) => r.MetricData!.map((d) => d.MetricName));
    expect(names).toEqual(expect.arrayContaining(['EstimatedAccuracy', 'EstimatedAccuracyLower', 'EstimatedAccuracyUpper', 'AccuracyDrop']));
    const estimate = estimateCost({ models: [{ name: 'm', profile: built }], windowSeconds: 300, topFeatures: 0, versions: 1, agents: 1 });
    expect(estimate.models[0]!.datumsPerWindow).toBe(names.length);
  });

  it('prices metrics per dimension set and requests per window per agent', () => {
    const one = estimateCost({ models: [{ name: 'm', profile }], windowSeconds: 300, topFeatures: 0, versions: 1, agents: 1 });
    // 3 input features + 12 per-model metrics (MissingFeatureCount among them), + 4 health and audit-anchor metrics.
    expect(one.totalMetrics).toBe(19);
    expect(one.requestsPerMonth).toBe(8640);
    // The template's seven metric alarms at $0.10 and its composite alarm at $0.50.
    expect(one.alarmsUsd).toBeCloseTo(7 * 0.1 + 0.5, 10);
    expect(one.totalUsd).toBeCloseTo(19 * 0.3 + 8.64 * 0.01 + 1.2, 10);
    const fleet = estimateCost({ models: [{ name: 'm', profile }], windowSeconds: 300, topFeatures: 0, versions: 2, agents: 10 });
    expect(fleet.totalMetrics).toBe(2 * 15 + 4);
    expect(fleet.requestsPerMonth).toBe(8640 * 2 * 10);
    // Alarms are per model, whatever the versions and agents; under a minute they are high-resolution ($0.30).
    expect(fleet.alarmsUsd).toBeCloseTo(1.2, 10);
    const fast = estimateCost({ models: [{ name: 'm', profile }], windowSeconds: 10, topFeatures: 0, versions: 1, agents: 1 });
    expect(fast.alarms).toEqual({ metric: 7, composite: 1, highResolution: true });
    expect(fast.alarmsUsd).toBeCloseTo(7 * 0.3 + 0.5, 10);
  });
});
