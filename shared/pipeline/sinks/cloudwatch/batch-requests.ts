import type { MetricDatum, PutMetricDataInput } from '@aws-sdk/client-cloudwatch';

/** PutMetricData limits: 1 000 datums and 1 MB per request (we keep a margin on size). */
export const MAX_DATUMS_PER_REQUEST = 1000;
export const MAX_REQUEST_BYTES = 1_000_000;
const SIZE_BUDGET = 900_000;

/** Splits datums into PutMetricData inputs within the count and size limits, in order. */
export function batchRequests(namespace: string, datums: readonly MetricDatum[]): PutMetricDataInput[] {
  const requests: PutMetricDataInput[] = [];
  let current: MetricDatum[] = [];
  let bytes = 0;
  for (const d of datums) {
    const size = JSON.stringify(d).length + 1;
    if (current.length > 0 && (current.length >= MAX_DATUMS_PER_REQUEST || bytes + size > SIZE_BUDGET)) {
      requests.push({ Namespace: namespace, MetricData: current });
      current = [];
      bytes = 0;
    }
    current.push(d);
    bytes += size;
  }
  if (current.length > 0) requests.push({ Namespace: namespace, MetricData: current });
  return requests;
}
