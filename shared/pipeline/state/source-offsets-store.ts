import type { StateDatabase } from './state-database.js';

/** Where a source has read a file up to: the file's identity (device and inode), its path when last seen, and the byte offset. */
export interface FileOffset {
  /** `device:inode`: a file keeps it through a rename (log rotation), a new file at the same path does not. */
  key: string;
  path: string;
  offset: number;
  /** The last bytes before `offset` (up to 64): a file that no longer holds them there was truncated and refilled, and is read again from its start. */
  seen: Buffer;
}

/**
 * How far each file source has read (`source_offsets`). Saved in the same transaction as the open
 * windows' counts (WindowCloser's checkpoint), so after a crash the counts and the offsets agree:
 * no line is lost or counted twice.
 */
export class SourceOffsetsStore {
  constructor(private readonly state: StateDatabase) {}

  load(source: string): FileOffset[] {
    return this.state.db.prepare<[string], { file_key: string; path: string; offset: number; seen: Buffer }>(
      'SELECT file_key, path, offset, seen FROM source_offsets WHERE source = ? ORDER BY file_key').all(source)
      .map((r) => ({ key: r.file_key, path: r.path, offset: r.offset, seen: r.seen }));
  }

  /** Replaces the source's offsets with these (files no longer followed are forgotten). */
  save(source: string, offsets: readonly FileOffset[]): void {
    const insert = this.state.db.prepare('INSERT INTO source_offsets (source, file_key, path, offset, seen) VALUES (?, ?, ?, ?, ?)');
    this.state.db.transaction(() => {
      this.state.db.prepare('DELETE FROM source_offsets WHERE source = ?').run(source);
      for (const o of offsets) insert.run(source, o.key, o.path, o.offset, o.seen);
    })();
  }
}
