import type { MetricDatum, PutMetricDataInput } from '@aws-sdk/client-cloudwatch';
import type { OutboxEntry } from '../../records/outbox-entry.js';
import type { HealthSnapshot } from '../window-sink.js';
import { batchRequests } from './batch-requests.js';
import { windowDatums, type DatumOptions } from './window-datums.js';

/** Namespace and datum shaping shared by every sink that speaks PutMetricData. */
export interface RequestOptions extends DatumOptions {
  namespace: string;
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
  return batchRequests(options.namespace, [...windowDatums(entry.report, options), ...healthDatums]);
}
