import type { LabelledCell } from '../../core/performance/realised-performance.js';
import type { RealisedSummary } from '../../core/performance/label-update.js';
import type { StateDatabase } from './state-database.js';

/** What the join keeps of one inference that carried an id: never the id itself (its keyed hash). */
export interface RememberedInference {
  /** HMAC-SHA-256 of the model and id under the install key, first 16 bytes. */
  key: Buffer;
  model: string;
  version: string;
  /** The inference's window. */
  startMs: number;
  endMs: number;
  /** Index into the baseline's prediction categories (or beyond them: other, missing). */
  predicted: number;
  /** The confidence bin, -1 without a confidence feature. */
  bin: number;
  /** When the inference was made. */
  atMs: number;
}

/** A window with labels not shipped yet. */
export interface PendingLabels {
  model: string;
  version: string;
  startMs: number;
  endMs: number;
  inferences: number;
  labelled: number;
  cells: LabelledCell[];
  shipped: RealisedSummary | undefined;
}

/** Bytes one remembered inference takes in the file, about (key, columns, index entry): the row cap is `labels.maxBytes` over this. */
export const REMEMBERED_ROW_BYTES = 96;

/**
 * The delayed-label join in the state file: the inferences that carried an id (`label_keys`, keyed
 * by the id's keyed hash), per window the labelled cells (`label_cells`) and what was shipped of
 * them (`label_windows`). Remembered inferences are saved with the checkpoint; labels in one
 * transaction per request, so a crash loses none that were acknowledged and counts none twice.
 */
export class LabelStore {
  constructor(private readonly state: StateDatabase) {}

  /** Saves remembered inferences (inside the checkpoint's transaction); an id seen before keeps its first inference. Returns how many were new. */
  remember(rows: readonly RememberedInference[]): number {
    const insert = this.state.statement('INSERT OR IGNORE INTO label_keys (key, model, version, start_ms, predicted, bin, at_ms, labelled) VALUES (?, ?, ?, ?, ?, ?, ?, 0)');
    const window = this.state.statement(`INSERT INTO label_windows (model, version, start_ms, end_ms, inferences, labelled, dirty) VALUES (?, ?, ?, ?, 1, 0, 0)
      ON CONFLICT (model, version, start_ms) DO UPDATE SET inferences = inferences + 1`);
    let added = 0;
    for (const r of rows) {
      if (insert.run(r.key, r.model, r.version, r.startMs, r.predicted, r.bin, r.atMs).changes === 0) continue;
      window.run(r.model, r.version, r.startMs, r.endMs);
      added++;
    }
    return added;
  }

  /** The remembered inference of a key, if any. */
  find(key: Buffer): { model: string; version: string; startMs: number; predicted: number; bin: number; atMs: number; labelled: boolean; endMs: number } | undefined {
    const row = this.state.statement<[Buffer], { model: string; version: string; start_ms: number; predicted: number; bin: number; at_ms: number; labelled: number; end_ms: number }>(
      `SELECT k.model, k.version, k.start_ms, k.predicted, k.bin, k.at_ms, k.labelled, w.end_ms FROM label_keys k
       JOIN label_windows w ON w.model = k.model AND w.version = k.version AND w.start_ms = k.start_ms WHERE k.key = ?`).get(key);
    return row === undefined ? undefined
      : { model: row.model, version: row.version, startMs: row.start_ms, predicted: row.predicted, bin: row.bin, atMs: row.at_ms, labelled: row.labelled === 1, endMs: row.end_ms };
  }

  /** Joins one label (inside the caller's transaction): the key is marked labelled, its cell counted, its window marked for shipping. */
  label(key: Buffer, inference: { model: string; version: string; startMs: number; predicted: number; bin: number }, truth: number): void {
    this.state.statement('UPDATE label_keys SET labelled = 1 WHERE key = ?').run(key);
    this.state.statement(`INSERT INTO label_cells (model, version, start_ms, predicted, truth, bin, count) VALUES (?, ?, ?, ?, ?, ?, 1)
      ON CONFLICT (model, version, start_ms, predicted, truth, bin) DO UPDATE SET count = count + 1`)
      .run(inference.model, inference.version, inference.startMs, inference.predicted, truth, inference.bin);
    this.state.statement('UPDATE label_windows SET labelled = labelled + 1, dirty = 1 WHERE model = ? AND version = ? AND start_ms = ?')
      .run(inference.model, inference.version, inference.startMs);
  }

  /** Runs `fn` in one transaction. */
  transaction<T>(fn: () => T): T {
    return this.state.db.transaction(fn)();
  }

  /**
   * Windows with labels not shipped yet, that have at least `minLabels`, ended at or after
   * `oldestEndMs` (CloudWatch still takes them) and before `endedBeforeMs` (closed: their own
   * report is in the history to take the realised performance).
   */
  pending(minLabels: number, oldestEndMs: number, endedBeforeMs: number): PendingLabels[] {
    const windows = this.state.statement<[number, number, number], { model: string; version: string; start_ms: number; end_ms: number; inferences: number; labelled: number; shipped: string | null }>(
      'SELECT model, version, start_ms, end_ms, inferences, labelled, shipped FROM label_windows WHERE dirty = 1 AND labelled >= ? AND end_ms >= ? AND end_ms < ? ORDER BY start_ms')
      .all(minLabels, oldestEndMs, endedBeforeMs);
    const cells = this.state.statement<[string, string, number], LabelledCell>(
      'SELECT predicted, truth, bin, count FROM label_cells WHERE model = ? AND version = ? AND start_ms = ?');
    return windows.map((w) => ({ model: w.model, version: w.version, startMs: w.start_ms, endMs: w.end_ms, inferences: w.inferences, labelled: w.labelled,
      cells: cells.all(w.model, w.version, w.start_ms), shipped: w.shipped === null ? undefined : JSON.parse(w.shipped) as RealisedSummary }));
  }

  /** Records what was shipped of a window (inside the transaction that put its update in the outbox). */
  shipped(w: Pick<PendingLabels, 'model' | 'version' | 'startMs'>, summary: RealisedSummary): void {
    this.state.statement('UPDATE label_windows SET shipped = ?, dirty = 0 WHERE model = ? AND version = ? AND start_ms = ?')
      .run(JSON.stringify(summary), w.model, w.version, w.startMs);
  }

  /** The realised performance of every window of a model that has labels, newest first (for the history and status). */
  realised(model: string, limit: number): { version: string; startMs: number; endMs: number; inferences: number; labelled: number }[] {
    return this.state.statement<[string, number], { version: string; start_ms: number; end_ms: number; inferences: number; labelled: number }>(
      'SELECT version, start_ms, end_ms, inferences, labelled FROM label_windows WHERE model = ? ORDER BY start_ms DESC LIMIT ?').all(model, limit)
      .map((r) => ({ version: r.version, startMs: r.start_ms, endMs: r.end_ms, inferences: r.inferences, labelled: r.labelled }));
  }

  /** Remembered inferences kept now. */
  count(): number {
    return this.state.statement<[], { n: number }>('SELECT count(*) AS n FROM label_keys').get()!.n;
  }

  /**
   * Forgets inferences made before `oldestAtMs`, then the oldest beyond `maxRows`, and windows
   * that ended before `oldestAtMs` with their cells (a window's inferences are all older then).
   * Returns the inferences forgotten.
   */
  prune(oldestAtMs: number, maxRows: number): number {
    return this.transaction(() => {
      let removed = this.state.statement('DELETE FROM label_keys WHERE at_ms < ?').run(oldestAtMs).changes;
      const excess = this.count() - maxRows;
      if (excess > 0) removed += this.state.statement('DELETE FROM label_keys WHERE key IN (SELECT key FROM label_keys ORDER BY at_ms LIMIT ?)').run(excess).changes;
      this.state.statement('DELETE FROM label_windows WHERE end_ms < ?').run(oldestAtMs);
      this.state.statement(`DELETE FROM label_cells WHERE NOT EXISTS (SELECT 1 FROM label_windows w
        WHERE w.model = label_cells.model AND w.version = label_cells.version AND w.start_ms = label_cells.start_ms)`).run();
      return removed;
    });
  }
}
