import type { Logger } from 'pino';
import type { WindowReport } from '../shared/drift/window-report.js';
import { loadModelBaseline } from '../shared/profile/load-baseline.js';
import { OutboxShipper } from '../shared/shipping/outbox-shipper.js';
import { createEgress } from '../shared/egress/create-egress.js';
import { createSinks } from '../shared/sinks/create-sinks.js';
import type { WindowSink } from '../shared/sinks/window-sink.js';
import type { AgentStore } from '../shared/state/agent-store.js';
import { openState } from '../shared/state/open-state.js';
import { AuditRetention } from '../shared/state/audit-retention.js';
import { SelfMetrics } from '../shared/telemetry/self-metrics.js';
import { layoutFingerprint, ModelWindows, type OpenWindow } from '../shared/windows/model-windows.js';
import { restoreWindows } from '../shared/windows/restore-windows.js';
import { lastWindowStatus, privacyStatus } from '../shared/windows/window-status.js';
import { Timers } from '../shared/timers.js';
import { WindowCloser } from '../shared/windows/window-closer.js';
import type { CollectorConfig } from './config/collector-config.js';
import type { ResourcePoints } from './receiver/otlp-request.js';
import { windowContributions, type CollectorModel, type Refusal } from './receiver/window-contributions.js';

/** Largest count believed in one bin or window: far above any real window, far below 2^53. */
const MAX_COUNT = 1e12;
/** Received keys and closed windows are remembered this long after their window (retries, late agents). */
const REMEMBER_MS = 15 * 24 * 3600 * 1000;

/** What one OTLP request did. */
export interface ReceiveResult {
  accepted: number;
  duplicates: number;
  refusals: Refusal[];
}

/**
 * The collector: merges the closed windows of many agents per (model, version, window), judges
 * drift on the merged counts with the same engine as the agent, and ships through the same outbox
 * and sinks. Every request's merge is committed to SQLite before it is answered, so an answered
 * window is never lost and a retried one is never counted twice.
 */
export class Collector {
  readonly metrics: SelfMetrics;
  readonly store: AgentStore;
  readonly shipper: OutboxShipper;
  readonly sinks: WindowSink[];
  private readonly models = new Map<string, { windows: ModelWindows; model: CollectorModel }>();
  private readonly closer: WindowCloser;
  /** When each open window got its first contribution (it waits `grace` from then too). */
  private readonly firstArrival = new WeakMap<OpenWindow, number>();
  private readonly timers = new Timers();
  private readonly retention: AuditRetention;
  private state: 'created' | 'running' | 'stopping' | 'stopped' = 'created';

  constructor(readonly config: CollectorConfig, private readonly log: Logger, private readonly now: () => number = Date.now, env: NodeJS.ProcessEnv = process.env) {
    const windowMs = config.windows.seconds * 1000;
    for (const m of config.models) {
      const profile = loadModelBaseline(m);
      const windows = new ModelWindows(m.name, profile, windowMs, config.drift, config.retraining, config.privacy.epsilon);
      this.models.set(m.name, { windows, model: { profile, layout: layoutFingerprint(profile), index: new Map(profile.features.map((f, i) => [f.name, i])), versions: new Set(m.versions) } });
    }
    this.store = openState(config.state, log, now());
    this.retention = new AuditRetention(this.store, config.audit, log);
    this.restore();
    const egress = createEgress(config, new Map([...this.models].map(([k, v]) => [k, v.model.profile])), (kind) => this.metrics.egressRefused(kind), log);
    this.sinks = createSinks(config, env, log, egress);
    this.metrics = new SelfMetrics(
      { otlpEndpoint: config.telemetry.otlpEndpoint, exportIntervalMs: config.telemetry.exportIntervalMs, log, egress, audit: this.store,
        resource: { 'service.name': 'driftwatch-collector', ...(config.site === undefined ? {} : { 'driftwatch.site': config.site }) } },
      { backlog: () => this.shipper.backlog() },
    );
    this.shipper = new OutboxShipper(this.store, this.sinks, log, this.metrics, now, config.state.outbox);
    this.closer = new WindowCloser(() => [...this.models.values()].map((m) => m.windows), this.store, this.shipper, this.metrics, log, now);
  }

  private restore(): void {
    restoreWindows(this.store, new Map([...this.models].map(([k, v]) => [k, v.windows])), this.log);
    // Restored windows wait a full grace from now: agents may still be sending their parts.
    for (const m of this.models.values()) for (const w of m.windows.windows()) this.firstArrival.set(w, this.now());
  }


  get ready(): boolean {
    return this.state === 'running';
  }

  /** Starts closing windows as their grace ends, and shipping. */
  start(): void {
    if (this.state !== 'created') return;
    this.state = 'running';
    this.timers.every(1000, () => void this.closeDue());
    this.timers.every(3600_000, () => this.store.forgetBefore(this.now() - REMEMBER_MS));
    this.shipper.start();
    this.retention.run(this.now());
    this.timers.every(3600_000, () => this.retention.run(this.now()));
    this.metrics.startExportOrLog(this.log);
    void this.closeDue();
  }

  /**
   * Merges the windows in one decoded OTLP request. Windows with any bad point are refused whole,
   * with a reason; a window received before (same agent, model, version, start, end) is skipped.
   */
  receive(batches: readonly ResourcePoints[]): ReceiveResult {
    const nowMs = this.now();
    const modelViews = new Map([...this.models].map(([k, v]) => [k, v.model]));
    const { contributions, refusals } = windowContributions(batches, modelViews, {
      windowMs: this.config.windows.seconds * 1000, nowMs, maxFutureMs: this.config.windows.maxFutureSeconds * 1000,
      maxAgeMs: this.config.windows.maxAgeHours * 3600_000, maxCount: MAX_COUNT,
    });
    let accepted = 0;
    let duplicates = 0;
    const keys: string[] = [];
    for (const c of contributions) {
      const { windows } = this.models.get(c.model)!;
      if (keys.includes(c.key) || this.store.wasReceived(c.key)) {
        duplicates += c.points;
        continue;
      }
      if (this.store.isClosed(c.model, c.version, c.startMs)) {
        refusals.push({ reason: 'late_window', points: c.points, instance: c.instance, model: c.model,
          message: `window ${new Date(c.startMs).toISOString()} of '${c.model}' was already closed and shipped; raise windows.graceSeconds if agents are often this late` });
        continue;
      }
      const w = windows.merge(c.version, c.startMs, c.counts, c.events, c.rejected, c.sums);
      if (!this.firstArrival.has(w)) this.firstArrival.set(w, nowMs);
      keys.push(c.key);
      accepted += c.points;
    }
    if (keys.length > 0) {
      const dirty = [...this.models.values()].flatMap((m) => m.windows.takeDirty());
      this.store.checkpointReceived(dirty, keys, nowMs);
    }
    this.metrics.points('accepted', accepted);
    this.metrics.points('duplicate', duplicates);
    for (const r of refusals) {
      this.metrics.points(r.reason, r.points);
      this.log.warn({ reason: r.reason, points: r.points, instance: r.instance, model: r.model }, `Refused OTLP data: ${r.message}`);
    }
    return { accepted, duplicates, refusals };
  }

  /** Closes every merged window whose grace has passed. Never rejects. */
  closeDue(): Promise<WindowReport[]> {
    const grace = this.config.windows.graceSeconds * 1000;
    const nowMs = this.now();
    return this.closer.closeDue(nowMs, (windows, w) => Math.max(windows.endOf(w.startMs), this.firstArrival.get(w) ?? 0) + grace);
  }

  /** Closes every merged window now. Never rejects. */
  flush(): Promise<WindowReport[]> {
    return this.closer.flush(this.now());
  }

  /** What `/v1/status` shows. */
  status(): object {
    const budget = this.store.privacyBudget();
    return {
      ready: this.ready,
      windowSeconds: this.config.windows.seconds,
      graceSeconds: this.config.windows.graceSeconds,
      models: [...this.models.values()].map(({ windows }) => ({
        name: windows.name,
        layout: windows.layout,
        openWindows: windows.windows().map((w) => ({ version: w.version, start: new Date(w.startMs).toISOString(), events: w.counter.n })),
        lastClosedWindow: lastWindowStatus(windows),
        privacy: privacyStatus(windows, this.config.privacy.epsilon, budget.get(windows.name)),
      })),
      outbox: this.shipper.backlog().map((b) => ({ ...b, failingAttempts: this.shipper.failingAttempts(b.sink) })),
      totals: this.metrics.totals,
    };
  }

  /** Stops: waits for closes under way, a bounded final drain, then closes the store. Open windows resume after a restart. */
  async shutdown(drainMs = 5000): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    this.state = 'stopping';
    this.timers.clear();
    await this.closer.idle();
    await this.shipper.stop(drainMs);
    await this.metrics.shutdown();
    this.store.close();
    this.state = 'stopped';
  }
}
