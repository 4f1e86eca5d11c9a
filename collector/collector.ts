import type { HistoryQuery, HistoryWindow } from '../shared/pipeline/state/window-history-store.js';
import type { Logger } from 'pino';
import type { WindowReport } from '../shared/core/drift/window-report.js';
import { ComponentRuntime } from '../shared/pipeline/runtime/component-runtime.js';
import type { OutboxShipper } from '../shared/pipeline/shipping/outbox-shipper.js';
import type { WindowSink } from '../shared/pipeline/sinks/window-sink.js';
import type { ComponentState } from '../shared/pipeline/state/open-state.js';
import { ReceivedStore, type AgentAnchor } from '../shared/pipeline/state/received-store.js';
import { GroupCommit } from './group-commit.js';
import { OTLP_ATTRIBUTES } from '../shared/pipeline/egress/otlp-names.js';
import type { FailureEvents } from '../shared/platform/failure-events.js';
import type { SelfMetrics } from '../shared/pipeline/telemetry/self-metrics.js';
import type { ModelWindows, OpenWindow } from '../shared/pipeline/windows/model-windows.js';
import { lastWindowStatus, privacyStatus } from '../shared/pipeline/windows/window-status.js';
import type { CollectorConfig } from './config/collector-config.js';
import type { ResourcePoints } from './receiver/otlp-request.js';
import { windowContributions, type CollectorModel, type Refusal } from './receiver/window-contributions.js';

/** Largest count believed in one bin or window: far above any real window, far below 2^53. */
const MAX_COUNT = 1e12;
/** Received keys and closed windows are remembered this long after their window (retries, late agents). */
const REMEMBER_MS = 15 * 24 * 3600 * 1000;

/** What one request merged, waiting for its group's commit. */
interface PendingChanges {
  keys: string[];
  anchors: AgentAnchor[];
  nowMs: number;
}

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
  /** Where failures are logged and counted. */
  readonly failures: FailureEvents;
  readonly store: ComponentState;
  /** What was merged and closed (dedup, late parts): the collector's own store, on the same file. */
  private readonly received: ReceivedStore;
  readonly shipper: OutboxShipper;
  readonly sinks: WindowSink[];
  private readonly runtime: ComponentRuntime;
  private readonly models = new Map<string, { windows: ModelWindows; model: CollectorModel }>();
  /** Keys merged into open windows whose commit is pending (a retry meanwhile is a duplicate). */
  private readonly pendingKeys = new Set<string>();
  private readonly commits = new GroupCommit<PendingChanges>((changes) => this.commitGroup(changes));
  /** When each open window got its first contribution (it waits `grace` from then too). */
  private readonly firstArrival = new WeakMap<OpenWindow, number>();

  constructor(readonly config: CollectorConfig, private readonly log: Logger, private readonly now: () => number = Date.now, env: NodeJS.ProcessEnv = process.env) {
    this.runtime = new ComponentRuntime(config, { serviceName: 'driftwatch-collector', log, now, env });
    ({ store: this.store, sinks: this.sinks, metrics: this.metrics, failures: this.failures, shipper: this.shipper } = this.runtime);
    this.received = new ReceivedStore(this.store.database, this.store.checkpoints);
    for (const [name, windows] of this.runtime.windows) {
      const m = config.models.find((c) => c.name === name)!;
      const profile = windows.profile;
      this.models.set(name, { windows, model: { profile, layout: windows.layout, index: new Map(profile.features.map((f, i) => [f.name, i])), versions: new Set(m.versions) } });
      // Restored windows wait a full grace from now: agents may still be sending their parts.
      for (const w of windows.windows()) this.firstArrival.set(w, now());
    }
    this.runtime.every(1000, 'close', () => this.closeDue());
    this.runtime.every(3600_000, 'forget_received', () => this.received.forgetBefore(this.now() - REMEMBER_MS));
  }

  get ready(): boolean {
    return this.runtime.ready;
  }

  /** Starts closing windows as their grace ends, and shipping. */
  start(): void {
    if (!this.runtime.start()) return;
    void this.closeDue();
  }

  /** Each agent's audit anchor in a request (resource attributes of its windows): the record outside its host its audit log must agree with. */
  private static anchors(batches: readonly ResourcePoints[]): AgentAnchor[] {
    const out: AgentAnchor[] = [];
    for (const { resource } of batches) {
      const instance = resource[OTLP_ATTRIBUTES.instance];
      const entries = resource[OTLP_ATTRIBUTES.auditEntries];
      const digest = resource[OTLP_ATTRIBUTES.auditDigest];
      if (typeof instance !== 'string' || !Number.isSafeInteger(entries) || !Number.isSafeInteger(digest) || (entries as number) < 0 || (digest as number) < 0) continue;
      out.push({ instance, entries: entries as number, digest: digest as number });
    }
    return out;
  }

  /**
   * One transaction for every request of a group: the open windows' new counts, the keys of the
   * contributions they took in, and the agents' anchors. If it fails, the windows stay marked
   * changed (the next commit writes them) and every request of the group is refused.
   */
  private commitGroup(changes: readonly PendingChanges[]): void {
    const dirty = [...this.models.values()].map((m) => ({ windows: m.windows, records: m.windows.takeDirty() }));
    try {
      this.received.checkpointReceived(dirty.flatMap((d) => d.records), changes.flatMap((c) => c.keys), changes.flatMap((c) => c.anchors), changes[0]?.nowMs ?? this.now());
    } catch (err) {
      for (const d of dirty) d.windows.markDirty(d.records);
      throw err;
    } finally {
      for (const c of changes) for (const k of c.keys) this.pendingKeys.delete(k);
    }
  }

  /**
   * Merges the windows in one decoded OTLP request, and resolves once what it merged is committed
   * (with the other requests of its group: group-commit.ts). Windows with any bad point are refused
   * whole, with a reason; a window received before (same agent, model, version, start, end),
   * committed or in a group not yet committed, is skipped.
   */
  async receive(batches: readonly ResourcePoints[]): Promise<ReceiveResult> {
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
      if (keys.includes(c.key) || this.pendingKeys.has(c.key) || this.received.wasReceived(c.key)) {
        duplicates += c.points;
        continue;
      }
      if (this.received.isClosed(c.model, c.version, c.startMs)) {
        refusals.push({ reason: 'late_window', points: c.points, instance: c.instance, model: c.model,
          message: `window ${new Date(c.startMs).toISOString()} of '${c.model}' was already closed and shipped; raise windows.graceSeconds if agents are often this late` });
        continue;
      }
      const w = windows.merge(c.version, c.startMs, c.counts, c.events, c.rejected, c.sums);
      if (!this.firstArrival.has(w)) this.firstArrival.set(w, nowMs);
      keys.push(c.key);
      accepted += c.points;
    }
    const anchors = Collector.anchors(batches);
    if (keys.length > 0 || anchors.length > 0) {
      for (const k of keys) this.pendingKeys.add(k);
      await this.commits.add({ keys, anchors, nowMs });
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
    return this.runtime.closer.closeDue(nowMs, (windows, w) => Math.max(windows.endOf(w.startMs), this.firstArrival.get(w) ?? 0) + grace);
  }

  /** Closes every merged window now. Never rejects. */
  flush(): Promise<WindowReport[]> {
    return this.runtime.closer.flush(this.now());
  }

  /** The configured models' names. */
  get modelNames(): ReadonlySet<string> {
    return new Set(this.models.keys());
  }

  /** Merged windows kept on the host (`GET /v1/windows`). */
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
      windowSeconds: this.config.windows.seconds,
      graceSeconds: this.config.windows.graceSeconds,
      models: [...this.models.values()].map(({ windows }) => ({
        name: windows.name,
        layout: windows.layout,
        openWindows: windows.windows().map((w) => ({ version: w.version, start: new Date(w.startMs).toISOString(), events: w.counter.n })),
        lastClosedWindow: lastWindowStatus(windows),
        privacy: privacyStatus(windows, this.config.privacy.epsilon, budget.get(windows.name)),
      })),
      outbox: this.runtime.outboxStatus(),
      totals: this.metrics.totals,
    };
  }

  /** Stops: waits for closes under way, a bounded final drain, then closes the store. Open windows resume after a restart. Idempotent. */
  async shutdown(drainMs: number): Promise<void> {
    await this.runtime.shutdown(drainMs, false);
  }
}
