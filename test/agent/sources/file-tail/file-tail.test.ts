import { appendFileSync, mkdtempSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { FileTail } from '../../../../agent/sources/file-tail/file-tail.js';
import { openStores } from '../../../helpers/state-stores.js';

/** The tail on real files and a real state file: what it reads through appends, rotation, truncation, restarts and saturation. */
const silent = pino({ level: 'silent' });

function setup(options: { maxLineBytes?: number; busy?: () => boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'dw-tail-'));
  const log = join(dir, 'requests.jsonl');
  const stores = openStores(join(dir, 'agent.db'));
  const read: string[] = [];
  const make = (): FileTail => new FileTail({ source: 'test', pattern: log, startAt: 'beginning', maxLineBytes: options.maxLineBytes ?? 1024, chunkBytes: 64 },
    stores.offsets, (lines) => read.push(...lines.map((l) => l.line)), options.busy ?? (() => false), silent);
  return { dir, log, stores, read, make };
}

/** Turns until the tail has nothing more at once. */
const drain = (tail: FileTail): void => {
  while (tail.turn());
};

describe('FileTail', () => {
  it('reads appended lines, and a line only once its newline is written', () => {
    const { log, read, make } = setup();
    writeFileSync(log, 'one\ntwo\nthr');
    const tail = make();
    drain(tail);
    expect(read).toEqual(['one', 'two']);
    appendFileSync(log, 'ee\n\nfour\n');
    drain(tail);
    expect(read).toEqual(['one', 'two', 'three', 'four']);
  });

  it('starts at the end of a file already there when told to, and at the start of files that come later', () => {
    const { dir, stores, read } = setup();
    const tail = new FileTail({ source: 'glob', pattern: join(dir, 'app-*.jsonl'), startAt: 'end', maxLineBytes: 1024, chunkBytes: 64 },
      stores.offsets, (lines) => read.push(...lines.map((l) => l.line)), () => false, silent);
    writeFileSync(join(dir, 'app-1.jsonl'), 'old\n');
    drain(tail);
    appendFileSync(join(dir, 'app-1.jsonl'), 'new\n');
    writeFileSync(join(dir, 'app-2.jsonl'), 'later\n');
    writeFileSync(join(dir, 'other.log'), 'not followed\n');
    drain(tail);
    expect(read.sort()).toEqual(['later', 'new']);
  });

  it('follows a rename rotation: what the old file got before the rename is read through the open descriptor, the new file from its start', () => {
    const { log, read, make } = setup();
    writeFileSync(log, 'a\n');
    const tail = make();
    drain(tail);
    appendFileSync(log, 'b\n');
    renameSync(log, `${log}.1`);
    writeFileSync(log, 'c\n');
    drain(tail);
    expect(read).toEqual(['a', 'b', 'c']);
    expect(tail.totals.rotations).toBe(1);
  });

  it('reads a truncated file again from its start, even when it was refilled past the old offset before the next look', () => {
    const { log, read, make } = setup();
    writeFileSync(log, 'first-line\n');
    const tail = make();
    drain(tail);
    truncateSync(log, 0);
    appendFileSync(log, 'second-line-longer\n');
    drain(tail);
    expect(read).toEqual(['first-line', 'second-line-longer']);
    expect(tail.totals.truncations).toBe(1);
  });

  it('resumes from the saved offset after a restart: no line lost, none read twice', () => {
    const { log, read, make } = setup();
    writeFileSync(log, '1\n2\n');
    const first = make();
    drain(first);
    first.save();
    appendFileSync(log, '3\n');
    drain(first); // read but not saved: a crash now loses this progress, and the counts with it
    first.close();
    const second = make();
    appendFileSync(log, '4\n');
    drain(second);
    expect(read).toEqual(['1', '2', '3', '3', '4']);
  });

  it('reads a file from its start when, while the agent was down, it was truncated and refilled past the saved offset', () => {
    const { log, read, make } = setup();
    writeFileSync(log, 'aaaa\nbbbb\n');
    const first = make();
    drain(first);
    first.save();
    first.close();
    truncateSync(log, 0);
    appendFileSync(log, 'cccc\ndddd\neeee\n');
    const second = make();
    drain(second);
    expect(read).toEqual(['aaaa', 'bbbb', 'cccc', 'dddd', 'eeee']);
    expect(second.totals.truncations).toBe(1);
  });

  it('skips a line longer than maxLineBytes and goes on with the next', () => {
    const { log, read, make } = setup({ maxLineBytes: 256 });
    writeFileSync(log, `short\n${'x'.repeat(1000)}\nafter\n`);
    const tail = make();
    drain(tail);
    expect(read).toEqual(['short', 'after']);
    expect(tail.totals.tooLong).toBe(1);
  });

  it('reads nothing while the agent is saturated, and everything once it is not', () => {
    let busy = true;
    const { log, read, make } = setup({ busy: () => busy });
    writeFileSync(log, 'a\nb\n');
    const tail = make();
    drain(tail);
    expect(read).toEqual([]);
    expect(tail.totals.pausedTurns).toBeGreaterThan(0);
    busy = false;
    drain(tail);
    expect(read).toEqual(['a', 'b']);
  });
});
