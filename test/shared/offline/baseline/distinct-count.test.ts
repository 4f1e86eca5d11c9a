import { describe, expect, it } from 'vitest';
import { DistinctCount } from '../../../../shared/offline/baseline/distinct-count.js';

describe('DistinctCount', () => {
  it('is exact for a few thousand values, however often each repeats', () => {
    const d = new DistinctCount();
    for (let r = 0; r < 5; r++) for (let i = 0; i < 1500; i++) d.add(`id-${i}`);
    expect(d.estimate()).toBe(1500);
  });

  it('estimates a million distinct values within 10 % (its standard error is about 3 %)', () => {
    for (const [distinct, repeats] of [[1_000_000, 1], [200_000, 3]] as const) {
      const d = new DistinctCount();
      for (let r = 0; r < repeats; r++) for (let i = 0; i < distinct; i++) d.add(`2026-01-01T00:00:${i}`);
      expect(Math.abs(d.estimate() / distinct - 1)).toBeLessThan(0.1);
    }
  });

  it('tells an id column from a category column of the same length', () => {
    const ids = new DistinctCount();
    const categories = new DistinctCount();
    for (let i = 0; i < 50_000; i++) {
      ids.add(`C-${i}`);
      categories.add(['north', 'south', 'east', 'west'][i % 4]!);
    }
    expect(ids.estimate()).toBeGreaterThan(45_000);
    expect(categories.estimate()).toBe(4);
  });
});
