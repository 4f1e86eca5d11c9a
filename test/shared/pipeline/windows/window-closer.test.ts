import { pino } from 'pino';
import type { WindowReport } from '../../../../shared/core/drift/window-report.js';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DRIFT_RULE } from '../../../../shared/core/drift/drift-rule.js';
import { buildBaseline } from '../../../../shared/offline/baseline/build-baseline.js';
import { arrayRowSource } from '../../../../shared/offline/input/row-source.js';
import { hasCode } from '../../../../shared/platform/errors.js';
import { openStores } from '../../../helpers/state-stores.js';
import { ReceivedStore } from '../../../../shared/pipeline/state/received-store.js';
import { SelfMetrics } from '../../../../shared/pipeline/telemetry/self-metrics.js';
import { ModelWindows } from '../../../../shared/pipeline/windows/model-windows.js';
import { WindowCloser } from '../../../../shared/pipeline/windows/window-closer.js';

/*
 * The window closer over a real SQLite store held in memory (no file): checkpoints, closes in
 * window order into the outbox, and what happens when the store stops taking writes.
 */
const WINDOW_MS = 60_000;
const rows = Array.from({ length: 300 }, (_, i) => ({ x: (i * 37) % 101, c: `k${i % 3}` }));
const { profile } = await buildBaseline(arrayRowSource(rows), {});

function setUp(strict = false) {
  const store = openStores(':memory:');
  const windows = new ModelWindows('m', profile, WINDOW_MS, DEFAULT_DRIFT_RULE, { m: 3, n: 5 });
  const metrics = new SelfMetrics({ exportIntervalMs: 60_000, resource: {} }, { backlog: () => [] });
  let now = 0;
  let outboxWrites = 0;
  const closer = new WindowCloser(() => [windows], store, () => outboxWrites++, metrics, pino({ level: 'silent' }), () => now, { retentionDays: 14, maxBytes: 64 * 1024 * 1024 }, strict);
  const add = (atMs: number, n: number): void => {
    for (let i = 0; i < n; i++) windows.add({ x: i % 101, c: 'k1' }, '', atMs);
  };
  return { store, windows, metrics, closer, add, setNow: (ms: number) => { now = ms; }, outboxWrites: () => outboxWrites };
}

const atEnd = (w: ModelWindows, o: { startMs: number }): number => w.endOf(o.startMs);

describe('WindowCloser', () => {
  describe('closeDue', () => {
    it('closes only the windows whose time has come, oldest first, each into the outbox', async () => {
      const { store, windows, closer, add, setNow, outboxWrites } = setUp();
      add(2 * WINDOW_MS + 5, 4);
      add(5, 7);
      add(WINDOW_MS + 5, 3);
      setNow(2 * WINDOW_MS + 10);
      const reports = await closer.closeDue(2 * WINDOW_MS + 10, atEnd);
      expect(reports.map((r) => [r.startMs, r.endMs, r.events])).toEqual([[0, WINDOW_MS, 7], [WINDOW_MS, 2 * WINDOW_MS, 3]]);
      expect(windows.windows().map((w) => w.startMs)).toEqual([2 * WINDOW_MS]);
      expect(store.outbox.pending('file', 10).map((e) => [e.report.startMs, (e.report as WindowReport).events, e.closedAtMs])).toEqual([[0, 7, 2 * WINDOW_MS + 10], [WINDOW_MS, 3, 2 * WINDOW_MS + 10]]);
      expect(new ReceivedStore(store.database, store.checkpoints).isClosed('m', '', 0)).toBe(true);
      expect(outboxWrites()).toBe(2);
      // The same reports are kept in the history, with the baseline that judged them.
      const kept = store.history.windows({ model: 'm' });
      expect(kept.map((h) => h.report)).toEqual(reports);
      expect(kept.every((h) => h.layout === windows.layout && /^[0-9a-f]{64}$/.test(h.baseline))).toBe(true);
      expect(await closer.closeDue(2 * WINDOW_MS + 10, atEnd)).toEqual([]);
      store.database.close();
    });

    it('tells the onWindowClosed listener of each report', async () => {
      const { store, closer, add } = setUp();
      const seen: number[] = [];
      closer.onWindowClosed = (r) => seen.push(r.events);
      add(5, 2);
      add(WINDOW_MS + 5, 9);
      await closer.closeDue(3 * WINDOW_MS, atEnd);
      expect(seen).toEqual([2, 9]);
      store.database.close();
    });
  });

  describe('flush', () => {
    it('closes every open window now, a window not yet over ending at the clock', async () => {
      const { store, closer, add } = setUp();
      add(5, 3);
      add(WINDOW_MS + 100, 2);
      const reports = await closer.flush(WINDOW_MS + 1_000);
      expect(reports.map((r) => [r.startMs, r.endMs, r.events])).toEqual([[0, WINDOW_MS, 3], [WINDOW_MS, WINDOW_MS + 1_000, 2]]);
      store.database.close();
    });

    it('on a fresh model judges by quick upper bounds, and leaves the exact simulation to the background', async () => {
      const { store, windows, closer, add } = setUp();
      const xThreshold = (r: { score: { features: { name: string; threshold: number | null }[] } }): number => r.score.features.find((f) => f.name === 'x')!.threshold!;
      add(5, 60); // x's decile bins expect 6 rows each: a Monte-Carlo threshold
      const [first] = await closer.flush(WINDOW_MS);
      // Only the analytic threshold of c was computed for good; x's exact one was queued.
      const before = windows.thresholdStatus().cached;
      await windows.warmThresholds();
      expect(windows.thresholdStatus().cached).toBe(before + 1);
      add(WINDOW_MS + 5, 60);
      const [second] = await closer.flush(2 * WINDOW_MS);
      // The same counts, now judged by the exact threshold, which the quick bound was above.
      expect(second!.counts).toEqual(first!.counts);
      expect(xThreshold(first!)).toBeGreaterThan(xThreshold(second!));
      expect(xThreshold(first!)).toBeLessThan(1.5 * xThreshold(second!));
      store.database.close();
    });
  });

  describe('checkpoint', () => {
    it('saves the open windows so that a restart finds their counts', () => {
      const { store, windows, closer, add } = setUp();
      const shape = () => ({ layout: windows.layout, bins: windows.binCounts });
      add(5, 6);
      expect(closer.checkpoint()).toBe(true);
      expect(store.checkpoints.loadOpenWindows(shape).windows.map((w) => [w.startMs, w.rows])).toEqual([[0, 6]]);
      add(WINDOW_MS + 5, 1);
      add(7, 1);
      expect(closer.checkpoint()).toBe(true);
      expect(store.checkpoints.loadOpenWindows(shape).windows.map((w) => [w.startMs, w.rows]).sort((x, y) => x[0]! - y[0]!)).toEqual([[0, 7], [WINDOW_MS, 1]]);
      store.database.close();
    });
  });

  describe('when the store stops taking writes', () => {
    it('holds the closed window in memory, reports the store unwritable, and refuses commit waiters by code', async () => {
      const { store, metrics, closer, add } = setUp();
      add(5, 4);
      store.database.close();
      const committed = closer.committed();
      await expect(committed).rejects.toSatisfy((err: unknown) => hasCode(err, 'DW_ERR_STATE_UNAVAILABLE'));
      expect(closer.health.writable).toBe(false);
      const reports = await closer.closeDue(2 * WINDOW_MS, atEnd);
      expect(reports.map((r) => r.events)).toEqual([4]);
      expect(closer.unpersistedWindows).toBe(1);
      expect(Object.keys(metrics.totals.errors).sort()).toEqual(['checkpoint:store_write', 'close:store_write']);
    });

    it('in strict mode puts a window whose commit failed back to its last committed counts', () => {
      const { store, windows, closer, add } = setUp(true);
      add(5, 4);
      expect(closer.checkpoint()).toBe(true);
      add(5, 3);
      expect(windows.windows()[0]!.counter.n).toBe(7);
      // The next checkpoint write fails inside SQLite while reads still work.
      store.database.db.exec(
        "CREATE TRIGGER refuse_update BEFORE UPDATE ON open_windows BEGIN SELECT RAISE(ABORT, 'refused'); END;"
        + "CREATE TRIGGER refuse_insert BEFORE INSERT ON open_windows BEGIN SELECT RAISE(ABORT, 'refused'); END;");
      expect(closer.checkpoint()).toBe(false);
      expect(windows.windows()[0]!.counter.n).toBe(4);
      store.database.close();
    });
  });
});
