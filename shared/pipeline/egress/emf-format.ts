import type { MetricDatum, PutMetricDataInput } from '@aws-sdk/client-cloudwatch';
import { DwError } from '../../platform/errors.js';

/**
 * The limits of CloudWatch's embedded metric format (EMF) specification that driftwatch's lines
 * keep: metrics per directive, values per metric, keys per dimension set, and the size of one log
 * event (CloudWatch Logs took 256 KiB per event for years; the lower figure is kept).
 */
export const EMF_LIMITS = { metricsPerDirective: 100, valuesPerMetric: 100, keysPerDimensionSet: 30, eventBytes: 256 * 1024 } as const;

interface EmfMetric {
  Name: string;
  Unit?: string;
  StorageResolution?: number;
}

/** The datums of one log event: one timestamp, one set of dimension values, one resolution, distinct names. */
interface Group {
  timestamp: number;
  dimensions: [string, string][];
  metrics: EmfMetric[];
  values: Record<string, number | number[]>;
}

const groupKey = (d: MetricDatum): string => JSON.stringify([d.Timestamp!.getTime(), (d.Dimensions ?? []).map((x) => [x.Name, x.Value]), d.StorageResolution ?? 60]);

function toLine(namespace: string, g: Group): string {
  return JSON.stringify({
    _aws: { Timestamp: g.timestamp, CloudWatchMetrics: [{ Namespace: namespace, Dimensions: [g.dimensions.map(([name]) => name)], Metrics: g.metrics }] },
    ...Object.fromEntries(g.dimensions),
    ...g.values,
  });
}

/**
 * The EMF log events (one JSON object per line) that make CloudWatch Logs create the datums of a
 * PutMetricData input: the datums that share a timestamp, dimension values and resolution go in one
 * event, its dimension values as root members, at most 100 metrics to an event. A statistic set
 * (`Values` with `Counts`, the confidence histogram) has no EMF form, since EMF takes values
 * without counts: it is left out, and counted in `omitted`. Pure.
 */
export function emfLines(input: PutMetricDataInput): { lines: string[]; omitted: number } {
  const groups = new Map<string, Group[]>();
  let omitted = 0;
  for (const d of input.MetricData ?? []) {
    if (d.Counts !== undefined || d.StatisticValues !== undefined || d.Value === undefined) {
      omitted++;
      continue;
    }
    const key = groupKey(d);
    const list = groups.get(key) ?? [];
    let g = list.at(-1);
    // A new event when this one is full or already holds the name (a member holds one value).
    if (g === undefined || g.metrics.length === EMF_LIMITS.metricsPerDirective || d.MetricName! in g.values) {
      g = { timestamp: d.Timestamp!.getTime(), dimensions: (d.Dimensions ?? []).map((x) => [x.Name!, x.Value!]), metrics: [], values: {} };
      list.push(g);
      groups.set(key, list);
    }
    g.metrics.push({ Name: d.MetricName!, ...(d.Unit === undefined ? {} : { Unit: d.Unit }), ...(d.StorageResolution === 1 ? { StorageResolution: 1 } : {}) });
    g.values[d.MetricName!] = d.Value;
  }
  const lines = [...groups.values()].flat().map((g) => toLine(input.Namespace!, g));
  for (const line of lines) {
    // Unreachable with driftwatch's names (a hundred metrics take a few kB); kept as the spec's limit.
    if (Buffer.byteLength(line) > EMF_LIMITS.eventBytes) throw new DwError('DW_ERR_INTERNAL', `an EMF event of ${Buffer.byteLength(line)} bytes is over the ${EMF_LIMITS.eventBytes}-byte limit`);
  }
  return { lines, omitted };
}
