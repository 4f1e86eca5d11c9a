import type { Logger } from 'pino';
import type { DriftRule } from '../../core/drift/drift-rule.js';
import type { RetrainingRule } from '../../core/drift/retraining-tracker.js';
import type { PerformanceRule } from '../../core/performance/accuracy-drop.js';
import { loadModelBaseline } from '../../core/profile/load-baseline.js';
import { FailureEvents, type ErrorStage } from '../../platform/failure-events.js';
import { Timers } from '../../platform/timers.js';
import { OutboxShipper, type OutboxLimits } from '../shipping/outbox-shipper.js';
import { createSinks, type SinksConfig } from '../sinks/create-sinks.js';
import type { WindowSink } from '../sinks/window-sink.js';
import { AuditRetention } from '../state/audit-retention.js';
import { openState, type ComponentState } from '../state/open-state.js';
import type { HistoryLimits } from '../state/window-history-store.js';
import { StateLock } from '../state/state-lock.js';
import { loadAuditSigningKey } from '../state/audit-log.js';
import type { KeyObject } from 'node:crypto';
import { SelfMetrics } from '../telemetry/self-metrics.js';
import { ModelWindows } from '../windows/model-windows.js';
import type { SegmentSettings } from '../windows/segment-windows.js';
import { restoreWindows } from '../windows/restore-windows.js';
import { WindowCloser } from '../windows/window-closer.js';
import { createEgress } from './create-egress.js';

/** The parts of an agent or collector config the runtime reads (both schemas satisfy it). */
export interface RuntimeConfig extends SinksConfig {
  models: readonly { name: string; baseline: string; versions: readonly string[]; effect?: DriftRule['effect'] | undefined; segments?: SegmentSettings | undefined }[];
  windows: { seconds: number };
  drift: DriftRule;
  retraining: RetrainingRule;
  performance: PerformanceRule;
  privacy: { minCount: number; epsilon?: number };
  state: { path: string; synchronous: 'NORMAL' | 'FULL'; outbox: OutboxLimits; history: HistoryLimits };
  audit: { retentionDays: number; signingKey?: string };
  telemetry: { otlpEndpoint?: string; exportIntervalMs: number };
}

/** What differs between the components that share the runtime. */
export interface RuntimeOptions {
  /** `service.name` of the self-telemetry. */
  serviceName: string;
  log: Logger;
  now: () => number;
  env: NodeJS.ProcessEnv;
  /** Strict durability: counts whose commit fails are undone (the agent's `windows.durability`). */
  strict?: boolean;
  /** The OTLP sink describes each model's windows with its profile (the agent, which sends them). */
  describeWindowsToOtlp?: boolean;
}

/** A background job run on a timer once the component starts. */
interface Job {
  everyMs: number;
  stage: ErrorStage;
  run: () => unknown;
}

type Lifecycle = 'created' | 'running' | 'stopping' | 'stopped';

/**
 * What the agent and the collector share: per-model windows, the state file, the egress door and
 * sinks, the outbox shipper, the window closer, self-telemetry, audit retention and background
 * timers, with one start/shutdown state machine. `start` and `shutdown` are idempotent, timers are
 * unref'ed, and a job that throws or rejects is logged and counted, never an unhandled rejection.
 */
export class ComponentRuntime {
  readonly windows = new Map<string, ModelWindows>();
  readonly store: ComponentState;
  /** This process's hold on the state file, from construction until the store is closed. */
  private readonly lock: StateLock;
  /** `audit.signingKey`, read once: it signs the audit log's heads and checkpoints. */
  private readonly auditKey: KeyObject | undefined;
  readonly sinks: WindowSink[];
  readonly metrics: SelfMetrics;
  readonly shipper: OutboxShipper;
  readonly closer: WindowCloser;
  /** Where the component's failures are logged and counted. */
  readonly failures: FailureEvents;
  /** `GET /metrics`: the Prometheus exposition, when `sinks.prometheus` is on. */
  readonly prometheusText: (() => Promise<{ contentType: string; text: string }>) | undefined;
  private readonly retention: AuditRetention;
  private readonly timers: Timers<ErrorStage>;
  private readonly jobs: Job[] = [];
  private lifecycle: Lifecycle = 'created';
  private stopped: Promise<void> | undefined;

  constructor(readonly config: RuntimeConfig, private readonly options: RuntimeOptions) {
    const { log, now } = options;
    const windowMs = config.windows.seconds * 1000;
    for (const m of config.models) {
      const rule = m.effect === undefined ? config.drift : Object.freeze({ ...config.drift, effect: m.effect });
      this.windows.set(m.name, new ModelWindows(m.name, loadModelBaseline(m), windowMs, rule, config.retraining, {
        ...(config.privacy.epsilon === undefined ? {} : { epsilon: config.privacy.epsilon }), performance: config.performance, ...(m.segments === undefined ? {} : { segments: m.segments }) }));
    }
    // Before the state file is opened (or moved aside): it may be another process's.
    this.lock = StateLock.acquire(config.state.path);
    try {
      this.auditKey = loadAuditSigningKey(config.audit.signingKey);
      this.store = openState({ ...config.state, auditSigningKey: this.auditKey }, log, now());
    } catch (err) {
      this.lock.release();
      throw err;
    }
    // Counted by the self-metrics, made below (before anything can fail at run time).
    this.failures = new FailureEvents(log, { error: (type, stage) => this.metrics.error(type, stage) });
    this.retention = new AuditRetention(this.store.database, config.audit.retentionDays, this.auditKey, log, this.failures);
    restoreWindows(this.store, this.windows, log);
    const egress = createEgress(config, new Map([...this.windows].map(([k, v]) => [k, v.profile])), (kind) => this.metrics.egressRefused(kind), log);
    this.sinks = createSinks(config, options.env, log, egress, options.describeWindowsToOtlp === true ? (model) => {
      const w = this.windows.get(model);
      return w === undefined ? undefined : { profile: w.profile, layout: w.layout };
    } : undefined);
    this.metrics = new SelfMetrics(
      { otlpEndpoint: config.telemetry.otlpEndpoint, exportIntervalMs: config.telemetry.exportIntervalMs, log, egress, audit: this.store.outbox,
        withholdEventCounts: config.privacy.epsilon !== undefined,
        resource: { 'service.name': options.serviceName, ...(config.site === undefined ? {} : { 'driftwatch.site': config.site }) } },
      { backlog: () => this.shipper.backlog() },
    );
    if (config.sinks.prometheus === true) {
      const door = egress.prometheus();
      this.prometheusText = () => door.render({ totals: this.metrics.totals, backlog: this.shipper.backlog(), withholdEventCounts: config.privacy.epsilon !== undefined });
    }
    this.shipper = new OutboxShipper(this.store.outbox, this.sinks, log, this.metrics, now, config.state.outbox);
    this.closer = new WindowCloser(() => this.windows.values(), this.store, () => this.shipper.kick(), this.metrics, log, now, config.state.history, options.strict === true);
    this.shipper.onStoreFault = (err) => this.closer.recoverIfDamaged(err);
    this.timers = new Timers<ErrorStage>((stage, err) => this.failures.internal(stage, err, 'A background job failed; it runs again at its next tick.'));
  }

  /** True between a successful start and the beginning of shutdown. */
  get ready(): boolean {
    return this.lifecycle === 'running';
  }

  /** Runs `run` every `everyMs` from start until shutdown; `stage` names it in logs and counters. */
  every(everyMs: number, stage: ErrorStage, run: () => unknown): void {
    this.jobs.push({ everyMs, stage, run });
  }

  /** Starts the jobs, shipping, audit retention and the telemetry export. Returns false if already started. */
  start(): boolean {
    if (this.lifecycle !== 'created') return false;
    this.lifecycle = 'running';
    for (const job of this.jobs) this.timers.every(job.everyMs, job.stage, job.run);
    this.shipper.start();
    this.retention.run(this.options.now());
    this.timers.every(3600_000, 'audit_retention', () => this.retention.run(this.options.now()));
    // Monte-Carlo thresholds are simulated here, in the background, for the sizes each model's windows had.
    for (const [name, w] of this.windows) w.expectSizes(this.store.history.windows({ model: name, limit: 20 }).map((h) => h.report.events));
    const warm = (): Promise<unknown> => Promise.all([...this.windows.values()].map((w) => w.warmThresholds()));
    this.timers.every(1000, 'thresholds', warm);
    warm().catch((err: unknown) => this.failures.internal('thresholds', err, 'A background job failed; it runs again at its next tick.'));
    this.metrics.startExportOrLog(this.failures);
    return true;
  }

  /** Each sink's outbox backlog with its failing attempts, as `/v1/status` shows it. */
  outboxStatus(): object[] {
    return this.shipper.backlog().map((b) => ({ ...b, failingAttempts: this.shipper.failingAttempts(b.sink) }));
  }

  /**
   * Stops: timers first, then waits for closes under way, an optional final checkpoint (open windows
   * resume on restart), a final drain of the outbox bounded by `drainMs`, the last telemetry export
   * (bounded by its own timeout) and the store. Idempotent: every caller gets the same promise.
   */
  shutdown(drainMs: number, finalCheckpoint: boolean): Promise<void> {
    this.stopped ??= this.stop(drainMs, finalCheckpoint);
    return this.stopped;
  }

  private async stop(drainMs: number, finalCheckpoint: boolean): Promise<void> {
    this.lifecycle = 'stopping';
    this.timers.clear();
    await this.closer.idle();
    if (finalCheckpoint) this.closer.checkpoint();
    await this.shipper.stop(drainMs);
    await this.metrics.shutdown();
    try {
      // A clean stop ends on a signed head (docs/security.md#the-audit-log).
      if (this.auditKey !== undefined) this.store.database.audit.signHead(this.options.now());
    } catch (err) {
      this.failures.storeWrite('audit_retention', err, 'Could not sign the audit log head at shutdown.');
    }
    this.store.database.close();
    this.lock.release();
    this.lifecycle = 'stopped';
  }
}
