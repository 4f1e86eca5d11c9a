import { createRequire } from 'node:module';
import type * as CliProgress from 'cli-progress';
import type { DwError } from '../shared/platform/errors.js';

/** Prints one warning line on stderr. */
export function warn(message: string): void {
  process.stderr.write(`driftwatch: warning: ${message}\n`);
}

/** Prints skipped-row problems on stderr, the first `limit` in full, then only a count. */
export function problemPrinter(limit = 20): { print: (problem: DwError) => void; finish: () => void } {
  let count = 0;
  return {
    print(problem) {
      count++;
      if (count <= limit) warn(`skipped: ${problem.toLine()}`);
    },
    finish() {
      if (count > limit) warn(`... and ${count - limit} more skipped row(s)`);
    },
  };
}

/** A byte-progress bar on stderr when it is a terminal; silent otherwise. */
export function progressBar(label: string): { update: (done: number, total: number) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  // Required here, on a terminal only: a build without one does not load it.
  const { SingleBar } = createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
  const bar = new SingleBar(
    { format: `${label} [{bar}] {percentage}% | {value}/{total} MiB`, stream: process.stderr, hideCursor: true, clearOnComplete: true },
  );
  let started = false;
  return {
    update(done, total) {
      const mib = (x: number): number => Math.round((x / 1048576) * 10) / 10;
      if (!started) {
        bar.start(mib(total), 0);
        started = true;
      }
      bar.update(mib(done));
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
