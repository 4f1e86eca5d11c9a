import type { CheckpointStore, OpenWindowRecord } from './checkpoint-store.js';
import type { StateDatabase } from './state-database.js';

/** An agent's audit anchor: how many entries its audit log had, and their chained digest. */
export interface AgentAnchor {
  instance: string;
  entries: number;
  digest: number;
}

/**
 * The collector's record of what it merged (`received`) and closed (`closed_windows`), so a
 * contribution sent twice is counted once and a late part of a shipped window is refused. Only the
 * collector opens this store.
 */
export class ReceivedStore {
  constructor(private readonly state: StateDatabase, private readonly checkpoints: CheckpointStore) {}

  /** Whether a window of this model version and start has been closed (the collector refuses later parts of it). */
  isClosed(model: string, version: string, startMs: number): boolean {
    return this.state.statement('SELECT 1 FROM closed_windows WHERE model = ? AND version = ? AND start_ms = ?').get(model, version, startMs) !== undefined;
  }


  /**
   * Merged contributions in one transaction: the open windows' new counts and the keys of the
   * contributions they took in, so a contribution sent twice (a retry after a lost response) is
   * counted once, across restarts too.
   */
  checkpointReceived(windows: readonly OpenWindowRecord[], keys: readonly string[], anchors: readonly AgentAnchor[], atMs: number): void {
    const insert = this.state.statement('INSERT OR IGNORE INTO received (key, at_ms) VALUES (?, ?)');
    this.state.db.transaction(() => {
      this.checkpoints.checkpoint(windows);
      for (const k of keys) insert.run(k, atMs);
      for (const a of anchors) this.recordAnchor(a.instance, a, atMs);
    })();
  }


  /**
   * Keeps the newest audit anchor each agent sent with its windows (the most entries seen): the
   * anchor outside the agent's host that its audit log must agree with (docs/security.md).
   */
  recordAnchor(instance: string, anchor: { entries: number; digest: number }, atMs: number): void {
    this.state.statement(`INSERT INTO agent_anchors (instance, entries, digest, at_ms) VALUES (?, ?, ?, ?)
      ON CONFLICT (instance) DO UPDATE SET entries = excluded.entries, digest = excluded.digest, at_ms = excluded.at_ms WHERE excluded.entries > agent_anchors.entries`)
      .run(instance, anchor.entries, anchor.digest, atMs);
  }

  /** Whether a contribution with this key was merged before. */
  wasReceived(key: string): boolean {
    return this.state.statement('SELECT 1 FROM received WHERE key = ?').get(key) !== undefined;
  }


  /** Forgets received keys and closed windows older than `beforeMs` (past any retry or late arrival). */
  forgetBefore(beforeMs: number): void {
    this.state.statement('DELETE FROM received WHERE at_ms < ?').run(beforeMs);
    this.state.statement('DELETE FROM closed_windows WHERE closed_at_ms < ?').run(beforeMs);
  }

}
