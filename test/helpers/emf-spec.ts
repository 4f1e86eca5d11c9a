/**
 * CloudWatch's embedded metric format, read as its specification says
 * (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html),
 * written for the tests from that text, not from driftwatch's serializer: `emfProblems` lists what
 * a line breaks, `emfDatums` extracts the metrics CloudWatch Logs would create from it.
 */
const UNITS = new Set(['Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes', 'Bits', 'Kilobits',
  'Megabits', 'Gigabits', 'Terabits', 'Percent', 'Count', 'Bytes/Second', 'Kilobytes/Second', 'Megabytes/Second', 'Gigabytes/Second',
  'Terabytes/Second', 'Bits/Second', 'Kilobits/Second', 'Megabits/Second', 'Gigabits/Second', 'Terabits/Second', 'Count/Second', 'None']);

/** One metric an EMF event makes: name, dimension values, value(s), timestamp (ms), resolution. */
export interface EmfDatum {
  name: string;
  dimensions: Record<string, string>;
  values: number[];
  timestamp: number;
  storageResolution: number;
  unit: string;
}

type Directive = { Namespace?: unknown; Dimensions?: unknown; Metrics?: unknown };

/** The specification's rules a line breaks (empty: a valid EMF event within the limits). */
export function emfProblems(line: string, maxEventBytes = 256 * 1024): string[] {
  const out: string[] = [];
  if (Buffer.byteLength(line) > maxEventBytes) out.push(`event of ${Buffer.byteLength(line)} bytes`);
  let root: Record<string, unknown>;
  try {
    root = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return ['not JSON'];
  }
  const aws = root._aws as { Timestamp?: unknown; CloudWatchMetrics?: unknown } | undefined;
  if (aws === undefined || typeof aws !== 'object') return ['no _aws metadata object'];
  if (typeof aws.Timestamp !== 'number' || !Number.isInteger(aws.Timestamp)) out.push('_aws.Timestamp is not milliseconds since the epoch');
  if (!Array.isArray(aws.CloudWatchMetrics)) return [...out, '_aws.CloudWatchMetrics is not an array'];
  for (const d of aws.CloudWatchMetrics as Directive[]) {
    if (typeof d.Namespace !== 'string' || d.Namespace.length < 1 || d.Namespace.length > 255) out.push('Namespace must be a string of 1 to 255 characters');
    if (!Array.isArray(d.Dimensions)) out.push('Dimensions is not an array of dimension sets');
    for (const set of (d.Dimensions ?? []) as unknown[]) {
      if (!Array.isArray(set)) { out.push('a dimension set is not an array'); continue; }
      if (set.length > 30) out.push(`a dimension set of ${set.length} keys (at most 30)`);
      for (const key of set as unknown[]) if (typeof key !== 'string' || typeof root[key] !== 'string') out.push(`dimension '${String(key)}' has no string member`);
    }
    if (!Array.isArray(d.Metrics)) { out.push('Metrics is not an array'); continue; }
    if (d.Metrics.length > 100) out.push(`${d.Metrics.length} metrics in a directive (at most 100)`);
    const names = new Set<string>();
    for (const m of d.Metrics as { Name?: unknown; Unit?: string; StorageResolution?: unknown }[]) {
      const name = String(m.Name);
      if (typeof m.Name !== 'string' || m.Name.length < 1 || m.Name.length > 1024) out.push('a metric Name is not a string of 1 to 1024 characters');
      if (names.has(name)) out.push(`metric '${name}' twice in a directive`);
      names.add(name);
      if (m.Unit !== undefined && !UNITS.has(m.Unit)) out.push(`metric '${name}': Unit '${m.Unit}' is not a CloudWatch unit`);
      if (m.StorageResolution !== undefined && m.StorageResolution !== 1 && m.StorageResolution !== 60) out.push(`metric '${name}': StorageResolution must be 1 or 60`);
      const v = root[name];
      if (Array.isArray(v)) {
        if (v.length > 100) out.push(`metric '${name}' has ${v.length} values (at most 100)`);
        if (!v.every((x) => typeof x === 'number' && Number.isFinite(x))) out.push(`metric '${name}' has a value that is not a number`);
      } else if (typeof v !== 'number' || !Number.isFinite(v)) {
        out.push(`metric '${name}' has no numeric member`);
      }
    }
  }
  return out;
}

/** The metrics a valid EMF line makes: one per metric and dimension set of each directive. */
export function emfDatums(line: string): EmfDatum[] {
  const root = JSON.parse(line) as Record<string, unknown> & { _aws: { Timestamp: number; CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string; Unit?: string; StorageResolution?: number }[] }[] } };
  return root._aws.CloudWatchMetrics.flatMap((d) => d.Dimensions.flatMap((set) => d.Metrics.map((m) => {
    const v = root[m.Name] as number | number[];
    return {
      name: m.Name, dimensions: Object.fromEntries(set.map((k) => [k, root[k] as string])), values: Array.isArray(v) ? v : [v],
      timestamp: root._aws.Timestamp, storageResolution: m.StorageResolution ?? 60, unit: m.Unit ?? 'None',
    };
  })));
}
