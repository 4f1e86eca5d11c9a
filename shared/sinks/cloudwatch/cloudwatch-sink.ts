import type { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { OutboxEntry } from '../../state/agent-store.js';
import { classifyFailure } from '../retry-policy.js';
import type { HealthSnapshot, SendOutcome, WindowSink } from '../window-sink.js';
import { windowRequests, type RequestOptions } from './window-requests.js';

/** Where and how to reach CloudWatch. Credentials always come from the AWS default chain. */
export interface CloudWatchSinkOptions extends RequestOptions {
  /** AWS region; the SDK falls back to AWS_REGION and the shared config. */
  region?: string;
  /** Endpoint override (a VPC interface endpoint, or an emulator in tests). */
  endpoint?: string;
  /** Per-request timeout in milliseconds. */
  requestTimeoutMs: number;
}

/**
 * Ships closed windows with PutMetricData. Retries are the shipper's job, so the SDK makes one
 * attempt. The AWS SDK (about 18 MiB resident) is loaded on the first send, not at start.
 */
export class CloudWatchSink implements WindowSink {
  readonly name = 'cloudwatch';
  private sdk: Promise<{ client: CloudWatchClient; Put: typeof PutMetricDataCommand }> | undefined;

  constructor(private readonly options: CloudWatchSinkOptions) {}

  private load(): NonNullable<typeof this.sdk> {
    this.sdk ??= import('@aws-sdk/client-cloudwatch').then(({ CloudWatchClient: Client, PutMetricDataCommand }) => ({
      client: new Client({
        ...(this.options.region === undefined ? {} : { region: this.options.region }),
        ...(this.options.endpoint === undefined ? {} : { endpoint: this.options.endpoint }),
        maxAttempts: 1,
      }),
      Put: PutMetricDataCommand,
    }));
    return this.sdk;
  }

  async send(entry: OutboxEntry, health: HealthSnapshot): Promise<SendOutcome> {
    let datums = 0;
    let bytes = 0;
    const requests = windowRequests(entry, health, this.options);
    try {
      const { client, Put } = await this.load();
      for (const input of requests) {
        await client.send(new Put(input), { abortSignal: AbortSignal.timeout(this.options.requestTimeoutMs) });
        datums += input.MetricData?.length ?? 0;
        bytes += JSON.stringify(input).length;
      }
      return { ok: true, requests: requests.length, datums, bytes };
    } catch (err) {
      return { ok: false, error: err instanceof Error ? err : new Error(String(err)), failure: classifyFailure(err) };
    }
  }

  async shutdown(): Promise<void> {
    if (this.sdk !== undefined) (await this.sdk).client.destroy();
  }
}
