import type { Logger } from 'pino';
import type { WindowReport } from '../shared/drift/window-report.js';
import { loadModelBaseline } from '../shared/profile/load-baseline.js';
import { createEgress } from '../shared/egress/create-egress.js';
import { createSinks } from '../shared/sinks/create-sinks.js';
import type { WindowSink } from '../shared/sinks/window-sink.js';
import type { AgentStore } from '../shared/state/agent-store.js';
import { openState } from '../shared/state/open-state.js';
import { AuditRetention } from '../shared/state/audit-retention.js';
import type { AgentConfig } from './config/agent-config.js';
import { OutboxShipper } from '../shared/shipping/outbox-shipper.js';
import type { BodyItem } from './sources/event-body.js';
import { EventIngestor, ingestModel, type IngestModel, type IngestResult } from './sources/event-ingestor.js';
import { SelfMetrics } from '../shared/telemetry/self-metrics.js';
import { ModelWindows } from '../shared/windows/model-windows.js';
import { restoreWindows } from '../shared/windows/restore-windows.js';
import { lastWindowStatus, privacyStatus } from '../shared/windows/window-status.js';
import { Timers } from '../shared/timers.js';
import { WindowCloser } from '../shared/windows/window-closer.js';
import { LoadShedder } from '../shared/http/load-shedder.js';

interface ModelRuntime {
  windows: ModelWindows;
  ingest: IngestModel;
}

/**
 * The agent: counts events into per-model windows, checkpoints them, closes them into the outbox
 * and ships them. `start`, `flush` and `shutdown` are idempotent; timers never keep the process up.
 */
export class Agent {
  readonly metrics: SelfMetrics;
  readonly store: AgentStore;
  readonly shipper: OutboxShipper;
  readonly ingestor: EventIngestor;
  readonly sinks: WindowSink[];
  /** Admission control of the event API (overload answers 503). */
  readonly load: LoadShedder;
  private readonly models = new Map<string, ModelRuntime>();
  private readonly timers = new Timers();
  private readonly retention: AuditRetention;
  private readonly closer: WindowCloser;
  private state: 'created' | 'running' | 'stopping' | 'stopped' = 'created';
  /** Called after every closed window (the live demo prints it). */
  set onWindowClosed(callback: ((report: WindowReport) => void) | undefined) {
    this.closer.onWindowClosed = callback;
  }

  constructor(readonly config: AgentConfig, private readonly log: Logger, private readonly now: () => number = Date.now, env: NodeJS.ProcessEnv = process.env) {
    const windowMs = config.windows.seconds * 1000;
    this.load = new LoadShedder(config.api);
    for (const m of config.models) {
      const profile = loadModelBaseline(m);
      const windows = new ModelWindows(m.name, profile, windowMs, config.drift, config.retraining, config.privacy.epsilon);
      this.models.set(m.name, { windows, ingest: ingestModel(windows, m.unknownFeatures, m.versions) });
    }
    this.store = openState(config.state, log, now());
    this.retention = new AuditRetention(this.store, config.audit, log);
    this.restore();
    const egress = createEgress(config, new Map([...this.models].map(([k, v]) => [k, v.windows.profile])), (kind) => this.metrics.egressRefused(kind), log);
    this.sinks = createSinks(config, env, log, egress, (model) => {
      const m = this.models.get(model);
      return m === undefined ? undefined : { profile: m.windows.profile, layout: m.windows.layout };
    });
    this.ingestor = new EventIngestor(new Map([...this.models].map(([k, v]) => [k, v.ingest])), {
      clock: config.windows.clock, graceMs: config.windows.graceSeconds * 1000, maxFutureMs: config.windows.maxFutureSeconds * 1000,
    }, now);
    this.metrics = new SelfMetrics(
      { otlpEndpoint: config.telemetry.otlpEndpoint, exportIntervalMs: config.telemetry.exportIntervalMs,
        resource: { 'service.name': 'driftwatch-agent', ...(config.site === undefined ? {} : { 'driftwatch.site': config.site }) }, log, egress, audit: this.store },
      { backlog: () => this.shipper.backlog() },
    );
    this.shipper = new OutboxShipper(this.store, this.sinks, log, this.metrics, now, config.state.outbox);
    this.closer = new WindowCloser(() => [...this.models.values()].map((m) => m.windows), this.store, this.shipper, this.metrics, log, now,
      config.windows.durability === 'strict');
  }

  private restore(): void {
    restoreWindows(this.store, new Map([...this.models].map(([k, v]) => [k, v.windows])), this.log);
  }


  /** True between a successful start and the beginning of shutdown. */
  get ready(): boolean {
    return this.state === 'running';
  }

  /** Starts checkpointing, closing and shipping. */
  start(): void {
    if (this.state !== 'created') return;
    this.state = 'running';
    this.load.start();
    this.timers.every(this.config.windows.checkpointMs, () => this.checkpoint());
    if (this.config.windows.clock === 'wall') this.timers.every(Math.min(1000, this.config.windows.checkpointMs), () => void this.closeDue());
    this.shipper.start();
    this.retention.run(this.now());
    this.timers.every(3600_000, () => this.retention.run(this.now()));
    this.metrics.startExportOrLog(this.log);
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

  /** Saves the counts of windows changed since the last checkpoint; false if the state file failed. */
  checkpoint(): boolean {
    return this.closer.checkpoint();
  }

  /** Strict durability: whether events are acknowledged only once committed. */
  get strict(): boolean {
    return this.config.windows.durability === 'strict';
  }

  /** Whether the state file takes writes (strict durability refuses events while it does not). */
  get stateWritable(): boolean {
    return this.closer.health.writable;
  }

  /** Resolves once everything counted so far is committed; rejects with StateUnavailableError. */
  committed(): Promise<void> {
    return this.closer.committed();
  }

  /** Closes every window whose end plus grace has passed. Never rejects. */
  closeDue(): Promise<WindowReport[]> {
    const grace = this.config.windows.graceSeconds * 1000;
    return this.closer.closeDue(this.ingestor.clockMs(), (windows, w) => windows.endOf(w.startMs) + grace);
  }

  /** Closes every open window now (a partial window ends now). Never rejects. */
  flush(): Promise<WindowReport[]> {
    return this.closer.flush(this.ingestor.clockMs());
  }

  /** What `/v1/status` shows. */
  status(): object {
    const backlog = this.shipper.backlog();
    const budget = this.store.privacyBudget();
    return {
      ready: this.ready,
      load: this.load.status(),
      windowSeconds: this.config.windows.seconds,
      clock: this.config.windows.clock,
      models: [...this.models.values()].map(({ windows }) => ({
        name: windows.name,
        features: windows.profile.features.length,
        openWindows: windows.windows().map((w) => ({ version: w.version, start: new Date(w.startMs).toISOString(),
          end: new Date(windows.endOf(w.startMs)).toISOString(), events: w.counter.n, rejected: w.rejected })),
        lastClosedWindow: lastWindowStatus(windows),
        privacy: privacyStatus(windows, this.config.privacy.epsilon, budget.get(windows.name)),
      })),
      outbox: backlog.map((b) => ({ ...b, failingAttempts: this.shipper.failingAttempts(b.sink) })),
      state: { ...this.closer.health.status(), durability: this.config.windows.durability, unpersistedWindows: this.closer.unpersistedWindows,
        dropped: this.droppedSummary() },
      totals: { ...this.metrics.totals, eventsRejectedUnattributed: this.ingestor.unattributed },
    };
  }

  private droppedSummary(): object {
    try {
      return this.store.droppedWindows(5);
    } catch {
      return { unavailable: true };
    }
  }

  /**
   * Stops: final checkpoint (open windows resume on restart), a bounded final drain of the outbox,
   * then closes the store. Idempotent.
   */
  async shutdown(drainMs = 5000): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    this.state = 'stopping';
    this.timers.clear();
    this.load.stop();
    await this.closer.idle();
    this.checkpoint();
    await this.shipper.stop(drainMs);
    await this.metrics.shutdown();
    this.store.close();
    this.state = 'stopped';
  }
}
