import type { MetricDatum, PutMetricDataInput } from '@aws-sdk/client-cloudwatch';
import type { WindowReport } from '../../../core/drift/window-report.js';
import type { OutboxEntry } from '../../records/outbox-entry.js';
import type { HealthSnapshot } from '../window-sink.js';
import { batchRequests } from './batch-requests.js';
import { isLabelUpdate } from '../../../core/performance/label-update.js';
import { labelDatums } from './label-datums.js';
import { windowDatums, windowResolution, windowTimestamp, type DatumOptions } from './window-datums.js';

/** Namespace and datum shaping shared by every sink that speaks PutMetricData. */
export interface RequestOptions extends DatumOptions {
  namespace: string;
  /** Also Model Monitor's metric names, in its namespace (`sinks.cloudwatch.sagemaker`). */
  sagemaker?: { namespace: string; endpoint: string; monitoringSchedule: string };
}

/**
 * Model Monitor's per-feature metrics of a window judged by its constraints: the baseline drift
 * distance and the completeness of each feature, with its `Endpoint` and `MonitoringSchedule`
 * dimensions. None for a window under the privacy floor.
 */
export function sageMakerDatums(report: WindowReport, sm: NonNullable<RequestOptions['sagemaker']>, minCount: number): MetricDatum[] {
  const mm = report.modelMonitor;
  if (mm === undefined || report.events < minCount) return [];
  const Dimensions = [{ Name: 'Endpoint', Value: sm.endpoint }, { Name: 'MonitoringSchedule', Value: sm.monitoringSchedule }];
  const Timestamp = windowTimestamp(report);
  const resolution = windowResolution(report);
  return [
    ...Object.entries(mm.baselineDrift).map(([f, v]): MetricDatum => ({ MetricName: `feature_baseline_drift_${f}`, Value: v, Unit: 'None', Timestamp, Dimensions, ...resolution })),
    ...Object.entries(mm.completeness).map(([f, v]): MetricDatum => ({ MetricName: `feature_non_null_${f}`, Value: v, Unit: 'None', Timestamp, Dimensions, ...resolution })),
  ];
}

/** The exact PutMetricData inputs for one closed window plus the agent's health. */
export function windowRequests(entry: OutboxEntry, health: HealthSnapshot, options: RequestOptions): PutMetricDataInput[] {
  const at = new Date(health.atMs);
  const dims = options.site === undefined ? [] : [{ Name: 'Site', Value: options.site }];
  const healthDatums: MetricDatum[] = [
    { MetricName: 'OutboxBacklog', Value: health.outboxBacklog, Unit: 'Count', Timestamp: at, Dimensions: dims },
    { MetricName: 'OldestUnsentAgeSeconds', Value: health.oldestUnsentAgeSeconds, Unit: 'Seconds', Timestamp: at, Dimensions: dims },
  ];
  if (health.auditHead !== undefined) {
    healthDatums.push({ MetricName: 'AuditEntries', Value: health.auditHead.entries, Unit: 'Count', Timestamp: at, Dimensions: dims },
      { MetricName: 'AuditHeadDigest', Value: health.auditHead.digest, Unit: 'None', Timestamp: at, Dimensions: dims });
  }
  const report = entry.report;
  if (isLabelUpdate(report)) return batchRequests(options.namespace, [...labelDatums(report, options.site), ...healthDatums]);
  const requests = batchRequests(options.namespace, [...windowDatums(report, options), ...healthDatums]);
  const sagemaker = options.sagemaker === undefined ? [] : sageMakerDatums(report, options.sagemaker, options.minCount);
  return sagemaker.length === 0 ? requests : [...requests, ...batchRequests(options.sagemaker!.namespace, sagemaker)];
}
