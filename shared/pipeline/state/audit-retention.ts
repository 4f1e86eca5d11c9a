import { readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { DwError } from '../../platform/errors.js';
import type { FailureEvents } from '../../platform/failure-events.js';
import type { StateDatabase } from './state-database.js';
import { readSigningKey } from './audit-log.js';

const DAY_MS = 86_400_000;

/** Prunes the audit log past its retention, behind a (signed) checkpoint. */
export class AuditRetention {
  private readonly key: KeyObject | undefined;

  constructor(private readonly store: StateDatabase, private readonly config: { retentionDays: number; signingKey?: string }, private readonly log: Logger,
    private readonly failures: FailureEvents) {
    if (config.signingKey !== undefined) {
      try {
        this.key = readSigningKey(readFileSync(config.signingKey));
      } catch (err) {
        throw new DwError('DW_ERR_CONFIG', `cannot read the audit signing key: ${(err as Error).message}`, { file: config.signingKey, field: 'audit.signingKey' });
      }
      if (this.key.asymmetricKeyType !== 'ed25519') {
        throw new DwError('DW_ERR_CONFIG', `the audit signing key must be an Ed25519 private key, not ${String(this.key.asymmetricKeyType)}`, { field: 'audit.signingKey' });
      }
    }
  }

  /** Prunes what is older than the retention. Never throws. */
  run(nowMs: number): void {
    try {
      const pruned = this.store.audit.prune(nowMs - this.config.retentionDays * DAY_MS, nowMs, this.key);
      if (pruned > 0) this.log.info({ pruned, signed: this.key !== undefined }, 'Pruned audit entries past retention behind a checkpoint.');
    } catch (err) {
      this.failures.storeWrite('audit_retention', err, 'Could not prune the audit log.');
    }
  }
}
