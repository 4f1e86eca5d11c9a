import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { FileOffset, SourceOffsetsStore } from '../../../shared/pipeline/state/source-offsets-store.js';
import type { CheckpointParticipant } from '../../../shared/pipeline/state/checkpoint-participant.js';

/** How one tail follows its files (config `sources.files[]`). */
export interface TailOptions {
  /** The key its offsets are saved under (the configured path). */
  source: string;
  /** The file, or a glob in its name. */
  pattern: string;
  startAt: 'end' | 'beginning';
  maxLineBytes: number;
  /** Most bytes read from one file in one turn before the others get theirs. */
  chunkBytes: number;
}

/** A followed file: where its complete lines end, and the start of a line not yet complete. */
interface Followed {
  path: string;
  fd: number;
  /** Bytes consumed: the end of the last complete line (what is saved). */
  offset: number;
  /** Bytes read after `offset` without a newline yet. */
  pending: Buffer;
  /** Inside a line longer than maxLineBytes: its bytes are passed over until its newline. */
  skipping: boolean;
  /** The last bytes before `offset` as they were read: if the file no longer has them there, it was truncated and written again. */
  seen: Buffer;
}

/** Bytes compared to tell a file truncated and refilled past the old offset (copytruncate) from one that grew. */
const SEEN_BYTES = 64;

function readAt(fd: number, position: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  const got = readSync(fd, out, 0, length, position);
  return out.subarray(0, got);
}

/** What the tail has done: `/v1/status` `sources.files[]`. */
export interface TailTotals {
  files: number;
  lines: number;
  rotations: number;
  truncations: number;
  /** Turns skipped because the agent was saturated: the lines wait in the file (nothing is dropped). */
  pausedTurns: number;
  tooLong: number;
}

const wildcard = (name: string): RegExp => new RegExp(`^${name.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);

/**
 * Follows a log file, or the files a glob names, through rotation by rename (a renamed file is
 * read to its end through the descriptor already open, then let go; the new file at the path is
 * read from its start) and by truncation (read again from the start). Files are known by device
 * and inode; how far each was read is a {@link CheckpointParticipant}, saved in the same
 * transaction as the counts, so a restart (even after kill -9) neither loses nor counts twice a
 * line. When the agent is saturated the tail does not read (the file holds the lines) instead of
 * dropping them.
 */
export class FileTail implements CheckpointParticipant {
  readonly totals: TailTotals = { files: 0, lines: 0, rotations: 0, truncations: 0, pausedTurns: 0, tooLong: 0 };
  private readonly followed = new Map<string, Followed>();
  /** Offsets as last committed (what a restart resumes from, and what a strict-mode failure goes back to). */
  private committed: Map<string, FileOffset>;
  private changed = false;
  private firstTurn = true;
  private missingLogged = false;

  constructor(private readonly options: TailOptions, private readonly store: SourceOffsetsStore,
    private readonly onLines: (lines: readonly { line: string; path: string; offset: number }[]) => void,
    private readonly busy: () => boolean, private readonly log: Logger) {
    this.committed = new Map(store.load(options.source).map((o) => [o.key, o]));
  }

  /**
   * Reads what the files gained since the last turn (up to `chunkBytes` a file). Returns true when
   * a file has more to read at once (the caller comes back without waiting).
   */
  turn(): boolean {
    if (this.busy()) {
      this.totals.pausedTurns++;
      return false;
    }
    const found = this.list();
    // First the files renamed out of the pattern (or deleted): what they got before is older than
    // anything in the new file, and is still behind the open descriptor.
    for (const [key, f] of this.followed) {
      if (found.has(key)) continue;
      while (this.read(f));
      closeSync(f.fd);
      this.followed.delete(key);
      this.totals.rotations++;
      this.changed = true;
    }
    let more = false;
    for (const [key, { path, size }] of found) {
      let f = this.followed.get(key);
      if (f === undefined) {
        f = this.open(key, path, size);
        if (f === undefined) continue;
      } else if (f.path !== path) {
        f.path = path;
        this.totals.rotations++;
      }
      if (size < f.offset + f.pending.length || !this.sameBytes(f)) {
        this.totals.truncations++;
        this.log.info({ path, offset: f.offset }, 'A followed file was truncated; reading it again from its start.');
        Object.assign(f, { offset: 0, pending: Buffer.alloc(0), skipping: false, seen: Buffer.alloc(0) });
        this.changed = true;
      }
      more = this.read(f) || more;
    }
    this.totals.files = this.followed.size;
    this.firstTurn = false;
    return more;
  }

  /** Stops following: closes the descriptors. */
  close(): void {
    for (const f of this.followed.values()) closeSync(f.fd);
    this.followed.clear();
  }

  dirty(): boolean {
    return this.changed;
  }

  save(): void {
    const offsets = [...this.followed].map(([key, f]) => ({ key, path: f.path, offset: f.offset, seen: f.seen }));
    this.store.save(this.options.source, offsets);
    this.committed = new Map(offsets.map((o) => [o.key, o]));
    this.changed = false;
  }

  failed(strict: boolean): void {
    if (!strict) return; // the counts stay in memory and are saved next time, with the offsets
    // Strict: the counts went back to the last commit, so the lines since are read again.
    for (const [key, f] of this.followed) {
      const offset = this.committed.get(key)?.offset ?? 0;
      Object.assign(f, { offset, pending: Buffer.alloc(0), skipping: false, seen: this.seenBefore(f.fd, offset) });
    }
  }

  /** The bytes just before `offset`. */
  private seenBefore(fd: number, offset: number): Buffer {
    return readAt(fd, Math.max(0, offset - SEEN_BYTES), Math.min(SEEN_BYTES, offset));
  }

  /** Whether the file still holds, just before the offset, the bytes read there. */
  private sameBytes(f: Followed): boolean {
    return f.seen.length === 0 || this.seenBefore(f.fd, f.offset).equals(f.seen);
  }

  /** The regular files the pattern names now, by `device:inode`. */
  private list(): Map<string, { path: string; size: number }> {
    const dir = dirname(this.options.pattern);
    const name = wildcard(basename(this.options.pattern));
    const out = new Map<string, { path: string; size: number }>();
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err) {
      if (!this.missingLogged) this.log.warn({ dir, err: (err as Error).message }, 'The directory of a followed file cannot be read; the tail waits for it.');
      this.missingLogged = true;
      return out;
    }
    for (const n of names.filter((x) => name.test(x)).sort()) {
      try {
        const s = statSync(join(dir, n));
        if (s.isFile()) out.set(`${s.dev}:${s.ino}`, { path: join(dir, n), size: s.size });
      } catch {
        // gone between readdir and stat: the next turn sees it as it is then
      }
    }
    return out;
  }

  private open(key: string, path: string, size: number): Followed | undefined {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      this.log.warn({ path, err: (err as Error).message }, 'A followed file cannot be opened; it is tried again next turn.');
      return undefined;
    }
    const saved = this.committed.get(key);
    // A saved offset the file no longer matches (past its end, or other bytes before it): the file
    // was truncated and refilled while the agent was down, or its inode reused by a new file.
    const resumable = saved !== undefined && saved.offset <= fstatSync(fd).size && this.seenBefore(fd, saved.offset).equals(saved.seen);
    const offset = resumable ? saved.offset : saved !== undefined ? 0 : this.firstTurn && this.options.startAt === 'end' ? size : 0;
    if (saved !== undefined && !resumable) {
      this.totals.truncations++;
      this.log.info({ path, offset: saved.offset }, 'A followed file changed under its saved offset while the agent was down (truncated or replaced); reading it from its start.');
    }
    const f: Followed = { path, fd, offset, pending: Buffer.alloc(0), skipping: false, seen: this.seenBefore(fd, offset) };
    this.followed.set(key, f);
    this.changed = true;
    return f;
  }

  /** Reads up to chunkBytes of a file and hands on its complete lines; true if it has more. */
  private read(f: Followed): boolean {
    const buffer = Buffer.allocUnsafe(this.options.chunkBytes);
    const got = readSync(f.fd, buffer, 0, buffer.length, f.offset + f.pending.length);
    if (got === 0) return false;
    const data = f.pending.length > 0 ? Buffer.concat([f.pending, buffer.subarray(0, got)]) : buffer.subarray(0, got);
    const lines: { line: string; path: string; offset: number }[] = [];
    let start = 0;
    for (let nl = data.indexOf(10); nl >= 0; nl = data.indexOf(10, start)) {
      if (f.skipping) f.skipping = false;
      else if (nl > start) lines.push({ line: data.toString('utf8', start, nl), path: f.path, offset: f.offset + start });
      start = nl + 1;
    }
    f.offset += start;
    f.pending = Buffer.from(data.subarray(start));
    if (f.pending.length > this.options.maxLineBytes || (f.skipping && f.pending.length > 0)) {
      if (!f.skipping) {
        this.totals.tooLong++;
        this.log.warn({ path: f.path, offset: f.offset, maxLineBytes: this.options.maxLineBytes }, 'A line is longer than maxLineBytes; it is skipped (counted as too_long).');
      }
      f.skipping = true;
      f.offset += f.pending.length;
      f.pending = Buffer.alloc(0);
    }
    f.seen = this.seenBefore(f.fd, f.offset);
    this.totals.lines += lines.length;
    this.changed = true;
    if (lines.length > 0) this.onLines(lines);
    return got === buffer.length;
  }
}
