import { GetMetricDataCommand, type CloudWatchClient, type Dimension } from '@aws-sdk/client-cloudwatch';

/** One metric's 60-second datapoints between two times, read back with GetMetricData: time (ms) → value. */
export async function metricSeries(cw: CloudWatchClient, namespace: string, name: string, dims: Dimension[], range: { from: number; to: number }, stat = 'Maximum'): Promise<Map<number, number>> {
  const series = new Map<number, number>();
  let token: string | undefined;
  do {
    const out = await cw.send(new GetMetricDataCommand({
      StartTime: new Date(range.from), EndTime: new Date(range.to), NextToken: token,
      MetricDataQueries: [{ Id: 'q', MetricStat: { Metric: { Namespace: namespace, MetricName: name, Dimensions: dims }, Period: 60, Stat: stat } }],
    }));
    const r = out.MetricDataResults![0]!;
    r.Timestamps!.forEach((t, i) => series.set(t.getTime(), r.Values![i]!));
    token = out.NextToken;
  } while (token !== undefined);
  return series;
}
