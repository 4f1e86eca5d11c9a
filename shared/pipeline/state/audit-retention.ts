import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { FailureEvents } from '../../platform/failure-events.js';
import type { StateDatabase } from './state-database.js';

const DAY_MS = 86_400_000;

/** Prunes the audit log past its retention, behind a checkpoint (signed with the audit key when there is one). */
export class AuditRetention {
  constructor(private readonly store: StateDatabase, private readonly retentionDays: number, private readonly key: KeyObject | undefined,
    private readonly log: Logger, private readonly failures: FailureEvents) {}

  /** Prunes what is older than the retention. Never throws. */
  run(nowMs: number): void {
    try {
      const pruned = this.store.audit.prune(nowMs - this.retentionDays * DAY_MS, nowMs, this.key);
      if (pruned > 0) this.log.info({ pruned, signed: this.key !== undefined }, 'Pruned audit entries past retention behind a checkpoint.');
    } catch (err) {
      this.failures.storeWrite('audit_retention', err, 'Could not prune the audit log.');
    }
  }
}
