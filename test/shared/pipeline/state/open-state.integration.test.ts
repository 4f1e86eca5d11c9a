import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { WindowReport } from '../../../../shared/core/drift/window-report.js';
import { openStores, openOrMoveAside } from '../../../helpers/state-stores.js';
import { CorruptStateError } from '../../../../shared/pipeline/state/state-database.js';

const path = (): string => join(mkdtempSync(join(tmpdir(), 'dw-store-')), 'state', 'agent.db');
const report = (startMs: number): WindowReport => ({
  model: 'm', version: '', startMs, endMs: startMs + 60_000, events: 5, rejected: {},
  score: { n: 5, drift: false, featuresTested: 0, alphaPerFeature: 0.01, features: [] }, counts: [[1, 2]], retraining: { recommended: false, flagged: 0, of: 5 },
});
const shape = { layout: 'L1', bins: [3, 2] };

describe('the state stores (openState)', () => {
  it('restores checkpointed open windows from the file after reopening', () => {
    const file = path();
    const a = openStores(file);
    a.checkpoints.checkpoint([{ model: 'm', version: 'v1', startMs: 0, layout: 'L1', rows: 7, rejected: { late_event: 1 }, counts: [Float64Array.of(1, 2, 4), Float64Array.of(3, 4)] }]);
    a.checkpoints.checkpoint([{ model: 'm', version: 'v1', startMs: 0, layout: 'L1', rows: 8, rejected: {}, counts: [Float64Array.of(1, 3, 4), Float64Array.of(3, 5)] }]);
    a.database.close();
    const b = openStores(file);
    const { windows, discarded } = b.checkpoints.loadOpenWindows(() => shape);
    expect(discarded).toEqual([]);
    expect(windows).toHaveLength(1);
    expect(windows[0]!.rows).toBe(8);
    expect(windows[0]!.counts.map((c) => Array.from(c))).toEqual([[1, 3, 4], [3, 5]]);
    b.database.close();
  });

  it('keeps the sums of a window with projections, and adds the column to a file made before it', () => {
    const file = path();
    const a = openStores(file);
    // A file of the previous layout: open_windows without the sums column.
    a.database.db.exec('ALTER TABLE open_windows DROP COLUMN sums');
    a.database.close();
    const b = openStores(file);
    b.checkpoints.checkpoint([{ model: 'm', version: '', startMs: 0, layout: 'L1', rows: 2, rejected: {}, counts: [Float64Array.of(1, 0, 1), Float64Array.of(2, 0)], sums: Float64Array.of(0, 3.25) }]);
    b.checkpoints.checkpoint([{ model: 'm', version: '', startMs: 60_000, layout: 'L1', rows: 1, rejected: {}, counts: [Float64Array.of(1, 0, 0), Float64Array.of(1, 0)] }]);
    b.database.close();
    const c = openStores(file);
    const { windows } = c.checkpoints.loadOpenWindows(() => shape);
    expect(windows.map((w) => (w.sums === undefined ? undefined : Array.from(w.sums)))).toEqual([[0, 3.25], undefined]);
    expect(Array.from(c.checkpoints.loadOpenWindow('m', '', 0, shape.bins)!.sums!)).toEqual([0, 3.25]);
    c.database.close();
  });

  it('discards checkpoints whose baseline layout changed', () => {
    const s = openStores(path());
    s.checkpoints.checkpoint([{ model: 'm', version: '', startMs: 0, layout: 'OLD', rows: 3, rejected: {}, counts: [Float64Array.of(1, 1, 1), Float64Array.of(1, 2)] }]);
    const { windows, discarded } = s.checkpoints.loadOpenWindows(() => shape);
    expect(windows).toEqual([]);
    expect(discarded).toEqual([{ model: 'm', version: '', startMs: 0, rows: 3 }]);
    expect(s.checkpoints.loadOpenWindows(() => shape).discarded).toEqual([]);
    s.database.close();
  });

  it('closes a window atomically: outbox row in, checkpoint out, history saved', () => {
    const s = openStores(path());
    s.checkpoints.checkpoint([{ model: 'm', version: '', startMs: 0, layout: 'L1', rows: 5, rejected: {}, counts: [Float64Array.of(1, 2, 2), Float64Array.of(1, 4)] }]);
    const id = s.outbox.closeWindow(report(0), [true, false], 123);
    expect(s.checkpoints.loadOpenWindows(() => shape).windows).toEqual([]);
    expect(s.outbox.pending('cloudwatch', 10)).toEqual([{ id, closedAtMs: 123, report: report(0) }]);
    expect(s.outbox.loadHistory().get('m\u0000')).toEqual([true, false]);
    s.database.close();
  });

  it('keeps one cursor per sink and prunes what every sink has sent', () => {
    const s = openStores(path());
    const ids = [0, 1, 2].map((i) => s.outbox.closeWindow(report(i * 60_000), [], 1000 + i));
    s.outbox.markSent('cloudwatch', ids[1]!);
    expect(s.outbox.pending('cloudwatch', 10).map((e) => e.id)).toEqual([ids[2]]);
    expect(s.outbox.backlog('cloudwatch')).toEqual({ count: 1, oldestClosedAtMs: 1002 });
    expect(s.outbox.backlog('file')).toEqual({ count: 3, oldestClosedAtMs: 1000 });
    expect(s.outbox.prune(['cloudwatch', 'file'])).toBe(0);
    s.outbox.markSent('file', ids[0]!);
    expect(s.outbox.prune(['cloudwatch', 'file'])).toBe(1);
    expect(s.outbox.pending('file', 10).map((e) => e.id)).toEqual([ids[1], ids[2]]);
    s.database.close();
  });

  it('dead-letters an entry and moves the sink past it', () => {
    const s = openStores(path());
    const id = s.outbox.closeWindow(report(0), [], 1);
    s.outbox.deadLetter('cloudwatch', s.outbox.pending('cloudwatch', 1)[0]!, 'InvalidParameterValue', 5);
    expect(s.outbox.pending('cloudwatch', 10)).toEqual([]);
    expect(s.outbox.deadLetters('cloudwatch')).toEqual([{ outboxId: id, atMs: 5, error: 'InvalidParameterValue' }]);
    s.database.close();
  });

  it('drops unsent windows past the age bound, then the oldest past the size bound, and records each with the sinks that missed it', () => {
    const s = openStores(path());
    const ids = [0, 1, 2, 3, 4, 5].map((i) => s.outbox.closeWindow(report(i * 60_000), [], 1000 + i));
    const bytes = Buffer.byteLength(JSON.stringify(report(300_000))); // the largest of the six
    s.outbox.markSent('cloudwatch', ids[1]!);
    // Windows ending before 2 min are too old; of the rest (ids 2..5), only two fit.
    const dropped = s.outbox.enforceOutboxBounds(['cloudwatch', 'file'], 2 * 60_000 + 1, 2 * bytes + 10, 9999);
    expect(dropped.map((d) => [d.startMs, d.reason, d.sinks])).toEqual([
      [0, 'too_old', ['file']],
      [60_000, 'too_old', ['file']],
      [120_000, 'outbox_full', ['cloudwatch', 'file']],
      [180_000, 'outbox_full', ['cloudwatch', 'file']],
    ]);
    expect(s.outbox.pending('file', 10).map((e) => e.report.startMs)).toEqual([240_000, 300_000]);
    expect(s.outbox.pending('cloudwatch', 10).map((e) => e.report.startMs)).toEqual([240_000, 300_000]);
    const { totals, recent } = s.outbox.droppedWindows();
    expect(totals).toEqual({ too_old: { windows: 2, events: 10 }, outbox_full: { windows: 2, events: 10 } });
    expect(recent[0]).toMatchObject({ startMs: 180_000, reason: 'outbox_full', endMs: 240_000, events: 5 });
    // Within bounds: nothing more goes.
    expect(s.outbox.enforceOutboxBounds(['cloudwatch', 'file'], 0, 2 * bytes + 10, 10_000)).toEqual([]);
    s.database.close();
  });

  it('moves a damaged state file aside and starts a fresh one instead of failing', () => {
    const file = path();
    const a = openStores(file);
    a.outbox.closeWindow(report(0), [], 1);
    a.database.close();
    // Overwrite the middle of the file (past the header) with garbage, as a bad disk or a torn copy would.
    const bytes = readFileSync(file);
    for (let i = 100; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
    writeFileSync(file, bytes);
    expect(() => openStores(file)).toThrow(CorruptStateError);
    let moved: string | undefined;
    const b = openOrMoveAside(file, {}, (to) => { moved = to; }, Date.UTC(2026, 10, 24, 3, 0, 0));
    expect(moved).toBe(`${file}.corrupt-2026-11-24T03-00-00-000Z`);
    expect(existsSync(moved!)).toBe(true);
    expect(b.outbox.pending('file', 10)).toEqual([]);
    b.database.close();
    // A file that is not SQLite at all is treated the same.
    writeFileSync(file, 'not a database, just text '.repeat(200));
    rmSync(`${file}-wal`, { force: true });
    const c = openOrMoveAside(file, {}, (to) => { moved = to; }, Date.UTC(2026, 10, 24, 3, 0, 1));
    expect(moved).toMatch(/corrupt-2026-11-24T03-00-01-000Z$/);
    c.database.close();
  });

  it('reads back the last committed counts of one open window', () => {
    const s = openStores(path());
    s.checkpoints.checkpoint([{ model: 'm', version: 'v', startMs: 60_000, layout: 'L1', rows: 2, rejected: { bad_value: 1 }, counts: [Float64Array.of(1, 0, 1), Float64Array.of(2, 0)] }]);
    expect(s.checkpoints.loadOpenWindow('m', 'v', 60_000, shape.bins)).toMatchObject({ rows: 2, rejected: { bad_value: 1 } });
    expect(s.checkpoints.loadOpenWindow('m', 'v', 0, shape.bins)).toBeUndefined();
    s.database.close();
  });
});
