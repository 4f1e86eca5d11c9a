import type { OutboxEntry } from '../records/outbox-entry.js';
import { windowRequests, type RequestOptions } from './cloudwatch/window-requests.js';
import type { HealthSnapshot, SendOutcome, WindowSink } from './window-sink.js';

/** Prints the PutMetricData inputs on stdout, one per line: for dry runs. */
export class StdoutSink implements WindowSink {
  readonly name = 'stdout';

  constructor(private readonly options: RequestOptions, private readonly write: (line: string) => void = (l) => process.stdout.write(l)) {}

  send(entry: OutboxEntry, health: HealthSnapshot): Promise<SendOutcome> {
    const requests = windowRequests(entry, health, this.options);
    const text = requests.map((r) => JSON.stringify(r)).join('\n') + '\n';
    this.write(text);
    return Promise.resolve({ ok: true, requests: requests.length, datums: requests.reduce((n, r) => n + (r.MetricData?.length ?? 0), 0), bytes: text.length });
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
