import type { Logger } from 'pino';
import { FailureEvents } from '../../platform/failure-events.js';
import { backoffMs } from '../sinks/retry-policy.js';
import type { WindowSink } from '../sinks/window-sink.js';
import type { DroppedWindow, OutboxStore } from '../state/outbox-store.js';
import type { SelfMetrics } from '../telemetry/self-metrics.js';

const BATCH = 32;
/** How long a loop sleeps when the outbox is empty or the state file failed (a fallback: `kick` wakes it). */
const IDLE_MS = 1000;

/** Bounds on the outbox and the pace of a backlog (config `state.outbox`). */
export interface OutboxLimits {
  maxAgeHours: number;
  maxBytes: number;
  sendPerSecond: number;
}

/** During the final drain, a failed send is retried after this long instead of its backoff. */
const DRAIN_RETRY_MS = 250;

/** How often the outbox bounds are enforced while it holds unsent windows. */
const BOUNDS_EVERY_MS = 10_000;

/** A sleep that `wake()` cuts short; its timer never keeps the process alive. */
class Waiter {
  private resolve: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Sleeping for lack of work (not backing off after a failure). */
  idle = false;

  sleep(ms: number, idle: boolean): Promise<void> {
    return new Promise((resolve) => {
      this.idle = idle;
      this.resolve = resolve;
      this.timer = setTimeout(() => this.wake(), ms);
      this.timer.unref();
    });
  }

  wake(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    const r = this.resolve;
    this.resolve = undefined;
    r?.();
  }
}

/**
 * Drains the outbox into each sink, in order, one loop per sink. An entry is marked sent only after
 * the sink says so; retriable failures back off (longer when throttled) and retry the same entry;
 * an entry the service refuses as invalid is dead-lettered so it cannot block the rest.
 */
export class OutboxShipper {
  private stopping = false;
  /** Set by `stop`: until then every pending window is tried, without pacing or long backoff. */
  private drainUntilMs: number | undefined;
  private readonly waiters = new Map<string, Waiter>();
  private readonly loops: Promise<void>[] = [];
  private readonly attempts = new Map<string, number>();
  /** Earliest time each sink may send its next window (the backlog pace). */
  private readonly nextSendAt = new Map<string, number>();
  private boundsCheckedAtMs = -Infinity;
  private readonly failures: FailureEvents;

  constructor(
    private readonly store: OutboxStore,
    private readonly sinks: readonly WindowSink[],
    private readonly log: Logger,
    private readonly metrics: SelfMetrics,
    private readonly now: () => number,
    /** `state.outbox` of the config (its schema holds the defaults). */
    private readonly limits: OutboxLimits,
  ) {
    this.failures = new FailureEvents(log, metrics);
  }

  /** Told of every state-file error the shipper meets (the owner lets the window closer replace a damaged file). */
  onStoreFault: ((err: unknown) => void) | undefined;

  /**
   * Drops what the outbox may no longer hold: windows older than CloudWatch accepts, then the oldest
   * past the size bound. Each drop is recorded in the state file, counted and logged (one line per
   * model and reason, with the period and the events it covered). Never throws.
   */
  enforceBounds(): DroppedWindow[] {
    const now = this.now();
    this.boundsCheckedAtMs = now;
    let dropped: DroppedWindow[];
    try {
      dropped = this.store.enforceOutboxBounds(this.sinks.map((s) => s.name), now - this.limits.maxAgeHours * 3600_000, this.limits.maxBytes, now);
    } catch (err) {
      this.failures.storeWrite('outbox_bounds', err, 'Could not enforce the outbox bounds.');
      this.onStoreFault?.(err);
      return [];
    }
    const groups = new Map<string, DroppedWindow[]>();
    for (const d of dropped) {
      const key = `${d.model}\u0000${d.version}\u0000${d.reason}`;
      groups.set(key, [...(groups.get(key) ?? []), d]);
    }
    for (const group of groups.values()) {
      const { model, version, reason } = group[0]!;
      this.metrics.outboxDropped(reason, group.length);
      this.log.error({ model, version: version || undefined, reason, windows: group.length, events: group.reduce((n, d) => n + d.events, 0),
        from: new Date(Math.min(...group.map((d) => d.startMs))).toISOString(), to: new Date(Math.max(...group.map((d) => d.endMs))).toISOString(),
        sinks: [...new Set(group.flatMap((d) => d.sinks))] },
      reason === 'too_old'
        ? `Dropped unsent windows older than state.outbox.maxAgeHours (${this.limits.maxAgeHours} h; CloudWatch refuses data older than two weeks); they are recorded in the state file.`
        : `Dropped the oldest unsent windows: the outbox reached state.outbox.maxBytes (${this.limits.maxBytes} bytes); they are recorded in the state file.`);
    }
    return dropped;
  }

  /** Starts one loop per sink. Idempotent. */
  start(): void {
    if (this.loops.length > 0) return;
    for (const sink of this.sinks) {
      const waiter = new Waiter();
      this.waiters.set(sink.name, waiter);
      // Loops never reject: every failure is handled inside.
      this.loops.push(this.run(sink, waiter));
    }
  }

  /** Wakes idle loops (a window just closed); loops backing off keep their delay. */
  kick(): void {
    for (const w of this.waiters.values()) if (w.idle) w.wake();
  }

  /** Current backlog per sink, for health datums, gauges and status. */
  backlog(): { sink: string; count: number; oldestAgeSeconds: number }[] {
    const now = this.now();
    return this.sinks.map((s) => {
      const b = this.store.backlog(s.name);
      return { sink: s.name, count: b.count, oldestAgeSeconds: b.oldestClosedAtMs === undefined ? 0 : Math.max(0, (now - b.oldestClosedAtMs) / 1000) };
    });
  }

  /** Failed attempts in a row per sink (0 when healthy). */
  failingAttempts(sink: string): number {
    return this.attempts.get(sink) ?? 0;
  }

  /**
   * Stops the loops after a final drain of up to `drainMs`: a loop backing off is woken at once, and
   * until the outbox is empty or the time is up every pending window is tried, without the backlog
   * pace, a failed send retried every 250 ms (a peer that came back during a backoff still gets
   * everything). What is left stays in the outbox for the next start.
   */
  async stop(drainMs: number): Promise<void> {
    const deadline = this.now() + drainMs;
    this.drainUntilMs = deadline;
    for (const w of this.waiters.values()) w.wake();
    while (this.now() < deadline && this.backlog().some((b) => b.count > 0)) {
      this.kick();
      await new Promise((r) => setTimeout(r, 25));
    }
    this.stopping = true;
    for (const w of this.waiters.values()) w.wake();
    await Promise.all(this.loops);
    await Promise.all(this.sinks.map((s) => s.shutdown()));
  }

  /** One loop per sink; never rejects (a failure of the state file is logged, counted and waited out). */
  private async run(sink: WindowSink, waiter: Waiter): Promise<void> {
    while (!this.stopping) {
      try {
        await this.step(sink, waiter);
      } catch (err) {
        this.failures.storeWrite('send', err, 'The outbox could not be updated; retrying shortly.', { sink: sink.name });
        this.onStoreFault?.(err);
        await waiter.sleep(IDLE_MS, false);
      }
    }
  }

  /** One pass: enforce the bounds when due, then send what is pending, paced, until a failure or the end. */
  private async step(sink: WindowSink, waiter: Waiter): Promise<void> {
    if (this.now() - this.boundsCheckedAtMs >= BOUNDS_EVERY_MS) this.enforceBounds();
    let entries;
    try {
      entries = this.store.pending(sink.name, BATCH);
    } catch (err) {
      this.failures.storeRead('send', err, 'Could not read the outbox.', { sink: sink.name });
      this.onStoreFault?.(err);
      await waiter.sleep(IDLE_MS, false);
      return;
    }
    if (entries.length === 0) {
      await waiter.sleep(IDLE_MS, true);
      return;
    }
    for (const entry of entries) {
      if (this.stopping) return;
      // A backlog drains at a steady pace, not as one burst against the service's quota.
      const wait = (this.nextSendAt.get(sink.name) ?? 0) - this.now();
      if (wait > 0 && this.drainUntilMs === undefined) await waiter.sleep(wait, false);
      if (this.stopping) return;
      this.nextSendAt.set(sink.name, Math.max(this.now(), this.nextSendAt.get(sink.name) ?? 0) + 1000 / this.limits.sendPerSecond);
      const b = this.store.backlog(sink.name);
      const outcome = await sink.send(entry, {
        outboxBacklog: b.count,
        oldestUnsentAgeSeconds: b.oldestClosedAtMs === undefined ? 0 : Math.max(0, (this.now() - b.oldestClosedAtMs) / 1000),
        atMs: this.now(),
        auditHead: this.store.auditAnchor(),
      });
      this.metrics.send(sink.name, outcome.ok);
      if (outcome.ok) {
        try {
          this.store.markSent(sink.name, entry.id, outcome.audit, this.now());
          this.store.prune(this.sinks.map((s) => s.name));
        } catch (err) {
          // Sent but not recorded: the window goes again once the file takes writes (at least once).
          this.failures.storeWrite('send', err, 'A window was sent but the state file would not record it; it will be sent again.', { sink: sink.name, outboxId: entry.id });
          this.onStoreFault?.(err);
          await waiter.sleep(IDLE_MS, false);
          break;
        }
        this.attempts.set(sink.name, 0);
        this.log.debug({ sink: sink.name, model: entry.report.model, windowEnd: new Date(entry.report.endMs).toISOString(), datums: outcome.datums }, 'Window shipped.');
        continue;
      }
      const { failure, error } = outcome;
      // Requests of this window that did leave before the failure are on the record too.
      this.store.appendAudit(outcome.audit ?? [], this.now());
      if (!failure.retriable) {
        this.failures.sendFailed('rejected', error, 'The sink refused a window as invalid; it is kept as a dead letter and skipped.',
          { sink: sink.name, outboxId: entry.id, model: entry.report.model });
        this.store.deadLetter(sink.name, entry, error.message, this.now());
        continue;
      }
      await this.backOff(sink.name, failure.throttled, error, b.count, waiter);
      break;
    }
  }

  /** After a retriable failure: logs and counts it, then waits its backoff (during the final drain, a short fixed retry). */
  private async backOff(sink: string, throttled: boolean, error: Error, backlog: number, waiter: Waiter): Promise<void> {
    const attempt = (this.attempts.get(sink) ?? 0) + 1;
    this.attempts.set(sink, attempt);
    const delay = this.drainUntilMs === undefined ? backoffMs(attempt, throttled, Math.random())
      : Math.max(0, Math.min(DRAIN_RETRY_MS, this.drainUntilMs - this.now()));
    this.failures.sendFailed(throttled ? 'throttled' : 'unavailable', error, throttled
      ? 'The sink is throttling; backing off.'
      : 'Could not reach the sink; the window stays in the outbox and will be retried.', { sink, attempt, retryInMs: delay, backlog });
    await waiter.sleep(delay, false);
  }
}
