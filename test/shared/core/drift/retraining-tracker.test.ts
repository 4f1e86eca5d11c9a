import { describe, expect, it } from 'vitest';
import { nextRetrainingState } from '../../../../shared/core/drift/retraining-tracker.js';

describe('nextRetrainingState', () => {
  const rule = { m: 3, n: 5 };
  const run = (verdicts: (boolean | undefined)[]): boolean[] => {
    let recent: boolean[] = [];
    return verdicts.map((v) => {
      const s = nextRetrainingState(rule, recent, v);
      recent = s.recent;
      return s.recommended;
    });
  };

  it('recommends retraining once 3 of the last 5 windows drifted, and stops when they age out', () => {
    // Window 6 sees [F, T, F, T, F]: the first drift has aged out.
    expect(run([true, false, true, false, true, true, false, false, false])).toEqual([false, false, false, false, true, true, true, false, false]);
  });
  it('lets windows with insufficient data leave the history alone', () => {
    expect(run([true, true, undefined, undefined, true])).toEqual([false, false, false, false, true]);
  });
  it('keeps only the last n verdicts', () => {
    expect(nextRetrainingState(rule, [true, true, true, true, true], false).recent).toEqual([true, true, true, true, false]);
  });
});
