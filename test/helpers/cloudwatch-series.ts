import { GetMetricDataCommand, type CloudWatchClient, type Dimension } from '@aws-sdk/client-cloudwatch';

/** Periods asked for per GetMetricData call: moto scans every stored datapoint once per period, so long ranges go in slices. */
const PERIODS_PER_CALL = 60;

/** One metric's datapoints of `period` seconds (default 60) between two times, read back with GetMetricData: time (ms) → value. */
export async function metricSeries(cw: CloudWatchClient, namespace: string, name: string, dims: Dimension[], range: { from: number; to: number }, stat = 'Maximum', period = 60): Promise<Map<number, number>> {
  const series = new Map<number, number>();
  for (let from = range.from; from < range.to; from += PERIODS_PER_CALL * period * 1000) {
    const to = Math.min(range.to, from + PERIODS_PER_CALL * period * 1000);
    let token: string | undefined;
    do {
      const out = await cw.send(new GetMetricDataCommand({
        StartTime: new Date(from), EndTime: new Date(to), NextToken: token,
        MetricDataQueries: [{ Id: 'q', MetricStat: { Metric: { Namespace: namespace, MetricName: name, Dimensions: dims }, Period: period, Stat: stat } }],
      }));
      const r = out.MetricDataResults![0]!;
      r.Timestamps!.forEach((t, i) => series.set(t.getTime(), r.Values![i]!));
      token = out.NextToken;
    } while (token !== undefined);
  }
  return series;
}
