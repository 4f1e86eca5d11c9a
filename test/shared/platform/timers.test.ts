import { describe, expect, it } from 'vitest';
import { Timers } from '../../../shared/platform/timers.js';

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('Timers', () => {
  describe('every', () => {
    it('hands a job that throws or rejects to the handler with its stage, and runs it again', async () => {
      const failures: [string, string][] = [];
      const timers = new Timers((stage, err) => failures.push([stage, (err as Error).message]));
      let thrown = 0;
      let rejected = 0;
      timers.every(10, 'sync_job', () => {
        thrown++;
        throw new Error('boom');
      });
      timers.every(10, 'async_job', async () => {
        rejected++;
        await Promise.resolve();
        throw new Error('later');
      });
      await until(() => thrown >= 3 && rejected >= 3 && failures.length >= 6);
      timers.clear();
      expect(failures).toContainEqual(['sync_job', 'boom']);
      expect(failures).toContainEqual(['async_job', 'later']);
      expect(new Set(failures.map(([stage]) => stage))).toEqual(new Set(['sync_job', 'async_job']));
    });

    it('survives a handler that throws itself', async () => {
      const timers = new Timers(() => {
        throw new Error('the handler failed too');
      });
      let runs = 0;
      timers.every(10, 'job', () => {
        runs++;
        throw new Error('boom');
      });
      await until(() => runs >= 3);
      timers.clear();
      expect(runs).toBeGreaterThanOrEqual(3);
    });
  });

  describe('clear', () => {
    it('stops every timer', async () => {
      const timers = new Timers(() => undefined);
      let runs = 0;
      timers.every(5, 'job', () => runs++);
      await until(() => runs >= 1);
      timers.clear();
      const after = runs;
      await new Promise((r) => setTimeout(r, 50));
      expect(runs).toBe(after);
    });
  });
});
