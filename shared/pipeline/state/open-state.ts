import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { CheckpointStore } from './checkpoint-store.js';
import { LabelStore } from './label-store.js';
import { OutboxStore } from './outbox-store.js';
import { PrivacyBudgetStore } from './privacy-budget-store.js';
import { SourceOffsetsStore } from './source-offsets-store.js';
import { StateDatabase } from './state-database.js';
import { WindowHistoryStore } from './window-history-store.js';

/**
 * The stores every component keeps in its state file, on one database handle. The collector adds
 * its own `ReceivedStore` on the same handle; the agent never has one.
 */
export interface ComponentState {
  database: StateDatabase;
  checkpoints: CheckpointStore;
  outbox: OutboxStore;
  privacy: PrivacyBudgetStore;
  /** How far the file sources have read (the agent's file tail). */
  offsets: SourceOffsetsStore;
  /** Closed windows kept on the host (`state.history`). */
  history: WindowHistoryStore;
  /** The delayed-label join (the agent's `POST /v1/labels`). */
  labels: LabelStore;
}

/** The stores on an open database. */
export function componentState(database: StateDatabase): ComponentState {
  return { database, checkpoints: new CheckpointStore(database), outbox: new OutboxStore(database), privacy: new PrivacyBudgetStore(database), offsets: new SourceOffsetsStore(database), history: new WindowHistoryStore(database), labels: new LabelStore(database) };
}

/**
 * Opens a component's state file; a damaged one is moved aside with an error log line naming both
 * paths, and the component starts on a fresh file instead of crashing in a restart loop.
 */
export function openState(state: { path: string; synchronous: 'NORMAL' | 'FULL'; auditSigningKey?: KeyObject | undefined }, log: Logger, nowMs: number): ComponentState {
  return componentState(StateDatabase.openOrMoveAside(state.path, { synchronous: state.synchronous, auditSigningKey: state.auditSigningKey }, (movedTo, reason) => {
    log.error({ state: state.path, movedTo, reason },
      'The state file is damaged and was moved aside; starting with a fresh one (its open windows, unsent outbox and audit log stay in the moved file for inspection).');
  }, nowMs));
}
