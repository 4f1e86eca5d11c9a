import type { HistoryQuery, HistoryWindow } from '../shared/pipeline/state/window-history-store.js';
import { profileColumns } from '../shared/core/profile/baseline-profile.js';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { WindowReport } from '../shared/core/drift/window-report.js';
import { ComponentRuntime } from '../shared/pipeline/runtime/component-runtime.js';
import type { OutboxShipper } from '../shared/pipeline/shipping/outbox-shipper.js';
import type { WindowSink } from '../shared/pipeline/sinks/window-sink.js';
import type { ComponentState } from '../shared/pipeline/state/open-state.js';
import type { FailureEvents } from '../shared/platform/failure-events.js';
import type { SelfMetrics } from '../shared/pipeline/telemetry/self-metrics.js';
import { lastWindowStatus, privacyStatus } from '../shared/pipeline/windows/window-status.js';
import { LoadShedder } from '../shared/platform/http/load-shedder.js';
import type { AgentConfig } from './config/agent-config.js';
import type { BodyItem } from './sources/event-body.js';
import { EventIngestor, ingestModel, type IngestResult } from './sources/event-ingestor.js';
import { checkMapping, ExchangeReader, type ReadModel } from './sources/inference/exchange-reader.js';
import { loggerSinkHandler } from './sources/kserve-logger/logger-sink.js';
import type { MetadataVerdict } from './sources/oip/oip-metadata.js';
import { FileSource } from './sources/file-tail/file-source.js';
import { OpenaiSource } from './sources/openai/openai-source.js';
import { LabelJoin } from './labels/label-join.js';
import { loadInstallKey } from '../shared/pipeline/state/install-key.js';

/**
 * The agent: counts events into per-model windows, checkpoints them, closes them into the outbox
 * and ships them. The shared machinery (state, sinks, shipper, closer, timers, lifecycle) is the
 * {@link ComponentRuntime}; this class adds the event path, admission control and its status.
 */
export class Agent {
  readonly metrics: SelfMetrics;
  /** Where failures are logged and counted. */
  readonly failures: FailureEvents;
  /** The state file's stores (no collector-only store among them). */
  readonly store: ComponentState;
  readonly shipper: OutboxShipper;
  readonly ingestor: EventIngestor;
  readonly sinks: WindowSink[];
  /** Admission control of the event API (overload answers 503). */
  readonly load: LoadShedder;
  private readonly runtime: ComponentRuntime;
  /** Reads the inference proxy's exchanges (config `sources.oip`), when it is on. */
  readonly oipReader: ExchangeReader | undefined;
  /** The OpenAI-compatible proxy's source (config `sources.openai`), when it is on. */
  readonly openai: OpenaiSource | undefined;
  /** The followed log files (config `sources.files`). */
  readonly files: FileSource[];
  /** Each proxied server model's mapping against the server's metadata (`sources.oip.checkMetadata`). */
  readonly oipMetadata = new Map<string, MetadataVerdict>();
  /** The KServe logger sink (config `sources.kserveLogger`), when it is on: its request handler, join and reader. */
  readonly kserveLogger: (ReturnType<typeof loggerSinkHandler> & { reader: ExchangeReader }) | undefined;
  /** The delayed-label join (config `labels`), when it is on. */
  readonly labels: LabelJoin | undefined;
  /** Called after every closed window (the live demo prints it). */
  set onWindowClosed(callback: ((report: WindowReport) => void) | undefined) {
    this.runtime.closer.onWindowClosed = callback;
  }

  constructor(readonly config: AgentConfig, private readonly log: Logger, private readonly now: () => number = Date.now, env: NodeJS.ProcessEnv = process.env) {
    this.load = new LoadShedder(config.api);
    this.runtime = new ComponentRuntime(config, { serviceName: 'driftwatch-agent', log, now, env, strict: config.windows.durability === 'strict', describeWindowsToOtlp: true });
    ({ store: this.store, sinks: this.sinks, metrics: this.metrics, failures: this.failures, shipper: this.shipper } = this.runtime);
    const modelConfigs = new Map(config.models.map((m) => [m.name, m]));
    if (config.labels !== undefined) {
      this.labels = new LabelJoin(this.store, this.runtime.windows, loadInstallKey(config.state.path), {
        ...config.labels, windowMs: config.windows.seconds * 1000, minCount: config.privacy.minCount, maxShipAgeMs: config.state.outbox.maxAgeHours * 3_600_000,
        graceMs: config.windows.graceSeconds * 1000,
      });
    }
    const labels = this.labels;
    this.ingestor = new EventIngestor(new Map([...this.runtime.windows].map(([name, windows]) => {
      const m = modelConfigs.get(name)!;
      const model = ingestModel(windows, m.unknownFeatures, m.versions, m.unknownFields);
      if (labels !== undefined) model.remember = (id, version, at) => labels.remember(name, id, version, at);
      return [name, model];
    })), {
      clock: config.windows.clock, graceMs: config.windows.graceSeconds * 1000, maxFutureMs: config.windows.maxFutureSeconds * 1000,
    }, now);
    const { oip, kserveLogger } = config.sources;
    if (oip !== undefined) this.oipReader = this.reader('sources.oip', oip.models.map((m) => [m.serverModel ?? m.name, m]), oip.copyLimitBytes);
    if (kserveLogger !== undefined) {
      const reader = this.reader('sources.kserveLogger', kserveLogger.models.map((m) => [m.inferenceService ?? m.name, m]), kserveLogger.maxBodyBytes);
      this.kserveLogger = { ...loggerSinkHandler({ ...kserveLogger, timeoutMs: kserveLogger.joinTimeoutSeconds * 1000, onExchange: (e) => reader.read(e) }), reader };
    }
    if (config.sources.openai !== undefined) this.openai = new OpenaiSource(config.sources.openai, profileColumns(this.runtime.windows.get(config.sources.openai.model)!.profile), (items) => this.ingest(items), () => this.load.shouldShed() !== undefined, log);
    this.files = config.sources.files.map((f) => new FileSource(f, this.store.offsets, (items) => this.ingest(items), () => this.load.shouldShed() !== undefined, log));
    this.runtime.closer.participants.push(...this.files.map((f) => f.tail));
    if (labels !== undefined) {
      this.runtime.closer.participants.push(labels);
      this.runtime.every(labels.shipSeconds * 1000, 'labels', () => labels.ship(now()));
      this.runtime.every(3_600_000, 'labels', () => labels.prune(now()));
    }
    this.runtime.every(config.windows.checkpointMs, 'checkpoint', () => this.checkpoint());
    if (config.windows.clock === 'wall') this.runtime.every(Math.min(1000, config.windows.checkpointMs), 'close', () => this.closeDue());
  }

  /** A reader of one source's exchanges, its mappings checked against the baselines (a typo fails at start, naming the tensor). */
  private reader(section: string, models: [string, ReadModel][], copyLimitBytes: number): ExchangeReader {
    for (const [, m] of models) checkMapping(section, m, this.runtime.windows.get(m.name)!.profile);
    return new ExchangeReader(section, new Map(models), copyLimitBytes, (items) => this.ingest(items), this.log, () => this.load.shouldShed() !== undefined);
  }

  /** What the sources besides the event API have read (`/v1/status` `sources`). */
  private sourcesStatus(): object {
    const logger = this.kserveLogger;
    logger?.join.expire(performance.now());
    return {
      ...(this.oipReader === undefined ? {} : { oip: { ...this.oipReader.totals, metadata: Object.fromEntries(this.oipMetadata) } }),
      ...(this.files.length === 0 ? {} : { files: this.files.map((f) => f.status()) }),
      ...(this.openai === undefined ? {} : { openai: this.openai.totals }),
      ...(logger === undefined ? {} : { kserveLogger: { ...logger.totals, joined: logger.join.joined, pending: logger.join.waiting, lost: logger.join.losses, ...logger.reader.totals } }),
    };
  }

  /** True between a successful start and the beginning of shutdown. */
  get ready(): boolean {
    return this.runtime.ready;
  }

  /** Starts checkpointing, closing and shipping. */
  start(): void {
    if (!this.runtime.start()) return;
    this.load.start();
    for (const f of this.files) f.start();
    void this.closeDue();
  }

  /** Counts a batch of parsed body items. */
  ingest(items: readonly BodyItem[]): IngestResult {
    const result = this.ingestor.ingest(items);
    this.metrics.eventsAccepted(result.accepted);
    for (const r of result.rejections) this.metrics.eventsRejected(r.reason);
    if (this.config.windows.clock === 'event') void this.closeDue();
    return result;
  }

  /** Whether delayed labels are on (config `labels`). */
  get labelsOn(): boolean {
    return this.labels !== undefined;
  }

  /** Joins a batch of delayed labels (`POST /v1/labels`); undefined when labels are not turned on. */
  applyLabels(items: readonly BodyItem[]): ReturnType<LabelJoin['apply']> | undefined {
    return this.labels?.apply(items, this.now());
  }

  /** Saves the counts of windows changed since the last checkpoint; false if the state file failed. */
  checkpoint(): boolean {
    return this.runtime.closer.checkpoint();
  }

  /** Strict durability: whether events are acknowledged only once committed. */
  get strict(): boolean {
    return this.config.windows.durability === 'strict';
  }

  /** Whether the state file takes writes (strict durability refuses events while it does not). */
  get stateWritable(): boolean {
    return this.runtime.closer.health.writable;
  }

  /** Resolves once everything counted so far is committed; rejects with StateUnavailableError. */
  committed(): Promise<void> {
    return this.runtime.closer.committed();
  }

  /** Closes every window whose end plus grace has passed. Never rejects. */
  closeDue(): Promise<WindowReport[]> {
    const grace = this.config.windows.graceSeconds * 1000;
    return this.runtime.closer.closeDue(this.ingestor.clockMs(), (windows, w) => windows.endOf(w.startMs) + grace);
  }

  /** Closes every open window now (a partial window ends now). Never rejects. */
  flush(): Promise<WindowReport[]> {
    return this.runtime.closer.flush(this.ingestor.clockMs());
  }

  /** The configured models' names. */
  get modelNames(): ReadonlySet<string> {
    return new Set(this.runtime.windows.keys());
  }

  /** Closed windows kept on the host (`GET /v1/windows`). */
  /** `GET /metrics` when `sinks.prometheus` is on. */
  get prometheusText(): (() => Promise<{ contentType: string; text: string }>) | undefined {
    return this.runtime.prometheusText;
  }

  windows(query: HistoryQuery): HistoryWindow[] {
    return this.store.history.windows(query);
  }

  /** What `/v1/status` shows. */
  status(): object {
    const budget = this.store.privacy.spent();
    return {
      ready: this.ready,
      load: this.load.status(),
      windowSeconds: this.config.windows.seconds,
      clock: this.config.windows.clock,
      models: [...this.runtime.windows.values()].map((windows) => ({
        name: windows.name,
        features: windows.profile.features.length,
        openWindows: windows.windows().map((w) => ({ version: w.version, start: new Date(w.startMs).toISOString(),
          end: new Date(windows.endOf(w.startMs)).toISOString(), events: w.counter.n, rejected: w.rejected })),
        lastClosedWindow: lastWindowStatus(windows),
        privacy: privacyStatus(windows, this.config.privacy.epsilon, budget.get(windows.name)),
        thresholds: windows.thresholdStatus(),
      })),
      outbox: this.runtime.outboxStatus(),
      state: { ...this.runtime.closer.health.status(), durability: this.config.windows.durability, unpersistedWindows: this.runtime.closer.unpersistedWindows,
        dropped: this.droppedSummary() },
      totals: { ...this.metrics.totals, eventsRejectedUnattributed: this.ingestor.unattributed },
      sources: this.sourcesStatus(),
      ...(this.labels === undefined ? {} : { labels: this.labels.status() }),
    };
  }

  private droppedSummary(): object {
    try {
      return this.store.outbox.droppedWindows(5);
    } catch {
      return { unavailable: true };
    }
  }

  /**
   * Stops: admission closes, then the runtime's shutdown with a final checkpoint (open windows
   * resume on restart) and a final drain of the outbox bounded by `drainMs`. Idempotent.
   */
  async shutdown(drainMs: number): Promise<void> {
    if (this.runtime.ready) this.load.stop();
    for (const f of this.files) f.stop();
    // The final checkpoint saves where the files were read up to, with the counts.
    await this.runtime.shutdown(drainMs, true);
    for (const f of this.files) f.tail.close();
  }
}
