import { appendFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { OpenaiSourceConfig } from '../../config/openai-source-config.js';
import type { BodyItem } from '../event-body.js';
import type { ExchangeObserver } from '../proxy/reverse-proxy.js';
import { BatchedIngest, UnreadCounts } from '../source-counts.js';
import { openaiObserver, type LlmCall, type LlmUnread } from './openai-observer.js';

/** The signals that measure the server's speed rather than the workload (`timingSignals`). */
export const TIMING_SIGNALS = ['latency_ms', 'ttft_ms', 'output_tokens_per_s'] as const;

/**
 * The OpenAI-compatible source: each call through the proxy becomes one event of its signals for
 * `config.model` (counted in batches, once a turn), and, with `record`, a line of the reference
 * file a baseline is built from. What cannot be read is counted by reason and logged once a reason.
 */
export class OpenaiSource {
  private readonly unreadCounts = new UnreadCounts<LlmUnread | 'overloaded'>();
  readonly totals = { calls: 0, events: 0, recorded: 0, unread: this.unreadCounts.counts };
  private readonly serverModels: ReadonlySet<string>;
  private readonly batch: BatchedIngest;

  constructor(private readonly config: OpenaiSourceConfig, ingest: (items: readonly BodyItem[]) => void,
    private readonly busy: () => boolean, private readonly log: Logger) {
    this.serverModels = new Set(config.serverModels);
    this.batch = new BatchedIngest(ingest);
  }

  /** The proxy's observer for a request (undefined: not an OpenAI call, forwarded unwatched). */
  observe(req: IncomingMessage): ExchangeObserver | undefined {
    return openaiObserver(req, { ...this.config, serverModels: this.serverModels }, (call) => this.done(call));
  }

  private done(call: LlmCall): void {
    this.totals.calls++;
    if ('unread' in call) return this.unread(call.unread, call.detail);
    if (this.busy()) return this.unread('overloaded', 'the agent is shedding load');
    if (this.config.record !== undefined) {
      try {
        appendFileSync(this.config.record, `${JSON.stringify(call.signals)}\n`, { mode: 0o600 });
        this.totals.recorded++;
      } catch (err) {
        this.unreadCounts.once('record', () => this.log.error({ file: this.config.record, err: (err as Error).message }, 'Cannot append to sources.openai.record; calls are counted but not recorded.'));
      }
    }
    this.totals.events++;
    const features = { ...call.signals };
    if (!this.config.timingSignals) for (const key of TIMING_SIGNALS) delete features[key];
    this.batch.add([{ model: this.config.model, features }]);
  }

  private unread(reason: LlmUnread | 'overloaded', detail: string): void {
    this.unreadCounts.count(reason, () => this.log.warn({ reason }, `An OpenAI-compatible call was forwarded but not counted: ${detail} (logged once; /v1/status counts every one).`));
  }
}
