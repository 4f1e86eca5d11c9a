import type { AuditRecord } from '../records/audit-record.js';
import type { OutboxEntry } from '../records/outbox-entry.js';
import type { FailureClass } from './retry-policy.js';

/** The agent's own state at send time, shipped beside each window. */
export interface HealthSnapshot {
  /** Closed windows this sink has not sent yet (this one included). */
  outboxBacklog: number;
  /** Age of the oldest of them, seconds. */
  oldestUnsentAgeSeconds: number;
  /** When the snapshot was taken (epoch ms): the health datums' timestamp. */
  atMs: number;
  /**
   * The audit log's head before this send (entries so far, and the first 48 bits of the head
   * hash as an integer): shipped as `AuditEntries` and `AuditHeadDigest`, the anchor outside the
   * host that a truncated or rolled-back log disagrees with (docs/security.md#the-audit-log).
   */
  auditHead?: { entries: number; digest: number };
}

/**
 * What a send did. Sinks return this; they never throw. `audit` holds what left the host (only
 * sinks that go through the egress door have any), also for a send that failed part-way.
 */
export type SendOutcome =
  | { ok: true; requests: number; datums: number; bytes: number; audit?: AuditRecord[] }
  | { ok: false; error: Error; failure: FailureClass; audit?: AuditRecord[] };

/** A destination for closed windows, drained from the outbox in order. */
export interface WindowSink {
  /** Stable name: the key of this sink's progress through the outbox. */
  readonly name: string;
  /** Sends one closed window with the agent's health beside it. */
  send(entry: OutboxEntry, health: HealthSnapshot): Promise<SendOutcome>;
  /** Releases connections and file handles. Idempotent. */
  shutdown(): Promise<void>;
}
