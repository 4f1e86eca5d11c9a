import * as prom from 'prom-client';
import { describe, expect, it } from 'vitest';
import { prometheusName, PrometheusExposition, type SelfSnapshot } from '../../../../shared/pipeline/egress/prometheus-exposition.js';

const snapshot: SelfSnapshot = {
  totals: { eventsAccepted: 7, eventsRejected: { bad_value: 2 }, windowsClosed: 1, sends: {}, errors: {}, points: {}, requestsRefused: {}, apiRefused: {}, outboxDropped: {} },
  backlog: [{ sink: 'prometheus', count: 0, oldestAgeSeconds: 0 }],
  withholdEventCounts: false,
};
const psi = (feature: string, value: number, at: number): object => ({ MetricName: 'FeaturePSI', Value: value, Timestamp: new Date(at),
  Dimensions: [{ Name: 'Model', Value: 'loans' }, { Name: 'Feature', Value: feature }] });

describe('PrometheusExposition', () => {
  it('names the CloudWatch metrics in snake case', () => {
    expect(['MaxFeaturePSI', 'DriftedFeatureCount', 'MultivariateDrift', 'EventCount', 'OutOfRangeRate'].map(prometheusName))
      .toEqual(['driftwatch_max_feature_psi', 'driftwatch_drifted_feature_count', 'driftwatch_multivariate_drift', 'driftwatch_event_count', 'driftwatch_out_of_range_rate']);
  });

  it('shows each model version\'s last window only: a feature not in the next window goes', async () => {
    const e = new PrometheusExposition(prom);
    e.update({ Namespace: 'Dw', MetricData: [psi('a', 0.1, 59_999), psi('b', 0.2, 59_999)] as never });
    let text = (await e.render(snapshot)).text;
    expect(text).toContain('driftwatch_feature_psi{model="loans",model_version="",site="",feature="b"} 0.2');
    e.update({ Namespace: 'Dw', MetricData: [psi('a', 0.3, 119_999)] as never });
    text = (await e.render(snapshot)).text;
    expect(text).toContain('driftwatch_feature_psi{model="loans",model_version="",site="",feature="a"} 0.3');
    expect(text).not.toContain('feature="b"');
    expect(text).toContain('driftwatch_window_end_timestamp_seconds{model="loans",model_version="",site="",feature=""} 120');
    expect(text).toContain('driftwatch_events_rejected_total{reason="bad_value"} 2');
  });

  it('withholds exact event counts when privacy noise is on', async () => {
    const text = (await new PrometheusExposition(prom).render({ ...snapshot, withholdEventCounts: true })).text;
    expect(text).not.toMatch(/^driftwatch_events_accepted_total \d/m);
    expect(text).toMatch(/^driftwatch_windows_closed_total 1$/m);
  });
});
