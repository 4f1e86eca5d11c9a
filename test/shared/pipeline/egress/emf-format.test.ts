import type { MetricDatum } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { emfLines } from '../../../../shared/pipeline/egress/emf-format.js';
import { emfDatums, emfProblems } from '../../../helpers/emf-spec.js';

/** The EMF serializer against the specification's rules (test/helpers/emf-spec.ts), beyond what driftwatch's own names reach. */
const at = new Date(1_700_000_060_000);
const datum = (name: string, value: number, dims: Record<string, string> = { Model: 'm' }, extra: Partial<MetricDatum> = {}): MetricDatum => ({
  MetricName: name, Value: value, Unit: 'None', Timestamp: at, Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })), ...extra,
});

describe('emfLines', () => {
  it('keeps at most 100 metrics to an event and makes every datum exactly once', () => {
    const data = Array.from({ length: 250 }, (_, i) => datum(`M${i}`, i));
    const { lines } = emfLines({ Namespace: 'Dw', MetricData: data });
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(emfProblems(line)).toEqual([]);
    const made = lines.flatMap(emfDatums);
    expect(made.map((d) => [d.name, d.values[0]])).toEqual(data.map((d) => [d.MetricName, d.Value]));
  });

  it('puts datums with other dimension values, timestamps or resolutions in their own events', () => {
    const data = [
      datum('FeaturePSI', 0.1, { Model: 'm', Feature: 'a' }), datum('FeaturePSI', 0.2, { Model: 'm', Feature: 'b' }),
      datum('EventCount', 5, { Model: 'm' }, { Unit: 'Count', StorageResolution: 1 }), datum('EventCount', 7, { Model: 'm' }, { Unit: 'Count', Timestamp: new Date(1_700_000_070_000) }),
      datum('OutboxBacklog', 0, {}),
    ];
    const { lines } = emfLines({ Namespace: 'Dw', MetricData: data });
    expect(lines).toHaveLength(5);
    for (const line of lines) expect(emfProblems(line)).toEqual([]);
    const made = lines.flatMap(emfDatums);
    expect(made).toEqual(expect.arrayContaining([
      { name: 'FeaturePSI', dimensions: { Model: 'm', Feature: 'b' }, values: [0.2], timestamp: 1_700_000_060_000, storageResolution: 60, unit: 'None' },
      { name: 'EventCount', dimensions: { Model: 'm' }, values: [5], timestamp: 1_700_000_060_000, storageResolution: 1, unit: 'Count' },
      { name: 'OutboxBacklog', dimensions: {}, values: [0], timestamp: 1_700_000_060_000, storageResolution: 60, unit: 'None' },
    ]));
  });

  it('leaves out a statistic set, which EMF cannot carry, and counts it', () => {
    const { lines, omitted } = emfLines({ Namespace: 'Dw', MetricData: [datum('EventCount', 3), { MetricName: 'Confidence', Values: [0.5, 0.9], Counts: [3, 7], Timestamp: at, Dimensions: [] }] });
    expect(omitted).toBe(1);
    expect(lines.flatMap(emfDatums).map((d) => d.name)).toEqual(['EventCount']);
  });

  it('is caught by the validator when a line breaks the specification', () => {
    expect(emfProblems(JSON.stringify({ _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'Dw', Dimensions: [['Model']], Metrics: [{ Name: 'X' }] }] } })))
      .toEqual(["dimension 'Model' has no string member", "metric 'X' has no numeric member"]);
    const many = { _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'Dw', Dimensions: [[]], Metrics: Array.from({ length: 101 }, (_, i) => ({ Name: `M${i}` })) }] },
      ...Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`M${i}`, i])) };
    expect(emfProblems(JSON.stringify(many))).toEqual(['101 metrics in a directive (at most 100)']);
  });
});
