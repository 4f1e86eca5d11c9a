import { appendFile, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { OutboxEntry } from '../records/outbox-entry.js';
import { windowRequests, type RequestOptions } from './cloudwatch/window-requests.js';
import { windowTimestamp } from './cloudwatch/window-datums.js';
import { classifyFailure } from './retry-policy.js';
import { isLabelUpdate } from '../../core/performance/label-update.js';
import type { HealthSnapshot, SendOutcome, WindowSink } from './window-sink.js';

/** How much of the file's end is read at start to find the windows already written. */
const TAIL_BYTES = 8 * 1024 * 1024;

type Datum = { MetricName?: string; Value?: number; Timestamp?: string; Dimensions?: { Name: string; Value: string }[] };

/** The key of a window's model version in the file: its `Model` and `ModelVersion` dimensions. */
function versionKey(model: string, version: string): string {
  return `${model}\u0000${version}`;
}

/**
 * Writes the exact PutMetricData inputs that would go to CloudWatch, one JSON object per line:
 * the default when no AWS region or endpoint is configured, and a record of what would leave.
 *
 * Exactly once across crashes: a window is appended in one write, and at start the end of the file
 * is read to find, per model version, the last window written, so a window whose send was not
 * recorded before a crash is not written twice; nor is a window's label update, when the file's
 * LabelledPredictions of that window already add up to its labels. A line cut short (power loss)
 * is cut off.
 */
export class FileSink implements WindowSink {
  readonly name = 'file';
  /** Per model version, the timestamp (ms) of the last window in the file. */
  private written: Map<string, number> | undefined;
  /** Per model version and window timestamp, the labelled predictions the file's label updates add up to. */
  private readonly labelled = new Map<string, number>();

  constructor(readonly path: string, private readonly options: RequestOptions) {}

  async send(entry: OutboxEntry, health: HealthSnapshot): Promise<SendOutcome> {
    try {
      this.written ??= await this.readWritten();
      const key = versionKey(entry.report.model, entry.report.version);
      const at = windowTimestamp(entry.report).getTime();
      // A label update is in the file already when the file's updates of its window add up to its labels.
      const update = isLabelUpdate(entry.report) ? entry.report : undefined;
      const labelKey = `${key}\u0000${at}`;
      const done = update === undefined ? (this.written.get(key) ?? -Infinity) >= at : (this.labelled.get(labelKey) ?? 0) >= update.current.labelled;
      if (done) return { ok: true, requests: 0, datums: 0, bytes: 0 };
      const requests = windowRequests(entry, health, this.options);
      const text = requests.map((r) => JSON.stringify(r)).join('\n') + '\n';
      await mkdir(dirname(this.path), { recursive: true });
      await appendFile(this.path, text);
      if (update === undefined) this.written.set(key, at);
      else this.labelled.set(labelKey, update.current.labelled);
      return { ok: true, requests: requests.length, datums: requests.reduce((n, r) => n + (r.MetricData?.length ?? 0), 0), bytes: text.length };
    } catch (err) {
      return { ok: false, error: err as Error, failure: classifyFailure(err) };
    }
  }

  /** Reads the end of the file: the last window per model version; cuts off a torn last line. */
  private async readWritten(): Promise<Map<string, number>> {
    const written = new Map<string, number>();
    let file;
    try {
      file = await open(this.path, 'r+');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return written;
      throw err;
    }
    try {
      const { size } = await file.stat();
      const start = Math.max(0, size - TAIL_BYTES);
      const tail = Buffer.alloc(size - start);
      await file.read(tail, 0, tail.length, start);
      const end = tail.lastIndexOf(10) + 1;
      if (end < tail.length) await file.truncate(start + end);
      const lines = tail.subarray(0, end).toString('utf8').split('\n');
      if (start > 0) lines.shift(); // may begin mid-line
      for (const line of lines) {
        if (line === '') continue;
        let request: { MetricData?: Datum[] };
        try {
          request = JSON.parse(line) as { MetricData?: Datum[] };
        } catch {
          continue;
        }
        for (const d of request.MetricData ?? []) {
          if ((d.MetricName !== 'EventCount' && d.MetricName !== 'LabelledPredictions') || d.Timestamp === undefined) continue;
          const dims = new Map((d.Dimensions ?? []).map((x) => [x.Name, x.Value]));
          const key = versionKey(dims.get('Model') ?? '', dims.get('ModelVersion') ?? '');
          const at = Date.parse(d.Timestamp);
          if (d.MetricName === 'EventCount') written.set(key, Math.max(written.get(key) ?? -Infinity, at));
          else this.labelled.set(`${key}\u0000${at}`, (this.labelled.get(`${key}\u0000${at}`) ?? 0) + (d.Value ?? 0));
        }
      }
    } finally {
      await file.close();
    }
    return written;
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
