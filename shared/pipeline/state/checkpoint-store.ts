import type { StateDatabase } from './state-database.js';

/** An open window's counts as checkpointed: one Float64Array per feature. */
export interface OpenWindowRecord {
  model: string;
  version: string;
  startMs: number;
  /** Fingerprint of the baseline's bin layout, so a changed baseline never restores old counts. */
  layout: string;
  rows: number;
  rejected: Record<string, number>;
  counts: Float64Array[];
  /** Per feature, the sum of the values counted (ProfileCounter.sums); only for profiles with projections. */
  sums?: Float64Array;
  /** Per segment (`models[].segments`): its rows, counts and sums. */
  segments?: { rows: number; counts: Float64Array[]; sums?: Float64Array }[];
}

/** Segment counts as JSON text (a few segments of a few bins each), or null. */
function segmentsText(segments: OpenWindowRecord['segments']): string | null {
  return segments === undefined ? null : JSON.stringify(segments.map((s) => ({ rows: s.rows, counts: s.counts.map((c) => Array.from(c)), sums: s.sums === undefined ? null : Array.from(s.sums) })));
}

function readSegments(text: string | null, bins: readonly number[]): { segments?: OpenWindowRecord['segments'] } {
  if (text === null) return {};
  const parsed = JSON.parse(text) as { rows: number; counts: number[][]; sums: number[] | null }[];
  if (!parsed.every((s) => s.counts.length === bins.length && s.counts.every((c, i) => c.length === bins[i]))) return {};
  return { segments: parsed.map((s) => ({ rows: s.rows, counts: s.counts.map((c) => Float64Array.from(c)), ...(s.sums === null ? {} : { sums: Float64Array.from(s.sums) }) })) };
}

function concat(arrays: readonly Float64Array[]): Buffer {
  const total = arrays.reduce((n, a) => n + a.length, 0);
  const all = new Float64Array(total);
  let offset = 0;
  for (const a of arrays) {
    all.set(a, offset);
    offset += a.length;
  }
  return Buffer.from(all.buffer, all.byteOffset, all.byteLength);
}

/** The sums of a checkpoint, when it has them for every feature. */
function readSums(blob: Buffer | null, features: number): { sums?: Float64Array } {
  const sums = blob === null ? undefined : split(blob, [features]);
  return sums === undefined ? {} : { sums: sums[0]! };
}

function split(blob: Buffer, lengths: readonly number[]): Float64Array[] | undefined {
  const all = new Float64Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
  if (all.length !== lengths.reduce((a, b) => a + b, 0)) return undefined;
  const out: Float64Array[] = [];
  let offset = 0;
  for (const n of lengths) {
    out.push(all.slice(offset, offset + n));
    offset += n;
  }
  return out;
}

/** The open windows' checkpoints (`open_windows`): what a restart resumes counting from. */
export class CheckpointStore {
  constructor(private readonly state: StateDatabase) {}

  /** Saves the counts of these open windows (replacing earlier checkpoints of the same windows). */
  checkpoint(windows: readonly OpenWindowRecord[]): void {
    const upsert = this.state.statement(`INSERT INTO open_windows (model, version, start_ms, layout, rows, rejected, counts, sums, segments)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (model, version, start_ms) DO UPDATE SET layout = excluded.layout, rows = excluded.rows,
        rejected = excluded.rejected, counts = excluded.counts, sums = excluded.sums, segments = excluded.segments`);
    this.state.db.transaction(() => {
      for (const w of windows) {
        upsert.run(w.model, w.version, w.startMs, w.layout, w.rows, JSON.stringify(w.rejected), concat(w.counts),
          w.sums === undefined ? null : concat([w.sums]), segmentsText(w.segments));
      }
    })();
  }


  /**
   * Checkpointed open windows. `binCounts(model)` gives the expected layout fingerprint and bins
   * per feature; rows whose layout differs (the baseline changed) are dropped and returned apart.
   */
  loadOpenWindows(expected: (model: string) => { layout: string; bins: number[] } | undefined): {
    windows: OpenWindowRecord[];
    discarded: { model: string; version: string; startMs: number; rows: number }[];
  } {
    const rows = this.state.db.prepare<[], { model: string; version: string; start_ms: number; layout: string; rows: number; rejected: string; counts: Buffer; sums: Buffer | null; segments: string | null }>(
      'SELECT * FROM open_windows ORDER BY start_ms').all();
    const windows: OpenWindowRecord[] = [];
    const discarded: { model: string; version: string; startMs: number; rows: number }[] = [];
    for (const r of rows) {
      const shape = expected(r.model);
      const counts = shape !== undefined && shape.layout === r.layout ? split(r.counts, shape.bins) : undefined;
      if (counts === undefined) {
        discarded.push({ model: r.model, version: r.version, startMs: r.start_ms, rows: r.rows });
        this.state.db.prepare('DELETE FROM open_windows WHERE model = ? AND version = ? AND start_ms = ?').run(r.model, r.version, r.start_ms);
        continue;
      }
      windows.push({ model: r.model, version: r.version, startMs: r.start_ms, layout: r.layout, rows: r.rows,
        rejected: JSON.parse(r.rejected) as Record<string, number>, counts, ...readSums(r.sums, counts.length), ...readSegments(r.segments, shape!.bins) });
    }
    return { windows, discarded };
  }


  /** The checkpoint of one open window, if any (strict durability reverts to it when a commit fails). */
  loadOpenWindow(model: string, version: string, startMs: number, bins: readonly number[]): OpenWindowRecord | undefined {
    const r = this.state.db.prepare<[string, string, number], { layout: string; rows: number; rejected: string; counts: Buffer; sums: Buffer | null }>(
      'SELECT layout, rows, rejected, counts, sums FROM open_windows WHERE model = ? AND version = ? AND start_ms = ?').get(model, version, startMs);
    if (r === undefined) return undefined;
    const counts = split(r.counts, bins);
    if (counts === undefined) return undefined;
    return { model, version, startMs, layout: r.layout, rows: r.rows, rejected: JSON.parse(r.rejected) as Record<string, number>, counts, ...readSums(r.sums, counts.length) };
  }

}
