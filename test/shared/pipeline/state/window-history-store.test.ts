import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { WindowReport } from '../../../../shared/core/drift/window-report.js';
import { openStores } from '../../../helpers/state-stores.js';

/* The closed-window history in a real SQLite file: what is kept, how it is read, and how it is bounded. */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const identity = { layout: 'abcd', baseline: 'f'.repeat(64) };

function report(model: string, startMs: number, padding = 0): WindowReport {
  return { model, version: '', startMs, endMs: startMs + HOUR, events: 100 + padding, rejected: {},
    score: { drift: false, features: [{ name: 'x'.repeat(padding), psi: 0.01, threshold: 0.1, status: 'ok' }] } as never,
    counts: [[1, 2, 3]], retraining: { recommended: false, flagged: 0, of: 5 } };
}

function store() {
  return openStores(join(mkdtempSync(join(tmpdir(), 'dw-history-')), 'state.db')).history;
}

describe('WindowHistoryStore', () => {
  it('keeps each closed window once (a close replayed after a restart replaces it), read back oldest first by model and time', () => {
    const history = store();
    const limits = { retentionDays: 14, maxBytes: 64 * 1024 * 1024 };
    for (let h = 0; h < 6; h++) {
      history.record(report('loans', h * HOUR), h * HOUR + HOUR, identity, limits);
      history.record(report('fraud', h * HOUR), h * HOUR + HOUR, identity, limits);
    }
    history.record({ ...report('loans', 2 * HOUR), events: 7 }, 9 * HOUR, identity, limits);
    expect(history.size().windows).toBe(12);
    const loans = history.windows({ model: 'loans' });
    expect(loans.map((w) => w.startMs / HOUR)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(loans[2]!.report.events).toBe(7);
    expect(loans[0]).toMatchObject({ model: 'loans', version: '', endMs: HOUR, closedAtMs: HOUR, ...identity });
    // Windows that ended after `since` and up to `until`; the newest `limit` of them.
    expect(history.windows({ model: 'fraud', sinceMs: 3 * HOUR, untilMs: 5 * HOUR }).map((w) => w.endMs / HOUR)).toEqual([4, 5]);
    expect(history.windows({ limit: 3 }).map((w) => [w.model, w.endMs / HOUR])).toEqual([['loans', 5], ['fraud', 6], ['loans', 6]]);
    expect(history.windows({ model: 'nobody' })).toEqual([]);
  });

  it('forgets windows past retentionDays and, past maxBytes, the oldest first', () => {
    const history = store();
    for (let d = 0; d < 20; d++) history.record(report('loans', d * DAY), d * DAY + HOUR, identity, { retentionDays: 14, maxBytes: 64 * 1024 * 1024 });
    // The last close was at day 19: windows that ended before day 5 are gone.
    expect(history.windows().map((w) => Math.floor(w.endMs / DAY))).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);

    const small = store();
    const limits = { retentionDays: 14, maxBytes: 1024 * 1024 };
    // Reports of about 200 kB each: five fit in 1 MiB.
    for (let h = 0; h < 8; h++) small.record(report('loans', h * HOUR, 200_000), h * HOUR + HOUR, identity, limits);
    const kept = small.windows();
    expect(small.size().bytes).toBeLessThanOrEqual(1024 * 1024);
    expect(kept.map((w) => w.startMs / HOUR)).toEqual([3, 4, 5, 6, 7]);
  });
});
