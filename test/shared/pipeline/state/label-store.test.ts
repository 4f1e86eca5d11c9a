import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RememberedInference } from '../../../../shared/pipeline/state/label-store.js';
import { openStores } from '../../../helpers/state-stores.js';

const DAY = 86_400_000;
const key = (i: number): Buffer => Buffer.from(i.toString(16).padStart(32, '0'), 'hex');
const inference = (i: number, atMs: number): RememberedInference => ({ key: key(i), model: 'm', version: '', startMs: atMs - (atMs % 60_000), endMs: atMs - (atMs % 60_000) + 60_000, predicted: i % 2, bin: 1, atMs });

describe('LabelStore (a real SQLite file)', () => {
  it('keeps the first inference of an id, counts a window\'s inferences, and forgets by age and by rows, oldest first', () => {
    const store = openStores(join(mkdtempSync(join(tmpdir(), 'dw-labels-')), 'state.db'));
    try {
      const now = 100 * DAY;
      store.labels.transaction(() => store.labels.remember([inference(1, now - 40 * DAY), inference(2, now - 10 * DAY), inference(3, now - 2 * DAY), inference(4, now - DAY), inference(4, now)]));
      expect(store.labels.count()).toBe(4);
      expect(store.labels.find(key(4))!.atMs).toBe(now - DAY);
      store.labels.transaction(() => store.labels.label(key(2), store.labels.find(key(2))!, 0));
      expect(store.labels.find(key(2))!.labelled).toBe(true);
      // 30 days: inference 1 goes (and its window); a cap of 2 rows takes the oldest of the rest, inference 2.
      expect(store.labels.prune(now - 30 * DAY, 2)).toBe(2);
      expect([1, 2, 3, 4].map((i) => store.labels.find(key(i)) !== undefined)).toEqual([false, false, true, true]);
      expect(store.labels.realised('m', 10).map((w) => w.inferences)).toEqual([1, 1, 1]);
      // Inference 2's window keeps its labelled cell until the window ends before the oldest kept age.
      expect(store.labels.pending(1, 0, now).map((w) => w.cells)).toEqual([[{ predicted: 0, truth: 0, bin: 1, count: 1 }]]);
      expect(store.labels.prune(now - 5 * DAY, 10)).toBe(0);
      expect(store.labels.pending(1, 0, now)).toEqual([]);
    } finally {
      store.database.close();
    }
  });
});
