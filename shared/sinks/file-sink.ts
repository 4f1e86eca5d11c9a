import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { OutboxEntry } from '../state/agent-store.js';
import { windowRequests, type RequestOptions } from './cloudwatch/window-requests.js';
import { classifyFailure } from './retry-policy.js';
import type { HealthSnapshot, SendOutcome, WindowSink } from './window-sink.js';

/**
 * Writes the exact PutMetricData inputs that would go to CloudWatch, one JSON object per line:
 * the default when no AWS region or endpoint is configured, and a record of what would leave.
 */
export class FileSink implements WindowSink {
  readonly name = 'file';

  constructor(readonly path: string, private readonly options: RequestOptions) {}

  async send(entry: OutboxEntry, health: HealthSnapshot): Promise<SendOutcome> {
    const requests = windowRequests(entry, health, this.options);
    const text = requests.map((r) => JSON.stringify(r)).join('\n') + '\n';
    try {
      await mkdir(dirname(this.path), { recursive: true });
      await appendFile(this.path, text);
      return { ok: true, requests: requests.length, datums: requests.reduce((n, r) => n + (r.MetricData?.length ?? 0), 0), bytes: text.length };
    } catch (err) {
      return { ok: false, error: err as Error, failure: classifyFailure(err) };
    }
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
