import { isLabelUpdate } from '../../../core/performance/label-update.js';
import { DwError } from '../../../platform/errors.js';
import type { CloudWatchDoor } from '../../egress/egress.js';
import type { AuditRecord } from '../../records/audit-record.js';
import type { OutboxEntry } from '../../records/outbox-entry.js';
import { classifyFailure } from '../retry-policy.js';
import type { HealthSnapshot, SendOutcome, WindowSink } from '../window-sink.js';
import { windowRequests, type RequestOptions } from './window-requests.js';

/** How windows become PutMetricData requests, and how long each may take. */
export interface CloudWatchSinkOptions extends RequestOptions {
  /** Per-request timeout in milliseconds. */
  requestTimeoutMs: number;
  /**
   * Label updates are not shipped (Prometheus: a gauge would show one update's difference, not
   * the window's realised performance, which `GET /v1/windows` shows).
   */
  skipLabels?: boolean;
}

/**
 * Ships closed windows with PutMetricData, through the egress door (which checks each request
 * against the allowlist and makes one attempt; retries are the shipper's job). Each request that
 * left is returned for the audit log, also when a later one of the same window failed.
 */
export class CloudWatchSink implements WindowSink {
  /** `name` is the sink's name in the outbox: `cloudwatch`, or `emf` when the door writes embedded metric format. */
  constructor(private readonly options: CloudWatchSinkOptions, private readonly door: CloudWatchDoor, readonly name = 'cloudwatch') {}

  async send(entry: OutboxEntry, health: HealthSnapshot): Promise<SendOutcome> {
    if (this.options.skipLabels === true && isLabelUpdate(entry.report)) return { ok: true, requests: 0, datums: 0, bytes: 0 };
    let datums = 0;
    const audit: AuditRecord[] = [];
    const requests = windowRequests(entry, health, this.options);
    try {
      for (const input of requests) {
        audit.push(await this.door.put(input, this.options.requestTimeoutMs));
        datums += input.MetricData?.length ?? 0;
      }
      return { ok: true, requests: requests.length, datums, bytes: audit.reduce((n, r) => n + r.bytes, 0), audit };
    } catch (err) {
      const error = err instanceof Error ? err : new DwError('DW_ERR_INTERNAL', `the CloudWatch client threw a non-error: ${String(err)}`);
      return { ok: false, error, failure: classifyFailure(err), audit };
    }
  }

  shutdown(): Promise<void> {
    return this.door.close();
  }
}
