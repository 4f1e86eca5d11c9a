import type { MetricDatum } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import type { FeatureScore } from '../../../../../shared/core/drift/feature-score.js';
import type { WindowReport } from '../../../../../shared/core/drift/window-report.js';
import { MAX_DATUMS_PER_REQUEST, MAX_REQUEST_BYTES, batchRequests } from '../../../../../shared/pipeline/sinks/cloudwatch/batch-requests.js';
import { METRIC_NAMES } from '../../../../../shared/pipeline/egress/cloudwatch-names.js';
import { windowDatums } from '../../../../../shared/pipeline/sinks/cloudwatch/window-datums.js';

function feature(name: string, psi: number | null, extra: Partial<FeatureScore> = {}): FeatureScore {
  return { name, type: 'numeric', role: 'input', n: 100, psi, kl: psi, js: psi, hellinger: psi, ks: psi, chi2: psi, pValue: psi,
    wasserstein: psi, missingRate: 0.1, baselineMissingRate: 0, outOfRangeRate: 0.02, baselineOutOfRangeRate: 0,
    threshold: psi === null ? null : 0.1, status: psi === null ? 'insufficient_data' : psi > 0.1 ? 'drift' : 'ok', ...extra };
}

const report = (features: FeatureScore[], extra: Partial<WindowReport> = {}): WindowReport => ({
  model: 'loans', version: 'v7', startMs: 1_700_000_000_000, endMs: 1_700_000_300_000, events: 100, rejected: { bad_value: 2, late_event: 1 },
  score: { n: 100, drift: features.some((f) => f.status === 'drift'), featuresTested: features.length, alphaPerFeature: 0.01, features },
  counts: [], retraining: { recommended: true, flagged: 3, of: 5 }, ...extra,
});

const byName = (datums: MetricDatum[], name: string): MetricDatum[] => datums.filter((d) => d.MetricName === name);

describe('windowDatums', () => {
  const datums = windowDatums(report([
    feature('a', 0.3), feature('b', 0.05), feature('conf', 0.2, { role: 'confidence' }), feature('label', 0.01, { role: 'prediction', type: 'categorical' }),
  ], { confidence: { values: [0.55, 0.65, 0.75], counts: [10, 0, 90] } }), { site: 'dc1', topFeatures: 0, minCount: 20 });

  it('uses only known metric names, stamped in the window’s last millisecond', () => {
    for (const d of datums) {
      expect(METRIC_NAMES).toContain(d.MetricName);
      expect(d.Timestamp).toEqual(new Date(1_700_000_300_000 - 1));
    }
  });
  it('dimensions every datum by model, version and site, and per-feature PSI by feature', () => {
    for (const d of datums) {
      const names = d.Dimensions!.map((x) => x.Name);
      expect(names.slice(0, 3)).toEqual(['Model', 'ModelVersion', 'Site']);
      expect(names.includes('Feature')).toBe(d.MetricName === 'FeaturePSI');
    }
    expect(byName(datums, 'FeaturePSI').map((d) => [d.Dimensions![3]!.Value, d.Value])).toEqual([['a', 0.3], ['b', 0.05]]);
  });
  it('summarises the window', () => {
    const value = (name: string): number | undefined => byName(datums, name)[0]?.Value;
    expect(value('MaxFeaturePSI')).toBe(0.3);
    expect(value('DriftedFeatureCount')).toBe(1);
    expect(value('ConfidencePSI')).toBe(0.2);
    expect(value('PredictionPSI')).toBe(0.01);
    expect(value('EventCount')).toBe(100);
    expect(value('EventsRejected')).toBe(3);
    expect(value('RetrainingRecommended')).toBe(1);
    expect(value('MissingRate')).toBeCloseTo(0.1, 15);
  });
  it('ships the multivariate check\'s calibrated verdict beside its PSI: MultivariateDrift is 1 only when it drifted', () => {
    const pca = (psi: number, status: FeatureScore['status']): FeatureScore => feature('pca', psi, { role: 'multivariate', status });
    // A large PSI that the calibrated rule did not flag (a small window) is 0, a flagged one 1.
    expect(byName(windowDatums(report([feature('a', 0.05), pca(0.4, 'ok')]), { topFeatures: 0, minCount: 20 }), 'MultivariateDrift')[0]!.Value).toBe(0);
    expect(byName(windowDatums(report([feature('a', 0.05), pca(0.12, 'drift')]), { topFeatures: 0, minCount: 20 }), 'MultivariateDrift')[0]!.Value).toBe(1);
    expect(byName(datums, 'MultivariateDrift')).toEqual([]);
  });
  it('stores windows shorter than a minute at high resolution, and longer ones at the standard resolution', () => {
    const short = windowDatums(report([feature('a', 0.3)], { startMs: 1_700_000_000_000, endMs: 1_700_000_010_000 }), { topFeatures: 0, minCount: 20 });
    for (const d of short) expect(d, d.MetricName).toMatchObject({ StorageResolution: 1 });
    for (const d of datums) expect(d.StorageResolution, d.MetricName).toBeUndefined();
  });
  it('ships the confidence histogram as values and counts, without empty bins', () => {
    expect(byName(datums, 'Confidence')[0]).toMatchObject({ Values: [0.55, 0.75], Counts: [10, 90] });
  });
  it('caps per-feature PSI to the most drifted with topFeatures', () => {
    const capped = windowDatums(report([feature('a', 0.01), feature('b', 0.5), feature('c', 0.2)]), { topFeatures: 2, minCount: 20 });
    expect(byName(capped, 'FeaturePSI').map((d) => d.Dimensions!.find((x) => x.Name === 'Feature')!.Value)).toEqual(['b', 'c']);
  });
  it('ships only counts for a window under the privacy floor k: no score, rate or histogram of any feature', () => {
    const features = [feature('a', 0.3), feature('conf', 0.2, { role: 'confidence' })];
    const few = windowDatums(report(features, { events: 19, confidence: { values: [0.5], counts: [19] } }), { topFeatures: 0, minCount: 20 });
    expect(few.map((d) => d.MetricName).sort()).toEqual(['EventCount', 'EventsDropped', 'EventsRejected', 'RetrainingRecommended']);
    const enough = windowDatums(report(features, { events: 20, confidence: { values: [0.5], counts: [20] } }), { topFeatures: 0, minCount: 20 });
    expect(enough.map((d) => d.MetricName)).toEqual(expect.arrayContaining(['FeaturePSI', 'ConfidencePSI', 'Confidence', 'MissingRate']));
  });

  it('ships counts but no PSI for a window with too few events', () => {
    const small = windowDatums(report([feature('a', null)]), { topFeatures: 0, minCount: 20 });
    expect(small.map((d) => d.MetricName).sort()).toEqual(['EventCount', 'EventsDropped', 'EventsRejected', 'MissingFeatureCount', 'MissingRate', 'OutOfRangeRate', 'RetrainingRecommended']);
  });
});

describe('batchRequests', () => {
  const datum = (i: number, pad = 0): MetricDatum => ({ MetricName: 'FeaturePSI', Value: i, Dimensions: [{ Name: 'Feature', Value: `f${i}`.padEnd(pad, 'x') }] });
  it('keeps at most 1 000 datums per request, in order', () => {
    const requests = batchRequests('NS', Array.from({ length: 2500 }, (_, i) => datum(i)));
    expect(requests.map((r) => r.MetricData!.length)).toEqual([1000, 1000, 500]);
    expect(requests.flatMap((r) => r.MetricData!.map((d) => d.Value))).toEqual(Array.from({ length: 2500 }, (_, i) => i));
    expect(MAX_DATUMS_PER_REQUEST).toBe(1000);
  });
  it('keeps each request under 1 MB', () => {
    const requests = batchRequests('NS', Array.from({ length: 900 }, (_, i) => datum(i, 250)).flatMap((d) => [d, d, d, d, d]));
    for (const r of requests) expect(JSON.stringify(r).length).toBeLessThan(MAX_REQUEST_BYTES);
    expect(requests.length).toBeGreaterThan(4);
  });
});
