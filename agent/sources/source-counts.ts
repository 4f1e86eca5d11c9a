import type { BodyItem } from './event-body.js';

/**
 * What a source could not read, counted by reason, each reason's message logged the first time
 * only (a broken feed would otherwise log every request). `/v1/status` shows `counts`.
 */
export class UnreadCounts<R extends string> {
  readonly counts: Partial<Record<R, number>> = {};
  private readonly logged = new Set<string>();

  /** Counts one under `reason`; calls `log` the first time `reason` is seen. */
  count(reason: R, log: () => void): void {
    this.counts[reason] = (this.counts[reason] ?? 0) + 1;
    this.once(reason, log);
  }

  /** Calls `log` the first time `key` is seen. */
  once(key: string, log: () => void): void {
    if (this.logged.has(key)) return;
    this.logged.add(key);
    log();
  }
}

/**
 * Events a source read, handed to the counting path in one batch a turn of the event loop: one
 * pass for many exchanges instead of one each.
 */
export class BatchedIngest {
  private batch: BodyItem[] = [];

  constructor(private readonly ingest: (items: readonly BodyItem[]) => void) {}

  add(events: readonly unknown[]): void {
    if (events.length === 0) return;
    const first = this.batch.length === 0;
    for (const value of events) this.batch.push({ index: this.batch.length, value });
    if (first) setImmediate(() => this.flush());
  }

  /** Counts what is waiting now. */
  flush(): void {
    const batch = this.batch;
    this.batch = [];
    if (batch.length > 0) this.ingest(batch);
  }
}
